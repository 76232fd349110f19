using System.Globalization;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Data;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace DreamLayer.Web.Images;

/// <summary>What an image is for, which decides its pixel limit.</summary>
public enum ImagePurpose
{
    /// <summary>A picture to generate from (Img2Img/Inpaint source and mask, ControlNet picture, workflow image field): <see cref="StorageOptions.MaxSourcePixels"/>.</summary>
    Source,

    /// <summary>A picture to upscale on Extras: <see cref="StorageOptions.MaxUpscaleSourcePixels"/>.</summary>
    Upscale,

    /// <summary>An image a server sent, a folder import, PNG Info, or a stored file read back: <see cref="StorageOptions.MaxImagePixels"/>.</summary>
    Any,
}

/// <summary>An image's header once it passed the gate, or the reason it did not, in words.</summary>
public sealed record ImageCheck(ImageHeader? Header, string? Refusal)
{
    public bool NotAnImage { get; init; }
}

/// <summary>A decoded image and the share of the decode budget it holds until it is disposed.</summary>
public sealed class DecodedImage(Image image, IDisposable lease) : IDisposable
{
    public Image Image { get; } = image;

    public void Dispose()
    {
        Image.Dispose();
        lease.Dispose();
    }
}

/// <summary>
/// The one way an untrusted image (an upload, an image a ComfyUI server sent, a file of a folder import, a stored
/// upload read back) reaches ImageSharp. <see cref="Check"/> reads its structure and size without decoding
/// (<see cref="ImageHeaders"/>) and applies the pixel limit of its purpose. <see cref="DecodeAsync"/> then decodes it:
/// with metadata ignored (ImageSharp 2's decoders inflate text chunks and parse EXIF, ICC and XMP without a limit; the
/// app reads metadata itself, bounded, and applies the EXIF orientation found by the gate), only the first frame, in the
/// smallest pixel format that keeps what the file holds (a grey PNG stays one byte a pixel, never RGBA), and within
/// <see cref="DecodeBudget"/>, so concurrent decodes cannot add up past it.
/// </summary>
public sealed class ImageGate
{
    private static readonly PngDecoder Png = new() { IgnoreMetadata = true };
    private static readonly JpegDecoder Jpeg = new() { IgnoreMetadata = true };
    private static readonly WebpDecoder Webp = new() { IgnoreMetadata = true };
    private static readonly GifDecoder Gif = new() { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First };
    private static readonly BmpDecoder Bmp = new();
    private static readonly TiffDecoder Tiff = new() { IgnoreMetadata = true, DecodingMode = FrameDecodingMode.First };

    private readonly IOptions<StorageOptions> _options;

    public ImageGate(IOptions<StorageOptions> options, Action? onIdle = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Budget = new DecodeBudget(options.Value.DecodeMemoryBytes, onIdle);
    }

    public DecodeBudget Budget { get; }

