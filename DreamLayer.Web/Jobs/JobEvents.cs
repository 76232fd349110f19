using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Events;

namespace DreamLayer.Web.Jobs;

/// <summary>What an open page shows of one job, live.</summary>
public sealed record JobProgress
{
    public required Guid JobId { get; init; }
    public required Guid BatchId { get; init; }
    public required JobStatus Status { get; init; }
    public required string Prompt { get; init; }
    public required string Checkpoint { get; init; }
    public required ulong Seed { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required DateTime CreatedAt { get; init; }
    public string? Message { get; init; }
    public string? Backend { get; init; }

    /// <summary>Title or class of the node running now.</summary>
    public string? Node { get; init; }

    /// <summary>The id, in the graph as sent, of the node running now (what ComfyUI's <c>executing</c> names); null between nodes and at the end.</summary>
    public string? NodeId { get; init; }
    public int StepValue { get; init; }
    public int StepMax { get; init; }
    public int NodesDone { get; init; }
    public int NodesTotal { get; init; }
    public IReadOnlyList<Guid> ImageIds { get; init; } = [];

    /// <summary>The output node (its id in the graph as sent) each of <see cref="ImageIds"/> came from, in the same order; empty when not known.</summary>
    public IReadOnlyList<string> ImageNodes { get; init; } = [];

    /// <summary>What the job does when it has no prompt, e.g. <c>Upscale ×2 (lanczos)</c>; null for generation jobs.</summary>
    public string? Summary { get; init; }

    /// <summary>Which page's list the job belongs to.</summary>
    public GenerationMode Mode { get; init; }

    /// <summary>The id of the user who submitted it.</summary>
    public string Owner { get; init; } = string.Empty;

    /// <summary>A cloud job: its backend is a provider (the card says "Sent" and "Generating", not a server's queue and steps).</summary>
    public bool Cloud { get; init; }
}

public abstract record JobEvent(Guid JobId);

public sealed record JobChanged(JobProgress Job) : JobEvent(Job.JobId);

/// <summary>A newer preview frame (<paramref name="Sequence"/>) is available from <see cref="JobEvents.TryGetPreview"/> and <c>/previews/{jobId}</c>.</summary>
public sealed record PreviewAvailable(Guid JobId, long Sequence) : JobEvent(JobId);

/// <summary>
/// A finished job's image was stored. It carries what an open gallery needs to decide whether it shows the image and
/// where, so that a new image costs each open gallery no read of the database.
/// </summary>
public sealed record ImageCreated(Guid JobId, NewImage Image) : JobEvent(JobId);

/// <summary>The gallery's columns of a stored image (the prompt cut to what a tooltip shows), as they are in its row.</summary>
public sealed record NewImage(Guid Id, long Seq, DateTime CreatedAt, string OwnerId, string OwnerName, string Prompt, int Width, int Height,
    bool IsPrivate, string Mode, string Model, string Sampler, IReadOnlyList<string> Loras)
{
    /// <summary>How much of the prompt the gallery keeps per image.</summary>
    public const int PromptLength = 200;

    /// <summary>From a row just stored (its <see cref="ImageEntity.Seq"/> read back).</summary>
    public static NewImage From(ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new NewImage(image.Id, image.Seq ?? throw new InvalidOperationException($"Image {image.Id} has no Seq: it was not read back after the insert."),
            image.CreatedAt, image.OwnerId, image.OwnerName, image.Prompt.Length > PromptLength ? image.Prompt[..PromptLength] : image.Prompt,
            image.Width, image.Height, image.IsPrivate, image.Mode, image.Model, image.Sampler, [.. image.Loras.Select(l => l.Name)]);
    }
}

/// <summary>Something about the queue as a whole changed (dispatch paused or resumed).</summary>
public sealed record QueueStateChanged() : JobEvent(Guid.Empty);

public sealed record PreviewFrame(ReadOnlyMemory<byte> Image, string MediaType, long Sequence)
{
    private int _shown;

