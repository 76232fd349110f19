using System.Diagnostics;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Jobs;

public abstract record SubmitResult;

public sealed record SubmitAccepted(Guid BatchId, IReadOnlyList<Guid> JobIds, IReadOnlyList<ulong> Seeds) : SubmitResult
{
    /// <summary>What the page tells the person: "Queued (seed 42)." or "Queued 4 jobs.".</summary>
    public string Confirmation => JobIds.Count == 1 ? $"Queued (seed {Seeds[0]})." : $"Queued {JobIds.Count} jobs.";
}

public sealed record SubmitInvalid(IReadOnlyList<FieldError> Errors) : SubmitResult;

/// <summary>A job waiting for a server, with the moment it was submitted (for the overhead figure).</summary>
public sealed record QueuedJob(JobEntity Job, GenerationRequest Request, long SubmittedTimestamp);

/// <summary>
/// The entry point for pages: validates a request, writes one row per run (before anything is sent) and
/// wakes the dispatcher. Holds the waiting jobs in submission order; cancels jobs wherever they are.
/// </summary>
public sealed partial class JobQueue(
    JobStore store,
    BackendPool pool,
    JobTracker tracker,
    JobEvents events,
    JobSignal signal,
    TimeProvider time,
    ILogger<JobQueue> logger)
{
    private readonly LinkedList<QueuedJob> _waiting = new();
    private readonly Lock _lock = new();

    public static JsonSerializerOptions RequestJson { get; } = new(JsonSerializerDefaults.Web);

    public async Task<SubmitResult> SubmitAsync(GenerationRequest request, string owner, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var submitted = Stopwatch.GetTimestamp();
        var errors = GenerationRequestValidator.Validate(request, pool.Primary.Limits);
        if (errors.Count > 0)
        {
            return new SubmitInvalid(errors);
        }
        var lastSeed = request.SeedMode == SeedMode.ReuseLast ? await store.LastSucceededSeedAsync(ct) : null;
        var seeds = SeedPolicy.Resolve(request.SeedMode, request.Seed, lastSeed, request.BatchCount, Random.Shared);
        var now = time.GetUtcNow();
        var batchId = Guid.CreateVersion7(now);
        var requestJson = JsonSerializer.Serialize(request, RequestJson);
        var jobs = seeds.Select((seed, i) => new JobEntity
        {
            Id = Guid.CreateVersion7(now),
            BatchId = batchId,
            BatchIndex = i,
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
            CreatedAt = now.UtcDateTime.AddTicks(i),
        }).ToList();
        await store.InsertAsync(jobs, ct);

        lock (_lock)
        {
            foreach (var job in jobs)
            {
                _waiting.AddLast(new QueuedJob(job, request, submitted));
            }
        }
        foreach (var job in jobs)
        {
            events.Publish(job.ToProgress([]));
        }
        signal.Notify();
        return new SubmitAccepted(batchId, jobs.Select(j => j.Id).ToList(), seeds);
    }

    public bool TryDequeue(out QueuedJob job)
    {
        lock (_lock)
        {
            if (_waiting.First is { } first)
            {
                _waiting.RemoveFirst();
                job = first.Value;
                return true;
            }
        }
        job = null!;
        return false;
    }

    /// <summary>Puts a job back at the head of the line (its server was unreachable or lost it).</summary>
    public async Task RequeueAsync(JobEntity job, string reason, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var request = job.ReadRequest();
        await store.RequeueAsync(job.Id, reason, ct);
        job.Status = JobStatus.Queued;
        job.PromptId = null;
        job.Backend = null;
        lock (_lock)
        {
            _waiting.AddFirst(new QueuedJob(job, request, Stopwatch.GetTimestamp()));
        }
        events.Update(job.Id, p => p with { Status = JobStatus.Queued, Message = reason, Node = null, StepValue = 0, StepMax = 0 });
        signal.Notify();
    }

    /// <summary>
    /// Stops one job and nothing else: a waiting job is dropped; a job waiting inside ComfyUI is deleted from
    /// its queue; a running one gets a targeted interrupt, sent only when the server says it is running ours.
    /// </summary>
    public async Task<bool> CancelAsync(Guid jobId, CancellationToken ct)
    {
        QueuedJob? waiting = null;
        lock (_lock)
        {
            for (var node = _waiting.First; node is not null; node = node.Next)
            {
                if (node.Value.Job.Id == jobId)
                {
                    waiting = node.Value;
                    _waiting.Remove(node);
                    break;
                }
            }
        }
        if (waiting is not null)
        {
            await MarkCancelledAsync(jobId, ct);
            return true;
        }
        if (tracker.FindByJob(jobId) is not { } tracked)
        {
            return false;
        }
        tracked.CancelRequested = true;
        if (!tracked.Posted)
        {
            // POST /prompt is still in flight: the dispatcher cancels it on the server as soon as it is accepted.
            return true;
        }
        var client = pool.ClientFor(tracked.Backend);
        try
        {
            await client.DeleteFromQueueAsync(tracked.PromptId, ct);
            var queue = await client.GetQueueAsync(ct);
            if (queue.Running.Contains(tracked.PromptId))
            {
                await client.InterruptAsync(tracked.PromptId, ct);
                return true; // the interrupted event completes it as Cancelled
            }
            if (!queue.Pending.Contains(tracked.PromptId) && await client.GetHistoryAsync(tracked.PromptId, ct) is null && tracked.TryBeginCompletion())
            {
                tracker.Untrack(tracked);
                await MarkCancelledAsync(jobId, ct);
                signal.Notify();
            }
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            LogCancelFailed(jobId, ex.Message);
            events.Update(jobId, p => p with { Message = $"Could not reach {tracked.Backend.Name} to cancel: {ex.Message}" });
            return false;
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
            if (job.Status == JobStatus.Queued || track(job, pool.Find(job.Backend)) is null)
            {
                var request = job.ReadRequest();
                lock (_lock)
                {
                    _waiting.AddLast(new QueuedJob(job, request, Stopwatch.GetTimestamp()));
                }
            }
        }
        if (open.Count > 0)
        {
            LogRestored(open.Count);
        }
    }

    private async Task MarkCancelledAsync(Guid jobId, CancellationToken ct)
    {
        await store.EndAsync(jobId, JobStatus.Cancelled, "Cancelled.", time.GetUtcNow().UtcDateTime, ct);
        events.Update(jobId, p => p with { Status = JobStatus.Cancelled, Message = "Cancelled.", Node = null, StepValue = 0, StepMax = 0 });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not cancel job {JobId}: {Error}")]
    private partial void LogCancelFailed(Guid jobId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored {Count} unfinished job(s) from the database")]
    private partial void LogRestored(int count);
}
