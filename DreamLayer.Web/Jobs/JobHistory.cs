using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// What pages read of a person's past jobs: the recent jobs of a mode (as they are now: a job the pipeline still follows
/// shows its live state), the request to retry one of their jobs, and the request of their last job of a mode. Each
/// read is the person's own: another person's job is never found.
/// </summary>
public sealed class JobHistory(IDbContextFactory<DreamLayerDbContext> dbFactory, JobEvents events)
{
    /// <summary>The <paramref name="count"/> newest jobs of <paramref name="owner"/> in <paramref name="mode"/>, newest first, with their images.</summary>
    public async Task<List<JobProgress>> RecentAsync(string owner, GenerationMode mode, int count, CancellationToken ct)
    {
        var name = mode.ToString();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var recent = await db.Jobs.AsNoTracking().Include(j => j.Images).Where(j => j.Mode == name && j.Owner == owner)
            .OrderByDescending(j => j.CreatedAt).Take(count).ToListAsync(ct);
        return [.. recent.Select(j => events.TryGet(j.Id, out var live) ? live : j.ToProgress())];
    }

    /// <summary>
    /// One page of <paramref name="owner"/>'s jobs of every mode, newest first, as they are now (a job the pipeline still
    /// follows shows its live state), and how many they have in all. <paramref name="page"/> counts from 1.
    /// </summary>
    public async Task<(List<JobProgress> Jobs, int Total)> PageAsync(string owner, int page, int pageSize, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(page, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mine = db.Jobs.AsNoTracking().Where(j => j.Owner == owner);
        var total = await mine.CountAsync(ct);
        var jobs = await mine.Include(j => j.Images).OrderByDescending(j => j.CreatedAt).ThenBy(j => j.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        return ([.. jobs.Select(j => events.TryGet(j.Id, out var live) ? live : j.ToProgress())], total);
    }

    /// <summary>
    /// The job <paramref name="jobId"/> as it is now, when <paramref name="viewer"/> may see it (their own, or any for
    /// an admin); null otherwise, so another person's job cannot be told apart from one that does not exist.
    /// </summary>
    public async Task<JobProgress?> FindAsync(Guid jobId, string viewer, bool isAdmin, CancellationToken ct)
    {
        if (events.TryGet(jobId, out var live))
        {
            return isAdmin || string.Equals(live.Owner, viewer, StringComparison.Ordinal) ? live : null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().Include(j => j.Images).SingleOrDefaultAsync(j => j.Id == jobId && (isAdmin || j.Owner == viewer), ct);
        return job?.ToProgress();
    }

    /// <summary>
    /// The request of <paramref name="owner"/>'s job <paramref name="jobId"/> made again: its seed fixed to the one it
    /// used, one run. Null when no such job of theirs is stored; <see cref="StoredRequestUnreadable"/> with the reason
    /// when its stored request no longer reads (damaged, or written by a newer version).
    /// </summary>
    public async Task<StoredRequestResult?> RetryRequestAsync(Guid jobId, string owner, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.Owner == owner, ct);
        return job is null
            ? null
            : StoredRequest.Read(job.RequestJson) switch
            {
                StoredRequestRead read => new StoredRequestRead(read.Request with { SeedMode = SeedMode.Fixed, Seed = job.Seed, BatchCount = 1 }),
                var unreadable => unreadable,
            };
    }

    /// <summary>The request of <paramref name="owner"/>'s newest job of <paramref name="mode"/> as read from its row; null before their first.</summary>
    public async Task<StoredRequestResult?> LastRequestAsync(string owner, GenerationMode mode, CancellationToken ct)
    {
        var name = mode.ToString();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = await db.Jobs.AsNoTracking().Where(j => j.Mode == name && j.Owner == owner)
            .OrderByDescending(j => j.CreatedAt).Select(j => j.RequestJson).FirstOrDefaultAsync(ct);
        return json is null ? null : StoredRequest.Read(json);
    }
}
