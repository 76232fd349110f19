namespace DreamLayer.Web.Features.Gallery;

/// <summary>Who is looking: every gallery query and action is decided for a viewer, on the server.</summary>
public sealed record Viewer(string UserId, string Name, bool IsAdmin)
{
    /// <summary>The owner, or an admin, may change or delete an image.</summary>
    public bool MayManage(string ownerId) => IsAdmin || string.Equals(ownerId, UserId, StringComparison.Ordinal);
}

public enum GalleryView
{
    /// <summary>Every image not in the trash.</summary>
    Images,
    /// <summary>Images moved to the trash (the viewer's own; an admin's: everyone's).</summary>
    Trash,
}

public enum GallerySort
{
    Newest,
    /// <summary>By the owner's name, then newest first.</summary>
    Person,
}

/// <summary>What the gallery shows: search text and filters. Empty values mean "any".</summary>
public sealed record GalleryFilter
{
    public GalleryView View { get; init; } = GalleryView.Images;
    public GallerySort Sort { get; init; } = GallerySort.Newest;
    public string? Text { get; init; }
    public string? OwnerId { get; init; }
    public string? Mode { get; init; }
    public string? Model { get; init; }
    public string? Lora { get; init; }
    public string? Sampler { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }

    /// <summary>First day included (UTC).</summary>
    public DateOnly? From { get; init; }

    /// <summary>Last day included (UTC).</summary>
    public DateOnly? To { get; init; }
    public bool FavouritesOnly { get; init; }
    public bool MineOnly { get; init; }
    public Guid? BoardId { get; init; }
}

/// <summary>Where a page ends: the sort keys of its last image. The next page starts strictly after it.</summary>
public sealed record GalleryCursor(DateTime CreatedAt, long Seq, string OwnerName);

/// <summary>One thumbnail in the grid.</summary>
public sealed record GalleryItem(Guid Id, long Seq, DateTime CreatedAt, string OwnerId, string OwnerName, string Prompt, int Width, int Height, bool IsPrivate)
{
    public GalleryCursor Cursor => new(CreatedAt, Seq, OwnerName);
}
