using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Models;
using DreamLayer.Web.Operations;

namespace DreamLayer.Web.Jobs;

/// <summary>A prompt the server has finished with (<c>executing</c> null, or found in <c>/history</c>).</summary>
public sealed record CompletionWork(TrackedJob Job, long FinalEventTimestamp, ComfyHistoryEntry? History);

/// <summary>
/// Collects finished prompts: fetches the images from <c>/view</c>, stores them with their metadata,
/// writes the job's outcome and metrics in one transaction, then tells every open page.
/// Runs off the WebSocket loop so that a slow download never delays another server's events.
/// </summary>
public sealed partial class JobCompletion(
    JobStore store,
    ImageStore images,
    ThumbnailQueue thumbnails,
    BackendPool pool,
    JobEvents events,
    JobSignal signal,
    JobMetrics metrics,
    JobModelHashes hashes,
    MemoryTrim memory,
    TimeProvider time,
    ILogger<JobCompletion> logger) : BackgroundService
{
    private const int Workers = 2;
    private readonly Channel<CompletionWork> _work = Channel.CreateUnbounded<CompletionWork>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> _collecting = new();

    /// <summary>Jobs whose server is done but whose images are still being collected, per owner: they still count against the person's cap.</summary>
    public IReadOnlyDictionary<string, int> CollectingByOwner() =>
        _collecting.Values.GroupBy(o => o, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public void Enqueue(CompletionWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        _collecting[work.Job.JobId] = work.Job.Job.Owner;
        thumbnails.NoteActivity();
        if (!_work.Writer.TryWrite(work))
        {
            throw new InvalidOperationException("The completion queue is closed.");
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => WorkAsync(stoppingToken)));

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var work in _work.Reader.ReadAllAsync(ct))
        {
            try
            {
                await CompleteAsync(work, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw; // shutting down: the job is collected again after the restart (it is still on its server)
            }
#pragma warning disable CA1031 // whatever goes wrong with one job (a locked database, a bad image, a bug) fails that job, and the worker goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogCollectFailed(work.Job.JobId, ex);
                await FailSafelyAsync(work, $"The job finished on {work.Job.Backend.Name} but its images could not be collected: {ex.Message}", ct);
            }
            finally
            {
                _collecting.TryRemove(work.Job.JobId, out _);
                signal.Notify();
                memory.JobDone();
            }
        }
    }

    /// <summary>Records a job as failed; if even that cannot be stored (the database is what failed), open pages still hear it.</summary>
    private async Task FailSafelyAsync(CompletionWork work, string message, CancellationToken ct)
    {
        try
        {
            await FinishAsync(work.Job, JobStatus.Failed, message, [], work.FinalEventTimestamp, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // the worker must outlive a database that cannot be written
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEndNotStored(work.Job.JobId, ex);
            events.Update(work.Job.JobId, p => p.Status.IsTerminal() ? p : p with { Status = JobStatus.Failed, Message = message, Node = null, StepValue = 0, StepMax = 0 });
        }
    }

    private async Task CompleteAsync(CompletionWork work, CancellationToken ct)
    {
        var job = work.Job;
        var client = pool.ClientFor(job.Backend);
        var history = work.History;
        JobOutcome outcome;
        List<(string Node, ComfyImageRef Image)> refs;
        List<(string Node, ReadOnlyMemory<byte> Png)> sent;
        string? lostFrames;
        lock (job.Gate)
        {
            outcome = job.Outcome;
            refs = [.. job.Images];
            sent = [.. job.SocketImages.SelectMany(n => n.Value.Select(png => (n.Key, png)))];
            lostFrames = job.LostSocketImages();
        }
        // The events tell us everything when we saw them all; otherwise ask /history (it is written before `executing` null).
        if (history is null && (outcome == JobOutcome.Unknown || (outcome == JobOutcome.Success && refs.Count == 0)))
        {
            history = await client.GetHistoryAsync(job.PromptId, ct);
        }
        string? error = job.Error;
        if (history is not null)
        {
            outcome = history.Succeeded ? JobOutcome.Success : history.Interrupted ? JobOutcome.Interrupted : JobOutcome.Error;
            error = history.ErrorMessage ?? error;
            var fromHistory = job.OutputNodes.SelectMany(n => history.Outputs.TryGetValue(n, out var images) ? images.Select(i => (n, i)) : []).ToList();
            if (fromHistory.Count > 0)
            {
                refs = fromHistory;
            }
        }

        // Every image in the order of the output nodes: files from /view, and what SaveImageWebsocket nodes sent.
        var order = job.OutputNodes.Select((node, index) => (node, index)).ToDictionary(x => x.node, x => x.index, StringComparer.Ordinal);
        var results = refs.Select(r => (r.Node, File: (ComfyImageRef?)r.Image, Sent: ReadOnlyMemory<byte>.Empty))
            .Concat(sent.Select(s => (s.Node, File: (ComfyImageRef?)null, Sent: s.Png)))
            .OrderBy(r => order.GetValueOrDefault(r.Node, int.MaxValue))
            .ToList();

        switch (outcome)
        {
            case JobOutcome.Success when lostFrames is not null:
                await FinishAsync(job, JobStatus.Failed, lostFrames, [], work.FinalEventTimestamp, ct);
                break;
            case JobOutcome.Success when results.Count > 0 && StoredRequest.Read(job.Job.RequestJson) is StoredRequestUnreadable unreadable:
                await FinishAsync(job, JobStatus.Failed, $"The job finished on {job.Backend.Name}, but its images were not kept: {unreadable.Reason}", [], work.FinalEventTimestamp, ct);
                break;
            case JobOutcome.Success when results.Count > 0:
                var saved = new List<ImageEntity>(results.Count);
                var request = job.Job.ReadRequest();
                job.ImageNodes = [.. results.Select(r => r.Node)];
                try
                {
                    for (var i = 0; i < results.Count; i++)
                    {
                        var bytes = results[i].File is { } file ? await client.GetImageAsync(file, images.MaxImageBytes, ct) : WithGraph(results[i].Sent, job);
                        saved.Add(await images.SaveAsync(job.Job, i, bytes, Infotext(job.Job, request, i, hashes.For(job.Backend.Name)), ct));
                    }
                    if (!await FinishAsync(job, JobStatus.Succeeded, null, saved, work.FinalEventTimestamp, ct))
                    {
                        DeleteFiles(saved); // it was cancelled or had ended meanwhile: it keeps no images
                        break;
                    }
                }
                catch
                {
                    DeleteFiles(saved); // no row points at them
                    throw;
                }
                // Thumbnails are made after the image is published, once the pipeline is quiet (the thumbnail endpoint makes one asked for sooner).
                foreach (var row in saved)
                {
                    thumbnails.Enqueue(row);
                }
                break;
            case JobOutcome.Success:
                await FinishAsync(job, JobStatus.Failed, $"{job.Backend.Name} finished the job but its Save Image node produced no image.", [], work.FinalEventTimestamp, ct);
                break;
            case JobOutcome.Interrupted:
                await FinishAsync(job, job.CancelRequested ? JobStatus.Cancelled : JobStatus.Failed,
                    job.CancelRequested ? "Cancelled." : $"Interrupted on {job.Backend.Name} (someone stopped it in ComfyUI).", [], work.FinalEventTimestamp, ct);
                break;
            default:
                await FinishAsync(job, JobStatus.Failed, error ?? $"{job.Backend.Name} reported an error without details.", [], work.FinalEventTimestamp, ct);
                break;
        }
    }

    private void DeleteFiles(List<ImageEntity> saved)
    {
        foreach (var image in saved)
        {
            try
            {
                images.DeleteFiles(image);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogDeleteFailed(image.Id, ex.Message);
            }
        }
    }

    /// <summary>Stores the job's end; false (nothing stored or published) when the job may no longer move there (cancelled, or ended).</summary>
    private async Task<bool> FinishAsync(TrackedJob tracked, JobStatus status, string? message, List<ImageEntity> saved, long finalEventTimestamp, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        double? executionMs = null, queueWaitMs = null, stepsPerSecond;
        string nodeTimings;
        lock (tracked.Gate)
        {
            if (tracked.StartedAt is { } started)
            {
                executionMs = (now - started).TotalMilliseconds;
                queueWaitMs = (started - tracked.Job.CreatedAt).TotalMilliseconds;
            }
            stepsPerSecond = tracked.StepsPerSecond();
            nodeTimings = NodeTimingsJson(tracked.NodeMilliseconds);
        }

        if (!await store.FinishAsync(new JobResult(tracked.JobId, status, message, tracked.StartedAt, now, queueWaitMs, executionMs, stepsPerSecond, nodeTimings, tracked.SubmitOverheadMs), saved, ct))
        {
            LogAlreadyEnded(tracked.JobId, status);
            return false;
        }

        metrics.Finished(status, tracked.Job.ModelName(), tracked.Backend.Name, queueWaitMs, executionMs);
        var imageIds = ImageIds(saved);
        events.Update(tracked.JobId, p => p with { Status = status, Message = message, ImageIds = imageIds, ImageNodes = saved.Count > 0 ? tracked.ImageNodes : [], Node = null, NodeId = null, StepValue = 0, StepMax = 0 });
        foreach (var image in saved)
        {
            events.PublishImage(tracked.JobId, NewImage.From(image));
        }
        var overhead = Stopwatch.GetElapsedTime(finalEventTimestamp).TotalMilliseconds;

        // Measured after publishing, so this write is outside the figure it records.
        await store.SetCompletionOverheadAsync(tracked.JobId, overhead, ct);
        LogFinished(tracked.JobId, status, imageIds.Count);
        return true;
    }

    /// <summary>
    /// An image a SaveImageWebsocket node sent, which has no text chunks ("no metadata will be put in the images"): given
    /// the <c>prompt</c> and <c>workflow</c> chunks SaveImage writes, so that it opens in ComfyUI like every other image.
    /// </summary>
    private static byte[] WithGraph(ReadOnlyMemory<byte> sent, TrackedJob job)
    {
        var bytes = sent.ToArray();
        if (!bytes.AsSpan().StartsWith(PngSignature) || job.Job.GraphJson is not { } graphJson || PngTextChunks.Find(bytes, "prompt") is not null)
        {
            return bytes;
        }
        var workflow = UiWorkflow.FromApiGraph(ComfyGraph.Parse(graphJson), job.Backend.ObjectInfo).ToJsonString();
        return PngTextChunks.AddText(bytes, [("prompt", graphJson), ("workflow", workflow)]);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The ids of a job's saved images, in order, as its progress lists them.</summary>
    internal static List<Guid> ImageIds(List<ImageEntity> saved) => saved.Select(i => i.Id).ToList();

    /// <summary>The per-node timings as stored with the job: node id → ms, to 0.01 ms.</summary>
    internal static string NodeTimingsJson(Dictionary<string, double> nodeMilliseconds) =>
        JsonSerializer.Serialize(nodeMilliseconds.ToDictionary(k => k.Key, k => Math.Round(k.Value, 2)));

    /// <summary>
    /// The A1111 <c>parameters</c> text of one image (<paramref name="request"/> is the job's, read once for all its images), as A1111 writes it: the model by its A1111 name, sampler and
    /// scheduler by their A1111 labels, batch fields only for batches. ComfyUI offers no way to learn a file's hash, so
    /// "Model hash" and "Lora hashes" are written only when the files in the models folder of the server that ran the
    /// job (<paramref name="hashes"/>) have been read and hashed.
    /// </summary>
    internal static string Infotext(JobEntity job, GenerationRequest request, int index, ServerModelHashes? hashes = null)
    {
        if (job.Mode == nameof(GenerationMode.Upscale))
        {
            return UpscaleText.Infotext(request);
        }
        var infotext = new InfotextParameters(
            job.Prompt, job.NegativePrompt, job.Steps, job.Sampler, job.Scheduler, job.Cfg, job.Seed, job.Width, job.Height,
            string.IsNullOrEmpty(job.Checkpoint) ? null : A1111Infotext.ModelName(job.Checkpoint),
            ModelHash: string.IsNullOrEmpty(job.Checkpoint) ? null : hashes?.ModelHash(job.Checkpoint),
            LoraHashes: hashes is null ? null : LoraHashes(request, hashes),
            Extra: ExtraFields(job, request, index));
        // Picker LoRAs, ControlNet units, hires fix, VAE, CLIP skip and denoise, as A1111 writes them.
        return A1111Infotext.Write(job.Mode == nameof(GenerationMode.Workflow) ? infotext : RequestInfotext.With(infotext, request));
    }

    /// <summary>A1111's <c>Lora hashes</c>: each LoRA the job used whose hash is known, by its A1111 name.</summary>
    private static Dictionary<string, string>? LoraHashes(GenerationRequest request, ServerModelHashes hashes)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var lora in AdvancedValidator.EffectiveLoras(request, available: null))
        {
            if (hashes.LoraHash(lora.Name) is { } hash)
            {
                known[A1111Infotext.ModelName(lora.Name)] = hash;
            }
        }
        return known.Count > 0 ? known : null;
    }

    /// <summary>Batch fields only for batches (as A1111), and the saved workflow's name for a workflow job.</summary>
    private static Dictionary<string, string>? ExtraFields(JobEntity job, GenerationRequest request, int index)
    {
        var extra = new Dictionary<string, string>();
        if (job.BatchSize > 1)
        {
            extra["Batch size"] = job.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
            extra["Batch pos"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (job.Mode == nameof(GenerationMode.Workflow) && request.Workflow is { } workflow)
        {
            extra["Workflow"] = workflow.Name;
        }
        return extra.Count > 0 ? extra : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} finished: {Status}, {ImageCount} image(s)")]
    private partial void LogFinished(Guid jobId, JobStatus status, int imageCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} had already ended; its late outcome ({Status}) was not recorded")]
    private partial void LogAlreadyEnded(Guid jobId, JobStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the end of job {JobId}")]
    private partial void LogEndNotStored(Guid jobId, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete an unkept image file of {ImageId}: {Reason}")]
    private partial void LogDeleteFailed(Guid imageId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not collect the images of job {JobId}")]
    private partial void LogCollectFailed(Guid jobId, Exception ex);
}
