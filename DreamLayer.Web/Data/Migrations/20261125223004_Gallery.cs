using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class Gallery : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Images_CreatedAt",
                table: "Images");

            migrationBuilder.AddColumn<DateTime>(
                name: "DeletedAt",
                table: "Images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "IsPrivate",
                table: "Images",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Mode",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Model",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "NegativePrompt",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwnerId",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "OwnerName",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Prompt",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "Sampler",
                table: "Images",
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "Seq",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Boards",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 80, nullable: false),
                    OwnerId = table.Column<string>(type: "TEXT", nullable: false),
                    OwnerName = table.Column<string>(type: "TEXT", nullable: false),
                    IsShared = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Boards", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Favourites",
                columns: table => new
                {
                    UserId = table.Column<string>(type: "TEXT", nullable: false),
                    ImageId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Favourites", x => new { x.UserId, x.ImageId });
                    table.ForeignKey(
                        name: "FK_Favourites_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ImageLoras",
                columns: table => new
                {
                    ImageId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ImageLoras", x => new { x.Name, x.ImageId });
                    table.ForeignKey(
                        name: "FK_ImageLoras_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "BoardImages",
                columns: table => new
                {
                    BoardId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ImageId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AddedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BoardImages", x => new { x.BoardId, x.ImageId });
                    table.ForeignKey(
                        name: "FK_BoardImages_Boards_BoardId",
                        column: x => x.BoardId,
                        principalTable: "Boards",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_BoardImages_Images_ImageId",
                        column: x => x.ImageId,
                        principalTable: "Images",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Images_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_Mode_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "Mode", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_Model_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "Model", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_OwnerId_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "OwnerId", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_OwnerName_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "OwnerName", "CreatedAt", "Seq" },
                descending: new[] { false, true, true });

            migrationBuilder.CreateIndex(
                name: "IX_Images_Sampler_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "Sampler", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_Images_Seq",
                table: "Images",
                column: "Seq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Images_Trash",
                table: "Images",
                columns: new[] { "CreatedAt", "Seq" },
                filter: "DeletedAt IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Images_Width_Height_CreatedAt_Seq",
                table: "Images",
                columns: new[] { "Width", "Height", "CreatedAt", "Seq" });

            migrationBuilder.CreateIndex(
                name: "IX_BoardImages_ImageId",
                table: "BoardImages",
                column: "ImageId");

            migrationBuilder.CreateIndex(
                name: "IX_Boards_OwnerId",
                table: "Boards",
                column: "OwnerId");

            migrationBuilder.CreateIndex(
                name: "IX_Favourites_ImageId",
                table: "Favourites",
                column: "ImageId");

            migrationBuilder.CreateIndex(
                name: "IX_ImageLoras_ImageId",
                table: "ImageLoras",
                column: "ImageId");

            // Full-text index over prompts (SQLite FTS5, external content on Images, row id = Seq) and the triggers
            // that keep it and Seq in step. Frozen text: a migration that ran must mean the same thing forever.
            migrationBuilder.Sql("""
                UPDATE Images SET
                    OwnerId = (SELECT Owner FROM Jobs WHERE Jobs.Id = Images.JobId),
                    OwnerName = (SELECT Owner FROM Jobs WHERE Jobs.Id = Images.JobId),
                    Mode = (SELECT Mode FROM Jobs WHERE Jobs.Id = Images.JobId),
                    Model = (SELECT Checkpoint FROM Jobs WHERE Jobs.Id = Images.JobId),
                    Sampler = (SELECT Sampler FROM Jobs WHERE Jobs.Id = Images.JobId),
                    Prompt = (SELECT Prompt FROM Jobs WHERE Jobs.Id = Images.JobId),
                    NegativePrompt = (SELECT NegativePrompt FROM Jobs WHERE Jobs.Id = Images.JobId),
                    Seq = rowid;

                CREATE VIRTUAL TABLE ImagesFts USING fts5(
                    Prompt, NegativePrompt, content='Images', content_rowid='Seq', tokenize='unicode61 remove_diacritics 2');
                INSERT INTO ImagesFts(ImagesFts) VALUES ('rebuild');

                CREATE TRIGGER Images_AfterInsert AFTER INSERT ON Images BEGIN
                    UPDATE Images SET Seq = (SELECT IFNULL(MAX(Seq), 0) + 1 FROM Images) WHERE rowid = new.rowid;
                    INSERT INTO ImagesFts(rowid, Prompt, NegativePrompt)
                        SELECT Seq, new.Prompt, new.NegativePrompt FROM Images WHERE rowid = new.rowid;
                END;

                CREATE TRIGGER Images_AfterDelete AFTER DELETE ON Images BEGIN
                    INSERT INTO ImagesFts(ImagesFts, rowid, Prompt, NegativePrompt) VALUES ('delete', old.Seq, old.Prompt, old.NegativePrompt);
                END;

                CREATE TRIGGER Images_AfterUpdatePrompt AFTER UPDATE OF Prompt, NegativePrompt ON Images BEGIN
                    INSERT INTO ImagesFts(ImagesFts, rowid, Prompt, NegativePrompt) VALUES ('delete', old.Seq, old.Prompt, old.NegativePrompt);
                    INSERT INTO ImagesFts(rowid, Prompt, NegativePrompt) VALUES (new.Seq, new.Prompt, new.NegativePrompt);
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS Images_AfterUpdatePrompt;
                DROP TRIGGER IF EXISTS Images_AfterDelete;
                DROP TRIGGER IF EXISTS Images_AfterInsert;
                DROP TABLE IF EXISTS ImagesFts;
                """);

            migrationBuilder.DropTable(
                name: "BoardImages");

            migrationBuilder.DropTable(
                name: "Favourites");

            migrationBuilder.DropTable(
                name: "ImageLoras");

            migrationBuilder.DropTable(
                name: "Boards");

            migrationBuilder.DropIndex(
                name: "IX_Images_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Mode_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Model_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_OwnerId_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_OwnerName_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Sampler_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Seq",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Trash",
                table: "Images");

            migrationBuilder.DropIndex(
                name: "IX_Images_Width_Height_CreatedAt_Seq",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "DeletedAt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "IsPrivate",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "Mode",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "Model",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "NegativePrompt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "OwnerId",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "OwnerName",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "Prompt",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "Sampler",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "Seq",
                table: "Images");

            migrationBuilder.CreateIndex(
                name: "IX_Images_CreatedAt",
                table: "Images",
                column: "CreatedAt");
        }
    }
}
