using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>Whether a gallery's filter lets a new image through.</summary>
public enum NewImageFit
{
    No,
    Yes,

    /// <summary>The filter holds what the image's columns cannot answer (the search, favourites, a board): ask the database.</summary>
    Ask,
}

/// <summary>
/// A new image from a job, placed in an open gallery from the image's own columns (<see cref="NewImage"/>), so that each
/// open gallery pays no read of the database for it: the same rules as <see cref="GalleryQueries.Matching"/> and
/// <see cref="GalleryQueries.Visible(Data.DreamLayerDbContext, SignedInUser, GallerySection)"/>, on one row in memory.
/// </summary>
public static class GalleryNews
{
    /// <summary>Whether <paramref name="viewer"/> may see the image at all: private images show only to their owner and admins.</summary>
    public static bool MaySee(SignedInUser viewer, NewImage image)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        ArgumentNullException.ThrowIfNull(image);
        return viewer.IsAdmin || !image.IsPrivate || image.OwnerId == viewer.Id;
    }

    /// <summary>Whether the image belongs in <paramref name="viewer"/>'s gallery as <paramref name="filter"/> filters it.</summary>
    public static NewImageFit Fits(SignedInUser viewer, GalleryFilter filter, NewImage image)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var fits = MaySee(viewer, image)
            && filter.View == GallerySection.Images // a new image is not in the trash
            && (!filter.MineOnly || image.OwnerId == viewer.Id)
            && Same(filter.OwnerId, image.OwnerId)
            && Same(filter.Mode, image.Mode)
            && Same(filter.Model, image.Model)
            && Same(filter.Sampler, image.Sampler)
            && (filter is not { Width: { } width, Height: { } height } || (image.Width == width && image.Height == height))
            && (filter.From is not { } from || image.CreatedAt >= ViewerClock.StartOfDayUtc(from, filter.TimeZone))
            && (filter.To is not { } to || image.CreatedAt < ViewerClock.StartOfDayUtc(to.AddDays(1), filter.TimeZone))
            && (string.IsNullOrEmpty(filter.Lora) || image.Loras.Contains(filter.Lora, StringComparer.Ordinal));
        if (!fits)
        {
            return NewImageFit.No;
        }
        return FtsQuery.Build(filter.Text) is not null || filter.FavouritesOnly || filter.BoardId is not null ? NewImageFit.Ask : NewImageFit.Yes;

        // SQLite compares text byte by byte, as ordinal comparison does.
        static bool Same(string? wanted, string value) => string.IsNullOrEmpty(wanted) || string.Equals(wanted, value, StringComparison.Ordinal);
    }

    /// <summary>The grid's cell for the image.</summary>
    public static GalleryItem Item(NewImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new GalleryItem(image.Id, image.Seq, image.CreatedAt, image.OwnerId, image.OwnerName, image.Prompt, image.Width, image.Height, image.IsPrivate);
    }
}
