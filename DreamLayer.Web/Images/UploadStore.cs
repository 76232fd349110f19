using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using FitMode = DreamLayer.Domain.Generation.ResizeMode;
using SharpResizeMode = SixLabors.ImageSharp.Processing.ResizeMode;

namespace DreamLayer.Web.Images;

public abstract record UploadResult;

/// <summary>Stored as <c>&lt;DataDirectory&gt;/uploads/&lt;Id:N&gt;.png</c>, EXIF orientation applied.</summary>
public sealed record UploadAccepted(Guid Id, int Width, int Height, long Bytes) : UploadResult;

/// <summary>Checked but not stored: the file's bytes, its size and format name (PNG, JPEG, Webp, ...).</summary>
public sealed record UploadInspected(byte[] Bytes, int Width, int Height, string Format) : UploadResult;

/// <summary>Not stored; <see cref="Message"/> says why in words a user can act on.</summary>
public sealed record UploadRejected(string Message) : UploadResult;

/// <summary>
/// Images users upload (img2img, ControlNet inputs). Each is checked before it is decoded — size in bytes,
/// then format and dimensions from the header only, so a decompression bomb is never decoded — then decoded,
/// turned upright by its EXIF orientation and stored as PNG atomically. Files are addressed by id only: the
/// client's file name never becomes a path.
/// </summary>
public sealed class UploadStore(StoragePaths paths, IOptions<StorageOptions> options, TimeProvider time)
{
    public const string SupportedFormats = "PNG, JPEG, WebP, GIF, BMP, TIFF";

    private static readonly PngEncoder Encoder = new() { CompressionLevel = PngCompressionLevel.DefaultCompression };

    /// <summary>
    /// Checks and stores an uploaded image. Reads at most <see cref="StorageOptions.MaxImageBytes"/> + 1 bytes.
    /// <paramref name="fileName"/> is display text only and is not used.
    /// </summary>
    public async Task<UploadResult> SaveAsync(Stream content, string? fileName, CancellationToken ct)
    {
        var checkedUpload = await CheckAsync(content, ct);
        if (checkedUpload is not UploadInspected inspected)
        {
            return checkedUpload;
        }
        Image<Rgba32> image;
        try
        {
            image = Image.Load<Rgba32>(inspected.Bytes);
        }
        catch (ImageFormatException ex)
        {
            return Damaged(ex);
        }
        using (image)
        {
            image.Mutate(x => x.AutoOrient());
            return await StoreAsync(image, ct);
        }
    }

    /// <summary>
    /// Checks an uploaded image the way <see cref="SaveAsync"/> does (bytes, format, dimensions from the header) and
    /// returns its bytes without decoding the pixels or storing anything: for pages that only read its metadata.
    /// </summary>
    public async Task<UploadResult> CheckAsync(Stream content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        var limits = options.Value;
        if (content.CanSeek && content.Length - content.Position > limits.MaxImageBytes)
        {
            return TooLarge(content.Length - content.Position, limits.MaxImageBytes, exact: true);
        }
        var bytes = await ReadAtMostAsync(content, limits.MaxImageBytes + 1, ct);
        if (bytes.Length > limits.MaxImageBytes)
        {
            return TooLarge(bytes.Length, limits.MaxImageBytes, exact: false);
        }
        if (bytes.Length == 0)
        {
            return new UploadRejected("The file is empty.");
        }

        IImageInfo? info;
        SixLabors.ImageSharp.Formats.IImageFormat? format;
        try
        {
            info = Image.Identify(bytes, out format);
        }
        catch (ImageFormatException ex)
        {
            return Damaged(ex);
        }
        if (info is null)
        {
            return new UploadRejected($"This file is not an image DreamLayer can read ({SupportedFormats}).");
        }
        return TooManyPixels(info.Width, info.Height) ?? (UploadResult)new UploadInspected(bytes, info.Width, info.Height, format?.Name ?? "image");
    }

    /// <summary>Checks and stores a file chosen in the browser; a file over the byte limit is refused before it is read.</summary>
    public async Task<UploadResult> SaveAsync(IBrowserFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var limit = options.Value.MaxImageBytes;
        if (file.Size > limit)
        {
            return TooLarge(file.Size, limit, exact: true);
        }
        try
        {
            await using var stream = file.OpenReadStream(maxAllowedSize: limit, ct);
            return await SaveAsync(stream, file.Name, ct);
        }
        catch (IOException ex)
        {
            return new UploadRejected($"The file could not be read: {ex.Message}");
        }
    }

    /// <summary>The stored file of an upload, or null if there is none. The path is built from the id only.</summary>
    public string? Locate(Guid id)
    {
        var path = PathFor(id);
        return File.Exists(path) ? path : null;
    }

    /// <summary>A stored upload with its size read from the file's header (for a form filled from an earlier job), or null if it is gone.</summary>
    public async Task<UploadAccepted?> FindAsync(Guid id, CancellationToken ct)
    {
        if (Locate(id) is not { } path)
        {
            return null;
        }
        var info = await Image.IdentifyAsync(Configuration.Default, path, ct);
        return info is null ? null : new UploadAccepted(id, info.Width, info.Height, new FileInfo(path).Length);
    }

