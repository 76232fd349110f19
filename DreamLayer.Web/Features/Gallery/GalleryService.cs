using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>What an action did: how many images it changed and how many it refused (not the viewer's to change).</summary>
public sealed record GalleryActionResult(int Done, int Refused)
{
    public string Describe(string verb) => Refused == 0
        ? $"{Words.Count(Done, "image")} {verb}."
        : $"{Words.Count(Done, "image")} {verb}; {Refused} refused: only the owner or an admin can do that.";
}

/// <summary>The values the filters offer, from what is in the gallery.</summary>
public sealed record GalleryFacets(
    IReadOnlyList<(string Id, string Name)> People,
    IReadOnlyList<string> Modes,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Samplers,
    IReadOnlyList<string> Loras,
    IReadOnlyList<(int Width, int Height)> Sizes)
{
    /// <summary>
    /// These facets with the values of a new image the viewer may see added where they belong, in the orders
    /// <see cref="GalleryService.FacetsAsync"/> reads them in; the same instance when the image brings nothing new.
    /// </summary>
    public GalleryFacets With(NewImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var people = People.Any(p => p.Id == image.OwnerId) ? People
            : Inserted(People, (image.OwnerId, image.OwnerName), (a, b) => StringComparer.OrdinalIgnoreCase.Compare(a.Item2, b.Item2));
        var modes = Added(Modes, image.Mode);
        var models = image.Model.Length == 0 ? Models : Added(Models, image.Model);
        var samplers = image.Sampler.Length == 0 ? Samplers : Added(Samplers, image.Sampler);
        var loras = image.Loras.Aggregate(Loras, Added);
        var sizes = Sizes.Contains((image.Width, image.Height)) ? Sizes
            : Inserted(Sizes, (image.Width, image.Height), (a, b) => (b.Width * b.Height).CompareTo(a.Width * a.Height) is var byArea and not 0 ? byArea : a.Width.CompareTo(b.Width));
        return ReferenceEquals(people, People) && ReferenceEquals(modes, Modes) && ReferenceEquals(models, Models) && ReferenceEquals(samplers, Samplers)
            && ReferenceEquals(loras, Loras) && ReferenceEquals(sizes, Sizes)
            ? this
            : new GalleryFacets(people, modes, models, samplers, loras, sizes);

        // SQLite orders text byte by byte, as ordinal comparison does.
        static IReadOnlyList<string> Added(IReadOnlyList<string> values, string value) =>
            values.Contains(value, StringComparer.Ordinal) ? values : Inserted(values, value, StringComparer.Ordinal.Compare);
    }

    private static List<T> Inserted<T>(IReadOnlyList<T> values, T value, Comparison<T> order)
    {
        var list = values.ToList();
        var at = list.FindIndex(v => order(value, v) < 0);
        list.Insert(at < 0 ? list.Count : at, value);
        return list;
    }
}

/// <summary>
/// Reads and changes the gallery for a <see cref="SignedInUser"/>. Every check is made here, on the server: a Member
/// cannot trash, restore, empty or make private another person's image whatever the page sends.
/// </summary>
public sealed class GalleryService(IDbContextFactory<DreamLayerDbContext> dbFactory, ImageStore store, GalleryEvents events, TimeProvider time)
{
    public const int MaxPage = 500;

    /// <summary>Counts stop here: past it the gallery says "1,000+" (an exact figure beyond that helps nobody, and counting costs a scan).</summary>
    public const int CountLimit = 1_000;

    /// <summary>Up to <paramref name="take"/> images after <paramref name="after"/> (null: from the top).</summary>
    /// <remarks>
    /// A search of the newest-first gallery that matches many images first looks among the next few thousand images only
    /// (a common word fills a page there without SQLite keeping every match); what it does not find there, it looks for
    /// after them. A search matching few images goes straight to its matches.
    /// </remarks>
    public async Task<List<GalleryItem>> PageAsync(SignedInUser viewer, GalleryFilter filter, GalleryCursor? after, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        take = Math.Clamp(take, 1, MaxPage);
        var page = new List<GalleryItem>();
        var plan = await GalleryQueries.PlanAsync(db, viewer, filter, ct);
        // Only a search matching many images pays for the window: a rare word would mostly not fill its page there, and
        // would then be looked for twice.
        if (plan.DenseSearch && filter is { View: GallerySection.Images, Sort: GallerySort.Newest }
            && await GalleryQueries.SearchWindowAsync(db, after, ct) is { } window)
        {
            var windowed = GalleryQueries.Matching(db, viewer, filter, plan with { Window = window });
            page = await GalleryQueries.Ordered(windowed, filter.Sort, after).Take(take).AsItems().ToListAsync(ct);
            if (page.Count == take)
            {
                return page;
            }
            after = window.End;
        }
        var q = GalleryQueries.Ordered(GalleryQueries.Matching(db, viewer, filter, plan), filter.Sort, after);
        page.AddRange(await q.Take(take - page.Count).AsItems().ToListAsync(ct));
        return page;
    }

    /// <summary>How many images match, counted up to <see cref="CountLimit"/> + 1 (so the cost stays bounded).</summary>
    public async Task<int> CountAsync(SignedInUser viewer, GalleryFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await GalleryQueries.Matching(db, viewer, filter).Take(CountLimit + 1).CountAsync(ct);
    }

    /// <summary>Whether <paramref name="imageId"/> belongs in this viewer's gallery as filtered (for live updates).</summary>
    public async Task<bool> MatchesAsync(SignedInUser viewer, GalleryFilter filter, Guid imageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await GalleryQueries.Matching(db, viewer, filter).AnyAsync(i => i.Id == imageId, ct);
    }

    /// <summary>The image row if the viewer may see it (in the gallery or, if theirs to manage, in the trash); otherwise null.</summary>
    public async Task<ImageEntity?> FindVisibleAsync(SignedInUser viewer, Guid imageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await GalleryQueries.Visible(db, viewer).SingleOrDefaultAsync(i => i.Id == imageId, ct)
            ?? await GalleryQueries.Visible(db, viewer, GallerySection.Trash).SingleOrDefaultAsync(i => i.Id == imageId, ct);
    }

    /// <summary>An image the viewer may see (in the gallery or the trash) with the job that made it, or null.</summary>
    public async Task<ImageEntity?> FindVisibleWithJobAsync(SignedInUser viewer, Guid imageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await GalleryQueries.Visible(db, viewer).Include(i => i.Job).SingleOrDefaultAsync(i => i.Id == imageId, ct)
            ?? await GalleryQueries.Visible(db, viewer, GallerySection.Trash).Include(i => i.Job).SingleOrDefaultAsync(i => i.Id == imageId, ct);
    }

    /// <summary>Everything the image dialog shows about an image the viewer may see, or null (no such image, or not theirs to see).</summary>
    public async Task<ImageDetails?> DetailsAsync(SignedInUser viewer, Guid imageId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ImageDetails.LoadAsync(db, viewer, imageId, ct);
    }

    /// <summary>The rows of those of <paramref name="imageIds"/> the viewer may see, in the order given.</summary>
    public async Task<List<ImageEntity>> FindVisibleAsync(SignedInUser viewer, IReadOnlyCollection<Guid> imageIds, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = imageIds.Distinct().ToList();
        var found = await GalleryQueries.Visible(db, viewer).Where(i => ids.Contains(i.Id)).ToDictionaryAsync(i => i.Id, ct);
        return [.. ids.Where(found.ContainsKey).Select(id => found[id])];
    }

    /// <summary>Anyone who can see an image can make it one of their favourites.</summary>
    public async Task<bool> SetFavouriteAsync(SignedInUser viewer, Guid imageId, bool favourite, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await GalleryQueries.Visible(db, viewer).AnyAsync(i => i.Id == imageId, ct))
        {
            return false;
        }
        var row = await db.Favourites.FindAsync([viewer.Id, imageId], ct);
        if (favourite && row is null)
        {
            db.Favourites.Add(new ImageFavourite { UserId = viewer.Id, ImageId = imageId, CreatedAt = time.GetUtcNow().UtcDateTime });
        }
        else if (!favourite && row is not null)
        {
            db.Favourites.Remove(row);
        }
        await db.SaveChangesAsync(ct);
        return true;
    }

    public Task<GalleryActionResult> SetPrivateAsync(SignedInUser viewer, IReadOnlyCollection<Guid> imageIds, bool isPrivate, CancellationToken ct = default) =>
        ChangeAsync(viewer, imageIds, GallerySection.Images, q => q.ExecuteUpdateAsync(s => s.SetProperty(i => i.IsPrivate, isPrivate), ct), ct);

    /// <summary>Moves images to the trash; their files stay until the trash is emptied.</summary>
    public Task<GalleryActionResult> TrashAsync(SignedInUser viewer, IReadOnlyCollection<Guid> imageIds, CancellationToken ct = default)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return ChangeAsync(viewer, imageIds, GallerySection.Images, q => q.ExecuteUpdateAsync(s => s.SetProperty(i => i.DeletedAt, now), ct), ct);
    }

    public Task<GalleryActionResult> RestoreAsync(SignedInUser viewer, IReadOnlyCollection<Guid> imageIds, CancellationToken ct = default) =>
        ChangeAsync(viewer, imageIds, GallerySection.Trash, q => q.ExecuteUpdateAsync(s => s.SetProperty(i => i.DeletedAt, (DateTime?)null), ct), ct);

    /// <summary>
    /// Removes images in the trash for good, rows and files (the viewer's own; an admin's: everyone's). With
    /// <paramref name="imageIds"/> null, the whole trash the viewer sees.
    /// </summary>
    public async Task<GalleryActionResult> EmptyTrashAsync(SignedInUser viewer, IReadOnlyCollection<Guid>? imageIds = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var trash = GalleryQueries.Visible(db, viewer, GallerySection.Trash);
        var refused = 0;
        if (imageIds is not null)
        {
            var ids = imageIds.Distinct().ToList();
            trash = trash.Where(i => ids.Contains(i.Id));
            refused = ids.Count - await trash.CountAsync(ct);
        }
        var doomed = await trash.Select(i => new ImageEntity { Id = i.Id, RelativePath = i.RelativePath }).ToListAsync(ct);
        foreach (var chunk in doomed.Chunk(500))
        {
            var ids = chunk.Select(i => i.Id).ToList();
            await db.Images.Where(i => ids.Contains(i.Id)).ExecuteDeleteAsync(ct);
        }
        foreach (var image in doomed)
        {
            store.DeleteFiles(image);
        }
        Publish(doomed.ConvertAll(i => i.Id));
        return new GalleryActionResult(doomed.Count, refused);
    }

    /// <summary>
    /// Every value the filters offer comes from the images this viewer may see (never from someone else's private or
    /// trashed images), so a filter list cannot reveal what a hidden image was made with.
    /// </summary>
    public async Task<GalleryFacets> FacetsAsync(SignedInUser viewer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var visible = GalleryQueries.Visible(db, viewer);
        var visibleIds = visible.Select(i => i.Id);
        var people = await visible.Select(i => new { i.OwnerId, i.OwnerName }).Distinct().ToListAsync(ct);
        var sizes = await visible.Select(i => new { i.Width, i.Height }).Distinct().ToListAsync(ct);
        return new GalleryFacets(
            [.. people.OrderBy(p => p.OwnerName, StringComparer.OrdinalIgnoreCase).Select(p => (p.OwnerId, p.OwnerName))],
            await visible.Select(i => i.Mode).Distinct().OrderBy(m => m).ToListAsync(ct),
            await visible.Select(i => i.Model).Where(m => m != "").Distinct().OrderBy(m => m).ToListAsync(ct),
            await visible.Select(i => i.Sampler).Where(s => s != "").Distinct().OrderBy(s => s).ToListAsync(ct),
            await db.ImageLoras.Where(l => visibleIds.Contains(l.ImageId)).Select(l => l.Name).Distinct().OrderBy(n => n).ToListAsync(ct),
            [.. sizes.OrderByDescending(s => s.Width * s.Height).ThenBy(s => s.Width).Select(s => (s.Width, s.Height))]);
    }

    /// <summary>Applies <paramref name="change"/> to those of the images the viewer may manage; counts the rest as refused.</summary>
    private async Task<GalleryActionResult> ChangeAsync(SignedInUser viewer, IReadOnlyCollection<Guid> imageIds, GallerySection view,
        Func<IQueryable<ImageEntity>, Task<int>> change, CancellationToken ct)
    {
        var ids = imageIds.Distinct().ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var done = 0;
        foreach (var chunk in ids.Chunk(500))
        {
            var batch = chunk.ToList();
            var mine = GalleryQueries.Visible(db, viewer, view).Where(i => batch.Contains(i.Id));
            if (!viewer.IsAdmin)
            {
                mine = mine.Where(i => i.OwnerId == viewer.Id);
            }
            done += await change(mine);
        }
        Publish(ids);
        return new GalleryActionResult(done, ids.Count - done);
    }

    private void Publish(List<Guid> ids)
    {
        if (ids.Count > 0)
        {
            events.Publish(new GalleryChange(GalleryChangeKind.Changed, ids));
        }
    }
}
