using DreamLayer.Web.Accounts;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// What one open gallery has loaded, by position, for a virtualized grid. Every page is read by keyset: page p
/// starts after the last image of page p-1, whose sort keys are remembered for every page reached, so scrolling
/// back up re-reads an evicted page the same way. The grid is told there is one more page than has been reached
/// until the end shows, so it grows as someone scrolls (no <c>OFFSET</c>, no full count). Only the pages near
/// what is on screen are kept in memory.
/// </summary>
public sealed class GalleryPager(GalleryService gallery, SignedInUser viewer, GalleryFilter filter, int pageSize = 100, int keepPages = 12)
{
    private readonly Dictionary<int, List<GalleryItem>> _pages = [];

    /// <summary>Where each reached page starts: null for the first, then the last image of the page before.</summary>
    private readonly List<GalleryCursor?> _starts = [null];
    private int? _total;

    public SignedInUser Viewer { get; } = viewer;
    public GalleryFilter Filter { get; } = filter;
    public int PageSize { get; } = pageSize;

    /// <summary>How many positions the grid should have now: exact once the end was reached, else one page beyond.</summary>
    public int ScrollLength => _total ?? _starts.Count * PageSize;

    /// <summary>Pages currently held in memory.</summary>
    public int LoadedPages => _pages.Count;

    /// <summary>The images at positions [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), fewer at the end.</summary>
    public async Task<IReadOnlyList<GalleryItem>> GetAsync(int start, int count, CancellationToken ct = default)
    {
        var result = new List<GalleryItem>(Math.Max(0, count));
        if (count <= 0 || start < 0)
        {
            return result;
        }
        var first = start / PageSize;
        var last = (start + count - 1) / PageSize;
        for (var p = first; p <= last; p++)
        {
            if (await LoadAsync(p, ct) is not { } page)
            {
                break;
            }
            var from = p == first ? start - p * PageSize : 0;
            var to = Math.Min(page.Count, start + count - p * PageSize);
            for (var i = from; i < to; i++)
            {
                result.Add(page[i]);
            }
            if (page.Count < PageSize)
            {
                break;
            }
        }
        Evict((first + last) / 2);
        return result;
    }

    /// <summary>
    /// The images of the pages held in memory around <paramref name="id"/>, in the gallery's order: the run of
    /// consecutive loaded pages that holds it (what the image dialog's previous and next walk through). Just the
    /// image when it is not loaded.
    /// </summary>
    public IReadOnlyList<Guid> LoadedAround(Guid id)
    {
        int? holder = null;
        foreach (var (number, items) in _pages)
        {
            if (items.Exists(i => i.Id == id))
            {
                holder = number;
                break;
            }
        }
        if (holder is not { } page)
        {
            return [id];
        }
        var first = page;
        while (_pages.ContainsKey(first - 1))
        {
            first--;
        }
        var ids = new List<Guid>();
        for (var p = first; _pages.TryGetValue(p, out var items); p++)
        {
            ids.AddRange(items.Select(i => i.Id));
        }
        return ids;
    }

    /// <summary>Forgets everything loaded (the gallery changed); the next read starts from the top again.</summary>
    public void Reset()
    {
        _pages.Clear();
        _starts.RemoveRange(1, _starts.Count - 1);
        _total = null;
    }

    /// <summary>Page <paramref name="page"/>, reading the pages before it first if they were never reached; null past the end.</summary>
    private async Task<List<GalleryItem>?> LoadAsync(int page, CancellationToken ct)
    {
        if (_pages.TryGetValue(page, out var loaded))
        {
            return loaded;
        }
        while (_starts.Count <= page)
        {
            if (_total is not null || await LoadAsync(_starts.Count - 1, ct) is null)
            {
                return null;
            }
        }
        loaded = await gallery.PageAsync(Viewer, Filter, _starts[page], PageSize, ct);
        _pages[page] = loaded;
        if (loaded.Count == PageSize && _starts.Count == page + 1)
        {
            _starts.Add(loaded[^1].Cursor);
        }
        else if (loaded.Count < PageSize)
        {
            _total = page * PageSize + loaded.Count;
            _starts.RemoveRange(page + 1, _starts.Count - page - 1);
        }
        return loaded;
    }

    private void Evict(int middle)
    {
        if (_pages.Count <= keepPages)
        {
            return;
        }
        foreach (var far in _pages.Keys.OrderByDescending(k => Math.Abs(k - middle)).Take(_pages.Count - keepPages).ToList())
        {
            _pages.Remove(far);
        }
    }
}
