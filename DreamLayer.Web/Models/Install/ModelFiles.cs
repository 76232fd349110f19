using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Models.Install;

/// <summary>One models folder holding a file, and the servers that read that folder.</summary>
public sealed record ModelFileLocation(string Root, IReadOnlyList<string> Servers, string FullPath);

/// <summary>
/// Rename, move to another kind, and delete a model file in every reachable models folder that holds it, then have the
/// servers read their lists again. Checked here, not only in the page: admins only, names by the same rules as an
/// install, never over an existing file or one being installed.
/// </summary>
public sealed class ModelFiles(ModelInstalls installs, BackendPool pool)
{
    /// <summary>A model file in the reachable folders: its name as ComfyUI lists it, size, the servers whose folder has it, and those that list it now.</summary>
    public sealed record Entry(string Name, long Size, IReadOnlyList<string> Servers, IReadOnlyList<string> ListedBy);

    /// <summary>Every model file of <paramref name="kind"/> in the reachable folders (subfolders too, named with <c>/</c> as ComfyUI does).</summary>
    public IReadOnlyList<Entry> List(string kind)
    {
        if (ModelKinds.Problem(kind) is not null)
        {
            return [];
        }
        var found = new Dictionary<string, (long Size, List<string> Servers)>(StringComparer.Ordinal);
        foreach (var group in installs.Folders().Where(f => f.Root is not null).GroupBy(f => f.Root!, StringComparer.Ordinal))
        {
            var folder = Path.Combine(group.Key, kind);
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                var name = Path.GetRelativePath(folder, file.FullName).Replace('\\', '/');
                if (!ModelFileName.Extensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase) || name.Split('/').Any(p => p.StartsWith('.')))
                {
                    continue;
                }
                if (!found.TryGetValue(name, out var entry))
                {
                    found[name] = entry = (file.Length, []);
                }
                entry.Servers.AddRange(group.Select(f => f.Server));
            }
        }
        var loader = ModelKinds.Loader(kind);
        return [.. found.OrderBy(f => f.Key, StringComparer.OrdinalIgnoreCase).Select(f => new Entry(f.Key, f.Value.Size, f.Value.Servers,
            loader is { } l ? [.. pool.Backends.Where(b => b.IsOnline && b.ObjectInfo.ComboValues(l.ClassType, l.Input).Contains(f.Key, StringComparer.Ordinal)).Select(b => b.Name)] : []))];
    }

    /// <summary>The reachable folders that hold <paramref name="kind"/>/<paramref name="name"/> (a name as the server lists it).</summary>
    public IReadOnlyList<ModelFileLocation> Find(string kind, string name)
    {
        if (ModelKinds.Problem(kind) is not null || ModelFileName.ListedProblem(name) is not null)
        {
            return [];
        }
        return [.. installs.Folders()
            .Where(f => f.Root is not null)
            .GroupBy(f => f.Root!, StringComparer.Ordinal)
            .Select(g => new ModelFileLocation(g.Key, [.. g.Select(f => f.Server)], Path.Combine(g.Key, kind, name)))
            .Where(l => File.Exists(l.FullPath))];
    }

    /// <summary>Null when the file can be renamed, moved or deleted from here; otherwise why not, in words.</summary>
    public string? Unavailable(string kind, string name)
    {
        if ((ModelKinds.Problem(kind) ?? ModelFileName.ListedProblem(name)) is { } problem)
        {
            return problem;
        }
        if (Find(kind, name).Count > 0)
        {
            return null; // found in a reachable folder (asked first: each row of the Models page asks)
        }
        return installs.Unavailable() ?? $"No models folder the app can reach holds {name} in {kind}: the file is on a server whose folder is not reachable from here.";
    }

    /// <summary>Gives the file a new name (in the same folder) wherever it is. Returns whether it worked and what to say.</summary>
    public Task<(bool Done, string Message)> RenameAsync(SignedInUser actor, string kind, string name, string newName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        var folder = Path.GetDirectoryName(name.Replace('\\', '/'))?.Replace('\\', '/');
        var target = string.IsNullOrEmpty(folder) ? newName : $"{folder}/{newName}";
        return ModelFileName.Problem(newName) is { } problem
            ? Task.FromResult((false, problem))
            : ChangeAsync(actor, kind, name, kind, target, $"Renamed {name} to {newName}", ct);
    }

    /// <summary>Moves the file to another kind's folder wherever it is.</summary>
    public Task<(bool Done, string Message)> MoveAsync(SignedInUser actor, string kind, string name, string newKind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ModelKinds.Problem(newKind) is { } problem
            ? Task.FromResult((false, problem))
            : ChangeAsync(actor, kind, name, newKind, Path.GetFileName(name.Replace('\\', '/')), $"Moved {name} from {kind} to {newKind}", ct);
    }

    /// <summary>
    /// What deleting a file does: the servers whose reachable folders lose it, and each server that lists it and keeps it
    /// (with why: its folder is not reachable from the app, or the file is not in the folder the app reaches).
    /// </summary>
    public sealed record DeletePlan(string Kind, string Name, IReadOnlyList<string> DeletedFrom, IReadOnlyList<(string Server, string Why)> KeptOn);

    /// <summary>The confirmation's content for <paramref name="kind"/>/<paramref name="name"/>, listed now by <paramref name="listedBy"/>.</summary>
    public DeletePlan PlanDelete(string kind, string name, IReadOnlyList<string> listedBy)
    {
        ArgumentNullException.ThrowIfNull(listedBy);
        var from = Find(kind, name).SelectMany(l => l.Servers).ToList();
        var folders = installs.Folders().ToDictionary(f => f.Server, f => f.WhyNot, StringComparer.Ordinal);
        var kept = listedBy.Where(s => !from.Contains(s, StringComparer.Ordinal))
            .Select(s => (s, folders.GetValueOrDefault(s) is { } whyNot ? $"{whyNot[..1].ToUpperInvariant()}{whyNot[1..]}" : "The file is not in its models folder as the app reaches it"))
            .ToList();
        return new DeletePlan(kind, name, from, kept);
    }

    /// <summary>Deletes the file from every reachable folder that holds it.</summary>
    public async Task<(bool Done, string Message)> DeleteAsync(SignedInUser actor, string kind, string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        Demand(actor);
        var (problem, servers) = DeleteFile(kind, name);
        if (problem is not null)
        {
            return (false, problem);
        }
        return (true, $"Deleted {name} from {kind} on {string.Join(", ", servers)}. {await installs.RefreshAsync(servers, ct)}".Trim());
    }

    /// <summary>
    /// Deletes several files, each as <see cref="DeleteAsync"/> does, then has the servers read their lists once. A file
    /// that cannot be deleted is named with why; the others are deleted all the same.
    /// </summary>
    public async Task<(int Deleted, string Message)> DeleteManyAsync(SignedInUser actor, IReadOnlyList<(string Kind, string Name)> files, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(files);
        Demand(actor);
        var deleted = new List<string>();
        var problems = new List<string>();
        var servers = new List<string>();
        foreach (var (kind, name) in files)
        {
            var (problem, from) = DeleteFile(kind, name);
            if (problem is null)
            {
                deleted.Add(name);
                servers.AddRange(from);
            }
            else
            {
                problems.Add(problem);
            }
        }
        var text = deleted.Count == 0 ? "Nothing was deleted." : $"Deleted {Words.Count(deleted.Count, "file")}: {string.Join(", ", deleted)}.";
        if (problems.Count > 0)
        {
            text += $" Not deleted: {string.Join(" ", problems)}";
        }
        if (servers.Count > 0)
        {
            text += $" {await installs.RefreshAsync(servers, ct, "them")}";
        }
        return (deleted.Count, text.Trim());
    }

    /// <summary>Deletes one file from every reachable folder that holds it: null and the servers it left, or why not.</summary>
    private (string? Problem, IReadOnlyList<string> Servers) DeleteFile(string kind, string name)
    {
        if (Unavailable(kind, name) is { } why)
        {
            return (why, []);
        }
        var locations = Find(kind, name);
        if (locations.Any(l => installs.IsInstalling(l.FullPath)))
        {
            return ($"{name} is being installed; wait for that install to end.", []);
        }
        try
        {
            foreach (var location in locations)
            {
                File.Delete(location.FullPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ($"{name} could not be deleted ({ex.Message}).", []);
        }
        return (null, [.. locations.SelectMany(l => l.Servers)]);
    }

    private async Task<(bool Done, string Message)> ChangeAsync(SignedInUser actor, string kind, string name, string newKind, string newName, string what, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        Demand(actor);
        if (Unavailable(kind, name) is { } why)
        {
            return (false, why);
        }
        var locations = Find(kind, name);
        var moves = locations.Select(l => (From: l.FullPath, To: Path.Combine(l.Root, newKind, newName), l.Servers)).ToList();
        if (moves.FirstOrDefault(m => File.Exists(m.To)) is { To: not null } taken)
        {
            return (false, $"{string.Join(", ", taken.Servers)} already {(taken.Servers.Count == 1 ? "has" : "have")} {newName} in {newKind}; pick another name or delete that one first.");
        }
        if (moves.Any(m => installs.IsInstalling(m.From) || installs.IsInstalling(m.To)))
        {
            return (false, $"{name} or {newName} is being installed; wait for that install to end.");
        }
        var done = new List<(string From, string To)>();
        try
        {
            foreach (var move in moves)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(move.To)!);
                File.Move(move.From, move.To, overwrite: false);
                done.Add((move.From, move.To));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (var (from, to) in done)
            {
                File.Move(to, from, overwrite: false); // put back what moved, so every server still has the same name
            }
            return (false, $"{name} could not be changed ({ex.Message}); nothing was changed.");
        }
        var servers = moves.SelectMany(m => m.Servers).ToList();
        return (true, $"{what} on {string.Join(", ", servers)}. {await installs.RefreshAsync(servers, ct)}".Trim());
    }

    private static void Demand(SignedInUser actor)
    {
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins change model files.");
        }
    }
}
