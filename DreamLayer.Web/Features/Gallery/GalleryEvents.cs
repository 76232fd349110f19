namespace DreamLayer.Web.Features.Gallery;

public enum GalleryChangeKind
{
    /// <summary>Moved to the trash, restored, made private or public, or removed for good.</summary>
    Changed,
    /// <summary>Added by an import (new images from jobs arrive through <c>JobEvents.ImageCreated</c>).</summary>
    Added,
}

public sealed record GalleryChange(GalleryChangeKind Kind, IReadOnlyList<Guid> ImageIds);

/// <summary>
/// Tells open galleries that images changed. Like <c>JobEvents</c>: subscriptions are <see cref="IDisposable"/> and
/// handlers only schedule work; each gallery re-reads through its own viewer, so privacy is decided per viewer.
/// </summary>
public sealed class GalleryEvents
{
    private readonly Lock _lock = new();
    private Action<GalleryChange>[] _subscribers = [];

    public IDisposable Subscribe(Action<GalleryChange> handler)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers, handler];
        }
        return new Subscription(this, handler);
    }

    public void Publish(GalleryChange change)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber(change);
        }
    }

    private void Unsubscribe(Action<GalleryChange> handler)
    {
        lock (_lock)
        {
            _subscribers = _subscribers.Where(s => s != handler).ToArray();
        }
    }

    private sealed class Subscription(GalleryEvents owner, Action<GalleryChange> handler) : IDisposable
    {
        private GalleryEvents? _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Unsubscribe(handler);
    }
}
