using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Presets;

/// <summary>A preset as the picker shows it: built in, or saved by someone (<see cref="Id"/>), with what it changes.</summary>
public sealed record PresetView(string Key, Guid? Id, string Name, string Summary, PresetValues Values, string? OwnerName, bool IsShared, bool CanManage);

public abstract record PresetChange;

public sealed record PresetSaved(Guid Id) : PresetChange;

public sealed record PresetRefused(string Message) : PresetChange;

/// <summary>
/// Presets: the built-in ones everyone sees, and the ones people save from the form, private or shared with the team.
/// A private preset is seen only by its owner (and admins); only the owner or an admin renames, re-shares, overwrites
/// or deletes one. Checked here on the server, whatever the page shows.
/// </summary>
public sealed class TeamPresets(IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time)
{
    public const string NotAllowed = "Only the person who saved this preset or an admin can change it.";
    public const string Gone = "That preset no longer exists.";

    /// <summary>The built-in presets, then the saved ones <paramref name="viewer"/> may see, by name.</summary>
    public async Task<IReadOnlyList<PresetView>> ListAsync(SignedInUser viewer, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await Visible(db, viewer).OrderBy(p => p.Name).ThenBy(p => p.CreatedAt).ToListAsync(ct);
        return BuiltInPresets.All.Select(b => new PresetView(b.Key, null, b.Name, b.Summary, b.Values, null, true, false))
            .Concat(rows.Select(row => ToView(row, viewer)))
            .ToList();
    }

    public async Task<PresetChange> CreateAsync(SignedInUser viewer, string name, bool shared, PresetValues values, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (Check(name, values) is { } problem)
        {
            return new PresetRefused(problem);
        }
        var now = time.GetUtcNow();
        var row = new PresetEntity
        {
            Id = Guid.CreateVersion7(now),
            OwnerId = viewer.Id,
            OwnerName = viewer.DisplayName,
            Name = CleanName(name),
            IsShared = shared,
            ValuesJson = values.ToJson(),
            CreatedAt = now.UtcDateTime,
            UpdatedAt = now.UtcDateTime,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Presets.Add(row);
        await db.SaveChangesAsync(ct);
        return new PresetSaved(row.Id);
    }

    /// <summary>Renames a preset and sets whether the team sees it.</summary>
    public Task<PresetChange> UpdateAsync(SignedInUser viewer, Guid id, string name, bool shared, CancellationToken ct = default) =>
        ChangeAsync(viewer, id, Check(name, null), row =>
        {
            row.Name = CleanName(name);
            row.IsShared = shared;
        }, ct);

    /// <summary>Replaces what a preset sets (for example with the current form's fields).</summary>
    public Task<PresetChange> OverwriteAsync(SignedInUser viewer, Guid id, PresetValues values, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        return ChangeAsync(viewer, id, CheckValues(values), row => row.ValuesJson = values.ToJson(), ct);
    }

    public async Task<PresetChange> DeleteAsync(SignedInUser viewer, Guid id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, refused) = await FindManagedAsync(db, viewer, id, ct);
        if (row is null)
        {
            return refused!;
        }
        db.Presets.Remove(row);
        await db.SaveChangesAsync(ct);
        return new PresetSaved(id);
    }

    private async Task<PresetChange> ChangeAsync(SignedInUser viewer, Guid id, string? problem, Action<PresetEntity> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, refused) = await FindManagedAsync(db, viewer, id, ct);
        if (row is null)
        {
            return refused!;
        }
        if (problem is not null)
        {
            return new PresetRefused(problem);
        }
        change(row);
        row.UpdatedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return new PresetSaved(id);
    }

    /// <summary>The row, tracked, when <paramref name="viewer"/> may change it; a private preset of someone else reads as gone.</summary>
    private static async Task<(PresetEntity? Row, PresetRefused? Refused)> FindManagedAsync(DreamLayerDbContext db, SignedInUser viewer, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var row = await db.Presets.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (row is null || !(row.IsShared || viewer.CanManage(row.OwnerId)))
        {
            return (null, new PresetRefused(Gone));
        }
        return viewer.CanManage(row.OwnerId) ? (row, null) : (null, new PresetRefused(NotAllowed));
    }

    private static IQueryable<PresetEntity> Visible(DreamLayerDbContext db, SignedInUser viewer) =>
        viewer.IsAdmin ? db.Presets.AsNoTracking() : db.Presets.AsNoTracking().Where(p => p.IsShared || p.OwnerId == viewer.Id);

    private static PresetView ToView(PresetEntity row, SignedInUser viewer)
    {
        var values = PresetValues.FromJson(row.ValuesJson);
        var by = row.OwnerId == viewer.Id ? "yours" : $"by {row.OwnerName}";
        return new PresetView(row.Id.ToString("N"), row.Id, row.Name, $"{(row.IsShared ? "Shared" : "Private")}, {by}.", values, row.OwnerName, row.IsShared, viewer.CanManage(row.OwnerId));
    }

    private static string CleanName(string name) => string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string? Check(string name, PresetValues? values)
    {
        var clean = CleanName(name ?? string.Empty);
        if (clean.Length == 0)
        {
            return "Give the preset a name.";
        }
        if (clean.Length > PresetEntity.MaxNameLength)
        {
            return $"The name is longer than {PresetEntity.MaxNameLength} characters.";
        }
        if (BuiltInPresets.All.Any(b => string.Equals(b.Name, clean, StringComparison.OrdinalIgnoreCase)))
        {
            return $"'{clean}' is a built-in preset; choose another name.";
        }
        return values is null ? null : CheckValues(values);
    }

    private static string? CheckValues(PresetValues values) =>
        values.IsEmpty ? "Choose at least one group of fields for the preset."
        : values.Seed is { Mode: SeedMode.Fixed, Seed: null } ? "The seed is fixed but not a number; type a seed or leave the seed out."
        : values.NegativePrompt?.Length > GenerationRequest.MaxPromptLength ? $"The negative prompt is longer than {GenerationRequest.MaxPromptLength} characters."
        : null;
}
