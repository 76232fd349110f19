using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// Boards: named collections. A shared board is seen by the whole team and anyone may add or remove images
/// (images they can see); a private board only by its owner (and admins). Only the owner or an admin renames,
/// changes the sharing of or deletes a board. Deleting a board never deletes its images.
/// </summary>
public sealed class BoardService(IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The boards <paramref name="viewer"/> sees, by name.</summary>
    public async Task<IReadOnlyList<BoardEntity>> ListAsync(SignedInUser viewer, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Visible(db, viewer).OrderBy(b => b.Name).ToListAsync(ct);
    }

    public async Task<BoardEntity> CreateAsync(SignedInUser viewer, string name, bool shared, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var board = new BoardEntity
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Name = CleanName(name),
            OwnerId = viewer.Id,
            OwnerName = viewer.DisplayName,
            IsShared = shared,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Boards.Add(board);
        await db.SaveChangesAsync(ct);
        return board;
    }

    /// <summary>Renames and sets sharing; false when the board is not the viewer's to change.</summary>
    public async Task<bool> UpdateAsync(SignedInUser viewer, Guid boardId, string name, bool shared, CancellationToken ct = default)
    {
        var clean = CleanName(name);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Managed(db, viewer).Where(b => b.Id == boardId)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Name, clean).SetProperty(b => b.IsShared, shared), ct) == 1;
    }

    public async Task<bool> DeleteAsync(SignedInUser viewer, Guid boardId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Managed(db, viewer).Where(b => b.Id == boardId).ExecuteDeleteAsync(ct) == 1;
    }

    /// <summary>Adds those of the images the viewer can see to a board the viewer may edit; already there is not an error.</summary>
    public async Task<GalleryActionResult> AddAsync(SignedInUser viewer, Guid boardId, IReadOnlyCollection<Guid> imageIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await Visible(db, viewer).AnyAsync(b => b.Id == boardId, ct))
        {
            return new GalleryActionResult(0, imageIds.Count);
        }
        var ids = imageIds.Distinct().ToList();
        var visible = await GalleryQueries.Visible(db, viewer).Where(i => ids.Contains(i.Id)).Select(i => i.Id).ToListAsync(ct);
        var already = await db.BoardImages.Where(b => b.BoardId == boardId && visible.Contains(b.ImageId)).Select(b => b.ImageId).ToListAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        db.BoardImages.AddRange(visible.Except(already).Select(id => new BoardImage { BoardId = boardId, ImageId = id, AddedAt = now }));
        await db.SaveChangesAsync(ct);
        return new GalleryActionResult(visible.Count, ids.Count - visible.Count);
    }

    public async Task<GalleryActionResult> RemoveAsync(SignedInUser viewer, Guid boardId, IReadOnlyCollection<Guid> imageIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var ids = imageIds.Distinct().ToList();
        if (!await Visible(db, viewer).AnyAsync(b => b.Id == boardId, ct))
        {
            return new GalleryActionResult(0, ids.Count);
        }
        var removed = await db.BoardImages.Where(b => b.BoardId == boardId && ids.Contains(b.ImageId)).ExecuteDeleteAsync(ct);
        return new GalleryActionResult(removed, 0);
    }

    public static string CleanName(string? name)
    {
        var clean = string.Join(' ', (name ?? string.Empty).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (clean.Length == 0)
        {
            throw new ArgumentException("A board needs a name.", nameof(name));
        }
        return clean.Length <= BoardEntity.MaxNameLength ? clean : clean[..BoardEntity.MaxNameLength];
    }

    private static IQueryable<BoardEntity> Visible(DreamLayerDbContext db, SignedInUser viewer) =>
        viewer.IsAdmin ? db.Boards.AsNoTracking() : db.Boards.AsNoTracking().Where(b => b.IsShared || b.OwnerId == viewer.Id);

    private static IQueryable<BoardEntity> Managed(DreamLayerDbContext db, SignedInUser viewer) =>
        viewer.IsAdmin ? db.Boards : db.Boards.Where(b => b.OwnerId == viewer.Id);
}
