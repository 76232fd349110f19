using DreamLayer.Web.Events;

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
/// Tells open galleries that images changed (a <see cref="Topic{T}"/>): subscriptions are <see cref="IDisposable"/>
/// and handlers only schedule work; each gallery re-reads through its own viewer, so privacy is decided per viewer.
/// </summary>
public sealed class GalleryEvents(ILogger<GalleryEvents>? logger = null)
{
    private readonly Topic<GalleryChange> _changes = new("gallery changes", logger);

    public IDisposable Subscribe(Action<GalleryChange> handler) => _changes.Subscribe(handler);

    public void Publish(GalleryChange change) => _changes.Publish(change);
}
