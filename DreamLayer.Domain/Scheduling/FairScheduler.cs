using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Scheduling;

/// <summary>A job waiting for a server, as the scheduler sees it.</summary>
public sealed record WaitingJob(Guid Id, string Owner, DateTime CreatedAt, string Checkpoint, JobRequirements Requirements);

/// <summary>
/// One server as the scheduler sees it. <paramref name="InFlight"/> counts the jobs handed to it and not finished
/// (running plus waiting inside ComfyUI); <paramref name="LastCheckpoint"/> is the checkpoint of the last job sent.
/// <paramref name="Cloud"/> names a cloud backend (a provider): it takes only the jobs that ask for it by that name,
/// and no ComfyUI job.
/// </summary>
public sealed record ServerSlot(string Name, bool Online, int InFlight, int MaxInFlight, string? LastCheckpoint, ObjectInfo Catalogue, string? Cloud = null);

public sealed record Assignment(Guid JobId, string Owner, string Server);

/// <summary>A waiting job that no online server can run, and why.</summary>
public sealed record Unrunnable(Guid JobId, string Reason);

public sealed record SchedulePlan(IReadOnlyList<Assignment> Assignments, IReadOnlyList<Unrunnable> Unrunnable);

/// <summary>
/// The scheduling decision, pure. Fair between people: the person served longest ago goes first (round-robin
/// across everyone with waiting jobs, not first-come-first-served over everybody), each within a cap of jobs in
/// flight. Model-aware: a job goes only to an online server with every node and model it needs; among those, an
/// idle one before one where it would queue, then one whose last job used the same checkpoint (it is still loaded),
/// then the least busy.
/// </summary>
public static class FairScheduler
{
    /// <param name="waiting">Jobs waiting for a server, any order.</param>
    /// <param name="servers">Every known server.</param>
    /// <param name="inFlightByOwner">Jobs each person has on servers now.</param>
    /// <param name="lastServed">When each person last had a job sent (any increasing number); unknown people count as never.</param>
    /// <param name="capOf">Most jobs a person may have on servers at once.</param>
    public static SchedulePlan Plan(
        IReadOnlyCollection<WaitingJob> waiting,
        IReadOnlyList<ServerSlot> servers,
        IReadOnlyDictionary<string, int> inFlightByOwner,
        IReadOnlyDictionary<string, long> lastServed,
        Func<string, int> capOf)
    {
        ArgumentNullException.ThrowIfNull(capOf);
        ArgumentNullException.ThrowIfNull(waiting);
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(inFlightByOwner);
        ArgumentNullException.ThrowIfNull(lastServed);

        var online = servers.Where(s => s.Online).ToList();
        var unrunnable = new List<Unrunnable>();
        // Per job, the servers that could ever run it; jobs without one are reported, not scheduled.
        var eligible = new Dictionary<Guid, List<int>>();
        foreach (var job in waiting)
        {
            var fits = new List<int>();
            string? firstMissing = null;
            for (var i = 0; i < servers.Count; i++)
            {
                if (!servers[i].Online || servers[i].Cloud != job.Requirements.Cloud)
                {
                    continue;
                }
                if (job.Requirements.Cloud is not null)
                {
                    fits.Add(i);
                }
                else if (job.Requirements.MissingOn(servers[i].Catalogue) is { } missing)
                {
                    firstMissing ??= missing;
                }
                else
                {
                    fits.Add(i);
                }
            }
            if (fits.Count > 0)
            {
                eligible[job.Id] = fits;
            }
            else
            {
                unrunnable.Add(new Unrunnable(job.Id, job.Requirements.Cloud is { } cloud ? $"{cloud} is not available (no key is set for it)"
                    : !online.Any(s => s.Cloud is null) ? "no server is online" : $"no online server has {firstMissing}"));
            }
        }

        var load = servers.Select(s => s.InFlight).ToArray();
        var loaded = servers.Select(s => s.LastCheckpoint).ToArray();
        var queues = waiting.Where(j => eligible.ContainsKey(j.Id))
            .GroupBy(j => j.Owner, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).ToList(), StringComparer.Ordinal);
        var inFlight = queues.Keys.ToDictionary(o => o, o => inFlightByOwner.GetValueOrDefault(o), StringComparer.Ordinal);
        var served = queues.Keys.ToDictionary(o => o, o => lastServed.TryGetValue(o, out var t) ? t : long.MinValue, StringComparer.Ordinal);
        var tick = lastServed.Count == 0 ? 0 : lastServed.Values.Max();
        var assignments = new List<Assignment>();

