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
    /// A search that matches at least this many images is "dense": the query then walks the gallery's own order and
    /// checks each image against the matches (it finds a page within a few thousand rows). A sparser search starts
    /// from the matches and sorts them (at most this many).
    /// </summary>
    public const int DenseSearchHits = 3000;

    /// <summary>The images <paramref name="viewer"/> may see that match <paramref name="filter"/>, unordered.</summary>
    /// <param name="denseSearch">From <see cref="IsDenseSearchAsync"/>: how the search is joined in.</param>
    public static IQueryable<ImageEntity> Matching(DreamLayerDbContext db, SignedInUser viewer, GalleryFilter filter, bool denseSearch = false)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(filter);
        var me = viewer.Id;
        var q = Visible(Source(db, filter, denseSearch), viewer, filter.View);
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
        if (!string.IsNullOrEmpty(filter.Lora))
        {
            var withLora = db.ImageLoras.Where(l => l.Name == filter.Lora).Select(l => l.ImageId);
            q = q.Where(i => withLora.Contains(i.Id));
        }
        if (filter.FavouritesOnly)
        {
            var favourites = db.Favourites.Where(f => f.UserId == me).Select(f => f.ImageId);
            q = q.Where(i => favourites.Contains(i.Id));
        }
        if (filter.BoardId is { } boardId)
        {
            var inBoard = db.BoardImages.Where(b => b.BoardId == boardId).Select(b => b.ImageId);
            q = q.Where(i => inBoard.Contains(i.Id));
        }
        return q;
    }

    /// <summary>
    /// The images table, or with search text only the matching rows. The search is an uncorrelated <c>IN</c> written in
    /// SQL (composed as a LINQ <c>Contains</c>, EF Core may turn it into a correlated <c>EXISTS</c> that runs the full-text
    /// match once per row). Dense: <c>Seq + 0</c> is the same value, but SQLite cannot look it up in the Seq index, so it
    /// walks the ordered index instead and stops after a page.
    /// </summary>
    private static IQueryable<ImageEntity> Source(DreamLayerDbContext db, GalleryFilter filter, bool denseSearch) =>
        FtsQuery.Build(filter.Text) is not { } match ? db.Images
        : denseSearch ? db.Images.FromSql($"SELECT * FROM Images WHERE (Seq + 0) IN (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {match})")
        : db.Images.FromSql($"SELECT * FROM Images WHERE Seq IN (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {match})");

    /// <summary>Whether the filter's search text matches at least <see cref="DenseSearchHits"/> images (counted no further).</summary>
    public static async Task<bool> IsDenseSearchAsync(DreamLayerDbContext db, GalleryFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(filter);
        if (FtsQuery.Build(filter.Text) is not { } match)
        {
            return false;
        }
        var hits = await db.Database
            .SqlQuery<int>($"SELECT COUNT(*) AS Value FROM (SELECT rowid FROM ImagesFts WHERE ImagesFts MATCH {match} LIMIT {DenseSearchHits})")
            .SingleAsync(ct);
        return hits >= DenseSearchHits;
    }

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
