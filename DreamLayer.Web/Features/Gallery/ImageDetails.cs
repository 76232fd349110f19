using System.Text.Json;
using DreamLayer.Domain.Comfy;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>Everything the image dialog shows: the image row, the job that made it and its metrics.</summary>
public sealed record ImageDetails(ImageEntity Image, JobEntity Job, IReadOnlyList<KeyValuePair<string, double>> NodeTimings, bool IsFavourite)
{
    /// <summary>The image as <paramref name="viewer"/> may see it, or null (no such image, or not theirs to see).</summary>
    internal static async Task<ImageDetails?> LoadAsync(DreamLayerDbContext db, SignedInUser viewer, Guid imageId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        var image = await GalleryQueries.Visible(db, viewer).Include(i => i.Job).SingleOrDefaultAsync(i => i.Id == imageId, ct)
            ?? await GalleryQueries.Visible(db, viewer, GallerySection.Trash).Include(i => i.Job).SingleOrDefaultAsync(i => i.Id == imageId, ct);
        if (image?.Job is not { } job)
        {
            return null;
        }
        var titles = job.GraphJson is { } graphJson
            ? ComfyGraph.Parse(graphJson).Nodes.ToDictionary(n => n.Key, n => n.Value.Title ?? n.Value.ClassType)
            : [];
        var timings = job.NodeTimingsJson is { } json
            ? JsonSerializer.Deserialize<Dictionary<string, double>>(json)?
                .Select(t => KeyValuePair.Create(titles.GetValueOrDefault(t.Key, t.Key), t.Value))
                .OrderByDescending(t => t.Value).ToList() ?? []
            : [];
        var favourite = await db.Favourites.AnyAsync(f => f.UserId == viewer.Id && f.ImageId == imageId, ct);
        return new ImageDetails(image, job, timings, favourite);
    }
}
