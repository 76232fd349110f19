using System.Diagnostics;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Security;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Hands waiting jobs to servers with a free slot: builds the graph from its template, checks it with
/// ComfyUI's own rules against that server's live catalogue, and sends it. Runs in the background, so
/// a closed tab or a dropped circuit never stops a job.
/// </summary>
public sealed partial class JobDispatcher(
    JobQueue queue,
    JobTracker tracker,
    JobCompletion completion,
    JobSignal signal,
    JobEvents events,
    JobMetrics metrics,
    BackendPool pool,
    WorkflowLibrary workflows,
    JobStore store,
    JobUploads uploads,
    JobCaps caps,
    ApiNodeKeys apiNodeKeys,
    CloudBackends cloudBackends,
    CloudRunner cloud,
    IOptions<ComfyUiOptions> options,
    TimeProvider time,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private Dictionary<Guid, string> _whyWaiting = [];

    /// <summary>How long a finished job's live snapshot stays in memory for pages that still show it.</summary>
    private static readonly TimeSpan KeepFinished = TimeSpan.FromMinutes(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await queue.RestoreAsync(Restore, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await signal.WaitAsync(Tick, stoppingToken);
                await DispatchAsync(stoppingToken);
                await queue.ReturnLostAsync(await tracker.PollQuietJobsAsync(stoppingToken), stoppingToken);
                events.PruneFinished(KeepFinished);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // whatever one round meets (a locked database, a bug), the next round runs: the loop must outlive it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogDispatchFailed(ex);
            }
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        await FailoverAsync(ct);
        if (queue.DispatchPaused)
        {
            return;
        }
        var waiting = queue.Waiting();
        var backends = pool.Backends;
        var slots = backends.Select(b => new ServerSlot(b.Name, b.IsOnline, tracker.InFlightCount(b), b.MaxJobsInFlight, b.LastCheckpoint, b.ObjectInfo)).ToList();
        // Each provider with a key is a backend of its own, with its own cap; it takes only the jobs that ask for it.
        var cloudCaps = await cloudBackends.CapsAsync(ct);
        var cloudSlots = new Dictionary<string, CloudProviderId>(StringComparer.Ordinal);
        foreach (var provider in await cloudBackends.EnabledAsync(ct))
        {
            var slot = CloudSlotName(provider);
            cloudSlots[slot] = provider;
            slots.Add(new ServerSlot(slot, true, cloud.InFlightCount(provider), cloudCaps[provider], null, ObjectInfo.Empty, CloudCatalog.NameOf(provider)));
        }
        var byOwner = tracker.InFlightByOwner();
        foreach (var (owner, count) in completion.CollectingByOwner().Concat(cloud.InFlightByOwner()))
        {
            byOwner[owner] = byOwner.GetValueOrDefault(owner) + count;
        }
        var cap = await caps.CurrentAsync(ct);
        var plan = FairScheduler.Plan(waiting.Select(w => w.ToWaiting()).ToList(), slots, byOwner, queue.LastServed, cap.For);
        ShowWhyWaiting(waiting, plan.Unrunnable);
        var byServer = new Dictionary<ComfyBackend, List<QueuedJob>>();
        foreach (var assignment in plan.Assignments)
        {
            if (cloudSlots.ContainsKey(assignment.Server))
            {
                if (queue.TryTake(assignment.JobId, out var cloudJob))
                {
                    queue.MarkServed(assignment.Owner);
                    await SendToCloudAsync(cloudJob, ct);
                }
                continue;
            }
            if (pool.Find(assignment.Server) is not { } backend || !queue.TryTake(assignment.JobId, out var job))
            {
                continue;
            }
            queue.MarkServed(assignment.Owner);
            backend.LastCheckpoint = job.Job.Checkpoint;
            if (!byServer.TryGetValue(backend, out var jobs))
            {
                byServer[backend] = jobs = [];
            }
            jobs.Add(job);
        }
        // Each server gets its jobs in the plan's order; different servers are sent to at the same time, so when many
        // finish together (or at start-up) the last one is not kept idle behind the others' uploads and POSTs.
        var sending = new List<Task>(byServer.Count);
        foreach (var (backend, jobs) in byServer)
        {
            sending.Add(SendInOrderAsync(jobs, backend, ct));
        }
        await Task.WhenAll(sending);
    }

    private async Task SendInOrderAsync(List<QueuedJob> jobs, ComfyBackend backend, CancellationToken ct)
    {
        foreach (var job in jobs)
        {
            await SendSafelyAsync(job, backend, ct);
        }
    }

    /// <summary>The scheduler's name of a provider's slot: never a server's name.</summary>
    private static string CloudSlotName(CloudProviderId provider) => $"cloud:{provider}";

    /// <summary>
    /// Hands a cloud job to the <see cref="CloudRunner"/>, which runs it on its own until it ends (a provider may take
    /// minutes to answer: the other backends are not kept waiting). Cancel pressed while it was taken ends it here.
    /// </summary>
    private async Task SendToCloudAsync(QueuedJob queued, CancellationToken ct)
    {
        try
        {
            var run = cloud.Prepare(queued);
            if (!queue.HandOver(queued.Job.Id, () => cloud.Track(run)))
            {
                await queue.EndCancelledAsync(queued.Job.Id, ct);
                return;
            }
            cloud.Start(run);
        }
        catch (InvalidDataException ex)
        {
            await FailUnlessCancelledAsync(queued.Job, ex.Message, ct);
        }
    }

    /// <summary>
    /// One job's trouble is that job's alone (a locked database, an upload gone from disk, an image that will not
    /// decode, a bug): it fails with the reason, and the rest are sent.
    /// </summary>
    private async Task SendSafelyAsync(QueuedJob queued, ComfyBackend backend, CancellationToken ct)
    {
        try
        {
            await SendAsync(queued, backend, ct);
        }
#pragma warning disable CA1031 // any failure of one job must not stop the others
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            LogSendFailed(queued.Job.Id, backend.Name, ex);
            if (tracker.FindByJob(queued.Job.Id) is { Posted: true })
            {
                return; // it is on the server: it is followed there and completes from there
            }
            if (tracker.FindByJob(queued.Job.Id) is { } tracked && tracked.TryBeginCompletion())
            {
                tracker.Untrack(tracked);
            }
            var cancelled = queue.EndSending(queued.Job.Id);
            try
            {
                if (cancelled)
                {
                    await queue.EndCancelledAsync(queued.Job.Id, ct);
                }
                else
                {
                    await FailAsync(queued.Job, $"Could not be sent to {backend.Name}: {ex.Message}", ct);
                }
            }
#pragma warning disable CA1031 // the database itself may be what failed: the page still hears how the job ended
            catch (Exception stored) when (stored is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
            {
                LogEndNotStored(queued.Job.Id, stored);
                var status = cancelled ? JobStatus.Cancelled : JobStatus.Failed;
                var message = cancelled ? "Cancelled." : $"Could not be sent to {backend.Name}: {ex.Message}";
                events.Update(queued.Job.Id, p => p.Status.IsTerminal() ? p : p with { Status = status, Message = message });
            }
        }
    }

    /// <summary>A job that no online server can run says why on its card, instead of waiting silently.</summary>
    private void ShowWhyWaiting(IReadOnlyList<QueuedJob> waiting, IReadOnlyList<Unrunnable> unrunnable)
    {
        var now = unrunnable.ToDictionary(u => u.JobId, u => $"Waiting: {u.Reason}.");
        foreach (var (jobId, message) in now)
        {
            if (!_whyWaiting.TryGetValue(jobId, out var shown) || shown != message)
            {
                events.Update(jobId, p => p with { Message = message });
            }
        }
        var stillWaiting = waiting.Select(w => w.Job.Id).ToHashSet();
        foreach (var (jobId, shown) in _whyWaiting)
        {
            if (!now.ContainsKey(jobId) && stillWaiting.Contains(jobId))
            {
                events.Update(jobId, p => p.Message == shown ? p with { Message = null } : p);
            }
        }
        _whyWaiting = now;
    }

    /// <summary>
    /// Moves the jobs of a server that has been offline for <see cref="ComfyUiOptions.FailoverAfter"/> (or was disabled
    /// or removed) to other servers: waiting ones go back in line; a running one starts again elsewhere while it has
    /// retries left, else fails and says why.
    /// </summary>
    private async Task FailoverAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var current = pool.Backends;
        var gone = tracker.InFlight().Select(t => t.Backend).Distinct()
            .Where(b => !current.Contains(b) || !b.IsEnabled || (b.State == BackendState.Offline && now - b.StateChangedAt >= options.Value.FailoverAfter))
            .ToList();
        foreach (var backend in gone)
        {
            var replaced = current.Contains(backend) ? null : pool.Find(backend.Name);
            var why = current.Contains(backend) ? (backend.IsEnabled ? $"{backend.Name} went offline" : $"{backend.Name} was disabled")
                : replaced is { IsEnabled: false } ? $"{backend.Name} was disabled"
                : replaced is null ? $"{backend.Name} was removed" : $"{backend.Name} was moved to another address";
            foreach (var tracked in tracker.TakeAllFrom(backend))
            {
                var job = tracked.Job;
                if (tracked.CancelRequested)
                {
                    await queue.EndCancelledAsync(job.Id, ct); // Cancel was pressed: it is not started elsewhere
                }
                else if (tracked.Status != JobStatus.Running)
                {
                    await queue.RequeueAsync(job, $"{why}; waiting for another server.", lostRun: false, ct);
                }
                else if (job.LostRuns < options.Value.RetriesAfterServerLoss)
                {
                    job.LostRuns++;
                    await queue.RequeueAsync(job, $"{why} while running this job; it starts again on another server.", lostRun: true, ct);
                }
                else
                {
                    var retried = job.LostRuns == 0 ? string.Empty : $" It had already been started again {(job.LostRuns == 1 ? "once" : $"{job.LostRuns} times")}.";
                    await FailAsync(job, $"{why} while running this job.{retried}", ct);
                }
                LogMoved(job.Id, backend.Name, why);
            }
            if (!current.Contains(backend) || !backend.IsEnabled)
            {
                await tracker.DropAbandonedAsync(backend, ct); // still reachable: don't leave our work in its queue
            }
        }
    }

    private async Task SendAsync(QueuedJob queued, ComfyBackend backend, CancellationToken ct)
    {
        var job = queued.Job;
        var images = await uploads.UploadAsync(job.Id, queued.Request, pool.ClientFor(backend), ct);
        switch (images)
        {
            case JobUploadsFailed { Refused: true } refused:
                await FailUnlessCancelledAsync(job, refused.Message, ct);
                return;
            case JobUploadsFailed down:
                backend.SetState(BackendState.Offline, down.Message, time.GetUtcNow().UtcDateTime);
                await queue.RequeueAsync(job, $"Waiting: {down.Message}", lostRun: false, ct);
                return;
        }
        var ready = (JobUploadsReady)images;
        var server = new ServerInputs { UploadedImages = ready.ByUpload, Loras = backend.Limits?.Advanced.Loras ?? [] };
        var graph = queued.Request is { Mode: GenerationMode.Workflow, Workflow: { } spec }
            ? WorkflowRun.Finish(spec, job.Seed, ready.ByUpload)
            : WorkflowBuilder.Build(workflows.Get(queued.Request.Mode), queued.Request, job.Seed, $"DreamLayer/{job.CreatedAt:yyyy-MM-dd}/dl", ready.ValueFor(Parameters.Image), server);
        var validation = PromptValidator.Validate(graph, backend.ObjectInfo);
        if (!validation.IsValid)
        {
            await FailUnlessCancelledAsync(job, ValidationText.Describe(validation, backend.ObjectInfo, graph), ct);
            return;
        }
        // This server's catalogue decides which nodes are paid API nodes; without the Comfy.org key they would only fail there.
        var credential = await apiNodeKeys.ForAsync(graph, backend.ObjectInfo, ct);
        if (credential is ApiNodeKeyMissing missing)
        {
            await FailUnlessCancelledAsync(job, missing.Message, ct);
            return;
        }

        // A fresh prompt id for each attempt: a server that comes back with an earlier attempt can never be confused with this one.
        var promptId = job.Attempts == 0 ? job.Id.ToString() : Guid.CreateVersion7(time.GetUtcNow()).ToString();
        var outputs = OutputNodes(queued.Request.Mode, graph, backend);
        var tracked = new TrackedJob(job, backend, promptId, outputs, graph.Nodes.Count)
        {
            SocketOutputNodes = SocketOutputs(outputs, graph),
            SubmittedTimestamp = queued.SubmittedTimestamp,
            NodeTitles = graph.Nodes.ToDictionary(n => n.Key, n => n.Value.Title ?? Display(backend.ObjectInfo, n.Value.ClassType)),
        };
        // Tracked before sending: the first events can arrive before the HTTP reply. From here on a cancel reaches the
        // job through the tracker; one pressed while it was being prepared ends it now, before anything is sent.
        if (!queue.HandOver(tracked))
        {
            await queue.EndCancelledAsync(job.Id, ct);
            return;
        }
        var now = time.GetUtcNow().UtcDateTime;
        job.Backend = backend.Name;
        job.PromptId = promptId;
        job.GraphJson = graph.ToJsonString();
        job.SentAt = now;
        job.Attempts++;
        if (!await store.MarkSubmittedAsync(job, ct))
        {
            tracker.Untrack(tracked); // it ended meanwhile: nothing is sent
            return;
        }
        job.Status = JobStatus.Submitted;
        events.Update(job.Id, p => p with { Status = JobStatus.Submitted, Backend = backend.Name, Message = null });

        tracked.SubmitOverheadMs = Stopwatch.GetElapsedTime(queued.SubmittedTimestamp).TotalMilliseconds;
        var result = await pool.ClientFor(backend).QueuePromptAsync(graph, backend.ClientId, promptId, ApiNodeKeys.AddTo(ComfyUiClient.WorkflowExtraData(graph, backend.ObjectInfo), credential), ct);
        switch (result)
        {
            case PromptAccepted accepted:
                if (accepted.PromptId != promptId)
                {
                    tracker.Rekey(tracked, accepted.PromptId); // a server older than client-chosen prompt ids
                }
                var cancelPressed = tracked.MarkPosted();
                string? warning = null;
                if (accepted.Warnings.Count > 0)
                {
                    warning = "The server dropped part of the workflow: " + ValidationText.Describe(accepted.Warnings.Values, backend.ObjectInfo, graph);
                    events.Update(job.Id, p => p with { Message = warning });
                }
                if (warning is not null || accepted.PromptId != promptId)
                {
                    await store.SetPromptAsync(job.Id, accepted.PromptId, warning, ct);
                }
                if (cancelPressed)
                {
                    await queue.CancelAsync(job.Id, ct); // Cancel was pressed while the prompt was being sent
                }
                break;
            case PromptRejected rejected:
                tracker.Untrack(tracked);
                if (tracked.MarkPosted())
                {
                    await queue.EndCancelledAsync(job.Id, ct); // Cancel said so while it was being sent
                    return;
                }
                await FailAsync(job, ValidationText.Describe(rejected.Validation, backend.ObjectInfo, graph), ct);
                return;
            case ServerUnavailable { MayHaveArrived: false } down:
                tracker.Untrack(tracked);
                backend.SetState(BackendState.Offline, down.Message, time.GetUtcNow().UtcDateTime);
                if (tracked.MarkPosted())
                {
                    await queue.EndCancelledAsync(job.Id, ct); // not sent, and Cancel was pressed: it must not run later
                    return;
                }
                await queue.RequeueAsync(job, $"Waiting: {down.Message}", lostRun: false, ct);
                return;
            case ServerUnavailable unsure:
                // It may be queued there; the next check of /history and /queue by prompt id will tell.
                var cancelWhileUnsure = tracked.MarkPosted();
                events.Update(job.Id, p => p with { Message = unsure.Message });
                await store.SetPromptAsync(job.Id, promptId, unsure.Message, ct);
                if (cancelWhileUnsure)
                {
                    await queue.CancelAsync(job.Id, ct);
                }
                break;
        }
    }

    /// <summary>A template's one output node; every output node of an imported workflow (all their images are kept).</summary>
    private List<string> OutputNodes(GenerationMode mode, ComfyGraph graph, ComfyBackend backend) =>
        mode == GenerationMode.Workflow
            ? WorkflowImporter.OrderedIds(graph).Intersect(graph.OutputNodeIds(backend.ObjectInfo), StringComparer.Ordinal).ToList()
            : [workflows.Get(mode).OutputNode];

    /// <summary>The output nodes that send their images over the socket instead of writing files (ComfyUI's SaveImageWebsocket).</summary>
    private static HashSet<string> SocketOutputs(IEnumerable<string> outputs, ComfyGraph graph) =>
        outputs.Where(id => graph.TryGetNode(id, out var node) && node.ClassType == "SaveImageWebsocket").ToHashSet(StringComparer.Ordinal);

    private TrackedJob? Restore(JobEntity job, ComfyBackend? backend)
    {
        if (backend is null || job.PromptId is null)
        {
            return null;
        }
        var mode = Enum.TryParse<GenerationMode>(job.Mode, out var m) ? m : GenerationMode.Txt2Img;
        var graph = job.GraphJson is { } g ? ComfyGraph.Parse(g) : new ComfyGraph();
        var outputs = OutputNodes(mode, graph, backend);
        var tracked = new TrackedJob(job, backend, job.PromptId, outputs, graph.Nodes.Count)
        {
            SocketOutputNodes = SocketOutputs(outputs, graph),
            MissedFrames = true, // the app was down: anything sent over the socket meanwhile went to nobody
            Posted = true,
            SubmittedTimestamp = Stopwatch.GetTimestamp(),
            Status = job.Status,
            StartedAt = job.StartedAt,
        };
        tracker.Track(tracked);
        return tracked;
    }

    /// <summary>A job that will not be sent: cancelled if Cancel was pressed while it was being prepared, else failed.</summary>
    private async Task FailUnlessCancelledAsync(JobEntity job, string message, CancellationToken ct)
    {
        if (queue.EndSending(job.Id))
        {
            await queue.EndCancelledAsync(job.Id, ct);
            return;
        }
        await FailAsync(job, message, ct);
    }

    private async Task FailAsync(JobEntity job, string message, CancellationToken ct)
    {
        if (!await store.EndAsync(job.Id, JobStatus.Failed, message, time.GetUtcNow().UtcDateTime, ct))
        {
            return; // it had ended meanwhile (cancelled): it stays as it ended
        }
        metrics.Finished(JobStatus.Failed, job.ModelName(), job.Backend, null, null);
        events.Update(job.Id, p => p with { Status = JobStatus.Failed, Message = message });
        LogRejected(job.Id, message);
    }

    private static string Display(ObjectInfo info, string classType) =>
        info.TryGetNode(classType, out var node) && !string.IsNullOrEmpty(node.DisplayName) ? node.DisplayName : classType;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was not run: {Reason}")]
    private partial void LogRejected(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} taken off ComfyUI {Backend}: {Reason}")]
    private partial void LogMoved(Guid jobId, string backend, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not send job {JobId} to ComfyUI {Backend}")]
    private partial void LogSendFailed(Guid jobId, string backend, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the end of job {JobId}")]
    private partial void LogEndNotStored(Guid jobId, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching failed; will try again")]
    private partial void LogDispatchFailed(Exception ex);
}
