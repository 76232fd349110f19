using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <inheritdoc />
    public partial class CloudJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<decimal>(
                name: "CloudCost",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CloudCostUnit",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CloudProvider",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CloudRequestId",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CloudTaskJson",
                table: "Jobs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "CloudProvider",
                table: "Images",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "CloudSeed",
                table: "Images",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "RevisedPrompt",
                table: "Images",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CloudCost",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CloudCostUnit",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CloudProvider",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CloudRequestId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CloudTaskJson",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CloudProvider",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "CloudSeed",
                table: "Images");

            migrationBuilder.DropColumn(
                name: "RevisedPrompt",
                table: "Images");
        }
    }
}
