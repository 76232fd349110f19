namespace DreamLayer.Web.Images;

/// <summary>
/// A memory budget shared by every image decode: a decode takes a lease on the bytes it will hold and gives them back
/// when its image is disposed; one that does not fit waits, first come first served, so that many uploads at once add
/// up to the budget, not to their sum. A request larger than the whole budget is cut to it (it then runs alone).
/// <paramref name="onIdle"/> runs whenever the last lease is given back (a quiet moment to give memory back).
/// </summary>
public sealed class DecodeBudget(long capacity, Action? onIdle = null)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiting = new();
    private readonly long _capacity = capacity;
    private long _available = capacity;

    /// <summary>Bytes leased right now.</summary>
    public long InUse
    {
        get
        {
            lock (_lock)
            {
                return _capacity - _available;
            }
        }
    }

    /// <summary>Decodes waiting for room.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    public async Task<IDisposable> AcquireAsync(long bytes, CancellationToken ct)
    {
        var wanted = Math.Clamp(bytes, 1, _capacity);
        LinkedListNode<Waiter> node;
        lock (_lock)
        {
            if (_waiting.Count == 0 && _available >= wanted)
            {
                _available -= wanted;
                return new Lease(this, wanted);
            }
            node = _waiting.AddLast(new Waiter(wanted, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        try
        {
            await node.Value.Granted.Task.WaitAsync(ct);
            return new Lease(this, wanted);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                    GrantWaiting();
                    throw;
                }
            }
            // Granted just as it was cancelled: give the bytes back.
            Release(wanted);
            throw;
        }
    }

    private void Release(long bytes)
    {
        bool idle;
        lock (_lock)
        {
            _available += bytes;
            GrantWaiting();
            idle = _available == _capacity && _waiting.Count == 0;
        }
        if (idle)
        {
            onIdle?.Invoke();
        }
    }

    /// <summary>Grants waiters in order while the first one fits (no overtaking, so a large decode is never starved).</summary>
    private void GrantWaiting()
    {
        while (_waiting.First is { } first && first.Value.Bytes <= _available)
        {
            _available -= first.Value.Bytes;
            _waiting.RemoveFirst();
            first.Value.Granted.SetResult();
        }
    }

    private sealed record Waiter(long Bytes, TaskCompletionSource Granted);

    private sealed class Lease(DecodeBudget budget, long bytes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                budget.Release(bytes);
            }
        }
    }
}
