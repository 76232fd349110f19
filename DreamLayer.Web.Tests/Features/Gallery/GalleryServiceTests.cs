using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Gallery;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>Keyset paging, filters, privacy and the trash, decided by the service for each viewer.</summary>
public sealed class GalleryServiceTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    [Fact]
    public async Task PageAsync_KeysetPagesWithTiedDates_ReturnEveryImageOnceNewestFirst()
    {
        var sameMoment = new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc);
        var added = new List<Guid>();
        for (var i = 0; i < 23; i++)
        {
            // Groups of images share a date: the tie-break (Seq) must keep the order total.
            added.Add((await _db.AddAsync(i % 2 == 0 ? Alice : Bob, $"image {i}", at: sameMoment.AddMinutes(i / 4))).Id);
        }
        var seen = new List<GalleryItem>();
        GalleryCursor? cursor = null;
        while (true)
        {
            var page = await _db.Gallery.PageAsync(Alice, new GalleryFilter(), cursor, 5);
            seen.AddRange(page);
            if (page.Count < 5)
            {
                break;
            }
            cursor = page[^1].Cursor;
        }

        Assert.Equal(23, seen.Count);
        Assert.Equal(added.Order().ToList(), seen.Select(s => s.Id).Order().ToList());
        Assert.Equal(seen.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Seq).Select(s => s.Id), seen.Select(s => s.Id));
    }

    [Fact]
    public async Task PageAsync_SortedByPerson_PagesThroughNamesThenNewest()
    {
        var carol = new SignedInUser("carol-id", "carol", "carol", false);
        foreach (var owner in new[] { Bob, carol, Alice, Bob, Alice, carol, Bob })
        {
            await _db.AddAsync(owner, "x");
        }
        var filter = new GalleryFilter { Sort = GallerySort.Person };
        var first = await _db.Gallery.PageAsync(Admin, filter, null, 3);
        var second = await _db.Gallery.PageAsync(Admin, filter, first[^1].Cursor, 3);
        var third = await _db.Gallery.PageAsync(Admin, filter, second[^1].Cursor, 3);
        var all = first.Concat(second).Concat(third).ToList();

        Assert.Equal(["alice", "alice", "bob", "bob", "bob", "carol", "carol"], all.Select(i => i.OwnerName));
        Assert.All(all.GroupBy(i => i.OwnerName), g => Assert.Equal(g.OrderByDescending(i => i.CreatedAt).Select(i => i.Id), g.Select(i => i.Id)));
    }

    [Fact]
    public async Task PrivateImage_IsSeenOnlyByItsOwnerAndAdmins_InPagesCountsSearchAndLookups()
    {
        var secret = await _db.AddAsync(Bob, "a secret lighthouse", isPrivate: true);
        var open = await _db.AddAsync(Bob, "an open lighthouse");
        var search = new GalleryFilter { Text = "lighthouse" };

        Assert.Equal([open.Id], (await _db.Gallery.PageAsync(Alice, search, null, 10)).Select(i => i.Id));
        Assert.Equal(1, await _db.Gallery.CountAsync(Alice, search));
        Assert.False(await _db.Gallery.MatchesAsync(Alice, new GalleryFilter(), secret.Id));
        Assert.Null(await _db.Gallery.FindVisibleAsync(Alice, secret.Id));
        Assert.Equal([open.Id], (await _db.Gallery.FindVisibleAsync(Alice, [secret.Id, open.Id])).Select(i => i.Id));
        Assert.False(await _db.Gallery.SetFavouriteAsync(Alice, secret.Id, true));

        Assert.Equal(2, await _db.Gallery.CountAsync(Bob, search));
        Assert.Equal(2, await _db.Gallery.CountAsync(Admin, search));
        Assert.True(await _db.Gallery.MatchesAsync(Bob, new GalleryFilter(), secret.Id));
        Assert.NotNull(await _db.Gallery.FindVisibleAsync(Admin, secret.Id));
    }

    [Fact]
    public async Task SetPrivate_AnotherPersonsImage_IsRefusedForAMember()
    {
        var image = await _db.AddAsync(Bob, "mine");

        var refused = await _db.Gallery.SetPrivateAsync(Alice, [image.Id], true);
        Assert.Equal(new GalleryActionResult(0, 1), refused);
        Assert.NotNull(await _db.Gallery.FindVisibleAsync(Alice, image.Id));

        Assert.Equal(new GalleryActionResult(1, 0), await _db.Gallery.SetPrivateAsync(Admin, [image.Id], true));
        Assert.Null(await _db.Gallery.FindVisibleAsync(Alice, image.Id));
    }

    [Fact]
    public async Task Trash_MemberCannotDeleteOrRestoreAnotherPersonsImage_OwnerCan_FilesStayUntilEmptied()
    {
        var bobs = await _db.AddAsync(Bob, "bob's");
        var alices = await _db.AddAsync(Alice, "alice's");
        var file = _db.Store.Locate(bobs)!;

        Assert.Equal(new GalleryActionResult(1, 1), await _db.Gallery.TrashAsync(Alice, [bobs.Id, alices.Id]));
        Assert.Equal([bobs.Id], (await _db.Gallery.PageAsync(Alice, new GalleryFilter(), null, 10)).Select(i => i.Id));

        Assert.Equal(new GalleryActionResult(1, 0), await _db.Gallery.TrashAsync(Bob, [bobs.Id]));
        var bobsTrash = new GalleryFilter { View = GallerySection.Trash };
        Assert.Equal([bobs.Id], (await _db.Gallery.PageAsync(Bob, bobsTrash, null, 10)).Select(i => i.Id));
        Assert.Equal([alices.Id], (await _db.Gallery.PageAsync(Alice, bobsTrash, null, 10)).Select(i => i.Id));
        Assert.Equal(2, await _db.Gallery.CountAsync(Admin, bobsTrash));
        Assert.True(File.Exists(file));

        Assert.Equal(new GalleryActionResult(0, 1), await _db.Gallery.RestoreAsync(Alice, [bobs.Id]));
        Assert.Equal(new GalleryActionResult(0, 1), await _db.Gallery.EmptyTrashAsync(Alice, [bobs.Id]));
        Assert.True(File.Exists(file));

        Assert.Equal(new GalleryActionResult(1, 0), await _db.Gallery.RestoreAsync(Bob, [bobs.Id]));
        Assert.Equal(new GalleryActionResult(1, 0), await _db.Gallery.TrashAsync(Bob, [bobs.Id]));
        Assert.Equal(new GalleryActionResult(1, 0), await _db.Gallery.EmptyTrashAsync(Bob));
        Assert.False(File.Exists(file));
        Assert.Null(await _db.Gallery.FindVisibleAsync(Admin, bobs.Id));
        Assert.NotNull(await _db.Gallery.FindVisibleAsync(Alice, alices.Id));
    }

    [Fact]
    public async Task Filters_EachNarrowsTheGallery()
    {
        var a = await _db.AddAsync(Alice, "a <lora:inkstyle:0.8> cat", model: "sdxl.safetensors", sampler: "dpmpp_2m", width: 1024, height: 1024,
            at: new DateTime(2026, 3, 10, 8, 0, 0, DateTimeKind.Utc));
        var b = await _db.AddAsync(Bob, "a dog", model: "sd15.safetensors", sampler: "euler", mode: "Upscale",
            at: new DateTime(2026, 3, 12, 8, 0, 0, DateTimeKind.Utc));
        await _db.Gallery.SetFavouriteAsync(Alice, b.Id, true);

        async Task<Guid[]> Ids(GalleryFilter f, SignedInUser? v = null) => [.. (await _db.Gallery.PageAsync(v ?? Alice, f, null, 10)).Select(i => i.Id)];

        Assert.Equal([a.Id], await Ids(new() { Model = "sdxl.safetensors" }));
        Assert.Equal([b.Id], await Ids(new() { Sampler = "euler" }));
        Assert.Equal([a.Id], await Ids(new() { Lora = "inkstyle" }));
        Assert.Equal([a.Id], await Ids(new() { Width = 1024, Height = 1024 }));
        Assert.Equal([b.Id], await Ids(new() { Mode = "Upscale" }));
        Assert.Equal([b.Id], await Ids(new() { OwnerId = Bob.Id }));
        Assert.Equal([a.Id], await Ids(new() { MineOnly = true }));
        Assert.Equal([b.Id], await Ids(new() { FavouritesOnly = true }));
        Assert.Empty(await Ids(new() { FavouritesOnly = true }, Bob));
        Assert.Equal([a.Id], await Ids(new() { From = new DateOnly(2026, 3, 10), To = new DateOnly(2026, 3, 10) }));
        Assert.Equal([b.Id], await Ids(new() { From = new DateOnly(2026, 3, 11) }));
        Assert.Empty(await Ids(new() { Model = "sdxl.safetensors", Sampler = "euler" }));

        var facets = await _db.Gallery.FacetsAsync(Alice);
        Assert.Equal(["inkstyle"], facets.Loras);
        Assert.Equal([("alice-id", "alice"), ("bob-id", "bob")], facets.People);
    }

    [Fact]
    public async Task Boards_PrivateBoardIsTheOwnersOnly_SharedBoardTakesOnlyVisibleImages()
    {
        var open = await _db.AddAsync(Alice, "open");
        var secret = await _db.AddAsync(Alice, "secret", isPrivate: true);
        var bobsSecret = await _db.AddAsync(Bob, "bob's secret", isPrivate: true);
        var shared = await _db.Boards.CreateAsync(Alice, "  Team   picks ", shared: true);
        var mine = await _db.Boards.CreateAsync(Alice, "Drafts", shared: false);

        Assert.Equal("Team picks", shared.Name);
        Assert.Equal(["Drafts", "Team picks"], (await _db.Boards.ListAsync(Alice)).Select(b => b.Name));
        Assert.Equal(["Team picks"], (await _db.Boards.ListAsync(Bob)).Select(b => b.Name));
        Assert.Equal(2, (await _db.Boards.ListAsync(Admin)).Count);

        Assert.Equal(new GalleryActionResult(2, 0), await _db.Boards.AddAsync(Alice, shared.Id, [open.Id, secret.Id]));
        Assert.Equal(new GalleryActionResult(1, 1), await _db.Boards.AddAsync(Bob, shared.Id, [open.Id, secret.Id]));
        Assert.Equal(new GalleryActionResult(0, 1), await _db.Boards.AddAsync(Bob, mine.Id, [bobsSecret.Id]));
        Assert.Equal([open.Id], (await _db.Gallery.PageAsync(Bob, new GalleryFilter { BoardId = shared.Id }, null, 10)).Select(i => i.Id));
        Assert.Equal(2, await _db.Gallery.CountAsync(Alice, new GalleryFilter { BoardId = shared.Id }));

        Assert.False(await _db.Boards.UpdateAsync(Bob, shared.Id, "mine now", shared: false));
        Assert.False(await _db.Boards.DeleteAsync(Bob, shared.Id));
        Assert.True(await _db.Boards.UpdateAsync(Admin, shared.Id, "Picks", shared: true));
        Assert.Equal(new GalleryActionResult(1, 0), await _db.Boards.RemoveAsync(Alice, shared.Id, [secret.Id]));
        Assert.True(await _db.Boards.DeleteAsync(Alice, shared.Id));
        Assert.NotNull(await _db.Gallery.FindVisibleAsync(Alice, open.Id));
        Assert.Throws<ArgumentException>(() => BoardService.CleanName("   "));
    }

    public void Dispose() => _db.Dispose();
}
