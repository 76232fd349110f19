using System.Threading.Channels;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The job events of one hub connection: the person's own jobs (through <see cref="JobEvents.SubscribeOwner"/>), the
/// jobs they follow and the previews they asked for (through <see cref="JobEvents.SubscribeJob"/>), so an event costs
/// nothing on the connections that do not show that job.
/// <para>
/// The publishers (receive loops, the dispatcher, completion workers) only note what changed, under this stream's lock;
/// one send loop per connection sends it. What waits to be sent is bounded whatever the client reads: per job, its
/// status changes (a handful: the state machine allows few) and, after the last of them, at most one progress and one
/// preview notice, each replaced by the newer one (latest wins). A frame's bytes are not held here: the loop sends the
/// newest frame <see cref="JobEvents"/> keeps when its turn comes. A client that does not read holds up only its own
/// loop (each send waits for the transport), never a publisher or another connection.
/// </para>
/// </summary>
internal sealed partial class JobStream : IDisposable
{
    /// <summary>How a stream sends one event to its client: the event's name and its payload.</summary>
    public delegate Task Sender(string method, object payload, CancellationToken ct);

    /// <summary>The most jobs of other people one connection may follow at once.</summary>
    public const int MaxFollowed = 100;

    /// <summary>How many ended jobs a stream remembers, so that a late repeat of an end is not sent twice.</summary>
    private const int RememberedEnds = 256;

    private readonly JobEvents _events;
    private readonly Func<IReadOnlyDictionary<Guid, int>> _positions;
    private readonly Sender _send;
    private readonly Action _onFault;
    private readonly ILogger _logger;
    private readonly string _connectionId;
    private readonly Lock _lock = new();

    // Guarded by _lock: what the publishers note.
    private readonly Dictionary<Guid, List<Item>> _pending = [];
    private readonly Queue<Guid> _order = new();
    private readonly Dictionary<Guid, Seen> _seen = [];
    private readonly HashSet<Guid> _ended = [];
    private readonly Queue<Guid> _endedOrder = new();
    private readonly HashSet<Guid> _waiting = [];
    private readonly HashSet<Guid> _followed = [];
    private readonly HashSet<Guid> _previews = [];
    private readonly Dictionary<Guid, IDisposable> _jobTopics = [];
    private readonly List<IDisposable> _ownerTopics = [];
    private IDisposable? _queueTopic;
    private bool _positionsChanged;
    private bool _disposed;

    // Read and written by the send loop only.
    private readonly Dictionary<Guid, int?> _sentPositions = [];
    private readonly Dictionary<Guid, long> _sentFrames = [];

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();

    private JobStream(string connectionId, string userId, JobEvents events, Func<IReadOnlyDictionary<Guid, int>> positions, Sender send, Action onFault, ILogger logger)
    {
        _connectionId = connectionId;
        UserId = userId;
        _events = events;
        _positions = positions;
        _send = send;
        _onFault = onFault;
        _logger = logger;
    }

    /// <summary>The person this connection belongs to.</summary>
    public string UserId { get; }

    /// <summary>The send loop; it ends when the stream is disposed or a send fails.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Starts streaming <paramref name="userId"/>'s jobs: their jobs that have not ended are announced as they are now,
    /// then every change follows. <paramref name="onFault"/> is called (and the stream ends) when a send fails.
    /// </summary>
    public static JobStream Open(string connectionId, string userId, JobEvents events, Func<IReadOnlyDictionary<Guid, int>> positions, Sender send, Action onFault, ILogger logger)
    {
        var stream = new JobStream(connectionId, userId, events, positions, send, onFault, logger);
        lock (stream._lock)
        {
            foreach (var mode in Enum.GetValues<GenerationMode>())
            {
                stream._ownerTopics.Add(events.SubscribeOwner(userId, mode, stream.OnOwnJob));
            }
        }
        foreach (var job in events.Active())
        {
            if (string.Equals(job.Owner, userId, StringComparison.Ordinal))
            {
                stream.Note(job);
            }
        }
        var stop = stream._stop.Token;
        stream.Completion = Task.Run(() => stream.SendLoopAsync(stop));
        return stream;
    }

