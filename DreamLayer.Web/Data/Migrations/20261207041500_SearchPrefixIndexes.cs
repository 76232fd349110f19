using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <summary>
    /// Rebuilds the prompt search index with prefix indexes for two- and three-letter prefixes: a search for a short
    /// prefix ("dra" while typing "dragon") otherwise merges the lists of every word that starts with it, on every query.
    /// The index is external content on <c>Images</c>, so it is dropped and rebuilt from the rows (the triggers refer to it
    /// by name and need no change). The model is unchanged: this migration has no target model of its own.
    /// </summary>
    [DbContext(typeof(DreamLayerDbContext))]
    [Migration("20261207041500_SearchPrefixIndexes")]
    public partial class SearchPrefixIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Frozen text, like the Gallery migration's: a migration that ran must mean the same thing forever.
            migrationBuilder.Sql("""
                DROP TABLE ImagesFts;
                CREATE VIRTUAL TABLE ImagesFts USING fts5(
                    Prompt, NegativePrompt, content='Images', content_rowid='Seq', tokenize='unicode61 remove_diacritics 2', prefix='2 3');
                INSERT INTO ImagesFts(ImagesFts) VALUES ('rebuild');
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TABLE ImagesFts;
                CREATE VIRTUAL TABLE ImagesFts USING fts5(
                    Prompt, NegativePrompt, content='Images', content_rowid='Seq', tokenize='unicode61 remove_diacritics 2');
                INSERT INTO ImagesFts(ImagesFts) VALUES ('rebuild');
                """);
        }
    }
}
