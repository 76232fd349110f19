using DreamLayer.Web.Accounts;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// What one open gallery has loaded, by position, for a virtualized grid. Every page is read by keyset: page p
/// starts after the last image of page p-1, whose sort keys are remembered for every page reached, so scrolling
/// back up re-reads an evicted page the same way. The grid is told there is one more page than has been reached
/// until the end shows, so it grows as someone scrolls (no <c>OFFSET</c>, no full count). Only the pages near
/// what is on screen are kept in memory. New images that arrive while it is open are put in front
/// (<see cref="TryPrepend"/>) without reading anything again.
/// </summary>
public sealed class GalleryPager(GalleryService gallery, SignedInUser viewer, GalleryFilter filter, int pageSize = 100, int keepPages = 12)
{
    private readonly Dictionary<int, List<GalleryItem>> _pages = [];

    /// <summary>
    /// Where each reached page starts: for the first, null (the top), or the oldest of <see cref="_fresh"/>; then the last
    /// image of the page before.
    /// </summary>
    private readonly List<GalleryCursor?> _starts = [null];
    private int? _total;

    /// <summary>Images put in front since the pages were read (newest first), newer than every image of the pages.</summary>
    private readonly List<GalleryItem> _fresh = [];

    public SignedInUser Viewer { get; } = viewer;
    public GalleryFilter Filter { get; } = filter;
    public int PageSize { get; } = pageSize;

    /// <summary>How many positions the grid should have now: exact once the end was reached, else one page beyond.</summary>
    public int ScrollLength => _fresh.Count + (_total ?? _starts.Count * PageSize);

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
        for (; start < _fresh.Count && count > 0; start++, count--)
        {
            result.Add(_fresh[start]);
        }
        start -= _fresh.Count;
        if (count == 0)
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
        if (holder is null && _fresh.Exists(i => i.Id == id))
        {
            holder = 0;
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
        var ids = first == 0 ? _fresh.ConvertAll(i => i.Id) : [];
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
        _fresh.Clear();
        _starts.RemoveRange(1, _starts.Count - 1);
        _starts[0] = null;
        _total = null;
    }

    /// <summary>
    /// Puts a new image that matches the filter in front of the others, without reading anything. False (nothing changed)
    /// when that is not where it belongs, or is not known to be: sorted by person, the top of the gallery not read (or
    /// scrolled out of memory), an image not newer than the newest held, or a page's worth put in front already; the
    /// caller then reads the gallery again (<see cref="Reset"/>).
    /// </summary>
    public bool TryPrepend(GalleryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (Filter.Sort != GallerySort.Newest || _fresh.Count >= PageSize)
        {
            return false;
        }
        GalleryItem? newest = _fresh.Count > 0 ? _fresh[0] : _pages.TryGetValue(0, out var top) && top.Count > 0 ? top[0] : null;
        var knownEmpty = _total == 0 && _fresh.Count == 0;
        if (newest is null ? !knownEmpty : !IsNewer(item, newest))
        {
            return false;
        }
        _fresh.Insert(0, item);
        // The first page is read after the images put in front (they are newer than all of it), so never twice.
        _starts[0] = _fresh[^1].Cursor;
        return true;

        static bool IsNewer(GalleryItem a, GalleryItem b) => a.CreatedAt > b.CreatedAt || (a.CreatedAt == b.CreatedAt && a.Seq > b.Seq);
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