    /// <summary>What waits to be sent now (status changes, progress and preview notices, across jobs).</summary>
    internal int PendingItems
    {
        get
        {
            lock (_lock)
            {
                return _pending.Values.Sum(items => items.Count);
            }
        }
    }

    /// <summary>Streams another person's job too (its events, as of its state now). False when the connection follows too many.</summary>
    public bool Follow(JobProgress job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (_lock)
        {
            if (_disposed)
            {
                return true;
            }
            if (!_followed.Contains(job.JobId) && _followed.Count >= MaxFollowed)
            {
                return false;
            }
            _followed.Add(job.JobId);
            EnsureJobTopic(job.JobId);
        }
        Note(job);
        return true;
    }

    /// <summary>Stops streaming a followed job (the person's own jobs are always streamed).</summary>
    public void Unfollow(Guid jobId)
    {
        lock (_lock)
        {
            _followed.Remove(jobId);
            ReleaseJobTopic(jobId);
        }
    }

    /// <summary>Sends the job's preview frames from now on (its newest frame first, if it has one). False when too many jobs are watched.</summary>
    public bool WatchPreviews(Guid jobId)
    {
        lock (_lock)
        {
            if (_disposed || _ended.Contains(jobId))
            {
                return true;
            }
            if (!_previews.Contains(jobId) && _previews.Count >= MaxFollowed)
            {
                return false;
            }
            _previews.Add(jobId);
            EnsureJobTopic(jobId);
            if (_events.LatestPreview(jobId) is not null)
            {
                AddLatest(jobId, new Item(ItemKind.Preview, null));
            }
        }
        Wake();
        return true;
    }

