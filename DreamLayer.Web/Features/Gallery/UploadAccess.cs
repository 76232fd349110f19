using System.Globalization;
using System.Text;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// Who may fetch a stored upload (<c>/uploads/{id}</c>): an img2img source, a painted mask, a ControlNet picture or a
/// workflow's image, possibly the source of a private image. Allowed: admins; the person who uploaded it (recorded
/// with <see cref="RecordOwner"/> by the page that stored it, next to the file as <c>&lt;id&gt;.owner</c>); the owner
/// of a job that uses it; and anyone who may see an image made by a job that uses it (not private, not in the trash),
/// because "reuse parameters" of a teammate's shared image needs its source and mask. Anyone else is told it does
/// not exist. "Uses" is decided from the job's request (<see cref="ImageInputs"/>), never from text that merely
/// contains the id, such as a prompt.
/// </summary>
public sealed class UploadAccess(StoragePaths paths, IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>Jobs looked at for one request; a real upload is used by a handful.</summary>
    private const int MaxCandidateJobs = 50;

    /// <summary>Records <paramref name="owner"/> as the person who uploaded <paramref name="uploadId"/> (a stored upload).</summary>
    public void RecordOwner(Guid uploadId, SignedInUser owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        Directory.CreateDirectory(paths.UploadsDirectory);
        File.WriteAllText(OwnerPath(uploadId), owner.Id, Encoding.UTF8);
    }

    /// <summary>The id of the person who uploaded it, or null when that was not recorded.</summary>
    public string? OwnerOf(Guid uploadId)
    {
        var path = OwnerPath(uploadId);
        return File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8).Trim() : null;
    }

    public async Task<bool> MayViewAsync(SignedInUser viewer, Guid uploadId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (viewer.IsAdmin || string.Equals(OwnerOf(uploadId), viewer.Id, StringComparison.Ordinal))
        {
            return true;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var me = viewer.Id;
        var text = "%" + uploadId.ToString("D", CultureInfo.InvariantCulture) + "%";
        var jobsWithVisibleImages = GalleryQueries.Visible(db, viewer).Select(i => i.JobId);
        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => j.SourceImage == uploadId || EF.Functions.Like(j.RequestJson, text))
            .Where(j => j.Owner == me || jobsWithVisibleImages.Contains(j.Id))
            .Take(MaxCandidateJobs)
            .ToListAsync(ct);
        return candidates.Exists(job => Uses(job, uploadId));
    }

    private static bool Uses(JobEntity job, Guid uploadId)
    {
        if (job.SourceImage == uploadId)
        {
            return true;
        }
        try
        {
            return ImageInputs.For(job.ReadRequest()).Any(i => i.Upload == uploadId || i.Mask == uploadId);
        }
        catch (System.Text.Json.JsonException)
        {
            // A request that no longer reads grants nothing.
            return false;
        }
    }

    private string OwnerPath(Guid uploadId) => Path.Combine(paths.UploadsDirectory, uploadId.ToString("N", CultureInfo.InvariantCulture) + ".owner");
}
