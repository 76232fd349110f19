using System.Diagnostics;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
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
    JobSignal signal,
    JobEvents events,
    BackendPool pool,
    WorkflowLibrary workflows,
    JobStore store,
    JobUploads uploads,
    IOptions<ComfyUiOptions> options,
    TimeProvider time,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>How long a finished job's live snapshot stays in memory for pages that still show it.</summary>
    private static readonly TimeSpan KeepFinished = TimeSpan.FromMinutes(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        tracker.Requeue = (job, reason, ct) => queue.RequeueAsync(job.Job, reason, ct);
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
                await tracker.PollQuietJobsAsync(stoppingToken);
                events.PruneFinished(KeepFinished);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Microsoft.EntityFrameworkCore.DbUpdateException ex)
            {
                LogDispatchFailed(ex);
            }
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        foreach (var backend in pool.Backends)
        {
            while (backend.IsOnline && tracker.InFlightCount(backend) < options.Value.MaxJobsInFlight && queue.TryDequeue(out var job))
            {
                await SendAsync(job, backend, ct);
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
                await FailAsync(job, refused.Message, ct);
                return;
            case JobUploadsFailed down:
                backend.SetState(BackendState.Offline, down.Message, time.GetUtcNow().UtcDateTime);
                await queue.RequeueAsync(job, $"Waiting: {down.Message}", ct);
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
            await FailAsync(job, ValidationText.Describe(validation, backend.ObjectInfo, graph), ct);
            return;
        }

        var promptId = job.Id.ToString();
        var tracked = new TrackedJob(job, backend, promptId, OutputNodes(queued.Request.Mode, graph, backend), graph.Nodes.Count)
        {
            SubmittedTimestamp = queued.SubmittedTimestamp,
            NodeTitles = graph.Nodes.ToDictionary(n => n.Key, n => n.Value.Title ?? Display(backend.ObjectInfo, n.Value.ClassType)),
        };
        // Tracked before sending: the first events can arrive before the HTTP reply.
        tracker.Track(tracked);
        var now = time.GetUtcNow().UtcDateTime;
        job.Status = JobStatus.Submitted;
        job.Backend = backend.Name;
        job.PromptId = promptId;
        job.GraphJson = graph.ToJsonString();
        job.SentAt = now;
        job.Attempts++;
        await store.MarkSubmittedAsync(job, ct);
        events.Update(job.Id, p => p with { Status = JobStatus.Submitted, Backend = backend.Name, Message = null });

        tracked.SubmitOverheadMs = Stopwatch.GetElapsedTime(queued.SubmittedTimestamp).TotalMilliseconds;
        var result = await pool.ClientFor(backend).QueuePromptAsync(graph, backend.ClientId, promptId, extraData: null, ct);
        switch (result)
        {
            case PromptAccepted accepted:
                if (accepted.PromptId != promptId)
                {
                    tracker.Rekey(tracked, accepted.PromptId); // a server older than client-chosen prompt ids
                }
                tracked.Posted = true;
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
                if (tracked.CancelRequested)
                {
                    await queue.CancelAsync(job.Id, ct); // Cancel was pressed while the prompt was being sent
                }
                break;
            case PromptRejected rejected:
                tracker.Untrack(tracked);
                await FailAsync(job, ValidationText.Describe(rejected.Validation, backend.ObjectInfo, graph), ct);
                return;
            case ServerUnavailable { MayHaveArrived: false } down:
                tracker.Untrack(tracked);
                backend.SetState(BackendState.Offline, down.Message, time.GetUtcNow().UtcDateTime);
                await queue.RequeueAsync(job, $"Waiting: {down.Message}", ct);
                return;
            case ServerUnavailable unsure:
                // It may be queued there; the next check of /history and /queue by prompt id will tell.
                tracked.Posted = true;
                events.Update(job.Id, p => p with { Message = unsure.Message });
                await store.SetPromptAsync(job.Id, promptId, unsure.Message, ct);
                break;
        }
    }

    /// <summary>A template's one output node; every output node of an imported workflow (all their images are kept).</summary>
    private List<string> OutputNodes(GenerationMode mode, ComfyGraph graph, ComfyBackend backend) =>
        mode == GenerationMode.Workflow
            ? WorkflowImporter.OrderedIds(graph).Intersect(graph.OutputNodeIds(backend.ObjectInfo), StringComparer.Ordinal).ToList()
            : [workflows.Get(mode).OutputNode];

    private TrackedJob? Restore(JobEntity job, ComfyBackend? backend)
    {
        if (backend is null || job.PromptId is null)
        {
            return null;
        }
        var mode = Enum.TryParse<GenerationMode>(job.Mode, out var m) ? m : GenerationMode.Txt2Img;
        var graph = job.GraphJson is { } g ? ComfyGraph.Parse(g) : new ComfyGraph();
        var tracked = new TrackedJob(job, backend, job.PromptId, OutputNodes(mode, graph, backend), graph.Nodes.Count)
        {
            Posted = true,
            SubmittedTimestamp = Stopwatch.GetTimestamp(),
            Status = job.Status,
            StartedAt = job.StartedAt,
        };
        tracker.Track(tracked);
        return tracked;
    }

    private async Task FailAsync(JobEntity job, string message, CancellationToken ct)
    {
        await store.EndAsync(job.Id, JobStatus.Failed, message, time.GetUtcNow().UtcDateTime, ct);
        events.Update(job.Id, p => p with { Status = JobStatus.Failed, Message = message });
        LogRejected(job.Id, message);
    }

    private static string Display(ObjectInfo info, string classType) =>
        info.TryGetNode(classType, out var node) && !string.IsNullOrEmpty(node.DisplayName) ? node.DisplayName : classType;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was not run: {Reason}")]
    private partial void LogRejected(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dispatching failed; will try again")]
    private partial void LogDispatchFailed(Exception ex);
}
