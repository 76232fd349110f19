using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Jobs;

public abstract record JobUploadResult;

/// <summary>
/// Every image is on the server; <see cref="Values"/> maps template parameters to LoadImage values, <see cref="ByUpload"/>
/// stored upload ids to them (for inputs that transforms add, such as ControlNet images).
/// </summary>
public sealed record JobUploadsReady(IReadOnlyDictionary<string, string> Values, IReadOnlyDictionary<Guid, string> ByUpload) : JobUploadResult
{
    public string ValueFor(string parameter) => Values.GetValueOrDefault(parameter, string.Empty);
}

/// <summary>An image could not be sent. <see cref="Refused"/>: the job cannot run (fail it); otherwise the server is unreachable (wait).</summary>
public sealed record JobUploadsFailed(string Message, bool Refused) : JobUploadResult;

/// <summary>
/// Sends the images a job needs (<see cref="ImageInputs.For"/>) to the chosen server before its prompt, under
/// <c>input/dreamlayer/&lt;job id&gt;/</c> with names made from upload ids, so jobs never share or overwrite each other's files.
/// A fitted image is made in memory from the stored upload (nothing extra is stored); a mask goes through
/// <c>/upload/mask</c> onto the image just uploaded, with its painted area transparent.
/// </summary>
public sealed class JobUploads(UploadStore uploads)
{
    private const string Gone = "The image to work on is no longer stored; upload it again.";

    public async Task<JobUploadResult> UploadAsync(Guid jobId, GenerationRequest request, ComfyUiClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var subfolder = $"dreamlayer/{jobId:N}";
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var byUpload = new Dictionary<Guid, string>();
        foreach (var input in ImageInputs.For(request))
        {
            if (uploads.Locate(input.Upload) is not { } path)
            {
                return new JobUploadsFailed(Gone, Refused: true);
            }
            ComfyUploadResult result;
            await using (Stream png = input.Fit is null ? File.OpenRead(path) : await FittedAsync(path, input.Fit, ct))
            {
                result = await client.UploadImageAsync(png, $"{input.Upload:N}.png", subfolder, ct);
            }
            if (result is ComfyUploaded uploaded && input.Mask is { } maskId)
            {
                if (uploads.Locate(maskId) is not { } maskPath)
                {
                    return new JobUploadsFailed("The painted mask is no longer stored; paint it again.", Refused: true);
                }
                await using var mask = await ComfyMaskAsync(maskPath, input.Fit, ct);
                result = await client.UploadMaskAsync(mask, $"{maskId:N}-mask.png", subfolder, uploaded, ct);
            }
            switch (result)
            {
                case ComfyUploaded done:
                    values[input.Parameter] = done.GraphValue;
                    byUpload[input.Upload] = done.GraphValue;
                    break;
                case ComfyUploadFailed failed:
                    return new JobUploadsFailed(failed.Message, failed.Refused);
                default:
                    throw new InvalidOperationException($"Unexpected upload result {result.GetType().Name}.");
            }
        }
        return new JobUploadsReady(values, byUpload);
    }

    /// <summary>The stored upload fitted to the job's size, decoded through the gate in its own pixel format.</summary>
    private async Task<MemoryStream> FittedAsync(string path, ImageFit fit, CancellationToken ct)
    {
        using var decoded = await uploads.DecodeStoredAsync(path, rgba: false, ct);
        var image = decoded.Image;
        if (image.Width != fit.Width || image.Height != fit.Height)
        {
            UploadStore.Fit(image, fit.Width, fit.Height, fit.Mode);
        }
        return await PngAsync(image, ct);
    }

    /// <summary>
    /// The stored mask (painted pixels opaque) turned into ComfyUI's form: transparent where painted, opaque elsewhere,
    /// fitted like the image; borders added by "resize and fill" are not painted, so they are kept.
    /// </summary>
    private async Task<MemoryStream> ComfyMaskAsync(string path, ImageFit? fit, CancellationToken ct)
    {
        using var decoded = await uploads.DecodeStoredAsync(path, rgba: true, ct);
        var mask = (Image<Rgba32>)decoded.Image;
        if (fit is not null && (mask.Width != fit.Width || mask.Height != fit.Height))
        {
            UploadStore.Fit(mask, fit.Width, fit.Height, fit.Mode, Color.Transparent);
        }
        mask.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var p in rows.GetRowSpan(y))
                {
                    p = new Rgba32(0, 0, 0, (byte)(255 - p.A));
                }
            }
        });
        return await PngAsync(mask, ct);
    }

    private static async Task<MemoryStream> PngAsync(Image image, CancellationToken ct)
    {
        var png = new MemoryStream();
        await image.SaveAsPngAsync(png, ct);
        png.Position = 0;
        return png;
    }
}
