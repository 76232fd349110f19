using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;
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
public sealed record UploadRejected(string Message) : UploadResult
{
    /// <summary>Refused for its size in bytes alone (an HTTP caller answers 413).</summary>
    public bool TooLarge { get; init; }
}

/// <summary>
/// Images users upload (img2img, ControlNet inputs, Extras). Each is checked before it is decoded — size in bytes,
/// then structure, format and dimensions by <see cref="ImageGate"/> without decoding, against the pixel limit of its
/// purpose — then decoded by the gate (within the decode budget, metadata ignored, in the file's own pixel format),
/// turned upright by its EXIF orientation and stored as PNG atomically. Files are addressed by id only: the client's
/// file name never becomes a path.
/// </summary>
public sealed class UploadStore(StoragePaths paths, IOptions<StorageOptions> options, ImageGate gate, TimeProvider time)
{
    private static readonly PngEncoder Encoder = new() { CompressionLevel = PngCompressionLevel.DefaultCompression };

    /// <summary>
    /// Checks and stores an uploaded picture to generate from (<see cref="ImagePurpose.Source"/>). Reads at most
    /// <see cref="StorageOptions.MaxImageBytes"/> + 1 bytes. <paramref name="fileName"/> is display text only and is not used.
    /// </summary>
    public Task<UploadResult> SaveAsync(Stream content, string? fileName, CancellationToken ct) =>
        SaveAsync(content, fileName, ImagePurpose.Source, ct);

    /// <summary>Checks and stores an uploaded image under the pixel limit of <paramref name="purpose"/>.</summary>
    public async Task<UploadResult> SaveAsync(Stream content, string? fileName, ImagePurpose purpose, CancellationToken ct)
    {
        var (checkedUpload, header) = await CheckAsync(content, purpose, ct);
        if (checkedUpload is not UploadInspected inspected || header is null)
        {
            return checkedUpload;
        }
        try
        {
            using var decoded = await gate.DecodeAsync(inspected.Bytes, header, rgba: false, ct);
            return await StoreAsync(decoded.Image, ct);
        }
        catch (InvalidDataException ex)
        {
            return new UploadRejected(ex.Message);
        }
    }

    /// <summary>
    /// Checks an image the way <see cref="SaveAsync(Stream, string?, CancellationToken)"/> does (bytes, then structure,
    /// format and dimensions, under <see cref="StorageOptions.MaxImagePixels"/>) and returns its bytes without decoding
    /// the pixels or storing anything: for pages that only read its metadata.
    /// </summary>
    public async Task<UploadResult> CheckAsync(Stream content, CancellationToken ct) => (await CheckAsync(content, ImagePurpose.Any, ct)).Result;

    /// <summary>
    /// Checks an image as <see cref="SaveAsync(Stream, string?, ImagePurpose, CancellationToken)"/> does, but with at most
    /// <paramref name="maxBytes"/> bytes read, and decodes it without storing anything: for a caller that keeps a picture
    /// its own way. The decoded image holds its share of the decode budget until it is disposed.
    /// </summary>
    public async Task<(DecodedImage? Image, string? Refusal)> DecodeAsync(Stream content, ImagePurpose purpose, long maxBytes, CancellationToken ct)
    {
        var (checkedUpload, header) = await CheckAsync(content, purpose, Math.Min(maxBytes, options.Value.MaxImageBytes), ct);
        if (checkedUpload is not UploadInspected inspected || header is null)
        {
            return (null, ((UploadRejected)checkedUpload).Message);
        }
        try
        {
            return (await gate.DecodeAsync(inspected.Bytes, header, rgba: false, ct), null);
        }
        catch (InvalidDataException ex)
        {
            return (null, ex.Message);
        }
    }

    private Task<(UploadResult Result, ImageHeader? Header)> CheckAsync(Stream content, ImagePurpose purpose, CancellationToken ct) =>
        CheckAsync(content, purpose, options.Value.MaxImageBytes, ct);

    private async Task<(UploadResult Result, ImageHeader? Header)> CheckAsync(Stream content, ImagePurpose purpose, long maxBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek && content.Length - content.Position > maxBytes)
        {
            return (TooLarge(content.Length - content.Position, maxBytes, exact: true), null);
        }
        var bytes = await ReadAtMostAsync(content, maxBytes + 1, ct);
        if (bytes.Length > maxBytes)
        {
            return (TooLarge(bytes.Length, maxBytes, exact: false), null);
        }
        var check = gate.Check(bytes, purpose);
        if (check.Header is not { } header)
        {
            return (new UploadRejected(check.Refusal!), null);
        }
        var (width, height) = header.Upright;
        return (new UploadInspected(bytes, width, height, header.FormatName), header);
    }

    /// <summary>Checks and stores a file chosen in the browser as a picture to generate from.</summary>
    public Task<UploadResult> SaveAsync(IBrowserFile file, CancellationToken ct) => SaveAsync(file, ImagePurpose.Source, ct);

    /// <summary>Checks and stores a file chosen in the browser; a file over the byte limit is refused before it is read.</summary>
    public async Task<UploadResult> SaveAsync(IBrowserFile file, ImagePurpose purpose, CancellationToken ct)
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
            return await SaveAsync(stream, file.Name, purpose, ct);
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
        var bytes = await File.ReadAllBytesAsync(path, ct);
        return ImageHeaders.Read(bytes).Header is { } header ? new UploadAccepted(id, header.Width, header.Height, bytes.LongLength) : null;
    }

    /// <summary>
    /// Decodes a stored upload through the gate (a file stored before today's limits, or changed on disk, is checked
    /// like any other); <paramref name="rgba"/> asks for <see cref="Rgba32"/> pixels.
    /// </summary>
    /// <exception cref="InvalidDataException">The stored file is not an image within the limits any more.</exception>
    public async Task<DecodedImage> DecodeStoredAsync(string path, bool rgba, CancellationToken ct)
    {
        var bytes = await File.ReadAllBytesAsync(path, ct);
        var check = gate.Check(bytes, ImagePurpose.Any);
        if (check.Header is not { } header)
        {
            throw new InvalidDataException($"The stored image {Path.GetFileName(path)} cannot be used: {check.Refusal}");
        }
        return await gate.DecodeAsync(bytes, header, rgba, ct);
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
        using var decoded = await DecodeStoredAsync(path, rgba: true, ct);
        var mask = (Image<Rgba32>)decoded.Image;
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
    /// pads with <paramref name="fill"/>, or the image's average colour when it is null (A1111 stretches the edge pixels
    /// instead; a flat fill is easier for the model to repaint and never smears a border object across the canvas).
    /// </summary>
    public static void Fit(Image image, int width, int height, FitMode mode, Color? fill = null)
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

    private async Task<UploadAccepted> StoreAsync(Image image, CancellationToken ct)
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

    private static Color AverageColour(Image image)
    {
        using var one = image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(1, 1), Mode = SharpResizeMode.Stretch, Sampler = KnownResamplers.Box }));
        using var rgba = one.CloneAs<Rgba32>();
        var p = rgba[0, 0];
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
            : $"The file is over {FormatSize(limit)}; the limit is {FormatSize(limit)}.")
        { TooLarge = true };

    internal static string FormatSize(long bytes) => bytes switch
    {
        >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MB"),
        >= 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
