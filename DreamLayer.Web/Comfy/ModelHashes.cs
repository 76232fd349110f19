using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Comfy;

/// <summary>
/// The SHA-256 of model files, for the <c>Model hash</c> and <c>Lora hashes</c> that A1111 and Civitai read and for the
/// Models page. ComfyUI's API cannot give a file's hash, so this works only on files the app reaches in a server's
/// models folder (the same machine, or a share; which folder is each server's is the Models area's to say). Hashing a
/// multi-gigabyte file takes seconds, so it never happens on a job's path or a page's render: a file is asked for, it
/// is hashed once in the background and kept in <c>data/model-hashes.json</c> by path, size and modification time; an
/// image saved before its model's hash is known simply carries none, as A1111 does for an unhashed model.
/// </summary>
public sealed partial class ModelHashes(StoragePaths paths, ILogger<ModelHashes> logger) : BackgroundService
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
