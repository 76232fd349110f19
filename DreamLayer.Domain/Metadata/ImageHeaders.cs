using System.Buffers.Binary;
using System.Globalization;

namespace DreamLayer.Domain.Metadata;

/// <summary>The image file formats DreamLayer reads.</summary>
public enum ImageContainer
{
    Png,
    Jpeg,
    WebP,
    Gif,
    Bmp,
    Tiff,
}

/// <summary>The channels a file's pixels carry, which is all a decoder needs to keep (at 8 bits a channel).</summary>
public enum ImageChannels
{
    Grey,
    GreyAlpha,
    Rgb,
    Rgba,
}

/// <summary>
/// What the structure of an image file says, read without decoding anything: format, size, channels and EXIF
/// orientation (1–8, 1 when there is none). <see cref="DecoderBytesPerPixel"/> is the working memory the decoder needs
/// beside the pixels (a progressive JPEG's coefficients, a WebP's planes, a GIF's indices).
/// </summary>
public sealed record ImageHeader(ImageContainer Format, int Width, int Height, ImageChannels Channels, int Orientation, int DecoderBytesPerPixel)
{
    public long Pixels => (long)Width * Height;

    public string FormatName => Format switch
    {
        ImageContainer.Png => "PNG",
        ImageContainer.Jpeg => "JPEG",
        ImageContainer.WebP => "WebP",
        ImageContainer.Gif => "GIF",
        ImageContainer.Bmp => "BMP",
        _ => "TIFF",
    };

    /// <summary>The size once the EXIF orientation is applied (orientations 5–8 swap width and height).</summary>
    public (int Width, int Height) Upright => Orientation >= 5 ? (Height, Width) : (Width, Height);
}

/// <summary>Whether <see cref="ImageHeaders.Read"/> found an image it can hand to a decoder, and if not, why in words.</summary>
public sealed record ImageHeaderResult(ImageHeader? Header, bool NotAnImage, string? Problem)
{
    public static ImageHeaderResult Refused(string problem) => new(null, false, problem);
}

/// <summary>
/// The gate in front of every image decoder: walks a file's structure (PNG chunks, JPEG segments, RIFF chunks, GIF
/// blocks, TIFF directories) on the raw bytes, with every length checked against the file, and reads the size from
/// the header. It inflates nothing and allocates nothing in proportion to what a file claims, so a decompression bomb,
/// a giant declared size, a chunk or directory that points past the end, or a file of countless tiny chunks costs
/// one pass over its bytes and is refused in words before any decoder sees it.
/// </summary>
public static class ImageHeaders
{
    /// <summary>Most metadata chunks, segments, extension blocks or directory entries a file may carry (image data is not counted).</summary>
    public const int MaxMetadataChunks = 1000;

    public const string SupportedFormats = "PNG, JPEG, WebP, GIF, BMP, TIFF";

    private const string Damaged = "The image is damaged or truncated: ";

    public static ImageHeaderResult Read(ReadOnlySpan<byte> file)
    {
        if (file.IsEmpty)
        {
            return ImageHeaderResult.Refused("The file is empty.");
        }
        if (file.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png(file);
        }
        if (file.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Jpeg(file);
        }
        if (file.Length >= 12 && file.StartsWith("RIFF"u8) && file[8..12].SequenceEqual("WEBP"u8))
        {
            return WebP(file);
        }
        if (file.StartsWith("GIF87a"u8) || file.StartsWith("GIF89a"u8))
        {
            return Gif(file);
        }
        if (file.StartsWith("BM"u8))
        {
            return Bmp(file);
        }
        if (file.StartsWith("II*\0"u8) || file.StartsWith("MM\0*"u8))
        {
            return Tiff(file);
        }
        if (file.StartsWith("II+\0"u8) || file.StartsWith("MM\0+"u8))
        {
            return ImageHeaderResult.Refused("BigTIFF files are not supported; save the image as an ordinary TIFF, PNG or JPEG.");
        }
        return new ImageHeaderResult(null, true, $"This file is not an image DreamLayer can read ({SupportedFormats}).");
    }

    private static ImageHeaderResult Fail(string detail) => ImageHeaderResult.Refused(Damaged + detail);

    private static ImageHeaderResult TooManyChunks(string format, string what) =>
        ImageHeaderResult.Refused(string.Create(CultureInfo.InvariantCulture, $"The {format} carries more than {MaxMetadataChunks:N0} {what}; DreamLayer reads at most that many."));

