using System.Collections.Concurrent;
using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Events;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models.Install;

/// <summary>
/// Every install, uploaded or downloaded: who may start one and where it goes, the claim that keeps two admins from
/// writing the same file, the free-disk check, the checks of the finished file (size, SHA-256, header), putting it in
/// place with a rename (a server never sees half a file), and telling the servers to read their lists again.
/// Admins' pages follow every install through <see cref="Subscribe"/>.
/// </summary>
public sealed partial class ModelInstalls(
    IModelFolders folders,
    IPartFiles partFiles,
    BackendPool pool,
    ComfyConnectionService connections,
    IOptions<InstallOptions> options,
    TimeProvider time,
    ILogger<ModelInstalls> logger)
{
    /// <summary>Finished installs kept for the page.</summary>
    public const int KeptFinished = 20;

    private static readonly TimeSpan ReportInterval = TimeSpan.FromMilliseconds(250);

    private readonly ConcurrentDictionary<string, (Install Install, string Source)> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _claims = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _claimLock = new();
    private readonly Lock _finishedLock = new();
    private readonly Topic<InstallProgress> _changes = new("model installs", logger);
    private List<InstallProgress> _finished = [];

    /// <summary>Called with an install's progress (every 250 ms and every whole percent while it runs) and when it ends.</summary>
    public IDisposable Subscribe(Action<InstallProgress> onChanged) => _changes.Subscribe(onChanged);

    /// <summary>The installs under way, then the last finished ones, newest first.</summary>
    public IReadOnlyList<InstallProgress> List()
    {
        List<InstallProgress> finished;
        lock (_finishedLock)
        {
            finished = _finished;
        }
        return [.. _running.Values.Select(r => r.Install.Snapshot(r.Source)).OrderBy(p => p.FileName, StringComparer.Ordinal), .. finished];
    }

    /// <summary>Each known server with its models folder, or null and the reason when the app cannot reach it.</summary>
    public IReadOnlyList<(string Server, string? Root, string? WhyNot)> Folders() =>
        [.. pool.Backends.Select(b => folders.RootFor(b.Name) is { } root
            ? Directory.Exists(root) ? (b.Name, root, (string?)null) : (b.Name, (string?)null, $"its models folder {root} does not exist or cannot be read")
            : (b.Name, null, "the app cannot reach its models folder (set ComfyUi:ModelsDirectory to the folder, or a share of it)"))];

    /// <summary>Null when at least one server's folder is reachable; otherwise why installing is off, in words.</summary>
    public string? Unavailable()
    {
        var all = Folders();
        if (all.Count == 0)
        {
            return "No ComfyUI server is configured.";
        }
        return all.Any(f => f.Root is not null)
            ? null
            : $"Installing is off: {string.Join("; ", all.Select(f => $"{f.Server}: {f.WhyNot}"))}.";
    }

    /// <summary>
    /// Checks a request and claims its files. Returns the install (the caller writes it, then calls
    /// <see cref="FinishAsync"/> or <see cref="Fail"/>) or, with null, why it cannot start.
    /// </summary>
    public (Install? Install, string? Error) Begin(SignedInUser actor, InstallRequest request, string source)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(request);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins install models.");
        }
        if ((ModelKinds.Problem(request.Kind) ?? ModelFileName.Problem(request.FileName) ?? Sha256Problem(request.ExpectedSha256)) is { } problem)
        {
            return (null, problem);
        }
        if (request.Servers.Count == 0)
        {
            return (null, "Pick at least one server to install on.");
        }
        var reachable = Folders().ToDictionary(f => f.Server, StringComparer.Ordinal);
        foreach (var server in request.Servers)
        {
            if (!reachable.TryGetValue(server, out var folder))
            {
                return (null, $"There is no server called {server}.");
            }
            if (folder.Root is null)
            {
                return (null, $"{server} cannot get models from here: {folder.WhyNot}.");
            }
        }
        var targets = request.Servers.Distinct(StringComparer.Ordinal)
            .GroupBy(s => reachable[s].Root!, StringComparer.Ordinal)
            .Select(g => new InstallTarget(g.Key, [.. g]))
            .ToList();
        foreach (var target in targets)
        {
            if (File.Exists(target.PathFor(request.Kind, request.FileName)))
            {
                return (null, $"{string.Join(", ", target.Servers)} already {(target.Servers.Count == 1 ? "has" : "have")} {request.FileName} in {request.Kind}; rename or delete that one first.");
            }
        }
        var install = new Install(Guid.NewGuid().ToString("N")[..12], request with { ExpectedSha256 = request.ExpectedSha256?.Trim().ToLowerInvariant() }, actor.DisplayName, targets, partFiles, time);
        lock (_claimLock)
        {
            foreach (var target in targets)
            {
                if (_claims.TryGetValue(target.PathFor(request.Kind, request.FileName), out var holder) && _running.TryGetValue(holder, out var other))
                {
                    install.Dispose();
                    return (null, $"{request.FileName} is already being installed into {request.Kind} by {other.Install.StartedBy}; wait for that install to finish or cancel it.");
                }
            }
            foreach (var target in targets)
            {
                _claims[target.PathFor(request.Kind, request.FileName)] = install.Id;
            }
            _running[install.Id] = (install, source);
        }
        Publish(install, force: true);
        return (install, null);
    }

    /// <summary>True while an install is writing the file at <paramref name="path"/>.</summary>
    public bool IsInstalling(string path) => _claims.ContainsKey(path);

    /// <summary>Null when every target folder has room for <paramref name="bytes"/> more (plus the margin); otherwise why not.</summary>
    public string? FreeSpaceProblem(Install install, long bytes)
    {
        ArgumentNullException.ThrowIfNull(install);
        foreach (var target in install.Targets)
        {
            var free = new DriveInfo(target.Root).AvailableFreeSpace;
            if (bytes + options.Value.FreeSpaceMargin > free)
            {
                return $"Not enough disk space for {install.Request.FileName} ({Size(bytes)}) in {target.Root}: {Size(free)} free, and {Size(options.Value.FreeSpaceMargin)} must stay free.";
            }
        }
        return null;
    }

    /// <summary>Tells the pages how far an install is: every 250 ms and every whole percent, or now with <paramref name="force"/>.</summary>
    public void Publish(Install install, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(install);
        var now = time.GetTimestamp();
        var percent = install.Total is > 0 ? (int)(100 * install.Received / install.Total.Value) : -1;
        if (!force && time.GetElapsedTime(install.LastReported, now) < ReportInterval && percent <= install.LastPercent)
        {
            return;
        }
        install.LastReported = now;
        install.LastPercent = percent;
        var source = _running.TryGetValue(install.Id, out var r) ? r.Source : string.Empty;
        _changes.Publish(install.Snapshot(source));
    }

    /// <summary>Asks an install to stop; its writer removes the partial file.</summary>
    public bool Cancel(SignedInUser actor, string id)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins install models.");
        }
        if (!_running.TryGetValue(id, out var running))
        {
            return false;
        }
        try
        {
            running.Install.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false; // it ended meanwhile
        }
    }

    /// <summary>
    /// The file is whole: checks it (size, expected SHA-256, the model's header), renames it into place in the first
    /// folder and copies it into the others (each through its own temporary file), then has the servers read their
    /// lists again. Returns whether it is installed and the message the admin sees.
    /// </summary>
    public async Task<(bool Done, string Message)> FinishAsync(Install install, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(install);
        install.State = InstallState.Checking;
        Publish(install, force: true);
        var sha256 = await install.CloseAsync();
        var request = install.Request;
        if (install.Total is { } total && total != install.Received)
        {
            return (false, Fail(install, $"Only {Size(install.Received)} of {Size(total)} arrived; the partial file was removed."));
        }
        if (request.ExpectedSha256 is { } expected && !string.Equals(expected, sha256, StringComparison.Ordinal))
        {
            return (false, Fail(install, $"The file's SHA-256 is {sha256}, not the expected {expected}; the file was deleted."));
        }
        if (ModelFileCheck.Problem(install.TempPath, request.FileName) is { } damaged)
        {
            return (false, Fail(install, $"{request.FileName} was not installed: {damaged}"));
        }
        try
        {
            for (var i = 1; i < install.Targets.Count; i++)
            {
                var target = install.Targets[i];
                var copy = Path.Combine(target.Root, request.Kind, $".{request.FileName}.{install.Id}.part");
                Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
                try
                {
                    File.Copy(install.TempPath, copy, overwrite: false);
                    File.Move(copy, target.PathFor(request.Kind, request.FileName), overwrite: false);
                }
                finally
                {
                    File.Delete(copy);
                }
            }
            File.Move(install.TempPath, install.Targets[0].PathFor(request.Kind, request.FileName), overwrite: false);
        }
        catch (IOException ex)
        {
            foreach (var target in install.Targets.Skip(1))
            {
                File.Delete(target.PathFor(request.Kind, request.FileName));
            }
            return (false, Fail(install, $"{request.FileName} could not be put in place ({ex.Message}); nothing was installed."));
        }
        var refreshed = await RefreshAsync([.. install.Targets.SelectMany(t => t.Servers)], ct);
        var message = $"Installed {request.FileName} ({Size(install.Received)}, SHA-256 {sha256[..12]}…) in {request.Kind}. {refreshed}";
        End(install, InstallState.Done, message);
        LogInstalled(request.FileName, request.Kind, install.StartedBy);
        return (true, message);
    }

    /// <summary>Ends an install that failed: removes the partial file, releases its claim, says why.</summary>
    public string Fail(Install install, string message, InstallState state = InstallState.Failed)
    {
        ArgumentNullException.ThrowIfNull(install);
        try
        {
            install.DeleteTemp();
        }
        catch (IOException ex)
        {
            message += $" (The partial file {install.TempPath} could not be removed: {ex.Message})";
        }
        End(install, state, message);
        LogFailed(install.Request.FileName, state, message);
        return message;
    }

    /// <summary>
    /// Ends an install whose write failed (a full disk, a folder gone, no permission): removes the partial file and says
    /// why in words; a full disk is named as such, with the folder that filled up.
    /// </summary>
    public string WriteFailed(Install install, Exception ex)
    {
        ArgumentNullException.ThrowIfNull(install);
        ArgumentNullException.ThrowIfNull(ex);
        var file = install.Request.FileName;
        return Fail(install, ex is IOException io && PartFiles.IsDiskFull(io)
            ? $"The disk holding {install.Targets[0].Root} is full: {file} was not installed after {Size(install.Received)}, and the partial file was removed. Free some space and install it again."
            : $"Writing {file} failed ({ex.Message}); the partial file was removed.");
    }

    /// <summary>
    /// Has each online server among <paramref name="servers"/> read its lists again (ComfyUI lists the folders' files
    /// in <c>/object_info</c>); an offline one reads them when it reconnects. Returns what happened, in words, naming
    /// the changed files as <paramref name="what"/> ("it", or "them" for several).
    /// </summary>
    public async Task<string> RefreshAsync(IReadOnlyList<string> servers, CancellationToken ct, string what = "it")
    {
        ArgumentNullException.ThrowIfNull(servers);
        var done = new List<string>();
        var notes = new List<string>();
        foreach (var name in servers.Distinct(StringComparer.Ordinal))
        {
            if (pool.Find(name) is not { IsOnline: true } backend)
            {
                notes.Add($"{name} is offline: it lists {(what == "it" ? "the model" : what)} when it is back");
                continue;
            }
            try
            {
                await connections.RefreshCatalogueAsync(backend, ct);
                done.Add(name);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException or System.Text.Json.JsonException)
            {
                notes.Add($"{name} did not answer ({ex.Message}): it lists {(what == "it" ? "the model" : what)} when it reconnects");
            }
        }
        var text = done.Count > 0 ? $"{string.Join(", ", done)} listed {what} again." : string.Empty;
        return notes.Count == 0 ? text : $"{text} {string.Join("; ", notes)}.".Trim();
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
    };

    private static string? Sha256Problem(string? expected)
    {
        if (string.IsNullOrWhiteSpace(expected))
        {
            return null;
        }
        var text = expected.Trim();
        return text.Length == 64 && text.All(char.IsAsciiHexDigit)
            ? null
            : "The expected SHA-256 must be 64 hexadecimal digits (as Hugging Face and Civitai show it).";
    }

    private void End(Install install, InstallState state, string message)
    {
        install.State = state;
        install.Message = message;
        var source = _running.TryGetValue(install.Id, out var r) ? r.Source : string.Empty;
        var snapshot = install.Snapshot(source);
        lock (_claimLock)
        {
            foreach (var target in install.Targets)
            {
                _claims.TryRemove(new KeyValuePair<string, string>(target.PathFor(install.Request.Kind, install.Request.FileName), install.Id));
            }
            _running.TryRemove(install.Id, out _);
        }
        lock (_finishedLock)
        {
            _finished = [snapshot, .. _finished.Take(KeptFinished - 1)];
        }
        _changes.Publish(snapshot);
        install.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Installed model {File} in {Kind} (by {Admin})")]
    private partial void LogInstalled(string file, string kind, string admin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Install of {File} ended {State}: {Reason}")]
    private partial void LogFailed(string file, InstallState state, string reason);
}
