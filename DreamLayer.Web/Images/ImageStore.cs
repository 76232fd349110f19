using System.Collections.Concurrent;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Data;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Processing;

namespace DreamLayer.Web.Images;

/// <summary>
/// Writes image files under the images folder: atomically (temp file + rename), with the A1111
/// <c>parameters</c> chunk added beside ComfyUI's own <c>prompt</c>/<c>workflow</c> chunks, and a thumbnail.
/// Files are only ever located through rows the app wrote, never through a path from a request.
/// </summary>
public sealed class ImageStore(StoragePaths paths, IOptions<StorageOptions> options, TimeProvider time)
{
    private static readonly JpegEncoder ThumbnailEncoder = new() { Quality = 82 };

    private readonly ConcurrentDictionary<Guid, Task> _thumbnailsInProgress = new();

    /// <summary>Stores one image of a job and returns its (unsaved) row. The thumbnail is made separately.</summary>
    public async Task<ImageEntity> SaveAsync(JobEntity job, int index, byte[] file, string parameters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(file);
        var limits = options.Value;
        if (file.LongLength > limits.MaxImageBytes)
        {
            throw new InvalidDataException($"The server sent an image of {file.LongLength:N0} bytes; the limit is {limits.MaxImageBytes:N0}.");
        }
        var info = Image.Identify(file) ?? throw new InvalidDataException("The server sent a file that is not an image.");
        if ((long)info.Width * info.Height > limits.MaxImagePixels)
        {
            throw new InvalidDataException($"The server sent a {info.Width}×{info.Height} image; the limit is {limits.MaxImagePixels:N0} pixels.");
        }
        var isPng = file.AsSpan().StartsWith(PngSignature);
        var bytes = isPng ? PngTextChunks.AddText(file, [("parameters", parameters)]) : file;

        var id = Guid.CreateVersion7(time.GetUtcNow());
        var now = time.GetUtcNow().UtcDateTime;
        var relative = $"{now:yyyy}/{now:MM}/{now:dd}/{id:N}{(isPng ? ".png" : ".jpg")}";
        var fullPath = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        await WriteAtomicallyAsync(fullPath, bytes, ct);

        return new ImageEntity
        {
            Id = id,
            JobId = job.Id,
            Index = index,
            RelativePath = relative,
            Width = info.Width,
            Height = info.Height,
            SizeBytes = bytes.LongLength,
            CreatedAt = now,
            Parameters = parameters,
        };
    }

    /// <summary>The file behind a row, or null if the path would leave the images folder.</summary>
    public string? Locate(ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var full = FullPath(image.RelativePath);
        return IsInside(full, paths.ImagesDirectory) ? full : null;
    }

    public string ThumbnailPath(Guid imageId) => Path.Combine(paths.ThumbnailsDirectory, imageId.ToString("N") + ".jpg");

    /// <summary>
    /// The thumbnail's path once it exists: waits for one being made, and makes a missing one (an image saved
    /// just before a crash, or requested before its thumbnail was written).
    /// </summary>
    public async Task<string?> EnsureThumbnailAsync(ImageEntity image, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        var thumb = ThumbnailPath(image.Id);
        if (_thumbnailsInProgress.TryGetValue(image.Id, out var inProgress))
        {
            await inProgress.WaitAsync(ct);
        }
        if (File.Exists(thumb))
        {
            return thumb;
        }
        if (Locate(image) is not { } source || !File.Exists(source))
        {
            return null;
        }
        await WriteThumbnailAsync(image.Id, await File.ReadAllBytesAsync(source, ct), ct);
        return thumb;
    }

    /// <summary>Makes the thumbnail of a stored image; concurrent callers for the same image share the work.</summary>
    public async Task WriteThumbnailAsync(Guid id, byte[] source, CancellationToken ct)
    {
        var work = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_thumbnailsInProgress.TryAdd(id, work.Task))
        {
            await _thumbnailsInProgress[id].WaitAsync(ct);
            return;
        }
        try
        {
            await RenderThumbnailAsync(id, source, ct);
            work.SetResult();
        }
        catch (Exception ex)
        {
            work.SetException(ex);
            throw;
        }
        finally
        {
            _thumbnailsInProgress.TryRemove(id, out _);
        }
    }

    /// <summary>Loads the PNG decoder, the resizer and the JPEG encoder once, off any job's path.</summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        using var image = new Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(64, 64);
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png, ct);
        var bytes = PngTextChunks.AddText(png.ToArray(), [("parameters", "warm-up")]);
        _ = Image.Identify(bytes);
        using var decoded = Image.Load(bytes);
        decoded.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(32, 32), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle }));
        using var jpeg = new MemoryStream();
        await decoded.SaveAsJpegAsync(jpeg, ThumbnailEncoder, ct);
    }

    private async Task RenderThumbnailAsync(Guid id, byte[] source, CancellationToken ct)
    {
        var size = options.Value.ThumbnailSize;
        using var image = Image.Load(source);
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle }));
        using var output = new MemoryStream();
        await image.SaveAsJpegAsync(output, ThumbnailEncoder, ct);
        Directory.CreateDirectory(paths.ThumbnailsDirectory);
        await WriteAtomicallyAsync(ThumbnailPath(id), output.ToArray(), ct);
    }

    private string FullPath(string relative) => Path.GetFullPath(Path.Combine(paths.ImagesDirectory, relative.Replace('/', Path.DirectorySeparatorChar)));

    private static bool IsInside(string fullPath, string directory)
    {
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return fullPath.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>Writes to a temp file beside <paramref name="path"/> and renames it into place.</summary>
    internal static async Task WriteAtomicallyAsync(string path, byte[] bytes, CancellationToken ct)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await File.WriteAllBytesAsync(temp, bytes, ct);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
}
