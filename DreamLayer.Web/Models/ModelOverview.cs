using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Models;

public enum ModelSort
{
    Name,
    Size,
    LastUsed,
    TimesUsed,
}

public enum ModelVisibility
{
    All,
    Visible,
    Hidden,
}

/// <summary>What the Models page asks for: a search, filters and an order.</summary>
public sealed record ModelQuery(
    string? Search = null,
    string? Kind = null,
    ModelFamily? Family = null,
    string? Server = null,
    ModelVisibility Visibility = ModelVisibility.All,
    ModelSort Sort = ModelSort.Name,
    bool Descending = false);

/// <summary>How often jobs used a model, and when last.</summary>
public sealed record ModelUse(int Times, DateTime? Last)
{
    public static ModelUse Never { get; } = new(0, null);
}

/// <summary>One row of the Models page.</summary>
/// <param name="Lacking">The online servers that do not have it.</param>
/// <param name="Sha256">The file's SHA-256 when the app reaches it and has hashed it (hashing starts when asked).</param>
public sealed record ModelRow(CatalogueModel Model, ModelInfo Info, IReadOnlyList<string> Lacking, long? Size, ModelUse Use)
{
    public ModelKey Key => Model.Key;
}

/// <summary>
/// The Models page's reading of the catalogue: every model of every online server joined with the admins' settings,
/// its file's size where reachable and its use in the job history, searched, filtered and sorted in memory (a library
/// of thousands is a few hundred kilobytes).
/// </summary>
public sealed class ModelOverview(
    ModelCatalogue catalogue,
    ModelSettings settings,
    BackendPool pool,
    ModelHashes hashes,
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    TimeProvider time) : IDisposable
{
    private static readonly TimeSpan UsageFreshFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _usageGate = new(1, 1);
    private (DateTimeOffset At, IReadOnlyDictionary<ModelKey, ModelUse> Use)? _usage;

    public async Task<IReadOnlyList<ModelRow>> QueryAsync(ModelQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var use = await UsageAsync(ct);
        var online = pool.Backends.Where(b => b.IsOnline).Select(b => b.Name).Order(StringComparer.Ordinal).ToList();
        var rows = new List<ModelRow>();
        foreach (var model in catalogue.Models())
        {
            if (query.Kind is { Length: > 0 } kind && model.Kind.Folder != kind
                || query.Server is { Length: > 0 } server && !model.Servers.Contains(server))
            {
                continue;
            }
            var info = settings.Get(model.Key);
            if (query.Family is { } family && info.Family != family
                || query.Visibility == ModelVisibility.Hidden && !info.Hidden
                || query.Visibility == ModelVisibility.Visible && info.Hidden
                || query.Search is { Length: > 0 } search && !Matches(model, info, search.Trim()))
            {
                continue;
            }
            var lacking = model.Servers.Count == online.Count ? [] : online.Except(model.Servers).ToList();
            rows.Add(new ModelRow(model, info, lacking, catalogue.SizeOf(model.Key), use.GetValueOrDefault(model.Key, ModelUse.Never)));
        }
        IEnumerable<ModelRow> sorted = query.Sort switch
        {
            ModelSort.Size => rows.OrderBy(r => r.Size ?? -1),
            ModelSort.LastUsed => rows.OrderBy(r => r.Use.Last ?? DateTime.MinValue),
            ModelSort.TimesUsed => rows.OrderBy(r => r.Use.Times),
            _ => rows.OrderBy(r => r.Info.Title, StringComparer.OrdinalIgnoreCase),
        };
        if (query.Descending)
        {
            sorted = sorted.Reverse();
        }
        return [.. sorted];
    }

    /// <summary>The SHA-256 of a model's file if known; asks for it (hashed in the background) when the file is reachable.</summary>
    public string? Sha256(ModelRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return catalogue.FileOf(row.Key, row.Model.Servers) is { } file ? hashes.Sha256(file) : null;
    }

    /// <summary>Whether the app reaches the file of this model on any server that has it.</summary>
    public bool IsReachable(ModelRow row) => row?.Size is not null;

    public void Dispose() => _usageGate.Dispose();

    /// <summary>Forgets the cached use figures (after jobs finish the page may ask again).</summary>
    public void InvalidateUsage() => _usage = null;

    private static bool Matches(CatalogueModel model, ModelInfo info, string search) =>
        model.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
        || info.DisplayName?.Contains(search, StringComparison.OrdinalIgnoreCase) == true
        || info.Description?.Contains(search, StringComparison.OrdinalIgnoreCase) == true
        || info.Tags.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase))
        || info.TriggerWords.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase));

    /// <summary>Checkpoints by the jobs that named them; LoRAs by the jobs whose images carry them. Read at most every 30 s.</summary>
    public async Task<IReadOnlyDictionary<ModelKey, ModelUse>> UsageAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_usage is { } cached && now - cached.At < UsageFreshFor)
        {
            return cached.Use;
        }
        await _usageGate.WaitAsync(ct);
        try
        {
            if (_usage is { } again && now - again.At < UsageFreshFor)
            {
                return again.Use;
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var checkpoints = await db.Jobs.AsNoTracking()
                .Where(j => j.Checkpoint != "")
                .GroupBy(j => j.Checkpoint)
                .Select(g => new { Name = g.Key, Times = g.Count(), Last = g.Max(j => j.CreatedAt) })
                .ToListAsync(ct);
            var loras = await db.ImageLoras.AsNoTracking()
                .Join(db.Images.AsNoTracking(), l => l.ImageId, i => i.Id, (l, i) => new { l.Name, i.JobId, i.CreatedAt })
                .GroupBy(x => x.Name)
                .Select(g => new { Name = g.Key, Times = g.Select(x => x.JobId).Distinct().Count(), Last = g.Max(x => x.CreatedAt) })
                .ToListAsync(ct);
            var use = new Dictionary<ModelKey, ModelUse>();
            foreach (var c in checkpoints)
            {
                use[new ModelKey(ModelKind.Checkpoints.Folder, c.Name)] = new ModelUse(c.Times, DateTime.SpecifyKind(c.Last, DateTimeKind.Utc));
            }
            // Images name their LoRAs as A1111 does (file name without folder or extension): match every LoRA file so named.
            var loraUse = loras.ToDictionary(l => l.Name, l => new ModelUse(l.Times, DateTime.SpecifyKind(l.Last, DateTimeKind.Utc)), StringComparer.Ordinal);
            foreach (var model in catalogue.Models().Where(m => m.Kind == ModelKind.Loras))
            {
                if (loraUse.TryGetValue(A1111Infotext.ModelName(model.Name), out var u))
                {
                    use[model.Key] = u;
                }
            }
            _usage = (now, use);
            return use;
        }
        finally
        {
            _usageGate.Release();
        }
    }
}
