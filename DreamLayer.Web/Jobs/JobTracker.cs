using System.Collections.Concurrent;
using System.Diagnostics;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Routes each server event to the job whose prompt id it names, keeps live progress, and hands finished
/// prompts to <see cref="JobCompletion"/>. Events for prompts we did not send are ignored, so other
/// clients' work never leaks into a job. After a reconnect, and when a job goes quiet, it asks the
/// server (<c>/history</c>, <c>/queue</c>) what happened while it was not listening.
/// </summary>
public sealed partial class JobTracker(
    JobEvents events,
    JobCompletion completion,
    JobSignal signal,
    BackendPool pool,
    IOptions<ComfyUiOptions> options,
    TimeProvider time,
    ILogger<JobTracker> logger)
{
    private readonly ConcurrentDictionary<string, TrackedJob> _byPrompt = new(StringComparer.Ordinal);
    private long _version;

    /// <summary>Moves on whenever a job is tracked, untracked or starts running: what changes the places of jobs on servers.</summary>
    public long Version => Interlocked.Read(ref _version);

    public int InFlightCount(ComfyBackend backend) => _byPrompt.Values.Count(t => t.Backend == backend);

    /// <summary>Jobs on servers now, per owner (for the per-person cap).</summary>
    public Dictionary<string, int> InFlightByOwner() =>
        _byPrompt.Values.GroupBy(t => t.Job.Owner, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public IReadOnlyList<TrackedJob> InFlight() => _byPrompt.Values.ToList();

    public TrackedJob? FindByJob(Guid jobId) => _byPrompt.Values.FirstOrDefault(t => t.JobId == jobId);

    public void Track(TrackedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _byPrompt[job.PromptId] = job;
        Interlocked.Increment(ref _version);
    }

    public void Untrack(TrackedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (_byPrompt.TryRemove(new KeyValuePair<string, TrackedJob>(job.PromptId, job)))
        {
            Interlocked.Increment(ref _version);
        }
    }

    /// <summary>An old server ignored our prompt id and chose its own.</summary>
    public void Rekey(TrackedJob job, string promptId)
    {
        ArgumentNullException.ThrowIfNull(job);
        Untrack(job);
        job.PromptId = promptId;
        Track(job);
    }

    public void Handle(ComfyBackend backend, ComfyEvent evt)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (evt is ExecutingEvent { PromptId: not null } running)
        {
            backend.RunningPromptId = running.Node is null ? null : running.PromptId;
        }
        var promptId = evt is PreviewEvent { PromptId: null } or FrameTooLargeEvent ? backend.RunningPromptId : evt.PromptId;
        if (promptId is null || !_byPrompt.TryGetValue(promptId, out var job) || job.Backend != backend)
        {
            return;
        }
        var now = Stopwatch.GetTimestamp();
        if (evt is PreviewEvent preview)
        {
            if (!KeepSocketImage(job, preview, now))
            {
                events.PublishPreview(job.JobId, preview.Image, preview.MediaType);
            }
            return;
        }
        if (evt is FrameTooLargeEvent tooLarge)
        {
            lock (job.Gate)
            {
                if (job.SocketNodeRunning is { } node)
                {
                    job.SocketImageProblem ??= $"{backend.Name} sent an image of {tooLarge.Bytes:N0} bytes from node #{node}; the limit is {tooLarge.Limit:N0} bytes.";
                }
            }
            return;
        }
        var finished = false;
        lock (job.Gate)
        {
            job.LastEventTimestamp = now;
            switch (evt)
            {
                case ExecutionStartEvent:
                    MarkRunning(job);
                    break;
                case ExecutionCachedEvent cached:
                    job.FinishedNodes.UnionWith(cached.Nodes);
                    break;
                case ExecutingEvent { Node: null }:
                    EndSocketNode(job);
                    job.EndCurrentNode(now);
                    finished = true;
                    break;
                case ExecutingEvent executing:
                    MarkRunning(job);
                    EndSocketNode(job);
                    job.EndCurrentNode(now);
                    job.CurrentNode = executing.DisplayNode ?? executing.Node;
                    job.SocketNodeRunning = job.CurrentNode is { } current && job.SocketOutputNodes.Contains(current) ? current : null;
                    job.CurrentNodeStarted = now;
                    job.StepValue = 0;
                    job.StepMax = 0;
                    break;
                case ProgressEvent progress:
                    job.StepValue = progress.Value;
                    job.StepMax = progress.Max;
                    if (progress.Node is { } node)
                    {
                        job.NodeSteps[node] = progress.Max;
                    }
                    break;
                case ExecutedEvent executed when job.OutputNodes.Contains(executed.Node):
                    foreach (var image in executed.Images)
                    {
                        if (!job.Images.Contains((executed.Node!, image)))
                        {
                            job.Images.Add((executed.Node!, image));
                        }
                    }
                    break;
                case ExecutionSuccessEvent:
                    job.Outcome = JobOutcome.Success;
                    break;
                case ExecutionErrorEvent error:
                    job.Outcome = JobOutcome.Error;
                    job.Error = ComfyUiClient.DescribeExecutionError(error.NodeType, error.NodeId, error.ExceptionType, error.ExceptionMessage);
                    break;
                case ExecutionInterruptedEvent:
                    job.Outcome = JobOutcome.Interrupted;
                    break;
                default:
                    return;
            }
        }
        if (finished)
        {
            BeginCompletion(job, now, history: null);
        }
        else
        {
            PublishProgress(job);
        }
    }

    /// <summary>
    /// After a (re)connect: find out what happened to every job sent to this server while we were away. Returns the jobs
    /// the server lost (no longer tracked), for the queue to put back in line.
    /// </summary>
    public async Task<IReadOnlyList<LostJob>> OnConnectedAsync(ComfyBackend backend, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        await DropAbandonedAsync(backend, ct);
        var jobs = _byPrompt.Values.Where(t => t.Backend == backend && t.Posted).ToList();
        var lost = new List<LostJob>();
        if (jobs.Count > 0)
        {
            await ReconcileAsync(backend, jobs, lost, ct);
        }
        signal.Notify();
        return lost;
    }

    public void OnDisconnected(ComfyBackend backend)
    {
        // Frames are sent once, to whoever listens: what a SaveImageWebsocket node sends from now until we are back is lost.
        foreach (var job in _byPrompt.Values.Where(t => t.Backend == backend && t.SocketOutputNodes.Count > 0))
        {
            lock (job.Gate)
            {
                job.SocketNodeRunning = null;
                job.MissedFrames = true;
            }
        }
        signal.Notify();
    }

    /// <summary>
    /// A frame sent by one of the job's SaveImageWebsocket nodes is one of its images, not a preview: a type-4 frame names
    /// its node; a type-1 frame belongs to the node executing now (a sampler's previews come while the sampler runs).
    /// </summary>
    private static bool KeepSocketImage(TrackedJob job, PreviewEvent frame, long now)
    {
        if (job.SocketOutputNodes.Count == 0)
        {
            return false;
        }
        lock (job.Gate)
        {
            var node = frame.Node ?? job.SocketNodeRunning;
            if (node is null || !job.SocketOutputNodes.Contains(node))
            {
                return false;
            }
            job.LastEventTimestamp = now;
            if (!job.SocketImages.TryGetValue(node, out var images))
            {
                job.SocketImages[node] = images = [];
            }
            images.Add(frame.Image);
            return true;
        }
    }

    /// <summary>The node executing until now ends (call under the gate): a SaveImageWebsocket node seen whole has sent every image.</summary>
    private static void EndSocketNode(TrackedJob job)
    {
        if (job.SocketNodeRunning is { } node)
        {
            job.SocketNodesComplete.Add(node);
            job.SocketNodeRunning = null;
        }
    }

    /// <summary>
    /// Takes every job off a server that has been gone too long (or was disabled or removed): claims each one so a
    /// late answer from that server cannot complete it too, and remembers its prompt so the server drops it if it
    /// comes back. Returns the jobs with whether each was running there.
    /// </summary>
    public IReadOnlyList<TrackedJob> TakeAllFrom(ComfyBackend backend)
    {
        var taken = new List<TrackedJob>();
        foreach (var job in _byPrompt.Values.Where(t => t.Backend == backend).ToList())
        {
            if (!job.TryBeginCompletion())
            {
                continue;
            }
            Untrack(job);
            if (job.Posted)
            {
                backend.Abandon(job.PromptId);
            }
            taken.Add(job);
        }
        return taken;
    }

    /// <summary>Deletes from the server's queue (or interrupts) prompts that were moved elsewhere while it was away.</summary>
    public async Task DropAbandonedAsync(ComfyBackend backend, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var abandoned = backend.TakeAbandoned();
        if (abandoned.Count == 0)
        {
            return;
        }
        var client = pool.ClientFor(backend);
        try
        {
            var queue = await client.GetQueueAsync(ct);
            foreach (var id in abandoned)
            {
                if (queue.Pending.Contains(id))
                {
                    await client.DeleteFromQueueAsync(id, ct);
                }
                else if (queue.Running.Contains(id))
                {
                    await client.InterruptAsync(id, ct);
                }
            }
        }
        catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
        {
            foreach (var id in abandoned)
            {
                backend.Abandon(id); // try again when it is reachable
            }
            LogReconcileFailed(backend.Name, ex.Message);
        }
    }

    /// <summary>
    /// Checks jobs that have had no event for a while (a missed event, a half-open socket). Returns the jobs their server
    /// lost (no longer tracked), for the queue to put back in line.
    /// </summary>
    public async Task<IReadOnlyList<LostJob>> PollQuietJobsAsync(CancellationToken ct)
    {
        var lost = new List<LostJob>();
        var quiet = _byPrompt.Values
            .Where(t => t.Posted && t.Backend.IsOnline && Stopwatch.GetElapsedTime(t.LastEventTimestamp) > options.Value.QuietPollInterval)
            .GroupBy(t => t.Backend);
        foreach (var group in quiet)
        {
            await ReconcileAsync(group.Key, group.ToList(), lost, ct);
        }
        return lost;
    }

    private async Task ReconcileAsync(ComfyBackend backend, List<TrackedJob> jobs, List<LostJob> lost, CancellationToken ct)
    {
        var client = pool.ClientFor(backend);
        try
        {
            // The queue first, then each job's history: a prompt only ever moves from the queue to the history, so one
            // missing from both reads was truly lost. Read the other way round, a job that finishes between the two
            // reads is in neither and would be sent again.
            var queue = await client.GetQueueAsync(ct);
            foreach (var job in jobs)
            {
                try
                {
                    if (await ReconcileAsync(backend, client, queue, job, ct) is { } gone)
                    {
                        lost.Add(gone);
                    }
                }
                catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
                {
                    throw;
                }
#pragma warning disable CA1031 // one job that cannot be checked (a locked database, a bug) must not keep the others from being checked
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    LogCheckFailed(job.JobId, backend.Name, ex);
                }
            }
        }
        catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
        {
            LogReconcileFailed(backend.Name, ex.Message);
        }
    }

    /// <summary>Checks one job against what the server said: finished, running, waiting, or lost (returned).</summary>
    private async Task<LostJob?> ReconcileAsync(ComfyBackend backend, ComfyUiClient client, ComfyQueueState queue, TrackedJob job, CancellationToken ct)
    {
        job.LastEventTimestamp = Stopwatch.GetTimestamp();
        var history = await client.GetHistoryAsync(job.PromptId, ct);
        if (history is not null)
        {
            BeginCompletion(job, Stopwatch.GetTimestamp(), history);
            return null;
        }
        if (job.IsCompleting)
        {
            return null; // it ended while we read (its events came first): the reads above are already old
        }
        if (queue.Running.Contains(job.PromptId))
        {
            backend.RunningPromptId = job.PromptId;
            lock (job.Gate)
            {
                MarkRunning(job);
            }
            PublishProgress(job);
        }
        else if (queue.Pending.Contains(job.PromptId))
        {
            lock (job.Gate)
            {
                job.MissedFrames = false; // it has not started: nothing was sent while we were away
            }
        }
        else
        {
            // Neither finished nor waiting: the server lost it (it restarted). Send it again.
            Untrack(job);
            LogLost(job.JobId, backend.Name);
            return new LostJob(job, $"{backend.Name} lost this job (it restarted?); queued again.");
        }
        return null;
    }

    private void BeginCompletion(TrackedJob job, long finalEventTimestamp, ComfyHistoryEntry? history)
    {
        if (!job.TryBeginCompletion())
        {
            return;
        }
        Untrack(job);
        completion.Enqueue(new CompletionWork(job, finalEventTimestamp, history));
        signal.Notify();
    }

    private void MarkRunning(TrackedJob job)
    {
        if (job.Status != JobStatus.Running)
        {
            job.Status = JobStatus.Running;
            Interlocked.Increment(ref _version);
            job.StartedAt ??= time.GetUtcNow().UtcDateTime; // the clock every other time of the job is read from
        }
    }

    private void PublishProgress(TrackedJob job)
    {
        lock (job.Gate)
        {
            var nodeName = job.CurrentNode is { } id ? job.NodeTitles.GetValueOrDefault(id, id) : null;
            // Never over a job's end: a check of the server can still be answering after the job's last event.
            events.Update(job.JobId, p => p.Status.IsTerminal() ? p : p with
            {
                Status = job.Status,
                Node = nodeName,
                NodeId = job.CurrentNode,
                StepValue = job.StepValue,
                StepMax = job.StepMax,
                NodesDone = job.FinishedNodes.Count,
                NodesTotal = job.NodeCount,
                Backend = job.Backend.Name,
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} was lost by ComfyUI {Backend}; sending it again")]
    private partial void LogLost(Guid jobId, string backend);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not check job {JobId} on ComfyUI {Backend}")]
    private partial void LogCheckFailed(Guid jobId, string backend, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not check jobs on ComfyUI {Backend}: {Error}")]
    private partial void LogReconcileFailed(string backend, string error);
}
