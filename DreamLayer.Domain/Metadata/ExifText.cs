using System.Buffers.Binary;
using System.Text;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Finds the text that generators put in JPEG and WebP files: the EXIF UserComment (A1111, Forge, SwarmUI), the
/// EXIF ImageDescription/Make/Model strings (ComfyUI writes <c>prompt:</c>/<c>workflow:</c> there in WebP) and JPEG
/// comments. Works on raw bytes without decoding the image; every offset is bounds-checked, so a damaged file
/// yields fewer texts and a problem, never an exception.
/// </summary>
internal static class ExifText
{
    private const ushort ExifIfdPointer = 0x8769;
    private const ushort UserComment = 0x9286;

    private static readonly (ushort Tag, string Name)[] AsciiTags = [(0x010E, "ImageDescription"), (0x010F, "Make"), (0x0110, "Model")];

    public static void ReadJpeg(ReadOnlySpan<byte> jpeg, int maxTextBytes, List<MetadataText> texts, List<string> problems)
    {
        var pos = 2;
        while (true)
        {
            if (jpeg.Length - pos < 4)
            {
                problems.Add("The JPEG is cut off before its image data; the text before the cut was read.");
                return;
            }
            if (jpeg[pos] != 0xFF)
            {
                problems.Add($"The JPEG is damaged: no segment marker at byte {pos}.");
                return;
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
            if (marker is 0xDA or 0xD9)
            {
                return;
            }
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.Slice(pos + 2, 2));
            if (length < 2 || pos + 2 + length > jpeg.Length)
            {
                problems.Add("The JPEG is cut off inside a metadata segment; the text before the cut was read.");
                return;
            }
            var data = jpeg.Slice(pos + 4, length - 2);
            if (marker == 0xE1 && data.StartsWith("Exif\0\0"u8))
            {
                ReadTiff(data[6..], maxTextBytes, texts, problems);
            }
            else if (marker == 0xFE)
            {
                AddText(texts, problems, "Comment", "JPEG comment", Encoding.UTF8.GetString(data).TrimEnd('\0'), maxTextBytes);
            }
            pos += 2 + length;
        }
    }

    public static void ReadWebP(ReadOnlySpan<byte> webp, int maxTextBytes, List<MetadataText> texts, List<string> problems)
    {
        var pos = 12;
        while (webp.Length - pos >= 8)
        {
            var fourCc = Encoding.ASCII.GetString(webp.Slice(pos, 4));
            var size = BinaryPrimitives.ReadUInt32LittleEndian(webp.Slice(pos + 4, 4));
            if (size > (uint)(webp.Length - pos - 8))
            {
                problems.Add($"The WebP is cut off inside its '{fourCc.TrimEnd()}' chunk; the text before the cut was read.");
                return;
            }
            var data = webp.Slice(pos + 8, (int)size);
            if (fourCc == "EXIF")
            {
                ReadTiff(data.StartsWith("Exif\0\0"u8) ? data[6..] : data, maxTextBytes, texts, problems);
            }
            pos += 8 + (int)size + (int)(size & 1);
        }
    }

    /// <summary>Reads IFD0's text tags and the Exif IFD's UserComment from a TIFF block.</summary>
    private static void ReadTiff(ReadOnlySpan<byte> tiff, int maxTextBytes, List<MetadataText> texts, List<string> problems)
    {
        if (!TiffDirectory.TryHeader(tiff, withMagic: false, out var little, out var first))
        {
            problems.Add("The EXIF block is damaged (no TIFF header).");
            return;
        }
        var ifd0 = TiffDirectory.Entries(tiff, first, little);
        if (ifd0 is null)
        {
            problems.Add("The EXIF block is damaged (its first directory lies outside it).");
            return;
        }
        foreach (var (tag, name) in AsciiTags)
        {
            var at = ifd0.FindIndex(e => e.Tag == tag);
            if (at >= 0 && Value(tiff, ifd0[at]) is { } ascii)
            {
                AddText(texts, problems, name, "EXIF " + name, Encoding.UTF8.GetString(ascii).TrimEnd('\0'), maxTextBytes);
            }
        }
        var pointer = ifd0.FindIndex(e => e.Tag == ExifIfdPointer);
        if (pointer < 0)
        {
            return;
        }
        var exif = TiffDirectory.Entries(tiff, ifd0[pointer].ValueOrOffset, little);
        if (exif?.FindIndex(e => e.Tag == UserComment) is >= 0 and var index)
        {
            var comment = exif[index];
            if (Value(tiff, comment) is { } bytes)
            {
                AddText(texts, problems, "UserComment", "EXIF UserComment", DecodeUserComment(bytes, little), maxTextBytes);
            }
            else
            {
                problems.Add("The EXIF UserComment points outside the EXIF block; it was skipped.");
            }
        }
    }

    /// <summary>
    /// Decodes a UserComment: an 8-byte character code (<c>ASCII</c>, <c>UNICODE</c>, <c>JIS</c> or undefined) and the
    /// text. A1111 writes <c>UNICODE\0</c> + UTF-16 big-endian (piexif) even in little-endian EXIF, so the byte order
    /// is taken from the text itself when it is plain, and from the EXIF block otherwise.
    /// </summary>
    internal static string DecodeUserComment(ReadOnlySpan<byte> value, bool littleEndianExif)
    {
        if (value.Length < 8)
        {
            return Encoding.UTF8.GetString(value).TrimEnd('\0');
        }
        var code = value[..8];
        var text = value[8..];
        if (code.SequenceEqual("UNICODE\0"u8))
        {
            if (text.Length >= 2 && text[0] == 0xFE && text[1] == 0xFF)
            {
                return Encoding.BigEndianUnicode.GetString(text[2..]).TrimEnd('\0');
            }
            if (text.Length >= 2 && text[0] == 0xFF && text[1] == 0xFE)
            {
                return Encoding.Unicode.GetString(text[2..]).TrimEnd('\0');
            }
            var bigEndian = text.Length >= 2 && text[0] == 0 && text[1] != 0 || (!(text.Length >= 2 && text[1] == 0 && text[0] != 0) && !littleEndianExif);
            return (bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode).GetString(text[..(text.Length & ~1)]).TrimEnd('\0');
        }
        return Encoding.UTF8.GetString(text).TrimEnd('\0', ' ');
    }

    /// <summary>The bytes of an ASCII (2), BYTE (1) or UNDEFINED (7) entry, or null when they lie outside the block.</summary>
    private static byte[]? Value(ReadOnlySpan<byte> tiff, TiffEntry entry)
    {
        if (entry.Type is not (1 or 2 or 7))
        {
            return null;
        }
        if (entry.Count <= 4)
        {
            return tiff.Slice(entry.ValueAt, (int)entry.Count).ToArray();
        }
        return entry.ValueOrOffset <= (uint)tiff.Length && entry.Count <= (uint)tiff.Length - entry.ValueOrOffset
            ? tiff.Slice((int)entry.ValueOrOffset, (int)entry.Count).ToArray()
            : null;
    }

    private static void AddText(List<MetadataText> texts, List<string> problems, string key, string where, string text, int maxTextBytes)
    {
        if (text.Length > maxTextBytes)
        {
            problems.Add($"The {where} holds {text.Length:N0} characters, over the {maxTextBytes:N0} limit; it was skipped.");
            return;
        }
        if (text.Length > 0)
        {
            texts.Add(new MetadataText(key, text, where));
        }
    }
}
