using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelLibrary : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ModelsDirectory",
                table: "Backends",
                type: "TEXT",
                maxLength: 1024,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Models",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Folder = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    DisplayName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Description = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: true),
                    Family = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    InferredFamily = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    Version = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    SourceUrl = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    Tags = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    TriggerWords = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    PreviewImageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Hidden = table.Column<bool>(type: "INTEGER", nullable: false),
                    DefaultWidth = table.Column<int>(type: "INTEGER", nullable: true),
                    DefaultHeight = table.Column<int>(type: "INTEGER", nullable: true),
                    DefaultSteps = table.Column<int>(type: "INTEGER", nullable: true),
                    DefaultCfg = table.Column<double>(type: "REAL", nullable: true),
                    DefaultSampler = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    DefaultScheduler = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    DefaultClipSkip = table.Column<int>(type: "INTEGER", nullable: true),
                    DefaultVae = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    DefaultStrength = table.Column<double>(type: "REAL", nullable: true),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Models", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Models_Folder_Name",
                table: "Models",
                columns: new[] { "Folder", "Name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Models");

            migrationBuilder.DropColumn(
                name: "ModelsDirectory",
                table: "Backends");
        }
    }
}
