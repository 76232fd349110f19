using System.Text.RegularExpressions;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// A migration that has run on someone's database must mean the same thing forever: a fresh database and one upgraded
/// long ago have to end up alike. So the SQL a migration runs is text written in the migration, never read from code
/// that may change later.
/// </summary>
public sealed partial class MigrationTests
{
    [Fact]
    public void EveryMigration_SqlItRuns_IsWrittenOutInItsOwnSource()
    {
        using var db = new DreamLayerDbContext(new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite("Data Source=:memory:").Options);
        var assembly = db.GetService<IMigrationsAssembly>();
        var folder = Path.Combine(TestPaths.RepoRoot, "DreamLayer.Web", "Data", "Migrations");
        var checkedSql = 0;
        foreach (var (id, type) in assembly.Migrations)
        {
            var migration = assembly.CreateMigration(type, "Microsoft.EntityFrameworkCore.Sqlite");
            var source = Squash(File.ReadAllText(Path.Combine(folder, id + ".cs")));
            foreach (var sql in migration.UpOperations.Concat(migration.DownOperations).OfType<SqlOperation>())
            {
                Assert.True(source.Contains(Squash(sql.Sql), StringComparison.Ordinal),
                    $"Migration {id} runs SQL that is not written in {id}.cs (it reads it from elsewhere): {sql.Sql[..Math.Min(80, sql.Sql.Length)]}");
                checkedSql++;
            }
        }
        Assert.True(checkedSql > 0, "No migration runs SQL of its own; the Gallery migration creates the full-text index.");
    }

    /// <summary>The text without its layout (a raw string literal is indented in the source, not in the SQL).</summary>
    private static string Squash(string text) => Whitespace().Replace(text, " ");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
