using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models;

/// <summary>
/// Each model's preview picture (docs/decisions/0020-model-previews-are-copies.md). A preview is a small JPEG of its own
/// under <c>&lt;DataDirectory&gt;/model-previews/</c>, made when an admin sets it: copied from the thumbnail of a gallery
/// image the whole team can see, or made from an uploaded picture that went through the app's image checks (bytes
/// bounded, format read from the content, the pixel limit of a picture to generate from, decoded within the decode
/// budget). It is the model's from then on: trashing, deleting or hiding the gallery image later leaves it as it is, so
/// it never becomes a broken picture, and no one sees a private image through it. It is served by id only, and only
/// while a model has it (<see cref="Locate"/>). Every change checks on the server that the person is an admin.
/// </summary>
public sealed class ModelPreviews(
    StoragePaths paths,
    IOptions<StorageOptions> options,
    ModelSettings settings,
    ModelCatalogue catalogue,
    UploadStore uploads,
    ImageStore images,
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    TimeProvider time,
    ILogger<ModelPreviews> logger)
{
    /// <summary>The largest picture an admin may upload as a preview.</summary>
    public const long MaxUploadBytes = 20L * 1024 * 1024;

    private const string NotAdmin = "Only an admin can change models.";

    /// <summary>Where the previews are kept.</summary>
    public string Folder => Path.Combine(paths.DataDirectory, "model-previews");

    /// <summary>An uploaded picture becomes the model's preview; the reason in words when refused.</summary>
    public async Task<string?> UploadAsync(SignedInUser actor, ModelKey key, Stream content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(content);
        if (Refusal(actor, key) is { } refused)
        {
            return refused;
        }
        var (decoded, problem) = await uploads.DecodeAsync(content, ImagePurpose.Source, MaxUploadBytes, ct);
        if (decoded is null)
        {
            return problem;
        }
        byte[] picture;
        using (decoded)
        {
            picture = await ImageStore.ThumbnailAsync(decoded.Image, options.Value.ThumbnailSize, ct);
        }
        return await KeepAsync(actor, key, picture, ct);
    }

    /// <summary>
    /// A gallery image becomes the model's preview (a copy of its thumbnail); refused, with the reason, for an image in
    /// the trash or gone, and for a private one (members would see through the preview what only its owner may).
    /// </summary>
    public async Task<string?> PickAsync(SignedInUser actor, ModelKey key, Guid imageId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (Refusal(actor, key) is { } refused)
        {
            return refused;
        }
        ImageEntity? image;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Id == imageId, ct);
        }
        if (image is null || image.DeletedAt is not null)
        {
            return "That image is no longer in the gallery.";
        }
        if (image.IsPrivate)
        {
            return "That image is private: a preview is shown to every member, so pick an image the whole team can see, or upload the picture.";
        }
        if (await images.EnsureThumbnailAsync(image, ct) is not { } thumbnail)
        {
            return "That image's file is missing from the images folder.";
        }
        return await KeepAsync(actor, key, await File.ReadAllBytesAsync(thumbnail, ct), ct);
    }

    /// <summary>The model shows no preview any more; its picture is deleted.</summary>
    public async Task<string?> RemoveAsync(SignedInUser actor, ModelKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            return NotAdmin;
        }
        var (refusal, replaced) = await settings.SetPreviewAsync(actor, key, null, ct);
        Delete(replaced);
        return refusal;
    }

    /// <summary>
    /// The file of a preview a model has now, for <paramref name="viewer"/>: a hidden model's only for admins (members do
    /// not see the model at all); null for any other id, including one a model had before.
    /// </summary>
    public string? Locate(SignedInUser viewer, Guid previewId)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (settings.PreviewOf(previewId) is not { } key || (!viewer.IsAdmin && settings.Get(key).Hidden))
        {
            return null;
        }
        var path = PathFor(previewId);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The address a page shows a preview at (its content never changes: a new picture gets a new id).</summary>
    public static string Url(Guid previewId) => $"/models/previews/{previewId:N}";

    private string? Refusal(SignedInUser actor, ModelKey key)
    {
        if (!actor.IsAdmin)
        {
            return NotAdmin;
        }
        return catalogue.Models().Any(m => m.Key == key) ? null : "No online server lists that model: a preview is set on a model the servers have.";
    }

    /// <summary>Writes the picture under a new id, points the model at it, then deletes the picture it replaces.</summary>
    private async Task<string?> KeepAsync(SignedInUser actor, ModelKey key, byte[] picture, CancellationToken ct)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        Directory.CreateDirectory(Folder);
        await ImageStore.WriteAtomicallyAsync(PathFor(id), picture, ct);
        var (refusal, replaced) = await settings.SetPreviewAsync(actor, key, id, ct);
        Delete(refusal is null ? replaced : id);
        return refusal;
    }

    private void Delete(Guid? previewId)
    {
        if (previewId is not { } id)
        {
            return;
        }
        try
        {
            File.Delete(PathFor(id));
        }
        catch (IOException ex)
        {
            // No model points at it any more, so it is never served; it only takes a few kilobytes.
            logger.LogWarning(ex, "Could not delete the replaced model preview {PreviewId}", id);
        }
    }

    private string PathFor(Guid id) => Path.Combine(Folder, id.ToString("N", CultureInfo.InvariantCulture) + ".jpg");
}
