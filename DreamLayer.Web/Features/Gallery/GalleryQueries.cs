using System.Runtime.CompilerServices;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// The gallery's queries as composable LINQ over one table. Privacy is part of the base query, so nothing a
/// viewer may not see can come out of any of them: private images show only to their owner and admins, the
/// trash only to the owner (admins: everyone's).
/// </summary>
public static class GalleryQueries
{
    /// <summary>
    /// A set filter (the search, a LoRA, favourites, a board) that holds at least this many images is "dense": the query
    /// then walks the gallery's own order and checks each image against the set (it finds a page within a few thousand
    /// rows). A sparser set is the starting point: its images are looked up and sorted (at most this many).
    /// </summary>
    public const int DenseHits = 3000;

    /// <summary>
    /// A search of the newest-first gallery looks for its page among this many images first (<see cref="SearchWindowAsync"/>):
    /// enough for a page of any word in one image of 50, and the full-text matches outside them are never kept.
    /// </summary>
    public const int SearchWindowRows = 5000;

    /// <summary>The images <paramref name="viewer"/> may see that match <paramref name="filter"/>, unordered.</summary>
    /// <param name="plan">From <see cref="PlanAsync"/>: how each set filter is joined in (null: every set as a starting point).</param>
    public static IQueryable<ImageEntity> Matching(DreamLayerDbContext db, SignedInUser viewer, GalleryFilter filter, GalleryPlan? plan = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(filter);
        plan ??= GalleryPlan.Sparse;
        var me = viewer.Id;
        var q = Visible(Source(db, viewer, filter, plan), viewer, filter.View);
        if (plan.Window is { End: var windowEnd })
        {
            // Nothing beyond the window: its last image and those before it in the gallery's order.
            q = q.Where(i => i.CreatedAt >= windowEnd.CreatedAt && (i.CreatedAt > windowEnd.CreatedAt || i.Seq >= windowEnd.Seq));
        }
        if (filter.MineOnly)
        {
            q = q.Where(i => i.OwnerId == me);
        }
        if (!string.IsNullOrEmpty(filter.OwnerId))
        {
            q = q.Where(i => i.OwnerId == filter.OwnerId);
        }
        if (!string.IsNullOrEmpty(filter.Mode))
        {
            q = q.Where(i => i.Mode == filter.Mode);
        }
        if (!string.IsNullOrEmpty(filter.Model))
        {
            q = q.Where(i => i.Model == filter.Model);
        }
        if (!string.IsNullOrEmpty(filter.Sampler))
        {
            q = q.Where(i => i.Sampler == filter.Sampler);
        }
        if (filter.Width is { } width && filter.Height is { } height)
        {
            q = q.Where(i => i.Width == width && i.Height == height);
        }
        if (filter.From is { } from)
        {
            var start = ViewerClock.StartOfDayUtc(from, filter.TimeZone);
            q = q.Where(i => i.CreatedAt >= start);
        }
        if (filter.To is { } to)
        {
            var end = ViewerClock.StartOfDayUtc(to.AddDays(1), filter.TimeZone);
            q = q.Where(i => i.CreatedAt < end);
        }
        if (!string.IsNullOrEmpty(filter.Lora) && plan.Lora == SetJoin.Sparse)
        {
            var withLora = db.ImageLoras.Where(l => l.Name == filter.Lora).Select(l => l.ImageId);
            q = q.Where(i => withLora.Contains(i.Id));
        }
        if (filter.FavouritesOnly && plan.Favourites == SetJoin.Sparse)
        {
            var favourites = db.Favourites.Where(f => f.UserId == me).Select(f => f.ImageId);
            q = q.Where(i => favourites.Contains(i.Id));
        }
        if (filter.BoardId is { } boardId && plan.Board == SetJoin.Sparse)
        {
            var inBoard = db.BoardImages.Where(b => b.BoardId == boardId).Select(b => b.ImageId);
            q = q.Where(i => inBoard.Contains(i.Id));
        }
        return q;
    }