    /// <summary>
    /// Makes a new upload of exactly <paramref name="width"/>×<paramref name="height"/> from a stored one, or
    /// null if <paramref name="id"/> is not stored. <see cref="FitMode.ResizeAndFill"/> pads the borders with the
    /// image's average colour (A1111 stretches the edge pixels instead; a flat fill is easier for the model to
    /// repaint and never smears a border object across the canvas).
    /// </summary>
    public async Task<UploadAccepted?> ResizeAsync(Guid id, int width, int height, FitMode mode, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height > options.Value.MaxImagePixels)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}×{height} is over the pixel limit.");
        }
        if (Locate(id) is not { } source)
        {
            return null;
        }
        using var image = await Image.LoadAsync<Rgba32>(source, ct);
        Fit(image, width, height, mode);
        return await StoreAsync(image, ct);
    }

    /// <summary>
    /// The bounding box of a stored mask's painted (not fully transparent) pixels; empty when nothing is painted,
    /// null when <paramref name="id"/> is not stored.
    /// </summary>
    public async Task<PixelRect?> PaintedBoundsAsync(Guid id, CancellationToken ct)
    {
        if (Locate(id) is not { } path)
        {
            return null;
        }
        using var mask = await Image.LoadAsync<Rgba32>(path, ct);
        int left = mask.Width, top = mask.Height, right = -1, bottom = -1;
        mask.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    if (row[x].A == 0)
                    {
                        continue;
                    }
                    (left, right) = (Math.Min(left, x), Math.Max(right, x));
                    (top, bottom) = (Math.Min(top, y), Math.Max(bottom, y));
                }
            }
        });
        return right < 0 ? default(PixelRect) : new PixelRect(left, top, right - left + 1, bottom - top + 1);
    }

    /// <summary>
    /// Fits an image to exactly <paramref name="width"/>×<paramref name="height"/> in place. <see cref="FitMode.ResizeAndFill"/>
    /// pads with <paramref name="fill"/>, or the image's average colour when it is null.
    /// </summary>
    public static void Fit(Image<Rgba32> image, int width, int height, FitMode mode, Color? fill = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var size = new Size(width, height);
        switch (mode)
        {
            case FitMode.JustResize:
                image.Mutate(x => x.Resize(new ResizeOptions { Size = size, Mode = SharpResizeMode.Stretch }));
                break;
            case FitMode.CropAndResize:
                image.Mutate(x => x.Resize(new ResizeOptions { Size = size, Mode = SharpResizeMode.Crop, Position = AnchorPositionMode.Center }));
                break;
            case FitMode.ResizeAndFill:
                var pad = fill ?? AverageColour(image);
                image.Mutate(x => x.Resize(new ResizeOptions { Size = size, Mode = SharpResizeMode.Pad, Position = AnchorPositionMode.Center, PadColor = pad }));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }
    }

    private async Task<UploadAccepted> StoreAsync(Image<Rgba32> image, CancellationToken ct)
    {
        using var output = new MemoryStream();
        await image.SaveAsPngAsync(output, Encoder, ct);
        var id = Guid.CreateVersion7(time.GetUtcNow());
        Directory.CreateDirectory(paths.UploadsDirectory);
        var bytes = output.ToArray();
        await ImageStore.WriteAtomicallyAsync(PathFor(id), bytes, ct);
        return new UploadAccepted(id, image.Width, image.Height, bytes.LongLength);
    }

    private string PathFor(Guid id) => Path.Combine(paths.UploadsDirectory, id.ToString("N", CultureInfo.InvariantCulture) + ".png");

    private UploadRejected? TooManyPixels(int width, int height)
    {
        var max = options.Value.MaxImagePixels;
        return (long)width * height > max
            ? new UploadRejected($"The image is {width}×{height} ({(long)width * height:N0} pixels); the limit is {max:N0} pixels.")
            : null;
    }

    private static Color AverageColour(Image<Rgba32> image)
    {
        using var one = image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(1, 1), Mode = SharpResizeMode.Stretch, Sampler = KnownResamplers.Box }));
        var p = one[0, 0];
        return Color.FromRgb(p.R, p.G, p.B);
    }

    /// <summary>Reads until the end or <paramref name="limit"/> bytes, whichever comes first; never more.</summary>
    private static async Task<byte[]> ReadAtMostAsync(Stream content, long limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        long total = 0;
        while (total < limit)
        {
            var wanted = (int)Math.Min(chunk.Length, limit - total);
            var read = await content.ReadAsync(chunk.AsMemory(0, wanted), ct);
            if (read == 0)
            {
                break;
            }
            buffer.Write(chunk, 0, read);
            total += read;
        }
        return buffer.ToArray();
    }

    internal static UploadRejected TooLarge(long size, long limit, bool exact) =>
        new(exact
            ? $"The file is {FormatSize(size)}; the limit is {FormatSize(limit)}."
            : $"The file is over {FormatSize(limit)}; the limit is {FormatSize(limit)}.");

    private static UploadRejected Damaged(ImageFormatException ex) => new($"The image is damaged or truncated: {ex.Message}");

    internal static string FormatSize(long bytes) => bytes switch
    {
        >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MB"),
        >= 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
