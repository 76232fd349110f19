using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>A new image placed in an open gallery from its own columns: the same answers the database gives, and the pager's front.</summary>
public sealed class GalleryNewsTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    /// <summary>The image as the job pipeline announces it (its row, read back with the Seq the trigger gave it).</summary>
    internal static async Task<NewImage> AnnouncedAsync(GalleryDatabase db, Guid imageId)
    {
        await using var context = await db.Factory.CreateDbContextAsync();
        return NewImage.From(await context.Images.AsNoTracking().Include(i => i.Loras).SingleAsync(i => i.Id == imageId));
    }

    [Fact]
    public async Task Fits_EveryFilterAndViewer_AgreesWithTheDatabase()
    {
        var day = new DateTime(2026, 3, 10, 23, 30, 0, DateTimeKind.Utc);
        List<ImageEntity> images =
        [
            await _db.AddAsync(Alice, "a red fox <lora:inkstyle:0.8>", model: "model-a.safetensors", sampler: "euler", at: day),
            await _db.AddAsync(Bob, "a blue whale", model: "model-b.safetensors", sampler: "dpmpp_2m", width: 768, height: 512, mode: "Img2Img", at: day.AddHours(2)),
            await _db.AddAsync(Bob, "a private lighthouse", isPrivate: true, at: day.AddDays(1)),
        ];
        var plusOne = TimeZoneInfo.CreateCustomTimeZone("UTC+1", TimeSpan.FromHours(1), "UTC+1", "UTC+1");
        GalleryFilter[] filters =
        [
            new(),
            new() { MineOnly = true },
            new() { OwnerId = Bob.Id },
            new() { Mode = "Img2Img" },
            new() { Model = "model-b.safetensors" },
            new() { Sampler = "euler" },
            new() { Width = 768, Height = 512 },
            new() { Lora = "inkstyle" },
            new() { Lora = "other" },
            new() { From = DateOnly.FromDateTime(day.AddDays(1)) },
            new() { To = DateOnly.FromDateTime(day) },
            new() { From = DateOnly.FromDateTime(day.AddDays(1)), TimeZone = plusOne }, // 23:30 UTC is the next day an hour east
            new() { View = GallerySection.Trash },
            new() { Sort = GallerySort.Person, Mode = "Txt2Img" },
        ];
        foreach (var viewer in new[] { Alice, Bob, Admin })
        {
            foreach (var filter in filters)
            {
                foreach (var image in images)
                {
                    var fit = GalleryNews.Fits(viewer, filter, await AnnouncedAsync(_db, image.Id));
                    var inDatabase = await _db.Gallery.MatchesAsync(viewer, filter, image.Id);
                    Assert.True(fit == (inDatabase ? NewImageFit.Yes : NewImageFit.No), $"{viewer.UserName}, {filter}, \"{image.Prompt}\": {fit}, the database says {inDatabase}");
                }
            }
        }
    }

    [Fact]
    public async Task Fits_SearchFavouritesOrBoard_AsksTheDatabaseOnlyForImagesTheColumnsLetThrough()
    {
        var fox = await AnnouncedAsync(_db, (await _db.AddAsync(Alice, "a red fox")).Id);

        Assert.Equal(NewImageFit.Ask, GalleryNews.Fits(Bob, new GalleryFilter { Text = "fox" }, fox));
        Assert.Equal(NewImageFit.Ask, GalleryNews.Fits(Bob, new GalleryFilter { FavouritesOnly = true }, fox));
        Assert.Equal(NewImageFit.Ask, GalleryNews.Fits(Bob, new GalleryFilter { BoardId = Guid.NewGuid() }, fox));
        Assert.Equal(NewImageFit.No, GalleryNews.Fits(Bob, new GalleryFilter { Text = "fox", Mode = "Inpaint" }, fox));
        Assert.Equal(NewImageFit.Yes, GalleryNews.Fits(Bob, new GalleryFilter { Text = "!!" }, fox)); // nothing searchable: no search, as in the query
    }

    [Fact]
    public async Task FacetsWith_ANewImage_AddsItsNewValuesWhereTheDatabaseWouldListThem()
    {
        await _db.AddAsync(Bob, "a whale", model: "model-b.safetensors", sampler: "euler", width: 768, height: 512);
        var before = await _db.Gallery.FacetsAsync(Alice);
        var fox = await _db.AddAsync(Alice, "a fox <lora:inkstyle:0.8>", model: "model-a.safetensors", sampler: "dpmpp_2m", width: 1024, height: 1024, mode: "Img2Img");

        var after = before.With(await AnnouncedAsync(_db, fox.Id));
        var read = await _db.Gallery.FacetsAsync(Alice);

        Assert.Equal(read.People, after.People);
        Assert.Equal(read.Modes, after.Modes);
        Assert.Equal(read.Models, after.Models);
        Assert.Equal(read.Samplers, after.Samplers);
        Assert.Equal(read.Loras, after.Loras);
        Assert.Equal(read.Sizes, after.Sizes);
        Assert.Same(after, after.With(await AnnouncedAsync(_db, fox.Id))); // nothing new: the same facets, nothing to render
    }

    [Fact]
    public async Task TryPrepend_ANewerImage_ComesFirstWithoutReadingAndThePagesAfterItStayWhole()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            ids.Insert(0, (await _db.AddAsync(Alice, $"image {i}")).Id);
        }
        var pager = new GalleryPager(_db.Gallery, Bob, new GalleryFilter(), pageSize: 5, keepPages: 2);
        Assert.Equal(ids[..5], (await pager.GetAsync(0, 5)).Select(i => i.Id));

        var fresh = await _db.AddAsync(Alice, "new");
        var unannounced = await _db.AddAsync(Alice, "not announced yet"); // in the database, but this pager was not told
        Assert.True(pager.TryPrepend(GalleryNews.Item(await AnnouncedAsync(_db, fresh.Id))));

        // Positions move by one; what was loaded is served from memory (the unannounced image shows nowhere).
        Assert.Equal([fresh.Id, .. ids[..4]], (await pager.GetAsync(0, 5)).Select(i => i.Id));
        // Further pages, and the first page read again after being dropped, follow the images put in front exactly.
        Assert.Equal([fresh.Id, .. ids], (await pager.GetAsync(0, 20)).Select(i => i.Id));
        Assert.Equal(13, pager.ScrollLength);
        Assert.Equal(ids[..3], (await pager.GetAsync(1, 3)).Select(i => i.Id));
        Assert.Equal([fresh.Id, .. ids[..3]], pager.LoadedAround(fresh.Id).Take(4));

        // An image older than the newest held is not put in front; the caller reads again.
        Assert.False(pager.TryPrepend(GalleryNews.Item(await AnnouncedAsync(_db, ids[3]))));
        pager.Reset();
        Assert.Equal([unannounced.Id, fresh.Id, .. ids[..3]], (await pager.GetAsync(0, 5)).Select(i => i.Id));
    }

    [Fact]
    public async Task TryPrepend_SortedByPersonOrTopNotRead_IsLeftToAReRead()
    {
        var image = await AnnouncedAsync(_db, (await _db.AddAsync(Alice, "a fox")).Id);

        Assert.False(new GalleryPager(_db.Gallery, Bob, new GalleryFilter { Sort = GallerySort.Person }).TryPrepend(GalleryNews.Item(image)));
        Assert.False(new GalleryPager(_db.Gallery, Bob, new GalleryFilter()).TryPrepend(GalleryNews.Item(image)));

        var empty = new GalleryPager(_db.Gallery, Bob, new GalleryFilter { Mode = "Inpaint" });
        Assert.Empty(await empty.GetAsync(0, 10));
        Assert.True(empty.TryPrepend(GalleryNews.Item(image))); // an empty gallery, read: the image is the top
        Assert.Equal([image.Id], (await empty.GetAsync(0, 10)).Select(i => i.Id));
    }

    public void Dispose() => _db.Dispose();
}