    /// <summary>
    /// Gives ImageSharp a bounded pool (the default one keeps what big images used) and a cap on any one image buffer:
    /// the largest image the limits allow, as RGBA. Process-wide, so it is set once at start-up.
    /// </summary>
    public static void ConfigureMemory(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var largest = Math.Max(options.MaxImagePixels, Math.Max(options.MaxSourcePixels, options.MaxUpscaleSourcePixels));
        var limitMegabytes = (int)Math.Clamp((largest * 4 / (1024 * 1024)) + 16, 64, int.MaxValue);
        Configuration.Default.MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
        {
            MaximumPoolSizeMegabytes = 32,
            AllocationLimitMegabytes = limitMegabytes,
        });
    }

    public long PixelLimit(ImagePurpose purpose) => purpose switch
    {
        ImagePurpose.Source => _options.Value.MaxSourcePixels,
        ImagePurpose.Upscale => _options.Value.MaxUpscaleSourcePixels,
        _ => _options.Value.MaxImagePixels,
    };

    public ImageCheck Check(ReadOnlySpan<byte> file, ImagePurpose purpose)
    {
        var read = ImageHeaders.Read(file);
        if (read.Header is not { } header)
        {
            return new ImageCheck(null, read.Problem) { NotAnImage = read.NotAnImage };
        }
        var limit = PixelLimit(purpose);
        if (header.Pixels > limit)
        {
            var what = purpose switch
            {
                ImagePurpose.Source => "the limit for a picture to generate from",
                ImagePurpose.Upscale => "the limit for a picture to upscale",
                _ => "the limit",
            };
            return new ImageCheck(null, string.Create(CultureInfo.InvariantCulture,
                $"The image is {header.Width}×{header.Height} ({header.Pixels:N0} pixels); {what} is {limit:N0} pixels{Square(limit)}."));
        }
        return new ImageCheck(header, null);
    }

    /// <summary>
    /// Decodes a file that passed <see cref="Check"/>, turned upright. <paramref name="rgba"/> asks for
    /// <see cref="Rgba32"/> pixels whatever the file holds (to read or write pixels directly).
    /// </summary>
    /// <exception cref="InvalidDataException">The image data is damaged (with the reason in words).</exception>
    public async Task<DecodedImage> DecodeAsync(byte[] file, ImageHeader header, bool rgba, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(header);
        var channels = rgba ? ImageChannels.Rgba : header.Channels;
        var bytesPerPixel = channels switch
        {
            ImageChannels.Grey => 1,
            ImageChannels.GreyAlpha => 2,
            ImageChannels.Rgb => 3,
            _ => 4,
        };
        // The pixels, a second copy while it is turned, resized or encoded, and the decoder's own working memory.
        var lease = await Budget.AcquireAsync(header.Pixels * ((2L * bytesPerPixel) + header.DecoderBytesPerPixel), ct);
        try
        {
            var image = Decode(file, header, channels, ct);
            try
            {
                Orient(image, header.Orientation);
            }
            catch
            {
                image.Dispose();
                throw;
            }
            return new DecodedImage(image, lease);
        }
        catch (Exception ex) when (ex is ImageFormatException or InvalidMemoryOperationException or NotSupportedException)
        {
            lease.Dispose();
            throw new InvalidDataException($"The image is damaged or truncated: {ex.Message}", ex);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private static Image Decode(byte[] file, ImageHeader header, ImageChannels channels, CancellationToken ct)
    {
        IImageDecoder decoder = header.Format switch
        {
            ImageContainer.Png => Png,
            ImageContainer.Jpeg => Jpeg,
            ImageContainer.WebP => Webp,
            ImageContainer.Gif => Gif,
            ImageContainer.Bmp => Bmp,
            _ => Tiff,
        };
        using var stream = new MemoryStream(file, writable: false);
        Image image = channels switch
        {
            ImageChannels.Grey => decoder.Decode<L8>(Configuration.Default, stream, ct),
            ImageChannels.GreyAlpha => decoder.Decode<La16>(Configuration.Default, stream, ct),
            ImageChannels.Rgb => decoder.Decode<Rgb24>(Configuration.Default, stream, ct),
            _ => decoder.Decode<Rgba32>(Configuration.Default, stream, ct),
        };
        if ((long)image.Width * image.Height > header.Pixels)
        {
            // The gate's size decided the limit and the budget; image data larger than that is not the file it claims.
            var size = image.Size();
            image.Dispose();
            throw new InvalidDataException($"The image is damaged: its header says {header.Width}×{header.Height} but its data is {size.Width}×{size.Height}.");
        }
        return image;
    }

    /// <summary>Applies an EXIF orientation as ImageSharp's AutoOrient does.</summary>
    private static void Orient(Image image, int orientation)
    {
        switch (orientation)
        {
            case 2:
                image.Mutate(x => x.Flip(FlipMode.Horizontal));
                break;
            case 3:
                image.Mutate(x => x.Rotate(RotateMode.Rotate180));
                break;
            case 4:
                image.Mutate(x => x.Flip(FlipMode.Vertical));
                break;
            case 5:
                image.Mutate(x => x.Rotate(RotateMode.Rotate90).Flip(FlipMode.Horizontal));
                break;
            case 6:
                image.Mutate(x => x.Rotate(RotateMode.Rotate90));
                break;
            case 7:
                image.Mutate(x => x.Flip(FlipMode.Vertical).Rotate(RotateMode.Rotate270));
                break;
            case 8:
                image.Mutate(x => x.Rotate(RotateMode.Rotate270));
                break;
        }
    }

    private static string Square(long pixels)
    {
        var side = (long)Math.Sqrt(pixels);
        return side * side == pixels ? string.Create(CultureInfo.InvariantCulture, $" ({side}×{side})") : string.Empty;
    }
}