    private static ImageHeaderResult Sized(ImageContainer format, long width, long height, ImageChannels channels, int orientation, int decoderBytes)
    {
        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue)
        {
            return Fail(string.Create(CultureInfo.InvariantCulture, $"its header gives an impossible size ({width}×{height})."));
        }
        return new ImageHeaderResult(new ImageHeader(format, (int)width, (int)height, channels, orientation is >= 1 and <= 8 ? orientation : 1, decoderBytes), false, null);
    }

    private static ImageHeaderResult Png(ReadOnlySpan<byte> png)
    {
        var pos = 8;
        long width = 0, height = 0;
        int colourType = -1, orientation = 1, metadataChunks = 0;
        bool transparency = false, data = false;
        while (true)
        {
            if (png.Length - pos < 12)
            {
                return Fail("the PNG is cut off before its end (no IEND chunk).");
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.Slice(pos, 4));
            var typeBytes = png.Slice(pos + 4, 4);
            foreach (var b in typeBytes)
            {
                if (b is not (>= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z'))
                {
                    return Fail(string.Create(CultureInfo.InvariantCulture, $"the PNG has a damaged chunk at byte {pos}."));
                }
            }
            var type = System.Text.Encoding.ASCII.GetString(typeBytes);
            if (length > (uint)(png.Length - pos - 12))
            {
                return Fail($"the PNG is cut off inside its '{type}' chunk.");
            }
            var chunk = png.Slice(pos + 8, (int)length);
            if (pos == 8 && type != "IHDR")
            {
                return Fail("the PNG does not start with its header (IHDR) chunk.");
            }
            switch (type)
            {
                case "IHDR":
                    if (pos != 8 || chunk.Length != 13)
                    {
                        return Fail("the PNG has a damaged header (IHDR) chunk.");
                    }
                    width = BinaryPrimitives.ReadUInt32BigEndian(chunk);
                    height = BinaryPrimitives.ReadUInt32BigEndian(chunk[4..]);
                    var depth = chunk[8];
                    colourType = chunk[9];
                    var valid = colourType switch
                    {
                        0 => depth is 1 or 2 or 4 or 8 or 16,
                        3 => depth is 1 or 2 or 4 or 8,
                        2 or 4 or 6 => depth is 8 or 16,
                        _ => false,
                    };
                    if (!valid || chunk[10] != 0 || chunk[11] != 0 || chunk[12] > 1)
                    {
                        return Fail(string.Create(CultureInfo.InvariantCulture, $"the PNG header names an impossible pixel format (colour type {colourType}, {depth} bits)."));
                    }
                    break;
                case "IDAT":
                    data = true;
                    break;
                case "fdAT":
                    break; // frames of an animated PNG: image data, not decoded (the first frame is the IDAT image)
                case "IEND":
                    if (!data)
                    {
                        return Fail("the PNG has no image data (IDAT chunk).");
                    }
                    var channels = colourType switch
                    {
                        0 => transparency ? ImageChannels.GreyAlpha : ImageChannels.Grey,
                        4 => ImageChannels.GreyAlpha,
                        2 or 3 => transparency ? ImageChannels.Rgba : ImageChannels.Rgb,
                        _ => ImageChannels.Rgba,
                    };
                    return Sized(ImageContainer.Png, width, height, channels, orientation, 0);
                default:
                    if (++metadataChunks > MaxMetadataChunks)
                    {
                        return TooManyChunks("PNG", "chunks besides its image data");
                    }
                    if (type == "tRNS")
                    {
                        transparency = true;
                    }
                    else if (type == "eXIf" && orientation == 1)
                    {
                        orientation = ExifOrientation(chunk);
                    }
                    break;
            }
            pos += (int)length + 12;
        }
    }

    private static ImageHeaderResult Jpeg(ReadOnlySpan<byte> jpeg)
    {
        var pos = 2;
        int orientation = 1, segments = 0, components = 0;
        long width = 0, height = 0;
        var progressive = false;
        while (true)
        {
            if (jpeg.Length - pos < 2)
            {
                return Fail("the JPEG is cut off before its image data.");
            }
            if (jpeg[pos] != 0xFF)
            {
                return Fail(string.Create(CultureInfo.InvariantCulture, $"the JPEG has no segment marker at byte {pos}."));
            }
            var marker = jpeg[pos + 1];
            if (marker == 0xFF)
            {
                pos++;
                continue;
            }
            if (marker is 0xD8 or 0x01 or (>= 0xD0 and <= 0xD7))
            {
                pos += 2;
                continue;
            }
            if (marker == 0xD9)
            {
                return Fail("the JPEG ends before its image data.");
            }
            if (jpeg.Length - pos < 4)
            {
                return Fail("the JPEG is cut off before its image data.");
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.Slice(pos + 2, 2));
            if (length < 2 || jpeg.Length - pos - 2 < length)
            {
                return Fail("the JPEG is cut off inside a segment.");
            }
            var segment = jpeg.Slice(pos + 4, length - 2);
            if (marker == 0xDA)
            {
                if (components == 0)
                {
                    return Fail("the JPEG's image data comes before its frame header.");
                }
                if (height == 0)
                {
                    return ImageHeaderResult.Refused("The JPEG gives its height only after the image data (a DNL marker), which DreamLayer does not read; save it again with another program.");
                }
                // A colour JPEG keeps two bytes per coefficient per component while it is decoded.
                return Sized(ImageContainer.Jpeg, width, height, components == 1 ? ImageChannels.Grey : ImageChannels.Rgb, orientation, (progressive ? 2 : 1) * 2 * Math.Min(components, 4));
            }
            if (++segments > MaxMetadataChunks)
            {
                return TooManyChunks("JPEG", "segments");
            }
            if (marker is (>= 0xC0 and <= 0xCF) and not (0xC4 or 0xC8 or 0xCC) && components == 0)
            {
                if (segment.Length < 6 || segment[5] == 0)
                {
                    return Fail("the JPEG has a damaged frame header.");
                }
                height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                components = segment[5];
                progressive = marker is 0xC2 or 0xC6 or 0xCA or 0xCE;
                if (width == 0)
                {
                    return Fail("the JPEG's frame header gives a width of 0.");
                }
            }
            else if (marker == 0xE1 && orientation == 1 && segment.StartsWith("Exif\0\0"u8))
            {
                orientation = ExifOrientation(segment[6..]);
            }
            pos += 2 + length;
        }
    }

    private static ImageHeaderResult WebP(ReadOnlySpan<byte> webp)
    {
        var riff = BinaryPrimitives.ReadUInt32LittleEndian(webp.Slice(4, 4));
        if (riff < 4 || riff > (uint)(webp.Length - 8))
        {
            return Fail("the WebP is cut off (its RIFF size is larger than the file).");
        }
        var end = 8 + (int)riff;
        var pos = 12;
        long width = 0, height = 0;
        int orientation = 1, chunks = 0;
        bool alpha = false, image = false, lossless = false;
        while (end - pos >= 8)
        {
            var fourCc = System.Text.Encoding.ASCII.GetString(webp.Slice(pos, 4));
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp.Slice(pos + 4, 4));
            if (size > (uint)(end - pos - 8))
            {
                return Fail($"the WebP is cut off inside its '{fourCc.TrimEnd()}' chunk.");
            }
            var data = webp.Slice(pos + 8, (int)size);
            if (++chunks > MaxMetadataChunks)
            {
                return TooManyChunks("WebP", "chunks");
            }
            switch (fourCc)
            {
                case "VP8X":
                    if (data.Length < 10)
                    {
                        return Fail("the WebP has a damaged extended header (VP8X).");
                    }
                    if ((data[0] & 0x02) != 0)
                    {
                        return ImageHeaderResult.Refused("Animated WebP images are not supported; use a still image.");
                    }
                    alpha |= (data[0] & 0x10) != 0;
                    width = Math.Max(width, 1 + (data[4] | (data[5] << 8) | (data[6] << 16)));
                    height = Math.Max(height, 1 + (data[7] | (data[8] << 8) | (data[9] << 16)));
                    break;
                case "VP8 ":
                    if (data.Length < 10 || data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A)
                    {
                        return Fail("the WebP has a damaged lossy frame header.");
                    }
                    width = Math.Max(width, BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF);
                    height = Math.Max(height, BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF);
                    image = true;
                    break;
                case "VP8L":
                    if (data.Length < 5 || data[0] != 0x2F)
                    {
                        return Fail("the WebP has a damaged lossless header.");
                    }
                    var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
                    width = Math.Max(width, 1 + (bits & 0x3FFF));
                    height = Math.Max(height, 1 + ((bits >> 14) & 0x3FFF));
                    alpha |= ((bits >> 28) & 1) != 0;
                    image = lossless = true;
                    break;
                case "ALPH":
                    alpha = true;
                    break;
                case "ANIM" or "ANMF":
                    return ImageHeaderResult.Refused("Animated WebP images are not supported; use a still image.");
                case "EXIF" when orientation == 1:
                    orientation = ExifOrientation(data.StartsWith("Exif\0\0"u8) ? data[6..] : data);
                    break;
            }
            pos += 8 + (int)size + (int)(size & 1);
        }
        if (!image)
        {
            return Fail("the WebP has no image data (VP8 or VP8L chunk).");
        }
        // The decoder keeps its own planes beside the pixels: 32-bit pixels and transforms (lossless), YUV and alpha (lossy).
        return Sized(ImageContainer.WebP, width, height, alpha ? ImageChannels.Rgba : ImageChannels.Rgb, orientation, lossless ? 8 : 4);
    }

    private static ImageHeaderResult Gif(ReadOnlySpan<byte> gif)
    {
        if (gif.Length < 13)
        {
            return Fail("the GIF is cut off inside its header.");
        }
        long width = BinaryPrimitives.ReadUInt16LittleEndian(gif[6..]);
        long height = BinaryPrimitives.ReadUInt16LittleEndian(gif[8..]);
        var pos = 13 + ((gif[10] & 0x80) != 0 ? 3 << ((gif[10] & 0x07) + 1) : 0);
        var blocks = 0;
        var frame = false;
        while (true)
        {
            if (pos >= gif.Length)
            {
                return frame ? Sized(ImageContainer.Gif, width, height, ImageChannels.Rgba, 1, 1) : Fail("the GIF is cut off before its first picture.");
            }
            var introducer = gif[pos];
            if (introducer == 0x3B)
            {
                return frame ? Sized(ImageContainer.Gif, width, height, ImageChannels.Rgba, 1, 1) : Fail("the GIF has no picture.");
            }
            if (++blocks > MaxMetadataChunks)
            {
                return TooManyChunks("GIF", "blocks");
            }
            if (introducer == 0x21)
            {
                pos += 2;
            }
            else if (introducer == 0x2C)
            {
                if (gif.Length - pos < 11)
                {
                    return Fail("the GIF is cut off inside a picture's header.");
                }
                var frameWidth = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 5)..]);
                var frameHeight = BinaryPrimitives.ReadUInt16LittleEndian(gif[(pos + 7)..]);
                if (!frame && (long)frameWidth * frameHeight > width * height)
                {
                    // The decoder reads the picture at its own size into a canvas of the screen's.
                    (width, height) = (Math.Max(width, frameWidth), Math.Max(height, frameHeight));
                }
                var flags = gif[pos + 9];
                pos += 10 + ((flags & 0x80) != 0 ? 3 << ((flags & 0x07) + 1) : 0) + 1; // descriptor, local colour table, LZW code size
                frame = true; // only the first picture is decoded; the others are skipped block by block
            }
            else
            {
                return Fail(string.Create(CultureInfo.InvariantCulture, $"the GIF has an unknown block at byte {pos}."));
            }
            // Data sub-blocks: a length byte, that many bytes, until a zero length.
            while (true)
            {
                if (pos >= gif.Length)
                {
                    return frame ? Sized(ImageContainer.Gif, width, height, ImageChannels.Rgba, 1, 1) : Fail("the GIF is cut off.");
                }
                var size = gif[pos];
                pos += 1 + size;
                if (size == 0)
                {
                    break;
                }
            }
        }
    }

    private static ImageHeaderResult Bmp(ReadOnlySpan<byte> bmp)
    {
        if (bmp.Length < 26)
        {
            return Fail("the BMP is cut off inside its header.");
        }
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bmp[14..]);
        long width, height;
        int bits;
        if (headerSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(bmp[18..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(bmp[20..]);
            bits = BinaryPrimitives.ReadUInt16LittleEndian(bmp[24..]);
        }
        else if (headerSize >= 40 && bmp.Length >= 14 + 40)
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(bmp[18..]);
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bmp[22..]));
            bits = BinaryPrimitives.ReadUInt16LittleEndian(bmp[28..]);
        }
        else
        {
            return Fail("the BMP has a header DreamLayer does not know.");
        }
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(bmp[10..]);
        if (offset >= (uint)bmp.Length)
        {
            return Fail("the BMP is cut off before its pixels.");
        }
        // RLE-compressed files are expanded into a buffer of a byte or more per pixel before conversion.
        return Sized(ImageContainer.Bmp, width, height, bits == 32 ? ImageChannels.Rgba : ImageChannels.Rgb, 1, 4);
    }

    private static ImageHeaderResult Tiff(ReadOnlySpan<byte> tiff)
    {
        var little = tiff[0] == (byte)'I';
        if (tiff.Length < 8)
        {
            return Fail("the TIFF is cut off inside its header.");
        }

        var next = TiffDirectory.U32(tiff, 4, little);
        long width = 0, height = 0;
        int samples = 1, orientation = 1, entries = 0;
        var visited = new HashSet<uint>();
        for (var directory = 0; next != 0; directory++)
        {
            if (next > (uint)(tiff.Length - 2) || !visited.Add(next))
            {
                return Fail("the TIFF has a directory that points outside the file or back to itself.");
            }
            var at = (int)next;
            var count = TiffDirectory.U16(tiff, at, little);
            entries += count;
            if (directory >= MaxMetadataChunks || entries > MaxMetadataChunks * 4)
            {
                return TooManyChunks("TIFF", "pages or directory entries");
            }
            if ((long)at + 2 + (count * 12L) + 4 > tiff.Length)
            {
                return Fail("the TIFF is cut off inside a directory.");
            }
            for (var i = 0; i < count; i++)
            {
                var entry = at + 2 + (i * 12);
                var tag = TiffDirectory.U16(tiff, entry, little);
                var type = TiffDirectory.U16(tiff, entry + 2, little);
                var values = TiffDirectory.U32(tiff, entry + 4, little);
                long unit = type switch
                {
                    1 or 2 or 6 or 7 => 1,
                    3 or 8 => 2,
                    4 or 9 or 11 or 13 => 4,
                    5 or 10 or 12 => 8,
                    16 or 17 or 18 => 8,
                    _ => 1,
                };
                var bytes = unit * values;
                if (bytes > 4 && (TiffDirectory.U32(tiff, entry + 8, little) > (uint)tiff.Length || bytes > tiff.Length - TiffDirectory.U32(tiff, entry + 8, little)))
                {
                    return Fail(string.Create(CultureInfo.InvariantCulture, $"the TIFF's tag {tag} points past the end of the file."));
                }
                if (directory > 0 || values != 1)
                {
                    continue;
                }
                long value = type == 3 ? TiffDirectory.U16(tiff, entry + 8, little) : type == 4 ? TiffDirectory.U32(tiff, entry + 8, little) : -1;
                switch (tag)
                {
                    case 256 when value >= 0:
                        width = value;
                        break;
                    case 257 when value >= 0:
                        height = value;
                        break;
                    case 277 when value > 0:
                        samples = (int)value;
                        break;
                    case 274 when value > 0:
                        orientation = (int)value;
                        break;
                }
            }
            next = TiffDirectory.U32(tiff, at + 2 + (count * 12), little);
        }
        if (visited.Count == 0)
        {
            return Fail("the TIFF has no image directory.");
        }
        var channels = samples switch
        {
            1 => ImageChannels.Grey,
            2 => ImageChannels.GreyAlpha,
            3 => ImageChannels.Rgb,
            _ => ImageChannels.Rgba,
        };
        return Sized(ImageContainer.Tiff, width, height, channels, orientation, 4);
    }

    /// <summary>The Orientation tag (0x0112) of IFD0 of EXIF data in TIFF layout; 1 when absent or unreadable.</summary>
    internal static int ExifOrientation(ReadOnlySpan<byte> tiff)
    {
        if (!TiffDirectory.TryHeader(tiff, withMagic: true, out var little, out var first)
            || TiffDirectory.Entries(tiff, first, little) is not { } ifd0
            || ifd0.FindIndex(e => e.Tag == 0x0112 && e.Type == 3) is not (>= 0 and var at))
        {
            return 1;
        }
        var value = TiffDirectory.U16(tiff, ifd0[at].ValueAt, little);
        return value is >= 1 and <= 8 ? value : 1;
    }
}
