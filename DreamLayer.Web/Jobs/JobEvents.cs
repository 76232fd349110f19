using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;

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
    public int StepValue { get; init; }
    public int StepMax { get; init; }
    public int NodesDone { get; init; }
    public int NodesTotal { get; init; }
    public IReadOnlyList<Guid> ImageIds { get; init; } = [];

    /// <summary>What the job does when it has no prompt, e.g. <c>Upscale ×2 (lanczos)</c>; null for generation jobs.</summary>
    public string? Summary { get; init; }

    /// <summary>Which page's list the job belongs to.</summary>
    public GenerationMode Mode { get; init; }

    /// <summary>The id of the user who submitted it.</summary>
    public string Owner { get; init; } = string.Empty;
}

public abstract record JobEvent(Guid JobId);

public sealed record JobChanged(JobProgress Job) : JobEvent(Job.JobId);

/// <summary>A newer preview frame is available from <see cref="JobEvents.TryGetPreview"/>.</summary>
public sealed record PreviewAvailable(Guid JobId) : JobEvent(JobId);

public sealed record ImageCreated(Guid JobId, Guid ImageId) : JobEvent(JobId);

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
/// Pushes job changes to open pages. Subscriptions are <see cref="IDisposable"/>; handlers must be quick
/// (they schedule a render, nothing more). Previews are latest-wins: only the newest frame per job is kept,
/// so a slow browser skips frames instead of queueing them.
/// </summary>
public sealed partial class JobEvents(ILogger<JobEvents>? logger = null)
{
    private readonly ILogger _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<JobEvents>.Instance;

    private readonly ConcurrentDictionary<Guid, JobProgress> _jobs = new();
    private readonly ConcurrentDictionary<Guid, PreviewFrame> _previews = new();
    private readonly ConcurrentDictionary<Guid, long> _finishedAt = new();
    private readonly Lock _subscribersLock = new();
    private Action<JobEvent>[] _subscribers = [];
    private long _previewSequence;
    private long _previewsReceived;
    private long _previewsShown;
    private long _previewsDropped;

    public long PreviewsReceived => Interlocked.Read(ref _previewsReceived);

    /// <summary>Frames a page took to show.</summary>
    public long PreviewsShown => Interlocked.Read(ref _previewsShown);

    /// <summary>Frames replaced by a newer one before any page took them (latest-wins).</summary>
    public long PreviewsDropped => Interlocked.Read(ref _previewsDropped);

    public IDisposable Subscribe(Action<JobEvent> handler)
    {
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, handler];
        }
        return new Subscription(this, handler);
    }

    public bool TryGet(Guid jobId, [NotNullWhen(true)] out JobProgress? job) => _jobs.TryGetValue(jobId, out job);

    /// <summary>Every job that is not finished, oldest first.</summary>
    public IReadOnlyList<JobProgress> Active() =>
        _jobs.Values.Where(j => !j.Status.IsTerminal()).OrderBy(j => j.CreatedAt).ToList();

    public void Publish(JobProgress job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _jobs[job.JobId] = job;
        Changed(job);
    }

    private void Changed(JobProgress job)
    {
        if (job.Status.IsTerminal())
        {
            _previews.TryRemove(job.JobId, out _);
            _finishedAt.TryAdd(job.JobId, Environment.TickCount64);
        }
        Raise(new JobChanged(job));
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
                Changed(next);
                return next;
            }
        }
        return null;
    }

    public void PublishPreview(Guid jobId, ReadOnlyMemory<byte> image, string mediaType)
    {
        Interlocked.Increment(ref _previewsReceived);
        if (_previews.TryGetValue(jobId, out var previous) && !previous.WasShown)
        {
            Interlocked.Increment(ref _previewsDropped);
        }
        _previews[jobId] = new PreviewFrame(image, mediaType, Interlocked.Increment(ref _previewSequence));
        Raise(new PreviewAvailable(jobId));
    }

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

    public void PublishImage(Guid jobId, Guid imageId) => Raise(new ImageCreated(jobId, imageId));

    public void Refresh() => Raise(new QueueStateChanged());

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

    /// <summary>
    /// Tells every subscriber. One that throws is logged and the others are still told: a page's handler must never
    /// stop the job pipeline that raised the event.
    /// </summary>
    private void Raise(JobEvent evt)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber(evt);
            }
#pragma warning disable CA1031 // the raiser is the dispatcher or a server's connection: a subscriber's bug is the subscriber's
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogSubscriberFailed(evt.GetType().Name, evt.JobId, ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A subscriber to job events failed on {EventType} for job {JobId}")]
    private partial void LogSubscriberFailed(string eventType, Guid jobId, Exception ex);

    private void Unsubscribe(Action<JobEvent> handler)
    {
        lock (_subscribersLock)
        {
            _subscribers = _subscribers.Where(s => s != handler).ToArray();
        }
    }

    private sealed class Subscription(JobEvents owner, Action<JobEvent> handler) : IDisposable
    {
        private JobEvents? _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Unsubscribe(handler);
    }
}