    /// <summary>
    /// The images table, narrowed in SQL by the search and by every dense set. The search is an uncorrelated <c>IN</c>
    /// (composed as a LINQ <c>Contains</c>, EF Core may turn it into a correlated <c>EXISTS</c>, which would run the
    /// full-text match once per row). A sparse search is <c>Seq IN (…)</c>: SQLite starts from the matches. A dense search
    /// is tested on <c>Seq + 0</c>: the same values, but SQLite cannot look them up in an index, so it walks the ordered
    /// index instead and stops after a page; that index holds <c>Seq</c>, so the test reads no table row. A dense LoRA,
    /// favourites or board set is a correlated <c>EXISTS</c> (<see cref="DenseSet"/>). Sparse sets are added in LINQ by
    /// <see cref="Matching"/>.
    /// </summary>
    private static IQueryable<ImageEntity> Source(DreamLayerDbContext db, SignedInUser viewer, GalleryFilter filter, GalleryPlan plan)
    {
        var clauses = new List<string>();
        var values = new List<object>();
        void Add(string clause, params object[] arguments)
        {
            foreach (var argument in arguments)
            {
                var at = clause.IndexOf("{}", StringComparison.Ordinal);
                clause = string.Concat(clause.AsSpan(0, at), $"{{{values.Count}}}", clause.AsSpan(at + 2));
                values.Add(argument);
            }
            clauses.Add(clause);
        }
        if (FtsQuery.Build(filter.Text) is { } match)
        {
            if (plan.Window is { } window)
            {
                // Only the window's own range of row ids: SQLite keeps no more of the matches than the window can hold.
                Add("(Seq + 0) IN (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {} AND rowid BETWEEN {} AND {})", match, window.FirstSeq, window.LastSeq);
            }
            else
            {
                Add(plan.DenseSearch ? "(Seq + 0) IN (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {})" : "Seq IN (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {})", match);
            }
        }
        if (plan.Lora != SetJoin.Sparse && !string.IsNullOrEmpty(filter.Lora))
        {
            Add(DenseSet("ImageLoras", "Name", plan.Lora), filter.Lora);
        }
        if (plan.Favourites != SetJoin.Sparse && filter.FavouritesOnly)
        {
            Add(DenseSet("Favourites", "UserId", plan.Favourites), viewer.Id);
        }
        if (plan.Board != SetJoin.Sparse && filter.BoardId is { } boardId)
        {
            Add(DenseSet("BoardImages", "BoardId", plan.Board), boardId);
        }
        return clauses.Count == 0
            ? db.Images
            : db.Images.FromSql(FormattableStringFactory.Create("SELECT * FROM Images WHERE " + string.Join(" AND ", clauses), [.. values]));
    }

    /// <summary>
    /// A dense set's test. <see cref="SetJoin.Walk"/>: the row ids of the set's images, gathered once through the primary
    /// key's index on <c>Images.Id</c> (one seek per image of the set), then tested on <c>rowid + 0</c>, which the ordered
    /// index holds, so the walk reads no table row. <see cref="SetJoin.LookUp"/>: a correlated <c>EXISTS</c>, one seek in
    /// the set's own primary key <c>(key, ImageId)</c> per image walked; right when the set is so large that gathering it
    /// costs more than the images a page walks through (20,000 favourites in a million: a page walks about 5,000).
    /// </summary>
    private static string DenseSet(string table, string key, SetJoin join) => join == SetJoin.LookUp
        ? $"EXISTS (SELECT 1 FROM {table} AS s WHERE s.{key} = {{}} AND s.ImageId = Images.Id)"
        : $"(rowid + 0) IN (SELECT member.rowid FROM {table} AS s JOIN Images AS member ON member.Id = s.ImageId WHERE s.{key} = {{}})";