    /// <summary>Stops sending the job's preview frames.</summary>
    public void UnwatchPreviews(Guid jobId)
    {
        lock (_lock)
        {
            _previews.Remove(jobId);
            ReleaseJobTopic(jobId);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var topic in _ownerTopics)
            {
                topic.Dispose();
            }
            foreach (var topic in _jobTopics.Values)
            {
                topic.Dispose();
            }
            _jobTopics.Clear();
            _queueTopic?.Dispose();
            _queueTopic = null;
            _pending.Clear();
            _order.Clear();
        }
        _wake.Writer.TryComplete();
        _stop.Cancel();
        _stop.Dispose();
    }

    private void OnOwnJob(JobChanged changed) => Note(changed.Job);

    private void OnJobTopic(JobEvent message)
    {
        switch (message)
        {
            // The person's own jobs come through their owner topic; this one adds only others' jobs they follow.
            case JobChanged changed when !string.Equals(changed.Job.Owner, UserId, StringComparison.Ordinal):
                Note(changed.Job);
                break;
            case PreviewAvailable preview:
                lock (_lock)
                {
                    if (_disposed || !_previews.Contains(preview.JobId) || _ended.Contains(preview.JobId))
                    {
                        return;
                    }
                    AddLatest(preview.JobId, new Item(ItemKind.Preview, null));
                }
                Wake();
                break;
        }
    }

    private void OnQueueChanged(JobEvent _)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _positionsChanged = true;
        }
        Wake();
    }

    /// <summary>Notes a job as it is now: a new status is queued to be sent, a new step or node replaces the one waiting.</summary>
    private void Note(JobProgress job)
    {
        lock (_lock)
        {
            if (_disposed || _ended.Contains(job.JobId))
            {
                return;
            }
            var seen = new Seen(job.Status, job.StepValue, job.StepMax, job.Node);
            if (!_seen.TryGetValue(job.JobId, out var before) || before.Status != job.Status)
            {
                Append(job.JobId, new Item(ItemKind.Status, job));
                if (job.Status == JobStatus.Queued)
                {
                    _waiting.Add(job.JobId);
                }
                else
                {
                    _waiting.Remove(job.JobId);
                }
                if (job.Status.IsTerminal())
                {
                    Ended(job.JobId);
                }
                else
                {
                    _seen[job.JobId] = seen;
                }
                FollowQueueWhileWaiting();
            }
            else if (job.Status == JobStatus.Running && seen != before)
            {
                _seen[job.JobId] = seen;
                AddLatest(job.JobId, new Item(ItemKind.Progress, job));
            }
            else
            {
                return;
            }
        }
        Wake();
    }

    /// <summary>A job ended: forget it (remembering that it ended), and stop following it.</summary>
    private void Ended(Guid jobId)
    {
        _seen.Remove(jobId);
        _followed.Remove(jobId);
        _previews.Remove(jobId);
        ReleaseJobTopic(jobId);
        _ended.Add(jobId);
        _endedOrder.Enqueue(jobId);
        if (_endedOrder.Count > RememberedEnds)
        {
            _ended.Remove(_endedOrder.Dequeue());
        }
    }

    /// <summary>Places in the line change with other people's jobs: listened to only while one of this connection's jobs waits.</summary>
    private void FollowQueueWhileWaiting()
    {
        if (_waiting.Count > 0)
        {
            _queueTopic ??= _events.SubscribeQueue(OnQueueChanged);
        }
        else if (_queueTopic is not null)
        {
            _queueTopic.Dispose();
            _queueTopic = null;
        }
    }

    private void EnsureJobTopic(Guid jobId)
    {
        if (!_jobTopics.ContainsKey(jobId))
        {
            _jobTopics[jobId] = _events.SubscribeJob(jobId, OnJobTopic);
        }
    }

    private void ReleaseJobTopic(Guid jobId)
    {
        if (!_followed.Contains(jobId) && !_previews.Contains(jobId) && _jobTopics.Remove(jobId, out var topic))
        {
            topic.Dispose();
        }
    }

    private List<Item> PendingOf(Guid jobId)
    {
        if (!_pending.TryGetValue(jobId, out var items))
        {
            items = [];
            _pending[jobId] = items;
            _order.Enqueue(jobId);
        }
        return items;
    }

    private void Append(Guid jobId, Item item) => PendingOf(jobId).Add(item);

    /// <summary>Progress and previews are latest-wins: after the job's last status change, the newer one replaces the older.</summary>
    private void AddLatest(Guid jobId, Item item)
    {
        var items = PendingOf(jobId);
        var lastStatus = items.FindLastIndex(i => i.Kind == ItemKind.Status);
        var older = items.FindIndex(lastStatus + 1, i => i.Kind == item.Kind);
        if (older >= 0)
        {
            items.RemoveAt(older);
        }
        items.Add(item);
    }

    private void Wake() => _wake.Writer.TryWrite(true);

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            while (await _wake.Reader.WaitToReadAsync(ct))
            {
                _wake.Reader.TryRead(out _);
                await SendPendingAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The connection closed.
        }
