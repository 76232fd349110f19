using System.Diagnostics;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Models;

namespace DreamLayer.Web.Jobs;

public abstract record SubmitResult;

public sealed record SubmitAccepted(Guid BatchId, IReadOnlyList<Guid> JobIds, IReadOnlyList<ulong> Seeds) : SubmitResult
{
    /// <summary>What the page tells the person: "Queued (seed 42)." or "Queued 4 jobs.".</summary>
    public string Confirmation => JobIds.Count == 1 ? $"Queued (seed {Seeds[0]})." : $"Queued {JobIds.Count} jobs.";
}

public sealed record SubmitInvalid(IReadOnlyList<FieldError> Errors) : SubmitResult;

/// <summary>
/// A job waiting for a server, with the moment it was submitted (for the overhead figure) and what it needs from a
/// server (nodes and models, read from its graph).
/// </summary>
public sealed record QueuedJob(JobEntity Job, GenerationRequest Request, long SubmittedTimestamp, JobRequirements Requirements)
{
    public WaitingJob ToWaiting() => new(Job.Id, Job.Owner, Job.CreatedAt, Job.Checkpoint, Requirements);
}

public enum CancelOutcome
{
    /// <summary>Stopped, or being stopped (the server confirms).</summary>
    Cancelled,
    /// <summary>Not waiting or running (already finished, or unknown).</summary>
    NotFound,
    /// <summary>Someone else's job, and the person asking is not an admin.</summary>
    Forbidden,
    /// <summary>The server could not be reached to stop it.</summary>
    Failed,
}

