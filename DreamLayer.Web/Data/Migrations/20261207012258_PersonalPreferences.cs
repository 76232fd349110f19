using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class PersonalPreferences : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "DefaultCheckpoint",
                table: "AspNetUsers",
                type: "TEXT",
                maxLength: 512,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "DefaultHeight",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "DefaultWidth",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Theme",
                table: "AspNetUsers",
                type: "TEXT",
                maxLength: 8,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DefaultCheckpoint",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "DefaultHeight",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "DefaultWidth",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "Theme",
                table: "AspNetUsers");
        }
    }
}
