namespace DreamLayer.Web.Features.Gallery;

public enum GallerySection
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
    public GallerySection View { get; init; } = GallerySection.Images;
    public GallerySort Sort { get; init; } = GallerySort.Newest;
    public string? Text { get; init; }
    public string? OwnerId { get; init; }
    public string? Mode { get; init; }
    public string? Model { get; init; }
    public string? Lora { get; init; }
    public string? Sampler { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }

    /// <summary>First day included, a day of <see cref="TimeZone"/>.</summary>
    public DateOnly? From { get; init; }

    /// <summary>Last day included, a day of <see cref="TimeZone"/>.</summary>
    public DateOnly? To { get; init; }

    /// <summary>The viewer's time zone: where <see cref="From"/> and <see cref="To"/> begin and end.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;
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