    /// <summary>True the first time a page takes this frame.</summary>
    internal bool MarkShown() => Interlocked.Exchange(ref _shown, 1) == 0;

    internal bool WasShown => Volatile.Read(ref _shown) == 1;
}

/// <summary>
/// Pushes job changes to open pages, each to those who show it (topics of <see cref="Events.Topic{T}"/>):
/// <list type="bullet">
/// <item><see cref="Subscribe"/>: every change of every job, images and queue state; never a preview frame.</item>
/// <item><see cref="SubscribeJob"/>: one job's changes and its preview frames (a job card).</item>
/// <item><see cref="SubscribeOwner"/>: the changes of one person's jobs of one mode (a page's job list).</item>
/// <item><see cref="SubscribeQueue"/>: a job appeared or changed status, or the queue was paused or resumed; not per step.</item>
/// <item><see cref="SubscribeImages"/>: a finished job's image was stored.</item>
/// </list>
/// Handlers must be quick (they schedule a render, nothing more). Previews are latest-wins: only the newest frame per
/// job is kept, and pages fetch it over HTTP (<c>/previews/{jobId}</c>), so a slow browser skips frames instead of
/// queueing them.
/// </summary>
public sealed class JobEvents
{
    private readonly ConcurrentDictionary<Guid, JobProgress> _jobs = new();
    private readonly ConcurrentDictionary<Guid, PreviewFrame> _previews = new();
    private readonly ConcurrentDictionary<Guid, long> _finishedAt = new();
    private readonly Topic<JobEvent> _all;
    private readonly KeyedTopic<Guid, JobEvent> _byJob;
    private readonly KeyedTopic<(string Owner, GenerationMode Mode), JobChanged> _byOwner;
    private readonly Topic<JobEvent> _queue;
    private readonly Topic<ImageCreated> _images;
    private long _previewSequence;
    private long _previewsReceived;
    private long _previewsShown;
    private long _previewsDropped;

    public JobEvents(ILogger<JobEvents>? logger = null)
    {
        _all = new Topic<JobEvent>("job events", logger);
        _byJob = new KeyedTopic<Guid, JobEvent>("one job's events", logger);
        _byOwner = new KeyedTopic<(string, GenerationMode), JobChanged>("a person's job events", logger);
        _queue = new Topic<JobEvent>("queue events", logger);
        _images = new Topic<ImageCreated>("image events", logger);
    }

    public long PreviewsReceived => Interlocked.Read(ref _previewsReceived);

    /// <summary>Frames a page took to show.</summary>
    public long PreviewsShown => Interlocked.Read(ref _previewsShown);

    /// <summary>Frames replaced by a newer one before any page took them (latest-wins).</summary>
    public long PreviewsDropped => Interlocked.Read(ref _previewsDropped);

    /// <summary>Every change of every job (progress included), every stored image and queue state change; no preview frames.</summary>
    public IDisposable Subscribe(Action<JobEvent> handler) => _all.Subscribe(handler);

    /// <summary>One job's changes (<see cref="JobChanged"/>) and its new preview frames (<see cref="PreviewAvailable"/>).</summary>
    public IDisposable SubscribeJob(Guid jobId, Action<JobEvent> handler) => _byJob.Subscribe(jobId, handler);

    /// <summary>The changes of the jobs of <paramref name="owner"/> in <paramref name="mode"/> (a new one included).</summary>
    public IDisposable SubscribeOwner(string owner, GenerationMode mode, Action<JobChanged> handler) => _byOwner.Subscribe((owner, mode), handler);

    /// <summary>
    /// A job appeared or changed status (<see cref="JobChanged"/>), or dispatch was paused or resumed
    /// (<see cref="QueueStateChanged"/>): what changes the queue's order and places. Never a step.
    /// </summary>
    public IDisposable SubscribeQueue(Action<JobEvent> handler) => _queue.Subscribe(handler);

    /// <summary>A finished job's image was stored.</summary>
    public IDisposable SubscribeImages(Action<ImageCreated> handler) => _images.Subscribe(handler);

