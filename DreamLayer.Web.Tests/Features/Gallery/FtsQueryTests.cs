using DreamLayer.Web.Features.Gallery;
using Microsoft.EntityFrameworkCore;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>What a person types in the search box is searched as text: FTS5 syntax never reaches SQLite as syntax.</summary>
public sealed class FtsQueryTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    [Theory]
    [InlineData("lighthouse", "\"lighthouse\"*")]
    [InlineData("  red   car ", "\"red\"* \"car\"*")]
    [InlineData("say \"hi\"", "\"say\"* \"\"\"hi\"\"\"*")]
    [InlineData("cat*", "\"cat*\"*")]
    [InlineData("-blurry", "\"-blurry\"*")]
    [InlineData("a NEAR b", "\"a\"* \"NEAR\"* \"b\"*")]
    [InlineData("prompt:cat", "\"prompt:cat\"*")]
    public void Build_UserText_QuotesEveryWordAsAPrefixPhrase(string text, string expected) =>
        Assert.Equal(expected, FtsQuery.Build(text));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("* - \" ( ) ^ :")]
    public void Build_NothingToSearchFor_IsNull(string? text) => Assert.Null(FtsQuery.Build(text));

    [Fact]
    public void Build_ManyWords_KeepsTheFirstSixteen() =>
        Assert.Equal(FtsQuery.MaxTerms, FtsQuery.Build(string.Join(' ', Enumerable.Range(0, 40).Select(i => $"w{i}")))!.Split(' ').Length);

    [Theory]
    [InlineData("\"")]
    [InlineData("\"unbalanced")]
    [InlineData("NEAR(a b")]
    [InlineData("a AND OR NOT b")]
    [InlineData("*")]
    [InlineData("-")]
    [InlineData("col:lighthouse")]
    [InlineData("^start")]
    [InlineData("(((")]
    [InlineData("a\u0000b")]
    public async Task Search_OperatorsAndBrokenSyntax_NeverThrow(string text)
    {
        await _db.AddAsync(Alice, "a lighthouse at dusk");
        var page = await _db.Gallery.PageAsync(Alice, new GalleryFilter { Text = text }, null, 10);
        Assert.NotNull(page);
        Assert.True(await _db.Gallery.CountAsync(Alice, new GalleryFilter { Text = text }) >= 0);
    }

    [Fact]
    public async Task Search_WordsAndPrefixes_FindPromptAndNegativePrompt()
    {
        var lighthouse = await _db.AddAsync(Alice, "a lighthouse on a cliff at dusk", negative: "blurry");
        var forest = await _db.AddAsync(Bob, "a misty forest, (masterpiece:1.2)", negative: "lowres, watermark");
        await _db.AddAsync(Bob, "a red car");

        async Task<Guid[]> Search(string text) =>
            [.. (await _db.Gallery.PageAsync(Alice, new GalleryFilter { Text = text }, null, 10)).Select(i => i.Id)];

        Assert.Equal([lighthouse.Id], await Search("lighthouse"));
        Assert.Equal([lighthouse.Id], await Search("LIGHT"));
        Assert.Equal([forest.Id], await Search("watermark"));
        Assert.Equal([forest.Id], await Search("masterpiece"));
        Assert.Equal([lighthouse.Id], await Search("cliff dusk"));
        Assert.Empty(await Search("cliff forest"));
        Assert.Empty(await Search("submarine"));
    }

    [Fact]
    public async Task Search_ImageRemovedForGood_LeavesTheIndex()
    {
        var image = await _db.AddAsync(Alice, "a lighthouse");
        await _db.Gallery.TrashAsync(Alice, [image.Id]);
        await _db.Gallery.EmptyTrashAsync(Alice);

        Assert.Empty(await _db.Gallery.PageAsync(Admin, new GalleryFilter { Text = "lighthouse" }, null, 10));
        await _db.AddAsync(Alice, "another lighthouse");
        Assert.Single(await _db.Gallery.PageAsync(Admin, new GalleryFilter { Text = "lighthouse" }, null, 10));
    }

    [Fact]
    public async Task Search_DenseAndSparsePlans_ReturnTheSameImages()
    {
        for (var i = 0; i < 30; i++)
        {
            await _db.AddAsync(i % 2 == 0 ? Alice : Bob, i % 3 == 0 ? $"a lighthouse number {i}" : $"a forest number {i}", isPrivate: i % 5 == 0);
        }
        var filter = new GalleryFilter { Text = "lighthouse" };
        await using var db = await _db.Factory.CreateDbContextAsync();
        var dense = GalleryQueries.Ordered(GalleryQueries.Matching(db, Alice, filter, new GalleryPlan(DenseSearch: true)), filter.Sort, null);
        var sparse = GalleryQueries.Ordered(GalleryQueries.Matching(db, Alice, filter, GalleryPlan.Sparse), filter.Sort, null);

        // Both are uncorrelated IN lists: a correlated EXISTS would run the full-text match once per image.
        Assert.Contains("(Seq + 0) IN (SELECT rowid FROM ImagesFts", dense.ToQueryString(), StringComparison.Ordinal);
        Assert.Contains("Seq IN (SELECT rowid FROM ImagesFts", sparse.ToQueryString(), StringComparison.Ordinal);
        Assert.DoesNotContain("EXISTS", dense.ToQueryString(), StringComparison.Ordinal);
        Assert.DoesNotContain("EXISTS", sparse.ToQueryString(), StringComparison.Ordinal);
        Assert.Equal(sparse.Select(i => i.Id).ToList(), dense.Select(i => i.Id).ToList());
        Assert.NotEmpty(sparse.ToList());
    }

    [Fact]
    public async Task Upgrade_ImagesSavedBeforeThePrefixIndexes_AreFoundByWordsAndShortPrefixes()
    {
        using var old = new GalleryDatabase(migration: "20261207012258_PersonalPreferences");
        var lighthouse = await old.AddAsync(Alice, "a lighthouse on a cliff", negative: "blurry");
        var forest = await old.AddAsync(Bob, "a misty forest at dawn");

        old.MigrateToLatest();
        var added = await old.AddAsync(Alice, "another lighthouse in fog");

        async Task<Guid[]> Search(string text) =>
            [.. (await old.Gallery.PageAsync(Admin, new GalleryFilter { Text = text }, null, 10)).Select(i => i.Id)];
        Assert.Equal([added.Id, lighthouse.Id], await Search("li"));
        Assert.Equal([added.Id, lighthouse.Id], await Search("lig"));
        Assert.Equal([added.Id, lighthouse.Id], await Search("ligh"));
        Assert.Equal([added.Id, lighthouse.Id], await Search("lighthouse"));
        Assert.Equal([forest.Id], await Search("mi da"));
        Assert.Equal([lighthouse.Id], await Search("bl cli"));
        Assert.Empty(await Search("lighthouses"));

        await using var db = await old.Factory.CreateDbContextAsync();
        // The rebuilt index holds every row of Images and nothing else (FTS5 compares it with the content table).
        await db.Database.ExecuteSqlRawAsync("INSERT INTO ImagesFts(ImagesFts, rank) VALUES ('integrity-check', 1)");
        var definition = await db.Database.SqlQuery<string>($"SELECT sql AS Value FROM sqlite_master WHERE name = 'ImagesFts'").SingleAsync();
        Assert.Contains("prefix='2 3'", definition, StringComparison.Ordinal);
    }

    public void Dispose() => _db.Dispose();
}
