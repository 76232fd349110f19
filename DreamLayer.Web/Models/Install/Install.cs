using System.Security.Cryptography;

namespace DreamLayer.Web.Models.Install;

/// <summary>Where an install stands.</summary>
public enum InstallState
{
    Waiting,
    Running,
    Checking,
    Done,
    Failed,
    Cancelled,
}

/// <summary>What an admin asked for: a file of a kind, on some servers, from an upload or an address.</summary>
/// <param name="Kind">The models subfolder (<see cref="ModelKinds"/>).</param>
/// <param name="FileName">The name the file gets there.</param>
/// <param name="Servers">The servers to install on.</param>
/// <param name="Url">The address to download from; null for an upload.</param>
/// <param name="ExpectedSha256">The SHA-256 the file must have (hex), or null.</param>
public sealed record InstallRequest(string Kind, string FileName, IReadOnlyList<string> Servers, Uri? Url = null, string? ExpectedSha256 = null);

/// <summary>What every admin's Install page shows of one install.</summary>
public sealed record InstallProgress(
    string Id,
    string Kind,
    string FileName,
    IReadOnlyList<string> Servers,
    string Source,
    string StartedBy,
    InstallState State,
    long Received,
    long? Total,
    double BytesPerSecond,
    TimeSpan? TimeLeft,
    string? Message)
{
    public bool IsOver => State is InstallState.Done or InstallState.Failed or InstallState.Cancelled;

    /// <summary>Progress in percent, when the size is known.</summary>
    public double? Percent => Total is > 0 ? Math.Min(100, 100.0 * Received / Total.Value) : null;
}

/// <summary>
/// One models folder an install writes to, and the servers that read it (servers sharing a folder get one copy).
/// </summary>
public sealed record InstallTarget(string Root, IReadOnlyList<string> Servers)
{
    public string PathFor(string kind, string fileName) => Path.Combine(Root, kind, fileName);
}

/// <summary>
/// One install under way: the temporary file it writes (hidden, with a <c>.part</c> extension ComfyUI does not list),
/// the SHA-256 of what was written so far, and what the page shows. Written by one writer at a time (the upload
/// request or a download worker).
/// </summary>
public sealed class Install : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly TimeProvider _time;
    private readonly IPartFiles _files;
    private IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _file;
    private long _startedAt;
    private long _receivedAtStart;

    internal Install(string id, InstallRequest request, string startedBy, IReadOnlyList<InstallTarget> targets, IPartFiles files, TimeProvider time)
    {
        _files = files;
        Id = id;
        Request = request;
        StartedBy = startedBy;
        Targets = targets;
        _time = time;
        TempPath = Path.Combine(targets[0].Root, request.Kind, $".{request.FileName}.{id}.part");
    }

    public string Id { get; }

    public InstallRequest Request { get; }

    public string StartedBy { get; }

    public IReadOnlyList<InstallTarget> Targets { get; }

    /// <summary>Where the bytes go until the file is whole and checked.</summary>
    public string TempPath { get; }

    public InstallState State { get; internal set; } = InstallState.Waiting;

    public string? Message { get; internal set; }

    public long Received { get; private set; }

    /// <summary>The file's size when the source said it.</summary>
    public long? Total { get; set; }

    /// <summary>Cancelled when an admin presses Cancel (or the app stops).</summary>
    public CancellationToken Cancelled => _cancel.Token;

    internal long LastReported { get; set; }

    internal int LastPercent { get; set; } = -1;

    /// <summary>Starts writing the temporary file from the beginning (a new file, or a download that must start over).</summary>
    public void StartOver()
    {
        _file?.Dispose();
        Directory.CreateDirectory(Path.GetDirectoryName(TempPath)!);
        _file = _files.Create(TempPath);
        _hash.Dispose();
        _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Received = 0;
        LastPercent = -1;
        State = InstallState.Running;
        _startedAt = _time.GetTimestamp();
        _receivedAtStart = 0;
    }

    /// <summary>Appends a chunk: to the file and to the running SHA-256.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> chunk, CancellationToken ct)
    {
        var file = _file ?? throw new InvalidOperationException("StartOver first.");
        await file.WriteAsync(chunk, ct);
        _hash.AppendData(chunk.Span);
        Received += chunk.Length;
    }

    /// <summary>Flushes and closes the temporary file; returns the SHA-256 of everything written (lower-case hex).</summary>
    public async Task<string> CloseAsync()
    {
        if (_file is { } file)
        {
            await file.FlushAsync();
            await file.DisposeAsync();
            _file = null;
        }
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    /// <summary>Bytes per second since writing started, and the time left when the size is known.</summary>
    public (double BytesPerSecond, TimeSpan? Left) Speed()
    {
        var elapsed = _time.GetElapsedTime(_startedAt).TotalSeconds;
        if (State != InstallState.Running || elapsed <= 0.2)
        {
            return (0, null);
        }
        var rate = (Received - _receivedAtStart) / elapsed;
        TimeSpan? left = Total is { } total && rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - Received) / rate) : null;
        return (rate, left);
    }

    public InstallProgress Snapshot(string source)
    {
        var (rate, left) = Speed();
        return new InstallProgress(Id, Request.Kind, Request.FileName, [.. Targets.SelectMany(t => t.Servers)], source, StartedBy,
            State, Received, Total, rate, left, Message);
    }

    internal void Cancel() => _cancel.Cancel();

    /// <summary>Closes and deletes the temporary file (a failed, cancelled or finished install).</summary>
    internal void DeleteTemp()
    {
        _file?.Dispose();
        _file = null;
        File.Delete(TempPath);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _hash.Dispose();
        _cancel.Dispose();
    }
}