    public bool TryGet(Guid jobId, [NotNullWhen(true)] out JobProgress? job) => _jobs.TryGetValue(jobId, out job);

    /// <summary>Every job that is not finished, oldest first.</summary>
    public IReadOnlyList<JobProgress> Active() =>
        _jobs.Values.Where(j => !j.Status.IsTerminal()).OrderBy(j => j.CreatedAt).ToList();

    public void Publish(JobProgress job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _jobs.TryGetValue(job.JobId, out var before);
        _jobs[job.JobId] = job;
        Changed(before, job);
    }

    private void Changed(JobProgress? before, JobProgress job)
    {
        if (job.Status.IsTerminal())
        {
            _previews.TryRemove(job.JobId, out _);
            _finishedAt.TryAdd(job.JobId, Environment.TickCount64);
        }
        var changed = new JobChanged(job);
        _byJob.Publish(job.JobId, changed);
        _byOwner.Publish((job.Owner, job.Mode), changed);
        if (before is null || before.Status != job.Status)
        {
            _queue.Publish(changed);
        }
        _all.Publish(changed);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the current snapshot, if the job is known. Atomic: when another thread
    /// replaced the snapshot meanwhile, the change is applied again to the newer one, so that a change computed from
    /// an old snapshot (a job's progress) never undoes a newer one (its end).
    /// </summary>
    public JobProgress? Update(Guid jobId, Func<JobProgress, JobProgress> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        while (_jobs.TryGetValue(jobId, out var current))
        {
            var next = change(current);
            if (ReferenceEquals(next, current))
            {
                return current;
            }
            if (_jobs.TryUpdate(jobId, next, current))
            {
                Changed(current, next);
                return next;
            }
        }
        return null;
    }

    /// <summary>Keeps the newest frame of a job (the one before it is dropped) and tells only the pages that show that job.</summary>
    public void PublishPreview(Guid jobId, ReadOnlyMemory<byte> image, string mediaType)
    {
        Interlocked.Increment(ref _previewsReceived);
        var frame = new PreviewFrame(image, mediaType, Interlocked.Increment(ref _previewSequence));
        if (_previews.TryGetValue(jobId, out var previous) && !previous.WasShown)
        {
            Interlocked.Increment(ref _previewsDropped);
        }
        _previews[jobId] = frame;
        _byJob.Publish(jobId, new PreviewAvailable(jobId, frame.Sequence));
    }

    /// <summary>The sequence number of the job's newest frame (increasing across all jobs), or null while there is none.</summary>
    public long? LatestPreview(Guid jobId) => _previews.TryGetValue(jobId, out var frame) ? frame.Sequence : null;

    /// <summary>The job's newest frame, for a page that shows it now (counted as shown).</summary>
    public bool TryGetPreview(Guid jobId, [NotNullWhen(true)] out PreviewFrame? frame)
    {
        if (!_previews.TryGetValue(jobId, out frame))
        {
            return false;
        }
        if (frame.MarkShown())
        {
            Interlocked.Increment(ref _previewsShown);
        }
        return true;
    }

    public void PublishImage(Guid jobId, NewImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var created = new ImageCreated(jobId, image);
        _images.Publish(created);
        _all.Publish(created);
    }

    public void Refresh()
    {
        var changed = new QueueStateChanged();
        _queue.Publish(changed);
        _all.Publish(changed);
    }

    /// <summary>Drops jobs that finished more than <paramref name="age"/> ago from memory; the database keeps them.</summary>
    public void PruneFinished(TimeSpan age)
    {
        var cutoff = Environment.TickCount64 - (long)age.TotalMilliseconds;
        foreach (var (jobId, finished) in _finishedAt)
        {
            if (finished < cutoff)
            {
                _jobs.TryRemove(jobId, out _);
                _previews.TryRemove(jobId, out _);
                _finishedAt.TryRemove(jobId, out _);
            }
        }
    }
}
