using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Comfy;

/// <summary>One server as the Backends page lists it: its settings and where they come from.</summary>
/// <param name="ModelsDirectory">This server's ComfyUI <c>models</c> folder as the app reaches it, if set for this server.</param>
public sealed record BackendSetting(string Name, string Url, int MaxJobsInFlight, bool Enabled, bool InAppSettings, bool ChangedHere, string? ModelsDirectory = null);

public abstract record BackendChangeResult;

public sealed record BackendChanged : BackendChangeResult;

public sealed record BackendRefused(string Reason) : BackendChangeResult;

/// <summary>
/// The list of servers: <c>appsettings.json</c>'s, merged with what admins added or changed (stored in the
/// database; a stored row with a configured server's name overrides it). Every change is saved first, then
/// applied to the <see cref="BackendPool"/>, whose connections follow. Callers check that the person is an admin.
/// </summary>
public sealed class BackendSettings(
    BackendPool pool,
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    IOptions<ComfyUiOptions> options,
    TimeProvider time) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>At start-up, before jobs are restored: the stored servers join the configured ones.</summary>
    public async Task StartAsync(CancellationToken cancellationToken) => Apply(await LoadAsync(cancellationToken));

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _gate.Dispose();

    public async Task<IReadOnlyList<BackendSetting>> LoadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Backends.AsNoTracking().OrderBy(b => b.Id).ToListAsync(ct);
        var configured = options.Value.Servers;
        var merged = new List<BackendSetting>();
        foreach (var server in configured)
        {
            var row = stored.FirstOrDefault(r => r.Name == server.Name);
            merged.Add(row is null
                ? new BackendSetting(server.Name, server.Url, server.MaxJobsInFlight ?? options.Value.MaxJobsInFlight, server.Enabled, true, false, server.ModelsDirectory)
                : new BackendSetting(row.Name, row.Url, row.MaxJobsInFlight, row.Enabled, true, true, row.ModelsDirectory));
        }
        merged.AddRange(stored.Where(r => configured.All(c => c.Name != r.Name))
            .Select(r => new BackendSetting(r.Name, r.Url, r.MaxJobsInFlight, r.Enabled, false, true, r.ModelsDirectory)));
        return merged;
    }

    /// <summary>
    /// Adds a server, or changes the one named <paramref name="originalName"/>. <paramref name="modelsDirectory"/> is
    /// where the app reaches its models folder (empty: <c>ComfyUi:ModelsDirectory</c>, if set).
    /// </summary>
    public async Task<BackendChangeResult> SaveAsync(string? originalName, string name, string url, int maxJobsInFlight, bool enabled, CancellationToken ct, string? modelsDirectory = null)
    {
        name = name.Trim();
        url = url.Trim();
        modelsDirectory = string.IsNullOrWhiteSpace(modelsDirectory) ? null : modelsDirectory.Trim();
        if ((Check(name, url, maxJobsInFlight) ?? CheckModelsDirectory(modelsDirectory)) is { } problem)
        {
            return new BackendRefused(problem);
        }
        await _gate.WaitAsync(ct);
        try
        {
            var current = await LoadAsync(ct);
            if (current.Any(b => b.Name == name && b.Name != originalName))
            {
                return new BackendRefused($"There is already a server named {name}.");
            }
            var original = originalName is null ? null : current.FirstOrDefault(b => b.Name == originalName);
            if (originalName is not null && original is null)
            {
                return new BackendRefused($"There is no server named {originalName}.");
            }
            if (original is { InAppSettings: true } && name != original.Name)
            {
                return new BackendRefused($"{original.Name} is named in appsettings.json; rename it there.");
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = originalName is null ? null : await db.Backends.FirstOrDefaultAsync(b => b.Name == originalName, ct);
            if (row is null)
            {
                row = new BackendEntity();
                db.Backends.Add(row);
            }
            row.Name = name;
            row.Url = url;
            row.MaxJobsInFlight = maxJobsInFlight;
            row.Enabled = enabled;
            row.ModelsDirectory = modelsDirectory;
            row.UpdatedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            Apply(await LoadAsync(ct));
            return new BackendChanged();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<BackendChangeResult> SetEnabledAsync(string name, bool enabled, CancellationToken ct)
    {
        var current = (await LoadAsync(ct)).FirstOrDefault(b => b.Name == name);
        return current is null
            ? new BackendRefused($"There is no server named {name}.")
            : await SaveAsync(name, name, current.Url, current.MaxJobsInFlight, enabled, ct, current.ModelsDirectory);
    }

    /// <summary>Removes a server added here; a server from appsettings.json can only be disabled (or its changes undone).</summary>
    public async Task<BackendChangeResult> RemoveAsync(string name, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var current = (await LoadAsync(ct)).FirstOrDefault(b => b.Name == name);
            if (current is null)
            {
                return new BackendRefused($"There is no server named {name}.");
            }
            if (current is { InAppSettings: true, ChangedHere: false })
            {
                return new BackendRefused($"{name} is listed in appsettings.json: disable it here, or remove it there.");
            }
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await db.Backends.Where(b => b.Name == name).ExecuteDeleteAsync(ct);
            Apply(await LoadAsync(ct));
            return new BackendChanged();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string? Check(string name, string url, int maxJobsInFlight)
    {
        if (name.Length is 0 or > 64)
        {
            return "Give the server a name of 1 to 64 characters.";
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query) || url.Length > 512)
        {
            return "The address must be an http:// or https:// URL such as http://gpu-box:8188.";
        }
        return maxJobsInFlight is < 1 or > 64 ? "Jobs in flight must be between 1 and 64." : null;
    }

    private static string? CheckModelsDirectory(string? folder)
    {
        if (folder is null)
        {
            return null;
        }
        if (folder.Length > 1024 || !Path.IsPathFullyQualified(folder))
        {
            return "The models folder must be a full path, such as /mnt/gpu-2/ComfyUI/models.";
        }
        return Directory.Exists(folder) ? null : $"The app cannot find the folder {folder}: check the path, or that the share is mounted.";
    }

    /// <summary>Keeps a server's object (and its connection and jobs) when only its limit changed; replaces it otherwise.</summary>
    private void Apply(IReadOnlyList<BackendSetting> settings)
    {
        var existing = pool.Backends;
        var next = new List<ComfyBackend>(settings.Count);
        foreach (var s in settings)
        {
            var fresh = BackendPool.Create(s.Name, s.Url, s.MaxJobsInFlight, s.Enabled);
            var same = existing.FirstOrDefault(b => b.Name == s.Name && b.BaseAddress == fresh.BaseAddress && b.IsEnabled == s.Enabled);
            var kept = same ?? fresh;
            kept.MaxJobsInFlight = s.MaxJobsInFlight;
            kept.ModelsDirectory = s.ModelsDirectory;
            next.Add(kept);
        }
        pool.Apply(next);
    }
}
