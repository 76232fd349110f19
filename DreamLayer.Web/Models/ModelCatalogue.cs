using System.Collections.Concurrent;
using System.Threading.Channels;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Models;

/// <summary>One server's model files by folder, as last read (a server older than <c>GET /models</c>: its loaders' lists).</summary>
/// <param name="Sizes">File sizes in bytes, by key, where the app reaches the server's models folder.</param>
public sealed record ServerModels(string Server, IReadOnlyDictionary<string, IReadOnlyList<string>> Files, IReadOnlyDictionary<ModelKey, long> Sizes);

/// <summary>One model of the catalogue and the online servers that list it.</summary>
/// <param name="Size">The size of its file, from the first server whose folder the app reaches; null when none.</param>
public sealed record CatalogueModel(ModelKind Kind, string Name, IReadOnlyList<string> Servers, long? Size = null)
{
    public ModelKey Key => new(Kind.Folder, Name);
}

/// <summary>
/// Every model of every online server: each server's folders read with ComfyUI's <c>GET /models/{folder}</c> (or,
/// from a server older than that route, its loaders' lists in <c>/object_info</c>), again whenever the server's
/// catalogue is read (at connect, and on "Reload models"). New models are inspected in the background: their family
/// is read from the safetensors header (the file itself where the app reaches the server's models folder, else
/// <c>/view_metadata</c>) and kept in <see cref="ModelSettings"/>.
/// </summary>
public sealed partial class ModelCatalogue(
    BackendPool pool,
    IModelFolders folders,
    ModelSettings settings,
    ILogger<ModelCatalogue> logger) : BackgroundService
{
    /// <summary>The kinds whose family matters (a LoRA must match its checkpoint), and so are inspected.</summary>
    private static readonly HashSet<string> FamilyKinds = [ModelKind.Checkpoints.Folder, ModelKind.DiffusionModels.Folder, ModelKind.Loras.Folder, ModelKind.ControlNets.Folder];

    private readonly ConcurrentDictionary<string, (ObjectInfo Source, ServerModels Models)> _servers = new(StringComparer.Ordinal);
    private readonly Channel<ComfyBackend> _refresh = Channel.CreateUnbounded<ComfyBackend>();
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private readonly Events.Topic<string> _changes = new("model catalogue", logger);
    private long _version;
    private Snapshot? _snapshot;

    /// <summary>Called with the server's name after its lists were read again.</summary>
    public IDisposable Subscribe(Action<string> onChanged) => _changes.Subscribe(onChanged);

    /// <summary>
    /// Every model the online servers list, by kind then name, each with the servers that have it. Built once per change
    /// (a server's lists read again, a server online or gone) and shared by every caller until the next.
    /// </summary>
    public IReadOnlyList<CatalogueModel> Models() => Current().Models;

    /// <summary>The union of the online servers' lists as of <see cref="_version"/> and that set of online servers.</summary>
    private Snapshot Current()
    {
        var online = pool.Backends.Where(b => b.IsOnline).Select(b => b.Name).ToList();
        var version = Interlocked.Read(ref _version);
        if (Volatile.Read(ref _snapshot) is { } known && known.Version == version && known.Online.SequenceEqual(online, StringComparer.Ordinal))
        {
            return known;
        }
        var onlineSet = online.ToHashSet(StringComparer.Ordinal);
        var byKey = new Dictionary<ModelKey, List<string>>();
        var sizes = new Dictionary<ModelKey, long>();
        foreach (var (server, (_, models)) in _servers)
        {
            foreach (var (key, size) in models.Sizes)
            {
                sizes.TryAdd(key, size);
            }
            if (!onlineSet.Contains(server))
            {
                continue;
            }
            foreach (var (folder, files) in models.Files)
            {
                foreach (var file in files)
                {
                    var key = new ModelKey(folder, file);
                    if (!byKey.TryGetValue(key, out var servers))
                    {
                        byKey[key] = servers = [];
                    }
                    servers.Add(server);
                }
            }
        }
        var list = byKey
            .Select(e => new CatalogueModel(ModelKind.Find(e.Key.Folder)!, e.Key.Name, [.. e.Value.Order(StringComparer.Ordinal)], sizes.TryGetValue(e.Key, out var size) ? size : null))
            .OrderBy(m => m.Kind.Folder, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var snapshot = new Snapshot(version, online, list);
        Volatile.Write(ref _snapshot, snapshot);
        return snapshot;
    }

    private sealed record Snapshot(long Version, IReadOnlyList<string> Online, IReadOnlyList<CatalogueModel> Models);

    /// <summary>The file of a model on disk, from the first server that lists it and whose folder the app reaches.</summary>
    public FileInfo? FileOf(ModelKey key, IEnumerable<string> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        foreach (var server in servers)
        {
            if (folders.RootFor(server) is { } root && ModelHashes.Locate(root, key.Folder, key.Name) is { } file)
            {
                return file;
            }
        }
        return null;
    }

    /// <summary>
    /// A model's safetensors <c>__metadata__</c>: from its file where the app reaches it, else from the first server that
    /// lists it (<c>/view_metadata</c>); null when none says anything or none answers.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> MetadataAsync(CatalogueModel model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            if (FileOf(model.Key, model.Servers) is { } file)
            {
                return (await SafetensorsHeader.ReadFileAsync(file.FullName, ct)).Header?.Metadata;
            }
            return model.Servers.Select(pool.Find).FirstOrDefault(b => b is { IsOnline: true }) is { } backend
                ? await pool.ClientFor(backend).GetModelMetadataAsync(model.Kind.Folder, model.Name, ct)
                : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException
            || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogHeaderUnreadable(model.Name, ex.Message);
            return null;
        }
    }

    /// <summary>The trigger words a LoRA's header proposes (<see cref="ModelFamilies.ProposedTriggerWords"/>).</summary>
    public async Task<IReadOnlyList<string>> ProposedTriggerWordsAsync(CatalogueModel model, CancellationToken ct) =>
        ModelFamilies.ProposedTriggerWords(await MetadataAsync(model, ct));

    /// <summary>Reads a server's lists now (the page's refresh, and after its catalogue was read).</summary>
    public async Task RefreshAsync(ComfyBackend backend, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var source = backend.ObjectInfo;
        var client = pool.ClientFor(backend);
        var files = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var served = await client.GetModelFoldersAsync(ct);
        foreach (var kind in ModelKind.All)
        {
            var list = served is null ? FromObjectInfo(source, kind.Folder) : served.Contains(kind.Folder) ? await client.GetModelFilesAsync(kind.Folder, ct) : null;
            if (list is { Count: > 0 })
            {
                files[kind.Folder] = list;
            }
        }
        var sizes = new Dictionary<ModelKey, long>();
        if (folders.RootFor(backend.Name) is { } root && Directory.Exists(root))
        {
            foreach (var (folder, names) in files)
            {
                foreach (var name in names)
                {
                    if (ModelHashes.Locate(root, folder, name) is { } file)
                    {
                        sizes[new ModelKey(folder, name)] = file.Length;
                    }
                }
            }
        }
        _servers[backend.Name] = (source, new ServerModels(backend.Name, files, sizes));
        Interlocked.Increment(ref _version);
        _changes.Publish(backend.Name);
        await InspectAsync(backend, files, ct);
    }

    /// <summary>A folder's files as an older server's loaders list them (the folder's loader and input).</summary>
    public static IReadOnlyList<string> FromObjectInfo(ObjectInfo info, string folder)
    {
        ArgumentNullException.ThrowIfNull(info);
        return folder switch
        {
            "checkpoints" => info.ComboValues("CheckpointLoaderSimple", "ckpt_name"),
            "loras" => info.ComboValues("LoraLoader", "lora_name"),
            "vae" => [.. info.ComboValues("VAELoader", "vae_name").Where(v => v is not ("taesd" or "taesdxl" or "taesd3" or "taef1" or "pixel_space"))],
            "controlnet" => info.ComboValues("ControlNetLoader", "control_net_name"),
            "upscale_models" => info.ComboValues("UpscaleModelLoader", "model_name"),
            "diffusion_models" => info.ComboValues("UNETLoader", "unet_name"),
            "text_encoders" => info.ComboValues("CLIPLoader", "clip_name"),
            _ => [],
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = pool.Subscribe(changed =>
        {
            foreach (var backend in changed is null ? pool.Backends : [changed])
            {
                // A server's lists are read again when it is online with a catalogue newer than the one they were read with.
                if (backend.IsOnline && (!_servers.TryGetValue(backend.Name, out var known) || !ReferenceEquals(known.Source, backend.ObjectInfo))
                    && _pending.TryAdd(backend.Name, 0))
                {
                    _refresh.Writer.TryWrite(backend);
                }
            }
        });
        foreach (var backend in pool.Backends.Where(b => b.IsOnline))
        {
            if (_pending.TryAdd(backend.Name, 0))
            {
                _refresh.Writer.TryWrite(backend);
            }
        }
        try
        {
            await foreach (var backend in _refresh.Reader.ReadAllAsync(stoppingToken))
            {
                _pending.TryRemove(backend.Name, out _);
                try
                {
                    await RefreshAsync(backend, stoppingToken);
                }
#pragma warning disable CA1031 // one server that cannot be read (gone, a bad answer) must not stop the others
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    LogReadFailed(backend.Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    /// <summary>Reads the family of every model of these lists that was never inspected, and keeps it.</summary>
    private async Task InspectAsync(ComfyBackend backend, Dictionary<string, IReadOnlyList<string>> files, CancellationToken ct)
    {
        var found = new Dictionary<ModelKey, ModelFamily>();
        var client = pool.ClientFor(backend);
        var root = folders.RootFor(backend.Name);
        foreach (var (folder, names) in files.Where(f => FamilyKinds.Contains(f.Key)))
        {
            foreach (var name in names)
            {
                var key = new ModelKey(folder, name);
                // Inspected already; but a family another server's metadata could not tell is read again from a file
                // this server's folder holds (the servers' lists arrive in any order).
                if (settings.Get(key).Inferred is { } known && (known != ModelFamily.Unknown || root is null))
                {
                    continue;
                }
                if (await InferAsync(client, root, key, ct) is { } family && family != settings.Get(key).Inferred)
                {
                    found[key] = family;
                }
                if (found.Count >= 200)
                {
                    await settings.SetInferredAsync(found, ct);
                    found.Clear();
                }
            }
        }
        await settings.SetInferredAsync(found, ct);
    }

    /// <summary>The family of one model: from its file's header when reachable, else from the server's <c>/view_metadata</c>.</summary>
    private async Task<ModelFamily?> InferAsync(ComfyUiClient client, string? root, ModelKey key, CancellationToken ct)
    {
        try
        {
            return await ReadFamilyAsync(client, root, key, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException
            || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            LogHeaderUnreadable(key.Name, ex.Message); // tried again at the server's next catalogue read
            return null;
        }
    }

    private async Task<ModelFamily> ReadFamilyAsync(ComfyUiClient client, string? root, ModelKey key, CancellationToken ct)
    {
        if (!key.Name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            return ModelFamily.Unknown; // only safetensors files say what they are without being loaded
        }
        if (root is not null && ModelHashes.Locate(root, key.Folder, key.Name) is { } file)
        {
            var (header, problem) = await SafetensorsHeader.ReadFileAsync(file.FullName, ct);
            if (header is not null)
            {
                return ModelFamilies.Infer(header.Metadata, header.TensorNames);
            }
            LogHeaderUnreadable(file.FullName, problem!);
            return ModelFamily.Unknown;
        }
        return ModelFamilies.FromMetadata(await client.GetModelMetadataAsync(key.Folder, key.Name, ct));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the models of {Server}: {Reason}")]
    private partial void LogReadFailed(string server, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Could not read the safetensors header of {File}: {Reason}")]
    private partial void LogHeaderUnreadable(string file, string reason);
}
