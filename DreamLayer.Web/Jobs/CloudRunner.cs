using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Runs the cloud jobs the dispatcher hands it, each on its own until it ends: sends the request once through the
/// provider's <see cref="ICloudImageProvider"/> (never through ComfyUI), stores an accepted task's handle before any
/// waiting (so that a restart follows it again instead of sending it again), says on the job's card where it is (sent,
/// generating with the time so far, downloading), stores the pictures through the <see cref="ImageStore"/> with what
/// the provider said of them, and ends the job as the provider's answer says, in its words.
/// </summary>
public sealed partial class CloudRunner(
    IServiceProvider services,
    CloudBackends backends,
    JobStore store,
    JobEvents events,
    JobSignal signal,
    JobMetrics metrics,
    ImageStore images,
    ThumbnailQueue thumbnails,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<CloudRunner> logger)
{
    /// <summary>How often the card's "generating … s" moves on.</summary>
    private static readonly TimeSpan ElapsedEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, CloudRun> _runs = new();

    /// <summary>One cloud job being run.</summary>
    internal sealed class CloudRun(JobEntity job, GenerationRequest request, CloudSetting cloud, CloudProviderId provider, CancellationToken stopping)
    {
        public JobEntity Job { get; } = job;
        public GenerationRequest Request { get; } = request;
        public CloudSetting Cloud { get; } = cloud;
        public CloudProviderId Provider { get; } = provider;
        public string Name => CloudCatalog.NameOf(Provider);
        public CancellationTokenSource Cancel { get; } = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        public long SubmittedTimestamp { get; init; } = Stopwatch.GetTimestamp();

        /// <summary>An accepted task to follow (restored after a restart, or just accepted).</summary>
        public CloudTaskHandle? Task { get; set; }

        /// <summary>Set once the request may have reached the provider: from then on it is never sent again.</summary>
        public volatile bool Sent;

        public volatile bool CancelRequested;

        public DateTime? StartedAt { get; set; }
    }

    /// <summary>Jobs at a provider now.</summary>
    public int InFlightCount(CloudProviderId provider) => _runs.Values.Count(r => r.Provider == provider);

    /// <summary>Cloud jobs running now, per owner (they count against the person's cap like jobs on servers).</summary>
    public IReadOnlyDictionary<string, int> InFlightByOwner() =>
        _runs.Values.GroupBy(r => r.Job.Owner, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public string? OwnerOf(Guid jobId) => _runs.TryGetValue(jobId, out var run) ? run.Job.Owner : null;

    public IReadOnlyList<Guid> JobsOfBatch(Guid batchId) => [.. _runs.Values.Where(r => r.Job.BatchId == batchId).Select(r => r.Job.Id)];

    /// <summary>The run of a job the dispatcher took for a provider; <see cref="Track"/> then <see cref="Start"/> it.</summary>
    internal CloudRun Prepare(QueuedJob queued)
    {
        ArgumentNullException.ThrowIfNull(queued);
        var cloud = queued.Request.Cloud ?? throw new InvalidOperationException("Not a cloud job.");
        if (!CloudCatalog.TryParse(cloud.Provider, out var provider))
        {
            throw new InvalidDataException($"There is no cloud provider '{cloud.Provider}'.");
        }
        return new CloudRun(queued.Job, queued.Request, cloud, provider, lifetime.ApplicationStopping) { SubmittedTimestamp = queued.SubmittedTimestamp };
    }

    /// <summary>From here on a cancel reaches the job here (called under the queue's lock, see <see cref="JobQueue.HandOver(Guid, Action)"/>).</summary>
    internal void Track(CloudRun run) => _runs[run.Job.Id] = run;

    /// <summary>Runs the job in the background until it ends.</summary>
    internal void Start(CloudRun run) => _ = Task.Run(() => RunAsync(run));

    /// <summary>
    /// Stops a cloud job: before its request left, nothing is sent; a sent synchronous request is abandoned (its result,
    /// if it comes, is discarded; the provider may still bill it); an accepted BFL task is no longer polled. False when
    /// the job is not one of the running cloud jobs.
    /// </summary>
    public bool RequestCancel(Guid jobId)
    {
        if (!_runs.TryGetValue(jobId, out var run))
        {
            return false;
        }
        run.CancelRequested = true;
        run.Cancel.Cancel();
        return true;
    }

    /// <summary>
    /// At start-up, a cloud job that had been sent: an accepted task is followed again by its stored handle (never sent
    /// again); a request whose answer was still awaited cannot be followed and ends failed, saying so.
    /// </summary>
    internal async Task RestoreAsync(JobEntity job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        var name = CloudCatalog.TryParse(job.CloudProvider, out var provider) ? CloudCatalog.NameOf(provider) : job.CloudProvider ?? "the cloud provider";
        var handle = job.CloudTaskJson is { } json ? ReadHandle(json) : null;
        if (handle is null || StoredRequest.Read(job.RequestJson) is not StoredRequestRead { Request.Cloud: not null } read)
        {
            await FailAsync(job, provider, $"DreamLayer stopped while {name} was working on this request, and {name} cannot be asked for the answer later. " +
                $"It was not sent again: {name} may have made and billed it (check its usage page).", record: false, ct);
            return;
        }
        var run = new CloudRun(job, read.Request, read.Request.Cloud, provider, lifetime.ApplicationStopping)
        {
            Task = handle,
            StartedAt = job.StartedAt,
        };
        run.Sent = true;
        Track(run);
        events.Update(job.Id, p => p with { Status = JobStatus.Running, Backend = name, Message = Generating(run), Cloud = true });
        LogResuming(job.Id, name, handle.Id);
        Start(run);
    }

    private static CloudTaskHandle? ReadHandle(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<CloudTaskHandle>(json, StoredRequest.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task RunAsync(CloudRun run)
    {
        var job = run.Job;
        var ct = run.Cancel.Token;
        using var watch = CloudStages.Watch(stage =>
        {
            if (stage == CloudStage.Downloading)
            {
                run.StartedAt ??= time.GetUtcNow().UtcDateTime;
                events.Update(job.Id, p => p.Status.IsTerminal() ? p : p with { Message = $"Downloading the picture from {run.Name}." });
            }
        });
        using var ticking = new CancellationTokenSource();
        try
        {
            var provider = services.GetServices<ICloudImageProvider>().Single(p => p.Provider == run.Provider);
            var key = await backends.KeyAsync(run.Provider, ct)
                ?? throw new CloudProviderException(run.Provider, CloudFailure.InvalidKey, $"{run.Name} has no key any more; an admin adds one under API keys. Nothing was sent.");
            CloudResult result;
            if (run.Task is { } restored)
            {
                _ = ShowElapsedAsync(run, ticking.Token);
                result = await provider.ResumeAsync(restored, key, ct);
            }
            else
            {
                var (pictures, missing) = await backends.PicturesAsync(run.Request, ct);
                if (missing is not null)
                {
                    // The upload was removed while the job waited: the provider is not at fault and nothing is sent.
                    await EndSafelyAsync(run, JobStatus.Failed, missing.Message + " Nothing was sent.", nothingBilled: true);
                    return;
                }
                if (!await MarkSentAsync(run, ticking.Token, ct))
                {
                    return; // it ended meanwhile (cancelled): nothing is sent
                }
                var submission = await provider.SubmitAsync(ToRequest(run, pictures), key, ct);
                switch (submission)
                {
                    case CloudAccepted { Task: var task }:
                        run.Task = task;
                        run.StartedAt = time.GetUtcNow().UtcDateTime;
                        // Stored before any waiting, whatever happens to the app now: after a restart it is followed, not sent again.
                        var charge = new CloudCharge(task.Id, task.Cost?.Amount, task.Cost?.Unit);
                        if (!await store.MarkCloudRunningAsync(job.Id, run.StartedAt.Value, JsonSerializer.Serialize(task, StoredRequest.Json), charge, CancellationToken.None))
                        {
                            return;
                        }
                        events.Update(job.Id, p => p.Status.IsTerminal() ? p : p with { Status = JobStatus.Running, Message = Generating(run) });
                        _ = ShowElapsedAsync(run, ticking.Token);
                        result = await provider.ResumeAsync(task, key, ct);
                        break;
                    case CloudFinished finished:
                        result = finished.Result;
                        break;
                    default:
                        throw new InvalidOperationException($"Unknown answer {submission.GetType().Name}.");
                }
            }
            await ticking.CancelAsync();
            await FinishAsync(run, result, ct);
        }
        catch (OperationCanceledException ex) when (run.CancelRequested)
        {
            await ticking.CancelAsync();
            var message = ex is CloudCancelledException { MayHaveBeenBilled: true } billed
                ? $"Cancelled. {billed.Message} Its result is discarded."
                : "Cancelled.";
            await EndSafelyAsync(run, JobStatus.Cancelled, message, nothingBilled: run.Task is null && ex is CloudCancelledException { MayHaveBeenBilled: false });
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // The app is stopping: a job whose request never left goes back in line; a sent one is decided at the next start.
            if (!run.Sent)
            {
                await store.RequeueAsync(job.Id, "Waiting: DreamLayer restarted before it was sent.", lostRun: false, CancellationToken.None);
            }
            LogStopped(job.Id, run.Name);
        }
        catch (CloudProviderException ex)
        {
            await ticking.CancelAsync();
            // Refused before it was accepted (a bad key, no credit, a refusal): the provider billed nothing. An accepted task was billed.
            await EndSafelyAsync(run, JobStatus.Failed, ex.Message, record: true, nothingBilled: run.Task is null && !ex.MayHaveBeenBilled);
        }
#pragma warning disable CA1031 // whatever else goes wrong with one job (a locked database, a picture refused, a bug) fails that job alone
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await ticking.CancelAsync();
            LogRunFailed(job.Id, ex);
            var message = run.Sent
                ? $"{run.Name} answered, but its pictures could not be kept: {ex.Message}"
                : $"Could not be sent to {run.Name}: {ex.Message}";
            await EndSafelyAsync(run, JobStatus.Failed, message);
        }
        finally
        {
            await ticking.CancelAsync();
            _runs.TryRemove(job.Id, out _);
            run.Cancel.Dispose();
            signal.Notify();
        }
    }

    /// <summary>The row says the job was sent, just before it is; for a synchronous provider it is generating from then on.</summary>
    private async Task<bool> MarkSentAsync(CloudRun run, CancellationToken ticking, CancellationToken ct)
    {
        var job = run.Job;
        var now = time.GetUtcNow().UtcDateTime;
        job.Backend = run.Name;
        job.SentAt = now;
        job.Attempts++;
        if (!await store.MarkSubmittedAsync(job, ct))
        {
            return false;
        }
        job.Status = JobStatus.Submitted;
        var canResume = run.Provider == CloudProviderId.Bfl;
        run.Sent = true;
        if (canResume)
        {
            events.Update(job.Id, p => p with { Status = JobStatus.Submitted, Backend = run.Name, Message = $"Sent to {run.Name}; waiting for it to accept the task.", Cloud = true });
            return true;
        }
        // OpenAI and Ideogram answer with the pictures while the request is open: it is generating from now on. The row
        // stays "sent" with no task: a restart meanwhile ends it as failed, never sends it again.
        run.StartedAt = now;
        events.Update(job.Id, p => p with { Status = JobStatus.Running, Backend = run.Name, Message = Generating(run), Cloud = true });
        _ = ShowElapsedAsync(run, ticking);
        return true;
    }

    /// <summary>Moves the card's "generating … s" on every second while the provider works.</summary>
    private async Task ShowElapsedAsync(CloudRun run, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(ElapsedEvery, time, ct);
                events.Update(run.Job.Id, p => p.Status == JobStatus.Running && p.Message is { } m && m.StartsWith("Generating", StringComparison.Ordinal)
                    ? p with { Message = Generating(run) }
                    : p);
            }
        }
        catch (OperationCanceledException)
        {
            // the job moved on
        }
    }

    private string Generating(CloudRun run) => $"Generating at {run.Name} · {Elapsed(time.GetUtcNow().UtcDateTime - (run.StartedAt ?? time.GetUtcNow().UtcDateTime))}";

    /// <summary>"12 s", "3 min 5 s".</summary>
    internal static string Elapsed(TimeSpan elapsed)
    {
        var seconds = Math.Max(0, (long)elapsed.TotalSeconds);
        return seconds < 60
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60} min {seconds % 60} s");
    }

    /// <summary>What is sent: the request's prompts and cloud settings, and the run's seed where the model honours one.</summary>
    private static CloudImageRequest ToRequest(CloudRun run, CloudEditPictures? pictures = null)
    {
        var model = CloudCatalog.Find(run.Provider, run.Cloud.Model);
        long? seed = model?.Seeds is { } range ? (long)Math.Clamp(run.Job.Seed, (ulong)Math.Max(0, range.Min), (ulong)range.Max) : null;
        return CloudBackends.ToCloudRequest(run.Request, run.Cloud, seed, pictures);
    }

    /// <summary>Stores the pictures (as PNG, with their <c>parameters</c> chunk) and the job's end in one transaction, then tells the pages.</summary>
    private async Task FinishAsync(CloudRun run, CloudResult result, CancellationToken ct)
    {
        var job = run.Job;
        var finalTimestamp = Stopwatch.GetTimestamp();
        var saved = new List<ImageEntity>(result.Images.Count);
        var sent = ToRequest(run);
        try
        {
            for (var i = 0; i < result.Images.Count; i++)
            {
                // A provider that echoes the prompt unchanged (BFL without upsampling) revised nothing.
                var picture = result.Images[i] is { RevisedPrompt: { } revised } echoed && revised == run.Request.Prompt ? echoed with { RevisedPrompt = null } : result.Images[i];
                var png = await images.AsPngAsync(picture.Bytes, ct);
                var row = await images.SaveAsync(job, i, png, Infotext(run, result, picture, sent), ct);
                row.CloudProvider = run.Provider.ToString();
                row.RevisedPrompt = picture.RevisedPrompt;
                row.CloudSeed = picture.Seed;
                saved.Add(row);
            }
            var now = time.GetUtcNow().UtcDateTime;
            var started = run.StartedAt ?? job.SentAt ?? now;
            var executionMs = (now - started).TotalMilliseconds;
            var queueWaitMs = (started - job.CreatedAt).TotalMilliseconds;
            var submitOverhead = job.SentAt is null ? (double?)null : Stopwatch.GetElapsedTime(run.SubmittedTimestamp).TotalMilliseconds - executionMs;
            var charge = new CloudCharge(result.RequestId ?? run.Task?.Id, result.Cost?.Amount, result.Cost?.Unit);
            var outcome = new JobResult(job.Id, JobStatus.Succeeded, null, started, now, queueWaitMs, executionMs, null, "{}", submitOverhead is > 0 ? submitOverhead : null, charge);
            if (!await store.FinishAsync(outcome, saved, CancellationToken.None))
            {
                DeleteFiles(saved); // it was cancelled or had ended meanwhile: it keeps no pictures
                return;
            }
            metrics.Finished(JobStatus.Succeeded, job.ModelName(), run.Name, queueWaitMs, executionMs);
            var ids = JobCompletion.ImageIds(saved);
            events.Update(job.Id, p => p with { Status = JobStatus.Succeeded, Message = null, ImageIds = ids });
            foreach (var image in saved)
            {
                events.PublishImage(job.Id, NewImage.From(image));
            }
            await store.SetCompletionOverheadAsync(job.Id, Stopwatch.GetElapsedTime(finalTimestamp).TotalMilliseconds, CancellationToken.None);
            LogFinished(job.Id, run.Name, saved.Count);
        }
        catch
        {
            DeleteFiles(saved);
            throw;
        }
        foreach (var image in saved)
        {
            thumbnails.Enqueue(image);
        }
    }

    /// <summary>
    /// The A1111-style <c>parameters</c> text of a cloud picture: the prompts, then the size, the seed where known, the
    /// model and its provider, each setting as <paramref name="sent"/> (with the app's defaults), the provider's revised prompt,
    /// its request id and cost.
    /// </summary>
    internal static string Infotext(CloudRun run, CloudResult result, CloudImage picture, CloudImageRequest sent)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(sent);
        var model = CloudCatalog.Find(run.Provider, run.Cloud.Model);
        var fields = new List<(string Key, string? Value)>
        {
            ("Size", run.Cloud.Size),
            ("Aspect ratio", run.Cloud.AspectRatio),
            ("Seed", (picture.Seed ?? sent.Seed)?.ToString(CultureInfo.InvariantCulture)),
            ("Model", run.Cloud.Model),
            ("Provider", run.Name),
            ("Images per request", run.Cloud.Count > 1 ? run.Cloud.Count.ToString(CultureInfo.InvariantCulture) : null),
        };
        if (sent.IsEdit)
        {
            // An edit: what was changed, and how much of the picture the provider was told to keep where it takes that.
            fields.Add(("Cloud edit", sent.Edit.HasFlag(CloudEdits.Mask) ? "inpaint (picture and mask)" : "img2img (picture)"));
            fields.Add(("Source image", run.Request.SourceImage?.ToString("N")));
            fields.Add(("Denoising strength", sent.ImageWeight is null ? null : run.Request.Denoise.ToString("0.###", CultureInfo.InvariantCulture)));
            fields.Add(("Image weight", sent.ImageWeight?.ToString(CultureInfo.InvariantCulture)));
        }
        foreach (var (name, value) in sent.Options.OrderBy(o => o.Key, StringComparer.Ordinal)) // as sent: with the app's defaults
        {
            fields.Add((model?.Option(name)?.Label ?? name, value));
        }
        fields.Add(("Revised prompt", picture.RevisedPrompt));
        fields.Add(("Request id", result.RequestId ?? run.Task?.Id));
        fields.Add(("Cost", result.Cost is { } cost ? $"{cost.Amount.ToString("0.####", CultureInfo.InvariantCulture)} {cost.Unit}" : null));
        fields.Add(("Version", A1111Infotext.DreamLayerVersion));
        return A1111Infotext.Write(run.Request.Prompt, run.Request.NegativePrompt, fields);
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

    /// <summary>Ends a job that made nothing; if even that cannot be stored, open pages still hear it.</summary>
    private async Task EndSafelyAsync(CloudRun run, JobStatus status, string message, bool record = false, bool nothingBilled = false)
    {
        try
        {
            if (status == JobStatus.Failed)
            {
                await FailAsync(run.Job, run.Provider, message, record, CancellationToken.None, nothingBilled);
                return;
            }
            if (await store.EndAsync(run.Job.Id, status, message, time.GetUtcNow().UtcDateTime, CancellationToken.None, nothingBilled))
            {
                metrics.Finished(status, run.Job.ModelName(), run.Name, null, null);
                events.Update(run.Job.Id, p => p with { Status = status, Message = message });
            }
        }
#pragma warning disable CA1031 // the database itself may be what failed
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEndNotStored(run.Job.Id, ex);
            events.Update(run.Job.Id, p => p.Status.IsTerminal() ? p : p with { Status = status, Message = message });
        }
    }

    private async Task FailAsync(JobEntity job, CloudProviderId provider, string message, bool record, CancellationToken ct, bool nothingBilled = false)
    {
        if (record)
        {
            backends.RecordError(provider, message);
        }
        if (!await store.EndAsync(job.Id, JobStatus.Failed, message, time.GetUtcNow().UtcDateTime, ct, nothingBilled))
        {
            return; // it had ended meanwhile (cancelled): it stays as it ended
        }
        metrics.Finished(JobStatus.Failed, job.ModelName(), CloudCatalog.NameOf(provider), null, null);
        events.Update(job.Id, p => p with { Status = JobStatus.Failed, Message = message, Cloud = true });
        LogFailed(job.Id, message);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cloud job {JobId} finished at {Provider}: {Count} picture(s)")]
    private partial void LogFinished(Guid jobId, string provider, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cloud job {JobId} failed: {Reason}")]
    private partial void LogFailed(Guid jobId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Following cloud job {JobId} at {Provider} again (task {TaskId})")]
    private partial void LogResuming(Guid jobId, string provider, string taskId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cloud job {JobId} at {Provider} left as it is: the app is stopping")]
    private partial void LogStopped(Guid jobId, string provider);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cloud job {JobId} failed")]
    private partial void LogRunFailed(Guid jobId, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the end of cloud job {JobId}")]
    private partial void LogEndNotStored(Guid jobId, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete an unkept image file of {ImageId}: {Reason}")]
    private partial void LogDeleteFailed(Guid imageId, string reason);
}
