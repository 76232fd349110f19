using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>
/// A set filter (LoRA, favourites, a board, the search) is joined in one of two ways depending on its size; both must give
/// the same images in the same order, with privacy and the trash applied, and a large set must not be sorted in full.
/// </summary>
public sealed class GalleryPlanTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    [Fact]
    public async Task DenseAndSparsePlans_EverySetFilter_ReturnTheSameImagesInTheSameOrder()
    {
        var carol = new SignedInUser("carol-id", "carol", "carol", IsAdmin: false);
        var board = await _db.Boards.CreateAsync(Alice, "Picks", shared: true);
        var tied = new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc);
        var images = new List<Guid>();
        for (var i = 0; i < 36; i++)
        {
            var owner = (i % 3) switch { 0 => Alice, 1 => Bob, _ => carol };
            var prompt = i % 2 == 0 ? $"a lighthouse <lora:inkstyle:0.8> number {i}" : $"a forest number {i}";
            // Groups of four share a date, so the tie-break on Seq decides the order within them.
            images.Add((await _db.AddAsync(owner, prompt, isPrivate: i % 5 == 0, at: tied.AddMinutes(i / 4))).Id);
        }
        foreach (var id in images.Where((_, i) => i % 3 != 2))
        {
            await _db.Gallery.SetFavouriteAsync(Alice, id, true);
        }
        await _db.Boards.AddAsync(Admin, board.Id, [.. images.Where((_, i) => i % 4 != 3)]);
        await _db.Gallery.TrashAsync(Admin, [images[4], images[9]]);

        GalleryFilter[] filters =
        [
            new() { Lora = "inkstyle" },
            new() { FavouritesOnly = true },
            new() { BoardId = board.Id },
            new() { Text = "lighthouse", Lora = "inkstyle", FavouritesOnly = true, BoardId = board.Id },
            new() { Lora = "inkstyle", Sort = GallerySort.Person },
            new() { FavouritesOnly = true, View = GallerySection.Trash },
        ];
        var walk = new GalleryPlan(DenseSearch: true, Lora: SetJoin.Walk, Favourites: SetJoin.Walk, Board: SetJoin.Walk);
        var lookUp = new GalleryPlan(DenseSearch: true, Lora: SetJoin.LookUp, Favourites: SetJoin.LookUp, Board: SetJoin.LookUp);
        await using var db = await _db.Factory.CreateDbContextAsync();
        foreach (var viewer in new[] { Alice, Bob, Admin })
        {
            foreach (var filter in filters)
            {
                var sparseFirst = await Page(GalleryPlan.Sparse, null);
                var denseFirst = await Page(walk, null);
                foreach (var dense in new[] { walk, lookUp })
                {
                    Assert.Equal(sparseFirst.Select(i => i.Id), (await Page(dense, null)).Select(i => i.Id));
                    if (sparseFirst.Count > 2)
                    {
                        Assert.Equal((await Page(GalleryPlan.Sparse, sparseFirst[2].Cursor)).Select(i => i.Id), (await Page(dense, sparseFirst[2].Cursor)).Select(i => i.Id));
                    }
                }
                var visible = (await _db.Gallery.PageAsync(viewer, filter with { Text = null, Lora = null, FavouritesOnly = false, BoardId = null }, null, 100)).Select(i => i.Id);
                Assert.All(denseFirst, i => Assert.Contains(i.Id, visible));

                Task<List<GalleryItem>> Page(GalleryPlan plan, GalleryCursor? after) =>
                    GalleryQueries.Ordered(GalleryQueries.Matching(db, viewer, filter, plan), filter.Sort, after).Take(8).AsItems().ToListAsync();
            }
        }
        // Alice's favourites hold images she may see only: none of Bob's or Carol's private ones, nothing in the trash.
        var favourites = await _db.Gallery.PageAsync(Alice, new GalleryFilter { FavouritesOnly = true }, null, 100);
        Assert.NotEmpty(favourites);
        Assert.DoesNotContain(favourites, i => i.IsPrivate && i.OwnerId != Alice.Id);
        Assert.DoesNotContain(favourites, i => i.Id == images[4] || i.Id == images[9]);
    }

    [Fact]
    public async Task LargeSets_AreWalkedInTheGallerysOrder_NotSortedInFull()
    {
        var first = await _db.AddAsync(Alice, "a lighthouse <lora:inkstyle:0.8>");
        var board = await _db.Boards.CreateAsync(Alice, "Everything", shared: true);
        await using (var db = await _db.Factory.CreateDbContextAsync())
        {
            // Copies of the first image (each a new row through the triggers), then every image in each set.
            await db.Database.ExecuteSqlAsync($"""
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < {GalleryQueries.DenseHits})
                INSERT INTO Images (Id, JobId, "Index", RelativePath, Width, Height, SizeBytes, CreatedAt, Parameters, OwnerId, OwnerName, Mode,
                                    Model, Sampler, Prompt, NegativePrompt, IsPrivate)
                SELECT printf('%08X-0000-4000-8000-000000000000', x), i.JobId, x, i.RelativePath, i.Width, i.Height, i.SizeBytes,
                       datetime(i.CreatedAt, '-' || x || ' seconds'), '', i.OwnerId, i.OwnerName, i.Mode, i.Model, i.Sampler, i.Prompt, '', x % 7 = 0
                FROM n, Images AS i WHERE i.Id = {first.Id};
                INSERT INTO Favourites (UserId, ImageId, CreatedAt) SELECT {Bob.Id}, Id, CreatedAt FROM Images;
                INSERT INTO ImageLoras (ImageId, Name) SELECT Id, 'inkstyle' FROM Images WHERE Id <> {first.Id};
                INSERT INTO BoardImages (BoardId, ImageId, AddedAt) SELECT {board.Id}, Id, CreatedAt FROM Images;
                """);
        }

        foreach (var filter in new GalleryFilter[] { new() { FavouritesOnly = true }, new() { Lora = "inkstyle" }, new() { BoardId = board.Id }, new() { Text = "lighthouse" } })
        {
            await using var db = await _db.Factory.CreateDbContextAsync();
            var plan = await GalleryQueries.PlanAsync(db, Bob, filter, CancellationToken.None);
            // A set of 3,001 in 3,001 images: above both thresholds, so looked up image by image.
            SetJoin Expected(bool set) => set ? SetJoin.LookUp : SetJoin.Sparse;
            Assert.Equal(new GalleryPlan(DenseSearch: filter.Text is not null, Lora: Expected(filter.Lora is not null), Favourites: Expected(filter.FavouritesOnly), Board: Expected(filter.BoardId is not null)), plan);
            var query = GalleryQueries.Ordered(GalleryQueries.Matching(db, Bob, filter, plan), filter.Sort, null).Take(100).AsItems();
            Assert.DoesNotContain("TEMP B-TREE", await ExplainAsync(db, query), StringComparison.Ordinal);
            var walked = plan with { Lora = plan.Lora == SetJoin.Sparse ? SetJoin.Sparse : SetJoin.Walk, Favourites = plan.Favourites == SetJoin.Sparse ? SetJoin.Sparse : SetJoin.Walk, Board = plan.Board == SetJoin.Sparse ? SetJoin.Sparse : SetJoin.Walk };
            Assert.DoesNotContain("TEMP B-TREE", await ExplainAsync(db, GalleryQueries.Ordered(GalleryQueries.Matching(db, Bob, filter, walked), filter.Sort, null).Take(100).AsItems()), StringComparison.Ordinal);

            // The newest first, Bob's view: the images marked private (every 7th copy) are not his to see.
            var page = await query.ToListAsync();
            Assert.Equal(100, page.Count);
            Assert.DoesNotContain(page, i => i.IsPrivate);
            Assert.Equal(page.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Seq).Select(i => i.Id), page.Select(i => i.Id));
            Assert.Equal((await _db.Gallery.PageAsync(Bob, new GalleryFilter(), null, 100)).Select(i => i.Id), page.Select(i => i.Id));
        }
    }

    [Fact]
    public async Task Search_PagesFoundInAWindowFirst_AreTheSameAsFromAllMatches()
    {
        var first = await _db.AddAsync(Alice, "seed");
        await using (var db = await _db.Factory.CreateDbContextAsync())
        {
            // 12,000 images, newest first by date, except every 500th: saved late with an old date (as a folder import
            // does), so a window of the newest images spans a wide range of Seq. Every 7th is Alice's and private.
            await db.Database.ExecuteSqlAsync($"""
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 12000)
                INSERT INTO Images (Id, JobId, "Index", RelativePath, Width, Height, SizeBytes, CreatedAt, Parameters, OwnerId, OwnerName, Mode,
                                    Model, Sampler, Prompt, NegativePrompt, IsPrivate)
                SELECT printf('%08X-0000-4000-8000-000000000000', x), i.JobId, x, i.RelativePath, i.Width, i.Height, i.SizeBytes,
                       CASE WHEN x % 500 = 0 THEN datetime(i.CreatedAt, '-' || (x * 7) || ' minutes') ELSE datetime(i.CreatedAt, '+' || x || ' seconds') END,
                       '', i.OwnerId, i.OwnerName, i.Mode, i.Model, i.Sampler,
                       CASE WHEN x % 997 = 0 THEN 'the lighthouse keeper' WHEN x % 3 = 0 THEN 'a lighthouse' ELSE 'a forest' END, '', x % 7 = 0
                FROM n, Images AS i WHERE i.Id = {first.Id};
                """);
        }
        await _db.Gallery.TrashAsync(Alice, [Guid.Parse("00000003-0000-4000-8000-000000000000"), Guid.Parse("00000FC0-0000-4000-8000-000000000000")]);

        foreach (var (viewer, text) in new[] { (Bob, "lighthouse"), (Admin, "lighthouse"), (Bob, "keeper"), (Alice, "lig kee"), (Bob, "lighthouse forest") })
        {
            var filter = new GalleryFilter { Text = text };
            GalleryCursor? cursor = null;
            for (var page = 0; page < 6; page++)
            {
                var found = await _db.Gallery.PageAsync(viewer, filter, cursor, 100);
                await using var db = await _db.Factory.CreateDbContextAsync();
                var expected = await GalleryQueries.Ordered(GalleryQueries.Matching(db, viewer, filter, GalleryPlan.Sparse), filter.Sort, cursor).Take(100).AsItems().ToListAsync();
                Assert.Equal(expected.Select(i => i.Id), found.Select(i => i.Id));
                if (found.Count < 100)
                {
                    break;
                }
                cursor = found[^1].Cursor;
            }
        }
        Assert.Equal(12, await _db.Gallery.CountAsync(Admin, new GalleryFilter { Text = "keeper" }));
    }

    [Fact]
    public async Task AVeryLargeSet_IsLookedUpForEachImageWalked_NotGatheredFirst()
    {
        var board = await _db.Boards.CreateAsync(Alice, "Picks", shared: true);
        var image = await _db.AddAsync(Alice, "a lighthouse <lora:inkstyle:0.8>");
        await _db.Gallery.SetFavouriteAsync(Alice, image.Id, true);
        await _db.Boards.AddAsync(Alice, board.Id, [image.Id]);
        await using var db = await _db.Factory.CreateDbContextAsync();
        var plan = new GalleryPlan(Lora: SetJoin.LookUp, Favourites: SetJoin.LookUp, Board: SetJoin.LookUp);
        foreach (var (filter, seek) in new (GalleryFilter, string)[]
        {
            (new() { FavouritesOnly = true }, "(UserId=? AND ImageId=?)"),
            (new() { Lora = "inkstyle" }, "(Name=? AND ImageId=?)"),
            (new() { BoardId = board.Id }, "(BoardId=? AND ImageId=?)"),
        })
        {
            var query = GalleryQueries.Ordered(GalleryQueries.Matching(db, Alice, filter, plan), filter.Sort, null).Take(100).AsItems();
            var steps = await ExplainAsync(db, query);
            // One seek in the set's primary key per image, and the set's images never mapped to rows up front.
            Assert.Contains(seek, steps, StringComparison.Ordinal);
            Assert.DoesNotContain("sqlite_autoindex_Images_1", steps, StringComparison.Ordinal);
            Assert.Equal([image.Id], (await query.ToListAsync()).Select(i => i.Id));
        }
    }

    [Theory]
    [InlineData(1_000, GalleryQueries.DenseHits)]
    [InlineData(100_000, 3_162)]
    [InlineData(1_000_000, 10_000)]
    public void LookUpHits_GrowsWithTheSquareRootOfTheGallery(long images, int expected) =>
        Assert.Equal(expected, GalleryQueries.LookUpHits(images));

    [Fact]
    public async Task Search_AWordThatFillsItsPageInTheNewestImages_IsMatchedAsAPrefixOnce()
    {
        var first = await _db.AddAsync(Alice, "seed");
        await using (var db = await _db.Factory.CreateDbContextAsync())
        {
            // 6,000 images, two in three a lighthouse: a dense search, and the window of the newest 5,000 holds a page of them.
            await db.Database.ExecuteSqlAsync($"""
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 6000)
                INSERT INTO Images (Id, JobId, "Index", RelativePath, Width, Height, SizeBytes, CreatedAt, Parameters, OwnerId, OwnerName, Mode,
                                    Model, Sampler, Prompt, NegativePrompt, IsPrivate)
                SELECT printf('%08X-0000-4000-8000-000000000000', x), i.JobId, x, i.RelativePath, i.Width, i.Height, i.SizeBytes,
                       datetime(i.CreatedAt, '+' || x || ' seconds'), '', i.OwnerId, i.OwnerName, i.Mode, i.Model, i.Sampler,
                       CASE WHEN x % 3 = 0 THEN 'a forest' ELSE 'a lighthouse' END, '', 0
                FROM n, Images AS i WHERE i.Id = {first.Id};
                """);
        }
        var recorder = new CommandRecorder();
        var options = new DbContextOptionsBuilder<DreamLayerDbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = _db.Paths.DatabasePath, Pooling = false }.ToString())
            .AddInterceptors(recorder).Options;
        var gallery = new GalleryService(new TestContextFactory(options), _db.Store, _db.Events, TimeProvider.System);

        var page = await gallery.PageAsync(Bob, new GalleryFilter { Text = "lighthouse" }, null, 100);

        // The newest 100 lighthouses, found with one prefix match only (a prefix match costs the word's whole list of
        // images, most of a common word's search): the plan counts the whole word.
        Assert.Equal(100, page.Count);
        Assert.Equal(6000, page[0].Seq);
        Assert.All(page, i => Assert.Equal("a lighthouse", i.Prompt));
        Assert.Single(recorder.Commands, c => c.Contains("\"lighthouse\"*", StringComparison.Ordinal));
        Assert.Contains(recorder.Commands, c => c.Contains("\"lighthouse\" ", StringComparison.Ordinal));
    }

    /// <summary>SQLite's plan for the query, one step a line.</summary>
    private static async Task<string> ExplainAsync(DbContext db, IQueryable query)
    {
        await using var command = query.CreateDbCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
        await db.Database.OpenConnectionAsync();
        await using var reader = await command.ExecuteReaderAsync();
        var steps = new List<string>();
        while (await reader.ReadAsync())
        {
            steps.Add(reader.GetString(reader.GetOrdinal("detail")));
        }
        return string.Join('\n', steps);
    }

    public void Dispose() => _db.Dispose();
}