/// <summary>
/// The entry point for pages: validates a request, writes one row per run (before anything is sent) and
/// wakes the dispatcher. Holds the waiting jobs (the scheduler decides their order); cancels jobs wherever they are,
/// for their owner or an admin only.
/// </summary>
public sealed partial class JobQueue(
    JobStore store,
    BackendPool pool,
    WorkflowLibrary workflows,
    JobTracker tracker,
    JobEvents events,
    JobSignal signal,
    JobMetrics metrics,
    JobModelHashes hashes,
    ModelAccess modelAccess,
    CloudBackends cloudBackends,
    CloudRunner cloud,
    CloudPrices cloudPrices,
    CloudBudgets cloudBudgets,
    TimeProvider time,
    ILogger<JobQueue> logger)
{
    private readonly LinkedList<QueuedJob> _waiting = new();

    /// <summary>
    /// Jobs taken out of line that are not on a server yet (images uploading, graph being built): the value is whether
    /// Cancel was pressed meanwhile. Guarded by <see cref="_lock"/> with <see cref="_waiting"/>, and a job leaves it only
    /// under that lock (to the tracker, back in line, or ended), so a cancel always finds the job in one of those places.
    /// </summary>
    private readonly Dictionary<Guid, (QueuedJob Job, bool CancelRequested)> _sending = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _lastServed = new(StringComparer.Ordinal);
    private long _serveTick;
    private readonly Lock _lock = new();
    private readonly QueueChanges _changes = new(events);
    private PlacesSnapshot? _places;

    public async Task<SubmitResult> SubmitAsync(GenerationRequest request, string owner, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var submitted = Stopwatch.GetTimestamp();
        // A cloud model is checked against what it takes, not against the servers' limits; it needs no server's files.
        var errors = request.Cloud is null ? GenerationRequestValidator.Validate(request, pool.Limits) : await cloudBackends.ValidateAsync(request, ct);
        if (errors.Count > 0)
        {
            return new SubmitInvalid(errors);
        }
        var requirements = Requirements(request);
        if (request.Cloud is null)
        {
            var refused = await modelAccess.RefusalsAsync(request, requirements.Models, owner, ct);
            if (refused.Count > 0)
            {
                return new SubmitInvalid(refused); // a hidden model, whichever page or reused request named it
            }
            hashes.Prepare(request); // hashed in the background, ready for the images' infotext
        }
        var lastSeed = request.SeedMode == SeedMode.ReuseLast ? await store.LastSucceededSeedAsync(ct) : null;
        var seedMax = request.Cloud is { } cloudSetting ? CloudBackends.SeedMax(cloudSetting) : request.Workflow?.SeedMax;
        var seeds = SeedPolicy.Resolve(request.SeedMode, request.Seed, lastSeed, request.BatchCount, Random.Shared, seedMax);
        var now = time.GetUtcNow();
        var batchId = Guid.CreateVersion7(now);
        var requestJson = StoredRequest.Write(request);
        var (jobs, ids) = NewBatch(request, requestJson, owner, seeds, batchId, now);
        if (request.Cloud is { } paid)
        {
            // Each run is priced now and its cost recorded with its row, checked against this month's budgets in the same step.
            if (await cloudPrices.EstimateAsync(CloudBackends.ToCloudRequest(request, paid, null), ct) is not { } estimate)
            {
                return new SubmitInvalid([new FieldError(CloudRequestValidator.ModelField, $"No price is known for {paid.Model}, so it cannot be counted against the budget; an admin sets one under Cloud prices.")]);
            }
            foreach (var job in jobs)
            {
                job.CostUsd = estimate.Usd;
            }
            if (await cloudBudgets.ReserveAsync(owner, estimate.Usd * jobs.Count, () => store.InsertAsync(jobs, ct), ct) is { } overBudget)
            {
                return new SubmitInvalid([new FieldError(CloudRequestValidator.ModelField, overBudget)]);
            }
        }
        else
        {
            await store.InsertAsync(jobs, ct);
        }

        lock (_lock)
        {
            foreach (var job in jobs)
            {
                _waiting.AddLast(new QueuedJob(job, request, submitted, requirements));
            }
            _changes.Bump();
        }
        foreach (var job in jobs)
        {
            events.Publish(job.ToProgress([]));
        }
        signal.Notify();
        return new SubmitAccepted(batchId, ids, seeds);
    }

    /// <summary>What a job needs of a backend: a cloud job its provider; a ComfyUI job the nodes and models of its graph.</summary>
    private JobRequirements Requirements(GenerationRequest request) =>
        request.Cloud is { } cloudSetting && CloudCatalog.TryParse(cloudSetting.Provider, out var provider)
            ? JobRequirements.ForCloud(CloudCatalog.NameOf(provider))
            : workflows.Requirements(request, pool.KnownLoras());

    /// <summary>The rows of a batch, one per seed, queued, with their ids in the same order.</summary>
    internal static (List<JobEntity> Jobs, Guid[] Ids) NewBatch(GenerationRequest request, string requestJson, string owner, IReadOnlyList<ulong> seeds, Guid batchId, DateTimeOffset now)
    {
        var jobs = new List<JobEntity>(seeds.Count);
        var ids = new Guid[seeds.Count];
        for (var i = 0; i < seeds.Count; i++)
        {
            jobs.Add(NewJob(request, requestJson, owner, seeds[i], batchId, i, now));
            ids[i] = jobs[i].Id;
        }
        return (jobs, ids);
    }

    /// <summary>The row of one run of a batch, queued.</summary>
    private static JobEntity NewJob(GenerationRequest request, string requestJson, string owner, ulong seed, Guid batchId, int batchIndex, DateTimeOffset now)
    {
        var job = new JobEntity
        {
            Id = Guid.CreateVersion7(now),
            BatchId = batchId,
            BatchIndex = batchIndex,
            Owner = owner,
            Mode = request.Mode.ToString(),
            Status = JobStatus.Queued,
            RequestJson = requestJson,
            Prompt = request.Prompt,
            NegativePrompt = request.NegativePrompt,
            Checkpoint = request.Checkpoint,
            Sampler = request.Sampler,
            Scheduler = request.Scheduler,
            Steps = request.Steps,
            Cfg = request.Cfg,
            Width = request.Width,
            Height = request.Height,
            BatchSize = request.BatchSize,
            Seed = seed,
            SourceImage = request.SourceImage,
            CreatedAt = now.UtcDateTime.AddTicks(batchIndex),
        };
        if (request.Cloud is { } cloudSetting)
        {
            // A cloud run: its model in the model column, its size where it has one, no sampler or steps.
            var size = cloudSetting.Size is { } text ? CloudRequestValidator.ParseSize(text) : null;
            job.CloudProvider = cloudSetting.Provider;
            job.Checkpoint = cloudSetting.Model;
            job.Sampler = job.Scheduler = string.Empty;
            job.Steps = 0;
            job.Cfg = 0;
            job.Width = size?.Width ?? 0;
            job.Height = size?.Height ?? 0;
            job.BatchSize = cloudSetting.Count;
        }
        return job;
    }

    /// <summary>Every waiting job, oldest first.</summary>
    public IReadOnlyList<QueuedJob> Waiting()
    {
        lock (_lock)
        {
            return [.. _waiting];
        }
    }

    public int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>
    /// Takes a waiting job out of the line to send it; false when it is gone (cancelled meanwhile). The job then counts
    /// as being sent until <see cref="HandOver"/>, <see cref="RequeueAsync(JobEntity, string, bool, CancellationToken)"/>
    /// or <see cref="EndSending"/>: a cancel meanwhile is kept for the sender.
    /// </summary>
    public bool TryTake(Guid jobId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out QueuedJob? job)
    {
        lock (_lock)
        {
            if (TakeWaiting(jobId) is { } taken)
            {
                _sending[jobId] = (taken, false);
                job = taken;
                return true;
            }
        }
        job = null;
        return false;
    }

    /// <summary>Removes a waiting job from the line (call under <see cref="_lock"/>).</summary>
    private QueuedJob? TakeWaiting(Guid jobId)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value.Job.Id == jobId)
            {
                _waiting.Remove(node);
                _changes.Bump();
                return node.Value;
            }
        }
        return null;
    }

    /// <summary>
    /// The sender hands a job to the tracker just before it is stored as sent: false (and not tracked) when Cancel was
    /// pressed while it was being prepared; the caller then ends it with <see cref="EndCancelledAsync"/>.
    /// </summary>
    internal bool HandOver(TrackedJob tracked)
    {
        ArgumentNullException.ThrowIfNull(tracked);
        return HandOver(tracked.JobId, () => tracker.Track(tracked));
    }

    /// <summary>
    /// Hands a job being sent to whatever follows it from now on (<paramref name="follow"/>, run under the lock so that a
    /// cancel finds the job in one place or the other): false, and not handed over, when Cancel was pressed meanwhile.
    /// </summary>
    internal bool HandOver(Guid jobId, Action follow)
    {
        ArgumentNullException.ThrowIfNull(follow);
        lock (_lock)
        {
            var cancelled = _sending.Remove(jobId, out var sending) && sending.CancelRequested;
            if (!cancelled)
            {
                follow();
            }
            return !cancelled;
        }
    }

    /// <summary>The sender gives up on a job it took (it is about to fail it); true when Cancel was pressed meanwhile.</summary>
    internal bool EndSending(Guid jobId)
    {
        lock (_lock)
        {
            return _sending.Remove(jobId, out var sending) && sending.CancelRequested;
        }
    }

    /// <summary>Ends a job as cancelled (Cancel was pressed while it was being sent, or while its server was away).</summary>
    internal Task<bool> EndCancelledAsync(Guid jobId, CancellationToken ct) => MarkCancelledAsync(jobId, ct);

    /// <summary>When each person last had a job sent (an increasing counter): the scheduler serves whoever waited longest.</summary>
    public IReadOnlyDictionary<string, long> LastServed => _lastServed;

    public void MarkServed(string owner)
    {
        _lastServed[owner] = Interlocked.Increment(ref _serveTick);
        _changes.Bump();
    }

    /// <summary>Each waiting job's place among the waiting ones (0 = next), in the order the fair scheduler serves them.</summary>
    public IReadOnlyDictionary<Guid, int> WaitingOrder() => Places().Waiting;

    /// <summary>
    /// How many jobs go before each job that has not started: for one waiting inside a server, the jobs ahead of it
    /// there; for one waiting for a server, every job on a server plus the waiting ones the scheduler serves first.
    /// </summary>
    public IReadOnlyDictionary<Guid, int> Positions() => Places().Positions;

    /// <summary>
    /// The places, computed once per change of the line or of the jobs on servers (not once per page that asks): kept
    /// with the versions they were computed from, recomputed when either moved on.
    /// </summary>
    private PlacesSnapshot Places()
    {
        var (queueVersion, trackerVersion) = (_changes.Version, tracker.Version);
        if (Volatile.Read(ref _places) is { } places && places.QueueVersion == queueVersion && places.TrackerVersion == trackerVersion)
        {
            return places;
        }
        var order = FairScheduler.Order(Waiting().Select(w => w.ToWaiting()).ToList(), _lastServed);
        var waiting = order.Select((job, index) => (job.Id, index)).ToDictionary(x => x.Id, x => x.index);
        var inFlight = tracker.InFlight();
        var positions = new Dictionary<Guid, int>();
        foreach (var onServer in inFlight.GroupBy(t => t.Backend))
        {
            var ordered = onServer.OrderBy(t => t.Status == JobStatus.Running ? 0 : 1).ThenBy(t => t.Job.SentAt).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                if (ordered[i].Status != JobStatus.Running)
                {
                    positions[ordered[i].JobId] = i;
                }
            }
        }
        foreach (var (jobId, index) in waiting)
        {
            positions[jobId] = inFlight.Count + index;
        }
        places = new PlacesSnapshot(queueVersion, trackerVersion, waiting, positions);
        Volatile.Write(ref _places, places);
        return places;
    }

    private sealed record PlacesSnapshot(long QueueVersion, long TrackerVersion, IReadOnlyDictionary<Guid, int> Waiting, IReadOnlyDictionary<Guid, int> Positions);

    /// <summary>
    /// Counts what moves places in the line: a job added to or taken from it, a person served, and any job's change of
    /// status (published through <see cref="JobEvents.SubscribeQueue"/>, which also follows a job's send time).
    /// </summary>
    private sealed class QueueChanges
    {
        private long _version;

        public QueueChanges(JobEvents events) => Subscription = events.SubscribeQueue(_ => Bump());

        /// <summary>Lives as long as the queue (a singleton, like the events).</summary>
        public IDisposable Subscription { get; }

        public long Version => Interlocked.Read(ref _version);

        public void Bump() => Interlocked.Increment(ref _version);
    }

    /// <summary>When false, nothing new is sent to any server (admins pause dispatch); jobs keep waiting.</summary>
    public bool DispatchPaused { get; private set; }

    public void SetDispatchPaused(bool paused)
    {
        DispatchPaused = paused;
        events.Refresh();
        signal.Notify();
    }

    /// <summary>
    /// Puts jobs their server lost back in line, unless Cancel was pressed for one meanwhile: that one ends cancelled.
    /// One that cannot be put back (a locked database, a bug) is logged, and the others still are.
    /// </summary>
    public async Task ReturnLostAsync(IReadOnlyList<LostJob> lost, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lost);
        foreach (var (job, reason) in lost)
        {
            try
            {
                if (job.CancelRequested)
                {
                    await EndCancelledAsync(job.JobId, ct);
                }
                else
                {
                    await RequeueAsync(job.Job, reason, lostRun: false, ct);
                }
            }
#pragma warning disable CA1031 // one job that cannot be put back must not keep the others out of line
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogReturnLostFailed(job.JobId, ex);
            }
        }
    }

    /// <summary>Puts a job back at the head of the line (its server was unreachable or lost it).</summary>
    /// <param name="lostRun">True when the job was running on a server that went away (counts against its retries).</param>
    public async Task RequeueAsync(JobEntity job, string reason, bool lostRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (StoredRequest.Read(job.RequestJson) is not StoredRequestRead { Request: var request })
        {
            EndSending(job.Id);
            await EndUnreadableAsync(job, ct);
            return;
        }
        if (!await store.RequeueAsync(job.Id, reason, lostRun, ct))
        {
            EndSending(job.Id); // it ended meanwhile (cancelled): it stays as it ended
            return;
        }
        job.Status = JobStatus.Queued;
        job.PromptId = null;
        job.Backend = null;
        bool cancelled;
        lock (_lock)
        {
            cancelled = _sending.Remove(job.Id, out var sending) && sending.CancelRequested;
            if (!cancelled)
            {
                _waiting.AddFirst(new QueuedJob(job, request, Stopwatch.GetTimestamp(), Requirements(request)));
                _changes.Bump();
            }
        }
        if (cancelled)
        {
            await MarkCancelledAsync(job.Id, ct); // Cancel was pressed while it was being sent
            return;
        }
        events.Update(job.Id, p => p with { Status = JobStatus.Queued, Message = reason, Backend = null, Node = null, StepValue = 0, StepMax = 0 });
        signal.Notify();
    }

    /// <summary>
    /// Stops one job and nothing else: a waiting job is dropped; a job waiting inside ComfyUI is deleted from
    /// its queue; a running one gets a targeted interrupt, sent only when the server says it is running ours.
    /// </summary>
    /// <param name="requester">Who asks: only the job's owner, or an admin, may cancel it.</param>
    public async Task<CancelOutcome> CancelAsync(Guid jobId, string requester, bool isAdmin, CancellationToken ct)
    {
        var owner = OwnerOf(jobId);
        if (owner is null)
        {
            return CancelOutcome.NotFound;
        }
        if (!isAdmin && !string.Equals(owner, requester, StringComparison.Ordinal))
        {
            LogCancelRefused(jobId, requester);
            return CancelOutcome.Forbidden;
        }
        return await CancelAsync(jobId, ct);
    }

    /// <summary>Cancels every waiting or running job of a batch that the requester may cancel; returns how many.</summary>
    public async Task<int> CancelBatchAsync(Guid batchId, string requester, bool isAdmin, CancellationToken ct)
    {
        List<Guid> ids;
        lock (_lock)
        {
            ids = _waiting.Where(q => q.Job.BatchId == batchId).Select(q => q.Job.Id)
                .Concat(_sending.Values.Where(s => s.Job.Job.BatchId == batchId).Select(s => s.Job.Job.Id)).ToList();
        }
        ids.AddRange(tracker.InFlight().Where(t => t.Job.BatchId == batchId).Select(t => t.JobId));
        ids.AddRange(cloud.JobsOfBatch(batchId));
        var cancelled = 0;
        foreach (var id in ids)
        {
            if (await CancelAsync(id, requester, isAdmin, ct) == CancelOutcome.Cancelled)
            {
                cancelled++;
            }
        }
        return cancelled;
    }

    private string? OwnerOf(Guid jobId)
    {
        lock (_lock)
        {
            if (_waiting.FirstOrDefault(q => q.Job.Id == jobId) is { } waiting)
            {
                return waiting.Job.Owner;
            }
            if (_sending.TryGetValue(jobId, out var sending))
            {
                return sending.Job.Job.Owner;
            }
        }
        return tracker.FindByJob(jobId)?.Job.Owner ?? cloud.OwnerOf(jobId);
    }

    /// <summary>Cancels without asking who: for the app itself (a prompt cancelled while it was being sent).</summary>
    internal async Task<CancelOutcome> CancelAsync(Guid jobId, CancellationToken ct)
    {
        bool wasWaiting;
        lock (_lock)
        {
            wasWaiting = TakeWaiting(jobId) is not null;
            if (!wasWaiting && _sending.TryGetValue(jobId, out var sending))
            {
                // Being prepared for a server: the sender sees this before it sends, and ends the job as cancelled.
                _sending[jobId] = sending with { CancelRequested = true };
                return CancelOutcome.Cancelled;
            }
        }
        if (wasWaiting)
        {
            await MarkCancelledAsync(jobId, ct);
            return CancelOutcome.Cancelled;
        }
        if (tracker.FindByJob(jobId) is not { } tracked)
        {
            // A cloud job: stopped where it is (before sending, nothing is sent; after, its result is discarded).
            return cloud.RequestCancel(jobId) ? CancelOutcome.Cancelled : CancelOutcome.NotFound;
        }
        if (!tracked.RequestCancel())
        {
            // POST /prompt is still in flight: the dispatcher cancels it on the server as soon as it is accepted.
            return CancelOutcome.Cancelled;
        }
        var client = pool.ClientFor(tracked.Backend);
        try
        {
            await client.DeleteFromQueueAsync(tracked.PromptId, ct);
            var queue = await client.GetQueueAsync(ct);
            if (queue.Running.Contains(tracked.PromptId))
            {
                await client.InterruptAsync(tracked.PromptId, ct);
                return CancelOutcome.Cancelled; // the interrupted event completes it as Cancelled
            }
            if (!queue.Pending.Contains(tracked.PromptId) && await client.GetHistoryAsync(tracked.PromptId, ct) is null && tracked.TryBeginCompletion())
            {
                tracker.Untrack(tracked);
                await MarkCancelledAsync(jobId, ct);
                signal.Notify();
            }
            return CancelOutcome.Cancelled;
        }
        catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
        {
            LogCancelFailed(jobId, ex.Message);
            events.Update(jobId, p => p with { Message = $"Could not reach {tracked.Backend.Name} to cancel: {ex.Message}" });
            return CancelOutcome.Failed;
        }
    }

    /// <summary>At start-up: waiting jobs go back in line; jobs that were on a server are tracked again and checked on connect.</summary>
    public async Task RestoreAsync(Func<JobEntity, ComfyBackend?, TrackedJob?> track, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(track);
        var open = await store.LoadUnfinishedAsync(ct);
        foreach (var job in open)
        {
            events.Publish(job.ToProgress([]));
            if (job.CloudProvider is not null && job.Status != JobStatus.Queued)
            {
                await cloud.RestoreAsync(job, ct); // followed again by its task, or ended: a cloud request is never sent twice
                continue;
            }
            if (job.Status == JobStatus.Queued || track(job, pool.Find(job.Backend)) is null)
            {
                if (StoredRequest.Read(job.RequestJson) is not StoredRequestRead { Request: var request })
                {
                    await EndUnreadableAsync(job, ct); // one unreadable row fails that job, never the start-up
                    continue;
                }
                lock (_lock)
                {
                    _waiting.AddLast(new QueuedJob(job, request, Stopwatch.GetTimestamp(), Requirements(request)));
                    _changes.Bump();
                }
            }
        }
        if (open.Count > 0)
        {
            LogRestored(open.Count);
        }
    }

    /// <summary>Fails a job whose stored request cannot be read any more, saying why; the other jobs go on.</summary>
    private async Task EndUnreadableAsync(JobEntity job, CancellationToken ct)
    {
        var reason = ((StoredRequestUnreadable)StoredRequest.Read(job.RequestJson)).Reason;
        LogUnreadable(job.Id, reason);
        if (await store.EndAsync(job.Id, JobStatus.Failed, reason, time.GetUtcNow().UtcDateTime, ct))
        {
            metrics.Finished(JobStatus.Failed, job.ModelName(), job.Backend, null, null);
            events.Update(job.Id, p => p with { Status = JobStatus.Failed, Message = reason, Node = null, StepValue = 0, StepMax = 0 });
        }
    }

    private async Task<bool> MarkCancelledAsync(Guid jobId, CancellationToken ct)
    {
        if (!await store.EndAsync(jobId, JobStatus.Cancelled, "Cancelled.", time.GetUtcNow().UtcDateTime, ct))
        {
            return false; // it had ended meanwhile: it stays as it ended
        }
        if (events.TryGet(jobId, out var job))
        {
            metrics.Finished(JobStatus.Cancelled, job.Checkpoint.Length > 0 ? job.Checkpoint : job.Mode.ToString(), job.Backend, null, null);
        }
        events.Update(jobId, p => p with { Status = JobStatus.Cancelled, Message = "Cancelled.", Node = null, StepValue = 0, StepMax = 0 });
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not put job {JobId}, which its server lost, back in line")]
    private partial void LogReturnLostFailed(Guid jobId, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused to cancel job {JobId} for {Requester}: not theirs")]
    private partial void LogCancelRefused(Guid jobId, string requester);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not cancel job {JobId}: {Error}")]
    private partial void LogCancelFailed(Guid jobId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} failed: {Reason}")]
    private partial void LogUnreadable(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Count} unfinished job(s) from the database")]
    private partial void LogRestored(int count);
}