    /// <summary>
    /// The next <see cref="SearchWindowRows"/> images of the gallery (newest first, the trash included) after
    /// <paramref name="after"/>: the range of their <c>Seq</c> and the last one's sort keys; null when fewer are left.
    /// </summary>
    public static async Task<GallerySearchWindow?> SearchWindowAsync(DreamLayerDbContext db, GalleryCursor? after, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        var window = Ordered(db.Images.AsNoTracking(), GallerySort.Newest, after).Take(SearchWindowRows);
        // Both read the (CreatedAt, Seq) index only.
        var last = await window.Skip(SearchWindowRows - 1).Select(i => new { i.CreatedAt, i.Seq }).FirstOrDefaultAsync(ct);
        if (last is null)
        {
            return null;
        }
        var first = await window.MinAsync(i => i.Seq, ct) ?? 0;
        var lastSeq = await window.MaxAsync(i => i.Seq, ct) ?? 0;
        // The owner's name orders only the by-person sort, which has no window.
        return new GallerySearchWindow(first, lastSeq, new GalleryCursor(last.CreatedAt, last.Seq ?? 0, string.Empty));
    }

    /// <summary>
    /// How each set filter of <paramref name="filter"/> is joined in: dense when it holds at least <see cref="DenseHits"/>
    /// images, and looked up image by image (<see cref="SetJoin.LookUp"/>) when it holds at least <see cref="LookUpHits"/>
    /// (each set counted no further, through its own index).
    /// </summary>
    public static async Task<GalleryPlan> PlanAsync(DreamLayerDbContext db, SignedInUser viewer, GalleryFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(filter);
        var plan = GalleryPlan.Sparse with { DenseSearch = await IsDenseSearchAsync(db, filter, ct) };
        if (filter.Lora is null or "" && !filter.FavouritesOnly && filter.BoardId is null)
        {
            return plan;
        }
        var lookUpHits = LookUpHits(await db.Images.MaxAsync(i => i.Seq, ct) ?? 0);
        if (!string.IsNullOrEmpty(filter.Lora))
        {
            plan = plan with { Lora = Join(await db.ImageLoras.Where(l => l.Name == filter.Lora).Take(lookUpHits).CountAsync(ct), lookUpHits) };
        }
        if (filter.FavouritesOnly)
        {
            var me = viewer.Id;
            plan = plan with { Favourites = Join(await db.Favourites.Where(f => f.UserId == me).Take(lookUpHits).CountAsync(ct), lookUpHits) };
        }
        if (filter.BoardId is { } boardId)
        {
            plan = plan with { Board = Join(await db.BoardImages.Where(b => b.BoardId == boardId).Take(lookUpHits).CountAsync(ct), lookUpHits) };
        }
        return plan;

        static SetJoin Join(int count, int lookUpHits) =>
            count >= lookUpHits ? SetJoin.LookUp : count >= DenseHits ? SetJoin.Walk : SetJoin.Sparse;
    }

    /// <summary>
    /// Whether <paramref name="filter"/>'s search matches at least <see cref="DenseHits"/> images (false: no search). The
    /// words matched whole are counted first: a prefix match builds the full list of images of every word it begins
    /// (about 30 ms for a word in one image of three at a million images, whatever the limit), a whole word's match
    /// reads only as far as it is asked to, and what matches the whole words matches their prefixes too.
    /// </summary>
    public static async Task<bool> IsDenseSearchAsync(DreamLayerDbContext db, GalleryFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(filter);
        return FtsQuery.Build(filter.Text, prefix: false) is { } whole
            && (await HitsAsync(whole) >= DenseHits || await HitsAsync(FtsQuery.Build(filter.Text)!) >= DenseHits);

        Task<int> HitsAsync(string match) => db.Database
            .SqlQuery<int>($"SELECT COUNT(*) AS Value FROM (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {match} LIMIT {DenseHits})")
            .SingleAsync(ct);
    }

    /// <summary>
    /// From how many images a dense set is looked up image by image: where gathering the set (one seek per image of it)
    /// costs as much as walking a page's worth of the gallery (<see cref="PageRows"/> × images ÷ set size rows), i.e. the
    /// square root of <see cref="PageRows"/> × the number of images; never below <see cref="DenseHits"/>.
    /// </summary>
    /// <param name="images">How many images the gallery holds, about (the highest <c>Seq</c>).</param>
    public static int LookUpHits(long images) => (int)Math.Clamp(Math.Sqrt(PageRows * (double)images), DenseHits, int.MaxValue);

    /// <summary>The page size the plans are costed for (the gallery's own).</summary>
    private const int PageRows = 100;

