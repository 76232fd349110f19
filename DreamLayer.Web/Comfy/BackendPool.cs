using DreamLayer.Domain.Generation;
using DreamLayer.Web.Events;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Comfy;

/// <summary>
/// Every ComfyUI server the app knows (from <c>appsettings.json</c> and the admin page) and a typed client for each.
/// The list is replaced as a whole when an admin changes it; readers always see a consistent snapshot.
/// </summary>
public sealed class BackendPool
{
    public const string HttpClientName = "ComfyUI";

    private readonly IHttpClientFactory _httpClientFactory;
    private readonly Lock _lock = new();
    private IReadOnlyList<ComfyBackend> _backends;

    private readonly Topic<ComfyBackend?> _changes;
    private readonly Topic<IReadOnlyList<ComfyBackend>> _listChanges;

    public BackendPool(IOptions<ComfyUiOptions> options, IHttpClientFactory httpClientFactory, ILogger<BackendPool>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _httpClientFactory = httpClientFactory;
        _changes = new Topic<ComfyBackend?>("server changes", logger);
        _listChanges = new Topic<IReadOnlyList<ComfyBackend>>("server list changes", logger);
        _backends = options.Value.Servers
            .Select(s =>
            {
                var backend = Create(s.Name, s.Url, s.MaxJobsInFlight ?? options.Value.MaxJobsInFlight, s.Enabled);
                backend.ModelsDirectory = s.ModelsDirectory;
                return backend;
            })
            .ToList();
        foreach (var b in _backends)
        {
            b.Changed += OnBackendChanged;
        }
    }

    public IReadOnlyList<ComfyBackend> Backends => Volatile.Read(ref _backends);

    /// <summary>The server that generation pages read their lists from: the first online one, else the first.</summary>
    /// <summary>Every LoRA file any connected server lists (to resolve prompt tags before a server is chosen).</summary>
    public IReadOnlyList<string> KnownLoras() =>
        Backends.Where(b => b.Limits is not null).SelectMany(b => b.Limits!.Advanced.Loras).Distinct(StringComparer.Ordinal).ToList();

    public ComfyBackend? Primary => Backends.FirstOrDefault(b => b.IsOnline) ?? (Backends.Count > 0 ? Backends[0] : null);

    /// <summary>
    /// What the generation forms offer: the union of every online server's lists (the first one's ranges); with none
    /// online, what the servers offered when last seen.
    /// </summary>
    public GenerationLimits? Limits
    {
        get
        {
            var known = Backends.Where(b => b.Limits is not null).ToList();
            var online = (known.Any(b => b.IsOnline) ? known.Where(b => b.IsOnline) : known).Select(b => b.Limits!).ToList();
            if (online.Count == 0)
            {
                return null;
            }
            return online[0] with
            {
                Checkpoints = Union(online, l => l.Checkpoints),
                Samplers = Union(online, l => l.Samplers),
                Schedulers = Union(online, l => l.Schedulers),
                UpscaleModels = Union(online, l => l.UpscaleModels),
                ResizeFilters = Union(online, l => l.ResizeFilters),
            };
        }
    }

    /// <summary>The online servers that list <paramref name="model"/> among <paramref name="list"/>'s values.</summary>
    public IReadOnlyList<string> ServersWith(string model, Func<GenerationLimits, IReadOnlyList<string>> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        return Backends.Where(b => b.IsOnline && b.Limits is { } l && list(l).Contains(model, StringComparer.Ordinal)).Select(b => b.Name).ToList();
    }

    /// <summary>Why no online server can run <paramref name="mode"/> (the first one's reason), or null when one can or none is online.</summary>
    public string? UnsupportedEverywhere(GenerationMode mode)
    {
        var online = Backends.Where(b => b.IsOnline).ToList();
        if (online.Count == 0 || online.Any(b => !b.UnsupportedModes.ContainsKey(mode)))
        {
            return null;
        }
        return online.Count == 1 ? $"{online[0].Name}: {online[0].UnsupportedModes[mode]}" : $"none of the {online.Count} online servers can ({online[0].Name}: {online[0].UnsupportedModes[mode]})";
    }

    public ComfyBackend? Find(string? name) => Backends.FirstOrDefault(b => b.Name == name);

    public ComfyUiClient ClientFor(ComfyBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return new ComfyUiClient(_httpClientFactory.CreateClient(HttpClientName), backend.BaseAddress);
    }

    /// <summary>Adds, replaces (same name) or removes servers; the connection service follows.</summary>
    public void Apply(IReadOnlyList<ComfyBackend> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_lock)
        {
            var old = Backends;
            foreach (var b in old.Except(next))
            {
                b.Changed -= OnBackendChanged;
            }
            foreach (var b in next.Except(old))
            {
                b.Changed += OnBackendChanged;
            }
            Volatile.Write(ref _backends, next);
        }
        _changes.Publish(null);
        _listChanges.Publish(next);
    }

    public static ComfyBackend Create(string name, string url, int maxJobsInFlight, bool enabled) =>
        new(name, new Uri(url.EndsWith('/') ? url : url + "/"), maxJobsInFlight, enabled);

    /// <summary>Called with the server when any server changes state or catalogue, and with null when the list changes.</summary>
    public IDisposable Subscribe(Action<ComfyBackend?> onChanged) => _changes.Subscribe(onChanged);

    /// <summary>Called with the new list after the list of servers changed (one added, edited, enabled, disabled or removed).</summary>
    public IDisposable SubscribeList(Action<IReadOnlyList<ComfyBackend>> onListChanged) => _listChanges.Subscribe(onListChanged);

    private void OnBackendChanged(ComfyBackend backend) => _changes.Publish(backend);

    private static List<string> Union(List<GenerationLimits> limits, Func<GenerationLimits, IReadOnlyList<string>> list) =>
        limits.SelectMany(list).Distinct(StringComparer.Ordinal).ToList();
}
