using DreamLayer.Domain.Jobs;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Data;

/// <summary>What a finished job records: its outcome and its metrics.</summary>
public sealed record JobResult(
    Guid JobId,
    JobStatus Status,
    string? Message,
    DateTime? StartedAt,
    DateTime FinishedAt,
    double? QueueWaitMs,
    double? ExecutionMs,
    double? StepsPerSecond,
    string NodeTimingsJson,
    double? SubmitOverheadMs,
    CloudCharge? Cloud = null);

/// <summary>What a cloud provider said of a finished request: its id for it and what it charged, in its unit.</summary>
public sealed record CloudCharge(string? RequestId, decimal? Cost, string? CostUnit);

/// <summary>
/// Every write to a job row, each one short statement (or one transaction) on a fresh context. Kept in
/// one place so that start-up can warm each statement once: the first job after start is as fast as the rest.
/// Every change of a job's state is guarded in the statement itself (<c>WHERE Status IN (…)</c>, the states the domain's
/// state machine allows that move from), so a late event can never bring back a job that was cancelled or has ended;
/// each returns whether the move was made.
/// </summary>
public sealed class JobStore(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>A requeue keeps a waiting job waiting (with a new reason) or brings a sent one back.</summary>
    private static readonly JobStatus[] BeforeRequeue = [JobStatus.Queued, .. JobStatus.Queued.StatesBefore()];

    private static readonly JobStatus[] Unfinished = [JobStatus.Queued, JobStatus.Submitted, JobStatus.Running];

    /// <summary>Owners' display names, copied onto their images. A name is set when the account is made and never changes.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> _displayNames = new(StringComparer.Ordinal);

    public async Task InsertAsync(IReadOnlyCollection<JobEntity> jobs, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.Jobs.AddRange(jobs);
        await db.SaveChangesAsync(ct);
    }

    public async Task<ulong?> LastSucceededSeedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var last = await db.Jobs.Where(j => j.Status == JobStatus.Succeeded).OrderByDescending(j => j.FinishedAt)
            .Select(j => new { j.Seed }).FirstOrDefaultAsync(ct);
        return last?.Seed;
    }

    public async Task<List<JobEntity>> LoadUnfinishedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.Status == JobStatus.Queued || j.Status == JobStatus.Submitted || j.Status == JobStatus.Running)
            .OrderBy(j => j.CreatedAt).ToListAsync(ct);
    }

    /// <summary>The job goes to a server; false when it is no longer waiting (it was cancelled meanwhile).</summary>
    public async Task<bool> MarkSubmittedAsync(JobEntity job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var before = JobStatus.Submitted.StatesBefore();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return 1 == await db.Jobs.Where(j => j.Id == job.Id && before.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Submitted)
            .SetProperty(j => j.Backend, job.Backend)
            .SetProperty(j => j.PromptId, job.PromptId)
            .SetProperty(j => j.GraphJson, job.GraphJson)
            .SetProperty(j => j.SentAt, job.SentAt)
            .SetProperty(j => j.Attempts, job.Attempts), ct);
    }

    /// <summary>
    /// A cloud job the provider is working on: from when, and for an accepted asynchronous task everything needed to follow
    /// it again after a restart (<paramref name="taskJson"/>) with its id and cost. False when it has ended meanwhile.
    /// </summary>
    public async Task<bool> MarkCloudRunningAsync(Guid jobId, DateTime startedAt, string? taskJson, CloudCharge? charge, CancellationToken ct)
    {
        var before = JobStatus.Running.StatesBefore();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return 1 == await db.Jobs.Where(j => j.Id == jobId && before.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Running)
            .SetProperty(j => j.StartedAt, startedAt)
            .SetProperty(j => j.CloudTaskJson, taskJson)
            .SetProperty(j => j.CloudRequestId, charge == null ? null : charge.RequestId)
            .SetProperty(j => j.CloudCost, charge == null ? null : charge.Cost)
            .SetProperty(j => j.CloudCostUnit, charge == null ? null : charge.CostUnit), ct);
    }

    /// <summary>After <c>POST /prompt</c>: the id the server really used, and any warning it gave.</summary>
    public async Task SetPromptAsync(Guid jobId, string promptId, string? message, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Jobs.Where(j => j.Id == jobId && Unfinished.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.PromptId, promptId)
            .SetProperty(j => j.StatusMessage, message), ct);
    }

    /// <summary>Puts the job back in line; false when it has ended meanwhile (it stays as it ended).</summary>
    public async Task<bool> RequeueAsync(Guid jobId, string reason, bool lostRun, CancellationToken ct)
    {
        var lost = lostRun ? 1 : 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return 1 == await db.Jobs.Where(j => j.Id == jobId && BeforeRequeue.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, JobStatus.Queued)
            .SetProperty(j => j.LostRuns, j => j.LostRuns + lost)
            .SetProperty(j => j.StatusMessage, reason)
            .SetProperty(j => j.PromptId, (string?)null)
            .SetProperty(j => j.Backend, (string?)null), ct);
    }

    /// <summary>Ends a job that produced nothing (failed before or on the server, or cancelled); false when it had already ended.</summary>
    /// <param name="nothingBilled">
    /// True when the provider cannot have billed this cloud job (it refused the request before accepting it): its
    /// recorded cost becomes zero. A job never sent (no <c>SentAt</c>) costs nothing whatever this says.
    /// </param>
    public async Task<bool> EndAsync(Guid jobId, JobStatus status, string message, DateTime finishedAt, CancellationToken ct, bool nothingBilled = false)
    {
        var before = status.StatesBefore();
        // The budget counted the estimate from the submit on; a cloud job that ends unsent or refused gives it back.
        var refund = status != JobStatus.Succeeded;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return 1 == await db.Jobs.Where(j => j.Id == jobId && before.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, status)
            .SetProperty(j => j.StatusMessage, message)
            .SetProperty(j => j.FinishedAt, finishedAt)
            .SetProperty(j => j.CostUsd, j => refund && j.CostUsd != null && (nothingBilled || j.SentAt == null) ? 0m : j.CostUsd), ct);
    }

    /// <summary>
    /// The outcome, the metrics and the images, in one transaction. False, with nothing written, when the job may not
    /// move to that outcome (it was cancelled or had already ended): the caller drops the images.
    /// </summary>
    public async Task<bool> FinishAsync(JobResult result, IReadOnlyCollection<ImageEntity> images, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        var before = result.Status.StatesBefore();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var moved = await db.Jobs.Where(j => j.Id == result.JobId && before.Contains(j.Status)).ExecuteUpdateAsync(s => s
            .SetProperty(j => j.Status, result.Status)
            .SetProperty(j => j.StatusMessage, result.Message)
            .SetProperty(j => j.StartedAt, result.StartedAt)
            .SetProperty(j => j.FinishedAt, result.FinishedAt)
            .SetProperty(j => j.QueueWaitMs, result.QueueWaitMs)
            .SetProperty(j => j.ExecutionMs, result.ExecutionMs)
            .SetProperty(j => j.StepsPerSecond, result.StepsPerSecond)
            .SetProperty(j => j.NodeTimingsJson, result.NodeTimingsJson)
            .SetProperty(j => j.SubmitOverheadMs, result.SubmitOverheadMs), ct);
        if (moved == 1 && result.Cloud is { } charge)
        {
            await db.Jobs.Where(j => j.Id == result.JobId).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.CloudRequestId, charge.RequestId)
                .SetProperty(j => j.CloudCost, charge.Cost)
                .SetProperty(j => j.CloudCostUnit, charge.CostUnit), ct);
        }
        if (moved != 1)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }
        if (images.Count > 0)
        {
            // The gallery shows and sorts by the owner's name; it is copied onto the images when they are saved.
            var owner = images.First().OwnerId;
            if (!_displayNames.TryGetValue(owner, out var ownerName))
            {
                ownerName = _displayNames[owner] = await DisplayNameAsync(db, owner, ct);
            }
            foreach (var image in images)
            {
                image.OwnerName = ownerName ?? image.OwnerId;
            }
            db.Images.AddRange(images);
            await db.SaveChangesAsync(ct);
            await ReadSeqAsync(db, images, ct);
        }
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// Reads back the <see cref="ImageEntity.Seq"/> the database's trigger gave each inserted image (EF Core does not see a
    /// trigger's writes): the pages place a new image by it without reading the database themselves.
    /// </summary>
    private static async Task ReadSeqAsync(DreamLayerDbContext db, IReadOnlyCollection<ImageEntity> images, CancellationToken ct)
    {
        var ids = images.Select(i => i.Id).ToList();
        var seqs = await db.Images.AsNoTracking().Where(i => ids.Contains(i.Id)).Select(i => new { i.Id, i.Seq }).ToDictionaryAsync(i => i.Id, i => i.Seq, ct);
        foreach (var image in images)
        {
            image.Seq = seqs.GetValueOrDefault(image.Id);
        }
    }

    private static Task<string?> DisplayNameAsync(DreamLayerDbContext db, string userId, CancellationToken ct) =>
        db.Users.Where(u => u.Id == userId).Select(u => u.DisplayName).FirstOrDefaultAsync(ct);

    public async Task SetCompletionOverheadAsync(Guid jobId, double milliseconds, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Jobs.Where(j => j.Id == jobId).ExecuteUpdateAsync(s => s.SetProperty(j => j.CompletionOverheadMs, milliseconds), ct);
    }

    /// <summary>
    /// Runs every statement once against an id that matches nothing (and an insert that is rolled back), so
    /// that EF Core's query compilation happens at start-up instead of in the first person's job.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        var none = Guid.Empty;
        var now = TimeProvider.System.GetUtcNow().UtcDateTime; // a stand-in value: every write matches no row or is rolled back
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Two rows, as a batch is inserted: the second finds EF Core's value generators cached.
            var job = new JobEntity { Id = Guid.NewGuid(), CreatedAt = now };
            List<JobEntity> batch = [job, new JobEntity { Id = Guid.NewGuid(), CreatedAt = now }];
            db.Jobs.AddRange(batch);
            await db.SaveChangesAsync(ct);
            ImageEntity[] image = [new ImageEntity { Id = Guid.NewGuid(), JobId = job.Id, CreatedAt = now }];
            db.Images.AddRange(image);
            await db.SaveChangesAsync(ct);
            await ReadSeqAsync(db, image, ct);
            await DisplayNameAsync(db, string.Empty, ct);
            await transaction.RollbackAsync(ct);
        }
        await LastSucceededSeedAsync(ct);
        // EF Core gives equal values in one update a single parameter, so it compiles an update again for each pattern
        // of equal values (nulls above all). These are shaped as a real job's: every value distinct, as when it is sent
        // to a server and when it ends with an image (with and without a step rate).
        // Twice: from its second call on, reflection reads the job's properties through generated code.
        for (var i = 0; i < 2; i++)
        {
            await MarkSubmittedAsync(new JobEntity { Id = none, Backend = "backend", PromptId = "prompt", GraphJson = "{}", SentAt = now, Attempts = 1 }, ct);
        }
        await SetPromptAsync(none, string.Empty, null, ct);
        await RequeueAsync(none, string.Empty, lostRun: false, ct);
        await EndAsync(none, JobStatus.Failed, string.Empty, now, ct);
        await FinishAsync(new JobResult(none, JobStatus.Succeeded, null, now, now.AddSeconds(1), 1, 2, 3, "{}", 4), [], ct);
        await FinishAsync(new JobResult(none, JobStatus.Succeeded, null, now, now.AddSeconds(1), 1, 2, null, "{}", 4), [], ct);
        await SetCompletionOverheadAsync(none, 0, ct);
    }
}