    /// <summary>Images in <paramref name="view"/> that <paramref name="viewer"/> may see at all.</summary>
    public static IQueryable<ImageEntity> Visible(DreamLayerDbContext db, SignedInUser viewer, GallerySection view = GallerySection.Images)
    {
        ArgumentNullException.ThrowIfNull(db);
        return Visible(db.Images, viewer, view);
    }

    private static IQueryable<ImageEntity> Visible(IQueryable<ImageEntity> images, SignedInUser viewer, GallerySection view)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var me = viewer.Id;
        var q = images.AsNoTracking();
        q = view == GallerySection.Trash ? q.Where(i => i.DeletedAt != null) : q.Where(i => i.DeletedAt == null);
        if (!viewer.IsAdmin)
        {
            q = view == GallerySection.Trash ? q.Where(i => i.OwnerId == me) : q.Where(i => !i.IsPrivate || i.OwnerId == me);
        }
        return q;
    }

    /// <summary>Orders for <paramref name="sort"/> and keeps only what comes strictly after <paramref name="after"/>.</summary>
    public static IQueryable<ImageEntity> Ordered(IQueryable<ImageEntity> q, GallerySort sort, GalleryCursor? after)
    {
        if (after is not null)
        {
            var (created, seq, owner) = (after.CreatedAt, after.Seq, after.OwnerName);
            // Written as a range plus a tie-break so that SQLite seeks into the index instead of scanning up to the cursor.
            q = sort == GallerySort.Person
                ? q.Where(i => string.Compare(i.OwnerName, owner) >= 0
                    && (string.Compare(i.OwnerName, owner) > 0 || i.CreatedAt < created || (i.CreatedAt == created && i.Seq < seq)))
                : q.Where(i => i.CreatedAt <= created && (i.CreatedAt < created || i.Seq < seq));
        }
        return sort == GallerySort.Person
            ? q.OrderBy(i => i.OwnerName).ThenByDescending(i => i.CreatedAt).ThenByDescending(i => i.Seq)
            : q.OrderByDescending(i => i.CreatedAt).ThenByDescending(i => i.Seq);
    }

    /// <summary>The grid's row for each image (the prompt cut to what a tooltip shows).</summary>
    public static IQueryable<GalleryItem> AsItems(this IQueryable<ImageEntity> q) =>
        q.Select(i => new GalleryItem(i.Id, i.Seq ?? 0, i.CreatedAt, i.OwnerId, i.OwnerName,
            i.Prompt.Length > 200 ? i.Prompt.Substring(0, 200) : i.Prompt, i.Width, i.Height, i.IsPrivate));
}

/// <summary>
/// How <see cref="GalleryQueries.Matching"/> joins in each set filter: dense (walk the gallery's order, test each image
/// against the set) or sparse (start from the set's images, sort them). Either gives the same images in the same order.
/// </summary>
/// <param name="Window">With a search: look only among the images of this window (see <see cref="GalleryQueries.SearchWindowAsync"/>).</param>
public sealed record GalleryPlan(bool DenseSearch = false, SetJoin Lora = SetJoin.Sparse, SetJoin Favourites = SetJoin.Sparse, SetJoin Board = SetJoin.Sparse, GallerySearchWindow? Window = null)
{
    /// <summary>Every set as the starting point: right for counting and for testing one image.</summary>
    public static GalleryPlan Sparse { get; } = new();
}

/// <summary>How a LoRA, favourites or board filter is joined in (see <see cref="GalleryPlan"/>).</summary>
public enum SetJoin
{
    /// <summary>Start from the set's images and sort them.</summary>
    Sparse,

    /// <summary>Walk the gallery's order; gather the set's row ids once and test each image against them.</summary>
    Walk,

    /// <summary>Walk the gallery's order; look each image up in the set.</summary>
    LookUp,
}

/// <summary>
/// A stretch of the newest-first gallery: every image from a cursor down to <paramref name="End"/> included, whose
/// <c>Seq</c> values all lie in [<paramref name="FirstSeq"/>, <paramref name="LastSeq"/>] (the range is exact, not
/// assumed: images imported late with old dates only widen it).
/// </summary>
public sealed record GallerySearchWindow(long FirstSeq, long LastSeq, GalleryCursor End);
