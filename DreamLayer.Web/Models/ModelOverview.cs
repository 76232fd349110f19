using System.Threading.Channels;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

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
    bool Descending = false)
{
    /// <summary>What the page shows first: every model, by name.</summary>
    public static ModelQuery Default { get; } = new();
}

/// <summary>How often jobs used a model, and when last.</summary>
public sealed record ModelUse(int Times, DateTime? Last)
{
    public static ModelUse Never { get; } = new(0, null);
}

/// <summary>One row of the Models page.</summary>
/// <param name="Online">The online servers when the rows were read.</param>
public sealed record ModelRow(CatalogueModel Model, ModelInfo Info, IReadOnlyList<string> Online, long? Size, ModelUse Use)
{
    public ModelKey Key => Model.Key;

    /// <summary>The online servers that do not have it (worked out when asked: only the shown page's rows are).</summary>
    public IReadOnlyList<string> Lacking => Model.Servers.Count == Online.Count ? [] : [.. Online.Where(s => !Model.Servers.Contains(s, StringComparer.Ordinal))];
}

/// <summary>
/// The Models page's reading of the catalogue: every model of every online server joined with the admins' settings,
/// its file's size where reachable and its use in the job history, searched, filtered and sorted in memory (a library
/// of thousands is a few hundred kilobytes). Nothing here touches the disk or the database on a page's render: the
/// catalogue keeps its union and sizes, and the use figures are read in the background (at start, then at most every
/// 30 s when asked), the page showing the last ones meanwhile.
/// </summary>
public sealed partial class ModelOverview(
    ModelCatalogue catalogue,
    ModelSettings settings,
    BackendPool pool,
    ModelHashes hashes,
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    IOptions<ComfyUiOptions> options,
    TimeProvider time,
    ILogger<ModelOverview> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan UsageFreshFor = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _usageGate = new(1, 1);
    private Usage? _usage;
    private Task _reading = Task.CompletedTask;
    private static readonly TimeSpan QuietBeforePreparing = TimeSpan.FromMilliseconds(500);
    private readonly Channel<bool> _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<IDisposable> _subscriptions = [];
    private readonly CancellationTokenSource _stopping = new();
    private int _stopped;
    private Task _preparing = Task.CompletedTask;
    private Answer? _default;
    private Answer? _last;

    /// <summary>The last answer and the snapshots it was made from.</summary>
    private sealed record Answer(ModelQuery Query, IReadOnlyList<CatalogueModel> Models, IReadOnlyDictionary<ModelKey, ModelInfo> Infos, Usage? Use, List<string> Online, IReadOnlyList<ModelRow> Rows);

    /// <summary>How often jobs used each checkpoint (by the name jobs give it) and each LoRA (by its A1111 name), read at <see cref="At"/>.</summary>
    private sealed record Usage(DateTimeOffset At, IReadOnlyDictionary<string, ModelUse> Checkpoints, IReadOnlyDictionary<string, ModelUse> Loras)
    {
        public ModelUse For(CatalogueModel model) =>
            model.Kind == ModelKind.Checkpoints ? Checkpoints.GetValueOrDefault(model.Name, ModelUse.Never)
            : model.Kind == ModelKind.Loras ? Loras.GetValueOrDefault(A1111Infotext.ModelName(model.Name), ModelUse.Never) // images name LoRAs as A1111 does
            : ModelUse.Never;
    }

    /// <summary>
    /// Reads the use figures in the background at start, so that the first render of the page does not wait for them
    /// (with the start-up warm-up, <c>ComfyUi:WarmUp</c>; without it the first query reads them).
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.WarmUp)
        {
            _reading = ReadUsageAsync(CancellationToken.None);
        }
        _subscriptions.Add(catalogue.Subscribe(_ => _changed.Writer.TryWrite(true)));
        _subscriptions.Add(settings.Subscribe(_ => _changed.Writer.TryWrite(true)));
        _subscriptions.Add(pool.Subscribe(_ => _changed.Writer.TryWrite(true)));
        _preparing = PrepareAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Stopped once only, and not after Dispose (a host disposed before it stopped): nothing is left to wait for then.
        if (!BeginStop())
        {
            return;
        }
        await _stopping.CancelAsync();
        // As a BackgroundService does: wait for the background answer to end, but no longer than the host allows. The
        // host's token ends its wait for every service (other services may have used up its shutdown time already);
        // a service that threw then would fail the whole stop for a task that is about to end anyway.
        await Task.WhenAny(_preparing, Task.Delay(Timeout.Infinite, cancellationToken));
    }

    /// <summary>
    /// Makes the page's first answer (every model, by name) in the background once the catalogue, the settings or the
    /// servers have been quiet for a moment after a change, so that opening the page finds it made.
    /// </summary>
    private async Task PrepareAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var _ in _changed.Reader.ReadAllAsync(ct))
            {
                await Task.Delay(QuietBeforePreparing, time, ct);
                _changed.Reader.TryRead(out var _); // changes during the pause are in this answer
                _default = AnswerFor(ModelQuery.Default, _usage);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the app stops
        }
    }

    /// <summary>
    /// The rows for a search, filters and order. The last answer is kept with what it was made of (the catalogue's
    /// union, the settings, the use figures, the online servers, all immutable snapshots) and given again while none of
    /// them changed, so admins opening or re-rendering the page do not sort thousands of rows each time.
    /// </summary>
    public async Task<IReadOnlyList<ModelRow>> QueryAsync(ModelQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var answer = AnswerFor(query, await UsageAsync(query.Sort is ModelSort.LastUsed or ModelSort.TimesUsed, ct));
        if (query == ModelQuery.Default)
        {
            _default = answer;
        }
        else
        {
            _last = answer;
        }
        return answer.Rows;
    }

    /// <summary>The answer kept for this query if it was made from the snapshots current now; otherwise a new one.</summary>
    private Answer AnswerFor(ModelQuery query, Usage? use)
    {
        var online = pool.Backends.Where(b => b.IsOnline).Select(b => b.Name).Order(StringComparer.Ordinal).ToList();
        var models = catalogue.Models();
        var infos = settings.All;
        foreach (var kept in new[] { _default, _last })
        {
            if (kept is not null && kept.Query == query && ReferenceEquals(kept.Models, models) && ReferenceEquals(kept.Infos, infos)
                && ReferenceEquals(kept.Use, use) && kept.Online.SequenceEqual(online, StringComparer.Ordinal))
            {
                return kept;
            }
        }
        return new Answer(query, models, infos, use, online, Rows(query, models, infos, online, use));
    }

    private static List<ModelRow> Rows(ModelQuery query, IReadOnlyList<CatalogueModel> models, IReadOnlyDictionary<ModelKey, ModelInfo> infos, List<string> online, Usage? use)
    {
        var search = query.Search?.Trim();
        var rows = new List<ModelRow>();
        foreach (var model in models)
        {
            if (query.Kind is { Length: > 0 } kind && model.Kind.Folder != kind
                || query.Server is { Length: > 0 } server && !model.Servers.Contains(server))
            {
                continue;
            }
            var info = infos.TryGetValue(model.Key, out var set) ? set : ModelInfo.For(model.Key);
            if (query.Family is { } family && info.Family != family
                || query.Visibility == ModelVisibility.Hidden && !info.Hidden
                || query.Visibility == ModelVisibility.Visible && info.Hidden
                || search is { Length: > 0 } && !Matches(model, info, search))
            {
                continue;
            }
            rows.Add(new ModelRow(model, info, online, model.Size, use?.For(model) ?? ModelUse.Never));
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

    /// <summary>The first call (of <see cref="StopAsync"/> or <see cref="Dispose"/>) ends the subscriptions and returns true.</summary>
    private bool BeginStop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return false;
        }
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
        return true;
    }

    public void Dispose()
    {
        if (BeginStop())
        {
            _stopping.Cancel();
        }
        _usageGate.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Forgets the cached use figures (after jobs finish the page may ask again).</summary>
    public void InvalidateUsage() => _usage = _usage is { } known ? known with { At = DateTimeOffset.MinValue } : null;

    private static bool Matches(CatalogueModel model, ModelInfo info, string search) =>
        model.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
        || info.DisplayName?.Contains(search, StringComparison.OrdinalIgnoreCase) == true
        || info.Description?.Contains(search, StringComparison.OrdinalIgnoreCase) == true
        || info.Tags.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase))
        || info.TriggerWords.Any(t => t.Contains(search, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The last use figures; older than 30 s, they are read again in the background and these are shown meanwhile. Waits
    /// only when none were read yet, or when the rows are sorted by them and they are stale (<paramref name="exact"/>).
    /// </summary>
    private async Task<Usage?> UsageAsync(bool exact, CancellationToken ct)
    {
        var known = _usage;
        if (known is not null && time.GetUtcNow() - known.At < UsageFreshFor)
        {
            return known;
        }
        if (_reading.IsCompleted)
        {
            _reading = ReadUsageAsync(CancellationToken.None);
        }
        if (known is null || exact)
        {
            await _reading.WaitAsync(ct);
            return _usage ?? known;
        }
        return known;
    }

    /// <summary>How many jobs used each checkpoint (the figures of at most 30 s ago; read now when none were read yet).</summary>
    public async Task<IReadOnlyDictionary<ModelKey, ModelUse>> CheckpointUsageAsync(CancellationToken ct) =>
        await UsageAsync(exact: false, ct) is { } use
            ? use.Checkpoints.ToDictionary(c => new ModelKey(ModelKind.Checkpoints.Folder, c.Key), c => c.Value)
            : new Dictionary<ModelKey, ModelUse>();

    /// <summary>Checkpoints by the jobs that named them; LoRAs by the jobs whose images carry them.</summary>
    private async Task ReadUsageAsync(CancellationToken ct)
    {
        await _usageGate.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow();
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
            _usage = new Usage(now,
                checkpoints.ToDictionary(c => c.Name, c => new ModelUse(c.Times, DateTime.SpecifyKind(c.Last, DateTimeKind.Utc)), StringComparer.Ordinal),
                loras.ToDictionary(l => l.Name, l => new ModelUse(l.Times, DateTime.SpecifyKind(l.Last, DateTimeKind.Utc)), StringComparer.Ordinal));
        }
#pragma warning disable CA1031 // figures that cannot be read now (a locked database) leave the last ones shown, and are asked for again
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogUsageUnreadable(ex.Message);
        }
        finally
        {
            _usageGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read how often models were used: {Reason}")]
    private partial void LogUsageUnreadable(string reason);
}
