using DreamLayer.Web.Features.Gallery;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>The grid's reads by position, served by keyset pages.</summary>
public sealed class GalleryPagerTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    [Fact]
    public async Task GetAsync_RangesAcrossPages_GrowTheScrollLengthUntilTheEnd()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 23; i++)
        {
            ids.Insert(0, (await _db.AddAsync(Alice, $"image {i}")).Id);
        }
        var pager = new GalleryPager(_db.Gallery, Alice, new GalleryFilter(), pageSize: 5, keepPages: 2);
        Assert.Equal(5, pager.ScrollLength);

        Assert.Equal(ids[..7], (await pager.GetAsync(0, 7)).Select(i => i.Id));
        Assert.Equal(15, pager.ScrollLength); // one page beyond what was reached: the end is not known yet

        // A range far ahead reads the pages before it by keyset.
        Assert.Equal(ids[18..23], (await pager.GetAsync(18, 10)).Select(i => i.Id));
        Assert.Equal(23, pager.ScrollLength); // exact: the end was reached
        Assert.True(pager.LoadedPages <= 2);

        // Scrolling back up re-reads evicted pages the same way.
        Assert.Equal(ids[3..12], (await pager.GetAsync(3, 9)).Select(i => i.Id));
        Assert.Empty(await pager.GetAsync(40, 5));
    }

    [Fact]
    public async Task Reset_AfterNewImages_StartsFromTheTopAgain()
    {
        await _db.AddAsync(Alice, "old");
        var pager = new GalleryPager(_db.Gallery, Bob, new GalleryFilter(), pageSize: 5);
        Assert.Single(await pager.GetAsync(0, 5));
        Assert.Equal(1, pager.ScrollLength);

        var fresh = await _db.AddAsync(Alice, "new");
        pager.Reset();

        Assert.Equal(fresh.Id, (await pager.GetAsync(0, 5))[0].Id);
        Assert.Equal(2, pager.ScrollLength);
    }

    public void Dispose() => _db.Dispose();
}
