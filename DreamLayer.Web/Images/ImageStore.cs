using System.Collections.Concurrent;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Data;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Processing;
using PromptLoras = DreamLayer.Domain.Generation.PromptLoras;

namespace DreamLayer.Web.Images;

/// <summary>
/// Writes image files under the images folder: atomically (temp file + rename), with the A1111
/// <c>parameters</c> chunk added beside ComfyUI's own <c>prompt</c>/<c>workflow</c> chunks, and a thumbnail.
/// Files are only ever located through rows the app wrote, never through a path from a request.
/// </summary>
public sealed class ImageStore(StoragePaths paths, IOptions<StorageOptions> options, ImageGate gate, TimeProvider time)
{
    private static readonly JpegEncoder ThumbnailEncoder = new() { Quality = 82 };

    private readonly ConcurrentDictionary<Guid, Task> _thumbnailsInProgress = new();

    /// <summary>The largest image file accepted from a server, in bytes.</summary>
    public long MaxImageBytes => options.Value.MaxImageBytes;

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
        // Checked by its structure, never by a decoder: ImageSharp's header reader inflates text chunks without a limit.
        var check = gate.Check(file, ImagePurpose.Any);
        if (check.Header is not { } header)
        {
            throw new InvalidDataException(check.NotAnImage ? "The server sent a file that is not an image." : $"The server sent an image DreamLayer refuses: {check.Refusal}");
        }
        var (width, height) = (header.Width, header.Height);
        var isPng = file.AsSpan().StartsWith(PngSignature);
        var bytes = isPng ? PngTextChunks.AddText(file, [("parameters", parameters)]) : file;
        return await WriteAsync(job, index, bytes, isPng ? ".png" : ".jpg", width, height, parameters, time.GetUtcNow().UtcDateTime, ct);
    }

    /// <summary>
    /// A picture that came as JPEG or WebP (a cloud provider's), as PNG, so that the stored file carries its
    /// <c>parameters</c> chunk like every other; a PNG is returned as it is. Checked and decoded through the
    /// <see cref="ImageGate"/> (the pixel limit, the decode budget).
    /// </summary>
    /// <exception cref="InvalidDataException">Not an image, or one the gate refuses (with the reason in words).</exception>
    public async Task<byte[]> AsPngAsync(byte[] file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.AsSpan().StartsWith(PngSignature))
        {
            return file;
        }
        var check = gate.Check(file, ImagePurpose.Any);
        if (check.Header is not { } header)
        {
            throw new InvalidDataException(check.NotAnImage ? "The provider sent a file that is not an image." : $"The provider sent an image DreamLayer refuses: {check.Refusal}");
        }
        using var decoded = await gate.DecodeAsync(file, header, rgba: false, ct);
        using var png = new MemoryStream();
        await decoded.Image.SaveAsPngAsync(png, ct);
        return png.ToArray();
    }

    /// <summary>
    /// Copies an image that came from elsewhere (a folder import) into the images folder as it is, metadata and all,
    /// and returns its (unsaved) row. The caller has checked it; <paramref name="extension"/> is one of ours.
    /// </summary>
    public Task<ImageEntity> ImportAsync(JobEntity job, byte[] file, string extension, int width, int height, string parameters, DateTime createdAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(file);
        if (extension is not (".png" or ".jpg" or ".webp"))
        {
            throw new ArgumentOutOfRangeException(nameof(extension), extension, "Only .png, .jpg and .webp are stored.");
        }
        return WriteAsync(job, 0, file, extension, width, height, parameters, createdAt, ct);
    }

    private async Task<ImageEntity> WriteAsync(JobEntity job, int index, byte[] bytes, string extension, int width, int height, string parameters, DateTime createdAt, CancellationToken ct)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow());
        var now = time.GetUtcNow().UtcDateTime;
        var relative = $"{now:yyyy}/{now:MM}/{now:dd}/{id:N}{extension}";
        var fullPath = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        await WriteAtomicallyAsync(fullPath, bytes, ct);

        return new ImageEntity
        {
            Id = id,
            JobId = job.Id,
            Index = index,
            RelativePath = relative,
            Width = width,
            Height = height,
            SizeBytes = bytes.LongLength,
            CreatedAt = createdAt,
            Parameters = parameters,
            OwnerId = job.Owner,
            OwnerName = job.Owner,
            Mode = job.Mode,
            Model = job.Checkpoint,
            Sampler = job.Sampler,
            Prompt = job.Prompt,
            NegativePrompt = job.NegativePrompt,
            Loras = [.. LoraNames(job).Select(name => new ImageLora { ImageId = id, Name = name })],
        };
    }

    /// <summary>The LoRAs an image was made with (the picker's, then <c>&lt;lora:…&gt;</c> tags in the prompt), for the gallery's LoRA filter.</summary>
    private static IEnumerable<string> LoraNames(JobEntity job) =>
        job.ReadRequest().Loras.Select(l => l.Name)
            .Concat(PromptLoras.Parse(job.Prompt).Loras.Select(l => l.Name))
            .Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal);

    /// <summary>The file behind a row, or null if the path would leave the images folder.</summary>
    public string? Locate(ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var full = FullPath(image.RelativePath);
        return IsInside(full, paths.ImagesDirectory) ? full : null;
    }

    /// <summary>Removes an image's file and thumbnail (emptying the trash); a file already gone is not an error.</summary>
    public void DeleteFiles(ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (Locate(image) is { } file)
        {
            File.Delete(file);
        }
        File.Delete(ThumbnailPath(image.Id));
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

    /// <summary>
    /// Loads the PNG decoder, the resizer and the JPEG encoder once, off any job's path, and writes (then deletes) a file
    /// in the images folder as an image is written. The image carries a text chunk as long as the graph ComfyUI writes
    /// into its images, which takes the header reader down its long-read path.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        using var image = new Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(64, 64);
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png, ct);
        var fromServer = PngTextChunks.AddText(png.ToArray(), [("prompt", new string('p', 16 * 1024))]);
        var bytes = PngTextChunks.AddText(fromServer, [("parameters", "warm-up")]);
        _ = ImageHeaders.Read(bytes); // without the admin's limits, which the warm-up image may be over
        var written = Path.Combine(paths.ImagesDirectory, $".warm-up-{Guid.NewGuid():N}.png");
        try
        {
            Directory.CreateDirectory(paths.ImagesDirectory);
            await WriteAtomicallyAsync(written, bytes, ct);
            File.Delete(written);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a folder that cannot be written is reported by the first image saved, with its job.
        }
        var header = ImageHeaders.Read(bytes).Header!;
        using var warm = await gate.DecodeAsync(bytes, header, rgba: false, ct);
        var decoded = warm.Image;
        decoded.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(32, 32), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle }));
        using var jpeg = new MemoryStream();
        await decoded.SaveAsJpegAsync(jpeg, ThumbnailEncoder, ct);
    }

    private async Task RenderThumbnailAsync(Guid id, byte[] source, CancellationToken ct)
    {
        var size = options.Value.ThumbnailSize;
        var check = gate.Check(source, ImagePurpose.Any);
        if (check.Header is not { } header)
        {
            throw new InvalidDataException(check.Refusal);
        }
        using var decoded = await gate.DecodeAsync(source, header, rgba: false, ct);
        var bytes = await ThumbnailAsync(decoded.Image, size, ct);
        Directory.CreateDirectory(paths.ThumbnailsDirectory);
        await WriteAtomicallyAsync(ThumbnailPath(id), bytes, ct);
    }

    /// <summary>
    /// A decoded image resized in place to fit <paramref name="size"/>×<paramref name="size"/> and encoded as
    /// the gallery's thumbnails are: a JPEG of a few tens of kilobytes.
    /// </summary>
    public static async Task<byte[]> ThumbnailAsync(Image image, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        image.Mutate(x => x.Resize(new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Max, Sampler = KnownResamplers.Triangle }));
        using var output = new MemoryStream();
        await image.SaveAsJpegAsync(output, ThumbnailEncoder, ct);
        return output.ToArray();
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
