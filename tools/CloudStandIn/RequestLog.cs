namespace CloudStandIn;

/// <summary>
/// One request a provider answered (or dropped). <see cref="Accepted"/> ones are those the provider took on and bills
/// for; <see cref="Key"/> is the key exactly as it arrived (null without one).
/// </summary>
public sealed record CloudRequest(
    CloudProvider Provider,
    string Method,
    string Path,
    string? Key,
    bool Accepted,
    int Status,
    string? Model,
    string? Prompt,
    string? Id);

/// <summary>Every request the stand-in answered, and separately every paid request it accepted. Thread-safe.</summary>
internal sealed class RequestLog
{
    /// <summary>Kept at most; older entries are dropped so a long manual run stays bounded.</summary>
    private const int Capacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Queue<CloudRequest> _all = new();
    private readonly Queue<CloudRequest> _accepted = new();
    private readonly List<(int Count, TaskCompletionSource Signal)> _waiters = [];
    private int _acceptedTotal;

    public IReadOnlyList<CloudRequest> All
    {
        get { lock (_lock) { return [.. _all]; } }
    }

    public IReadOnlyList<CloudRequest> Accepted
    {
        get { lock (_lock) { return [.. _accepted]; } }
    }

    public void Answered(CloudRequest request)
    {
        lock (_lock)
        {
            _all.Enqueue(request);
            if (_all.Count > Capacity) { _all.Dequeue(); }
        }
    }

    public void Accept(CloudRequest request)
    {
        List<TaskCompletionSource> ready;
        lock (_lock)
        {
            _accepted.Enqueue(request);
            if (_accepted.Count > Capacity) { _accepted.Dequeue(); }
            _acceptedTotal++;
            ready = _waiters.Where(w => w.Count <= _acceptedTotal).Select(w => w.Signal).ToList();
            _waiters.RemoveAll(w => w.Count <= _acceptedTotal);
        }
        foreach (var signal in ready) { signal.TrySetResult(); }
    }

    /// <summary>Completes once <paramref name="count"/> paid requests have been accepted since the start.</summary>
    public Task WhenAcceptedAsync(int count, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_acceptedTotal >= count) { return Task.CompletedTask; }
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, signal));
            return signal.Task.WaitAsync(cancellationToken);
        }
    }
}