        while (true)
        {
            // The person served longest ago whose turn can be used; ties go to whoever has waited longest.
            var turn = queues
                .Where(q => q.Value.Count > 0 && inFlight[q.Key] < capOf(q.Key))
                .OrderBy(q => served[q.Key]).ThenBy(q => q.Value[0].CreatedAt).ThenBy(q => q.Key, StringComparer.Ordinal)
                .Select(q => (Owner: q.Key, Placed: Place(q.Value, servers, eligible, load, loaded)))
                .FirstOrDefault(t => t.Placed is not null);
            if (turn.Placed is not { } placed)
            {
                break;
            }
            var (job, server) = placed;
            queues[turn.Owner].Remove(job);
            load[server]++;
            loaded[server] = job.Checkpoint;
            inFlight[turn.Owner]++;
            served[turn.Owner] = ++tick;
            assignments.Add(new Assignment(job.Id, job.Owner, servers[server].Name));
        }
        return new SchedulePlan(assignments, unrunnable);
    }

    /// <summary>
    /// The order in which waiting jobs would be served if servers were free: round-robin across people,
    /// each person's jobs oldest first. This is the position the queue page shows.
    /// </summary>
    public static IReadOnlyList<WaitingJob> Order(IReadOnlyCollection<WaitingJob> waiting, IReadOnlyDictionary<string, long> lastServed)
    {
        ArgumentNullException.ThrowIfNull(waiting);
        ArgumentNullException.ThrowIfNull(lastServed);
        var oldest = waiting.GroupBy(j => j.Owner, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(j => j.CreatedAt), StringComparer.Ordinal);
        var rounds = waiting.GroupBy(j => j.Owner, StringComparer.Ordinal)
            .SelectMany(g => g.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id).Select((job, round) => (job, round)));
        return rounds
            .OrderBy(x => x.round)
            .ThenBy(x => lastServed.TryGetValue(x.job.Owner, out var t) ? t : long.MinValue)
            .ThenBy(x => oldest[x.job.Owner])
            .ThenBy(x => x.job.Owner, StringComparer.Ordinal)
            .Select(x => x.job)
            .ToList();
    }

    /// <summary>This person's first job that a server can take now, and the best server for it.</summary>
    private static (WaitingJob Job, int Server)? Place(List<WaitingJob> jobs, IReadOnlyList<ServerSlot> servers, Dictionary<Guid, List<int>> eligible, int[] load, string?[] loaded)
    {
        foreach (var job in jobs)
        {
            var best = -1;
            foreach (var i in eligible[job.Id])
            {
                if (load[i] >= servers[i].MaxInFlight)
                {
                    continue;
                }
                if (best < 0 || Better(i, best))
                {
                    best = i;
                }
            }
            if (best >= 0)
            {
                return (job, best);
            }

            bool Better(int a, int b)
            {
                // A server that can start the job now beats one where it would wait behind another job;
                // then one whose last job used the same checkpoint (no model load); then the least busy.
                if ((load[a] == 0) != (load[b] == 0))
                {
                    return load[a] == 0;
                }
                var warmA = loaded[a] == job.Checkpoint && job.Checkpoint.Length > 0;
                var warmB = loaded[b] == job.Checkpoint && job.Checkpoint.Length > 0;
                if (warmA != warmB)
                {
                    return warmA;
                }
                var ratio = ((double)load[a] / servers[a].MaxInFlight).CompareTo((double)load[b] / servers[b].MaxInFlight);
                return ratio != 0 ? ratio < 0 : load[a] < load[b];
            }
        }
        return null;
    }
}
