using System.Buffers.Binary;

namespace DreamLayer.Domain.Metadata;

/// <summary>One 12-byte entry of a TIFF directory; <see cref="ValueAt"/> is where its 4-byte value field lies.</summary>
internal readonly record struct TiffEntry(ushort Tag, ushort Type, uint Count, uint ValueOrOffset, int ValueAt);

/// <summary>
/// The one walker over the directories (IFDs) of a TIFF block, as EXIF data carries them in JPEG, PNG and WebP
/// files: the header's byte order and first directory, and a directory's entries. Every offset is checked against the
/// block, and what is kept is bounded by the block's length, never by a count the block claims.
/// </summary>
internal static class TiffDirectory
{
    private const int EntrySize = 12;

    /// <summary>
    /// The byte order ("II" little-endian, "MM" big-endian) and the offset of the first directory; false when the block
    /// is too short to hold a header or starts with neither. <paramref name="withMagic"/> also asks for the number 42
    /// that follows the byte order.
    /// </summary>
    public static bool TryHeader(ReadOnlySpan<byte> tiff, bool withMagic, out bool little, out uint firstDirectory)
    {
        little = false;
        firstDirectory = 0;
        var order = withMagic ? tiff.StartsWith("II*\0"u8) || tiff.StartsWith("MM\0*"u8) : tiff.StartsWith("II"u8) || tiff.StartsWith("MM"u8);
        if (tiff.Length < 8 || !order)
        {
            return false;
        }
        little = tiff[0] == (byte)'I';
        firstDirectory = U32(tiff, 4, little);
        return true;
    }

    /// <summary>
    /// The entries of the directory at <paramref name="offset"/>, up to where the block ends; null when the directory
    /// lies outside the block.
    /// </summary>
    public static List<TiffEntry>? Entries(ReadOnlySpan<byte> tiff, uint offset, bool little)
    {
        if (tiff.Length < 2 || offset > (uint)(tiff.Length - 2))
        {
            return null;
        }
        var count = Math.Min(U16(tiff, (int)offset, little), (tiff.Length - (int)offset - 2) / EntrySize);
        var entries = new List<TiffEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var at = (int)offset + 2 + (i * EntrySize);
            entries.Add(new TiffEntry(U16(tiff, at, little), U16(tiff, at + 2, little), U32(tiff, at + 4, little), U32(tiff, at + 8, little), at + 8));
        }
        return entries;
    }

    public static ushort U16(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff.Slice(at, 2)) : BinaryPrimitives.ReadUInt16BigEndian(tiff.Slice(at, 2));

    public static uint U32(ReadOnlySpan<byte> tiff, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff.Slice(at, 4)) : BinaryPrimitives.ReadUInt32BigEndian(tiff.Slice(at, 4));
}
