using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class ImportHash : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ImportHash",
                table: "Images",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Images_ImportHash",
                table: "Images",
                column: "ImportHash");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Images_ImportHash",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "ImportHash",
                table: "Images");
        }
    }
}