#pragma warning disable CA1031 // one connection's failure ends that connection only, never the publishers or other connections
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSendFailed(_connectionId, ex);
            Dispose();
            _onFault();
        }
    }

    private async Task SendPendingAsync(CancellationToken ct)
    {
        while (true)
        {
            Guid jobId;
            List<Item> items;
            Guid[]? waiting = null;
            lock (_lock)
            {
                if (!_order.TryDequeue(out jobId))
                {
                    if (_positionsChanged)
                    {
                        _positionsChanged = false;
                        waiting = [.. _waiting];
                    }
                    jobId = Guid.Empty;
                    items = [];
                }
                else
                {
                    _pending.Remove(jobId, out items!);
                }
            }
            if (jobId == Guid.Empty)
            {
                if (waiting is not null)
                {
                    await SendPlacesAsync(waiting, ct);
                }
                return;
            }
            foreach (var item in items)
            {
                await SendAsync(jobId, item, ct);
            }
        }
    }

    private Task SendAsync(Guid jobId, Item item, CancellationToken ct)
    {
        if (item.Kind == ItemKind.Preview)
        {
            return SendPreviewAsync(jobId, ct);
        }
        var job = item.Job!;
        if (item.Kind == ItemKind.Progress)
        {
            var counted = job.StepMax > 0;
            return _send(JobHubEvents.Progress, new HubJobProgress(jobId, counted ? job.StepValue : null, counted ? job.StepMax : null,
                counted ? Math.Clamp((double)job.StepValue / job.StepMax, 0, 1) : null, job.Node), ct);
        }
        if (job.Status != JobStatus.Queued)
        {
            _sentPositions.Remove(jobId);
        }
        if (job.Status.IsTerminal())
        {
            _sentFrames.Remove(jobId);
        }
        switch (job.Status)
        {
            case JobStatus.Queued:
                var position = _positions().TryGetValue(jobId, out var place) ? place : (int?)null;
                _sentPositions[jobId] = position;
                return _send(JobHubEvents.Queued, new HubJobQueued(jobId, job.Mode.ToString(), position, job.Prompt), ct);
            case JobStatus.Submitted:
                return _send(JobHubEvents.Submitted, new HubJobSubmitted(jobId, job.Backend ?? string.Empty), ct);
            case JobStatus.Running:
                return _send(JobHubEvents.Started, new HubJobStarted(jobId, job.Backend ?? string.Empty), ct);
            case JobStatus.Succeeded:
                return _send(JobHubEvents.Finished, new HubJobFinished(jobId, [.. job.ImageIds.Select(ApiGalleryEndpoints.FileUrl)]), ct);
            case JobStatus.Failed:
                return _send(JobHubEvents.Failed, new HubJobFailed(jobId, job.Message is { Length: > 0 } reason ? reason : "The job failed."), ct);
            default:
                return _send(JobHubEvents.Cancelled, new HubJobCancelled(jobId, job.Message), ct);
        }
    }

    /// <summary>The newest frame there is when its turn comes; none when the job has no newer one than the last sent.</summary>
    private async Task SendPreviewAsync(Guid jobId, CancellationToken ct)
    {
        if (!_events.TryGetPreview(jobId, out var frame) || _sentFrames.TryGetValue(jobId, out var sent) && sent >= frame.Sequence)
        {
            return;
        }
        _sentFrames[jobId] = frame.Sequence;
        var step = _events.TryGet(jobId, out var job) ? job.StepValue : 0;
        await _send(JobHubEvents.Preview, new HubPreviewFrame(jobId, step, frame.MediaType, frame.Image), ct);
    }

    /// <summary>A waiting job whose place changed since it was last sent gets <see cref="JobHubEvents.Queued"/> again.</summary>
    private async Task SendPlacesAsync(Guid[] waiting, CancellationToken ct)
    {
        var positions = _positions();
        foreach (var jobId in waiting)
        {
            if (_sentPositions.TryGetValue(jobId, out var sent) && positions.TryGetValue(jobId, out var place) && sent != place
                && _events.TryGet(jobId, out var job) && job.Status == JobStatus.Queued)
            {
                _sentPositions[jobId] = place;
                await _send(JobHubEvents.Queued, new HubJobQueued(jobId, job.Mode.ToString(), place, job.Prompt), ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job events could not be sent to hub connection {ConnectionId}; it is closed")]
    private partial void LogSendFailed(string connectionId, Exception ex);

    private enum ItemKind
    {
        Status,
        Progress,
        Preview,
    }

    /// <summary>One thing to send: a status change or a step (with the job as it was then), or "the newest frame".</summary>
    private readonly record struct Item(ItemKind Kind, JobProgress? Job);

    private readonly record struct Seen(JobStatus Status, int Step, int Steps, string? Node);
}
