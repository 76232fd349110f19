using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Comfy;

/// <summary>
/// The SHA-256 of checkpoint and LoRA files, for the <c>Model hash</c> and <c>Lora hashes</c> that A1111 and Civitai
/// read. ComfyUI's API cannot give a file's hash, so this works only where the app can read the server's models
/// folder (<c>ComfyUi:ModelsDirectory</c>: the same machine, or a shared models folder). Hashing a multi-gigabyte
/// file takes seconds, so it never happens on a job's path: a submitted job asks for its files' hashes, they are
/// computed once in the background and kept in <c>data/model-hashes.json</c> by path, size and modification time;
/// an image saved before its model's hash is known simply carries none, as A1111 does for an unhashed model.
/// </summary>
public sealed partial class ModelHashes(IOptions<ComfyUiOptions> options, StoragePaths paths, ILogger<ModelHashes> logger) : BackgroundService
{
    public const string Checkpoints = "checkpoints";
    public const string Loras = "loras";

    private static readonly string[] Extensions = [".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft"];
    private static readonly JsonSerializerOptions CacheJson = new() { WriteIndented = true };

    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly Channel<FileInfo> _work = Channel.CreateUnbounded<FileInfo>();
    private readonly Lock _saveLock = new();
    private int _loaded;

    private string CachePath => Path.Combine(paths.DataDirectory, "model-hashes.json");

    /// <summary>Asks for the hashes of a request's checkpoint and LoRAs (picker and prompt tags), so they are ready for its images.</summary>
    public void Prepare(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options.Value.ModelsDirectory is not { Length: > 0 })
        {
            return; // no models folder: nothing to hash, and no work on the submit path
        }
        _ = Sha256(Checkpoints, request.Checkpoint);
        foreach (var lora in AdvancedValidator.EffectiveLoras(request, available: null))
        {
            _ = Sha256(Loras, lora.Name);
        }
    }

    /// <summary>A1111's model hash: the first 10 hex digits of the checkpoint file's SHA-256, if known.</summary>
    public string? ModelHash(string checkpoint) => Sha256(Checkpoints, checkpoint)?[..10];

    /// <summary>A1111's LoRA hash: the first 12 hex digits of the file's SHA-256, if known.</summary>
    public string? LoraHash(string lora) => Sha256(Loras, lora)?[..12];

    /// <summary>The file's full SHA-256 (lower-case hex) if already computed; otherwise queues it and returns null.</summary>
    public string? Sha256(string folder, string name) =>
        string.IsNullOrEmpty(name) || Locate(folder, name) is not { } file ? null : Sha256(file);

    /// <summary>
    /// The SHA-256 of a file the app reached (under any server's models folder) if already computed; otherwise queues
    /// it and returns null.
    /// </summary>
    public string? Sha256(FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(file);
        LoadCache();
        var key = Key(file);
        if (_known.TryGetValue(key, out var hash))
        {
            return hash;
        }
        if (_queued.TryAdd(key, 0))
        {
            _work.Writer.TryWrite(file);
        }
        return null;
    }

    /// <summary>
    /// The file under <c>ModelsDirectory/folder</c> that ComfyUI means by <paramref name="name"/> (a subfolder written
    /// with <c>/</c> or <c>\</c>; a prompt tag may leave out the extension). Never a path outside that folder.
    /// </summary>
    public FileInfo? Locate(string folder, string name) =>
        options.Value.ModelsDirectory is { Length: > 0 } models ? Locate(models, folder, name) : null;

    /// <summary>
    /// The file under <c>root/folder</c> that ComfyUI means by <paramref name="name"/> (a subfolder written with
    /// <c>/</c> or <c>\</c>; a prompt tag may leave out the extension). Never a path outside that folder.
    /// </summary>
    public static FileInfo? Locate(string root, string folder, string name)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(name);
        var top = Path.GetFullPath(Path.Combine(root, folder)) + Path.DirectorySeparatorChar;
        var relative = name.Replace('\\', '/');
        foreach (var candidate in Extensions.Any(e => relative.EndsWith(e, StringComparison.OrdinalIgnoreCase)) ? [relative] : Extensions.Select(e => relative + e).Prepend(relative))
        {
            var full = Path.GetFullPath(Path.Combine(top, candidate));
            if (full.StartsWith(top, StringComparison.Ordinal) && File.Exists(full))
            {
                return new FileInfo(full);
            }
        }
        return null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var file in _work.Reader.ReadAllAsync(stoppingToken))
            {
                await HashAsync(file, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; what is not hashed yet is asked for again after the restart.
        }
    }

    private async Task HashAsync(FileInfo file, CancellationToken ct)
    {
        var key = Key(file);
        try
        {
            await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
            _known[key] = hash;
            SaveCache();
            LogHashed(file.Name, hash[..10]);
        }
#pragma warning disable CA1031 // one file that cannot be hashed (gone, unreadable, a cache that cannot be written) must not stop the others
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            LogHashFailed(file.FullName, ex.Message);
        }
        finally
        {
            _queued.TryRemove(key, out _);
        }
    }

    private static string Key(FileInfo file) =>
        string.Create(CultureInfo.InvariantCulture, $"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}");

    private void LoadCache()
    {
        if (Interlocked.Exchange(ref _loaded, 1) == 1 || !File.Exists(CachePath))
        {
            return;
        }
        try
        {
            var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(CachePath)) ?? [];
            foreach (var (key, hash) in stored.Where(e => e.Value.Length == 64 && e.Value.All(char.IsAsciiHexDigitLower)))
            {
                _known.TryAdd(key, hash);
            }
        }
        catch (JsonException ex)
        {
            LogHashFailed(CachePath, ex.Message); // rebuilt as files are hashed again
        }
    }

    private void SaveCache()
    {
        lock (_saveLock)
        {
            var temp = CachePath + ".tmp";
            File.WriteAllText(temp, JsonSerializer.Serialize(new SortedDictionary<string, string>(_known, StringComparer.Ordinal), CacheJson));
            File.Move(temp, CachePath, overwrite: true);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hashed {File}: model hash {Hash}")]
    private partial void LogHashed(string file, string hash);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not hash {File}: {Reason}")]
    private partial void LogHashFailed(string file, string reason);
}
