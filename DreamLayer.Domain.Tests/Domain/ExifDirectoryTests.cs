using System.Buffers.Binary;
using System.Text;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// The EXIF directories inside JPEG files, read both for the upright size (<see cref="ImageHeaders"/>) and for the
/// generators' text (<see cref="ImageMetadataReader"/>): either byte order, a directory cut off, and a directory that
/// claims more entries than its block holds.
/// </summary>
public sealed class ExifDirectoryTests
{
    private const ushort Orientation = 0x0112;
    private const ushort ImageDescription = 0x010E;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_JpegWithExifOrientation6_IsUprightInEitherByteOrder(bool little)
    {
        var tiff = Tiff(little, [Entry(little, ImageDescription, 2, 4, [(byte)'a', (byte)'b', (byte)'c', 0]), Entry(little, Orientation, 3, 1, Short(little, 6))]);

        var header = ImageHeaders.Read(Jpeg(tiff)).Header;

        Assert.NotNull(header);
        Assert.Equal(6, header.Orientation);
        Assert.Equal((4, 8), header.Upright);
        Assert.Equal(new MetadataText("ImageDescription", "abc", "EXIF ImageDescription"), Assert.Single(ImageMetadataReader.Read(Jpeg(tiff)).Texts));
    }

    [Fact]
    public void Read_OrientationEntryPastTheEndOfTheBlock_IsUprightAsStored()
    {
        var tiff = Tiff(little: true, [Entry(true, ImageDescription, 2, 4, [(byte)'a', 0, 0, 0]), Entry(true, Orientation, 3, 1, Short(true, 6))]);
        var cut = tiff[..^16]; // the second entry and the next-directory offset are gone

        var header = ImageHeaders.Read(Jpeg(cut)).Header;

        Assert.Equal(1, header?.Orientation);
        Assert.Equal("a", Assert.Single(ImageMetadataReader.Read(Jpeg(cut)).Texts).Text);
    }

    [Fact]
    public void Read_ExifWithoutTheTiffMagicNumber_GivesTextButNoOrientation()
    {
        // Generators' text is read from a block that only names its byte order; the orientation, which turns the
        // picture, only from a well-formed TIFF header.
        var tiff = Tiff(little: true, [Entry(true, ImageDescription, 2, 4, [(byte)'a', 0, 0, 0]), Entry(true, Orientation, 3, 1, Short(true, 6))]);
        tiff[2] = 0;

        Assert.Equal(1, ImageHeaders.Read(Jpeg(tiff)).Header?.Orientation);
        Assert.Equal("a", Assert.Single(ImageMetadataReader.Read(Jpeg(tiff)).Texts).Text);
    }

    [Fact]
    public void Read_DirectoryClaimingTheMostEntries_CostsWhatTheBlockHolds()
    {
        // 65,535 entries claimed, one present: what is kept is bounded by the block, not by the claim.
        var tiff = Tiff(little: true, [Entry(true, ImageDescription, 2, 4, [(byte)'a', 0, 0, 0])]);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(8), ushort.MaxValue);
        var jpeg = Jpeg(tiff);
        ImageMetadataReader.Read(jpeg);
        ImageHeaders.Read(jpeg);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var texts = ImageMetadataReader.Read(jpeg).Texts;
        var header = ImageHeaders.Read(jpeg).Header;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("a", Assert.Single(texts).Text);
        Assert.Equal(1, header?.Orientation);
        Assert.True(allocated < 64 * 1024, $"Reading a small EXIF block allocated {allocated:N0} bytes.");
    }

    private static byte[] Short(bool little, ushort value)
    {
        var bytes = new byte[4];
        if (little)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        }
        return bytes;
    }

    private static byte[] Entry(bool little, ushort tag, ushort type, uint count, byte[] value)
    {
        var entry = new byte[12];
        if (little)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(entry, tag);
            BinaryPrimitives.WriteUInt16LittleEndian(entry.AsSpan(2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(4), count);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(entry, tag);
            BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(2), type);
            BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(4), count);
        }
        value.CopyTo(entry, 8);
        return entry;
    }

    /// <summary>A TIFF block: header, then IFD0 at offset 8 with the given entries, then no next directory.</summary>
    private static byte[] Tiff(bool little, byte[][] entries)
    {
        var header = little ? "II*\0"u8.ToArray() : "MM\0*"u8.ToArray();
        byte[] first = little ? [8, 0, 0, 0] : [0, 0, 0, 8];
        byte[] count = little ? [(byte)entries.Length, 0] : [0, (byte)entries.Length];
        return [.. header, .. first, .. count, .. entries.SelectMany(e => e), 0, 0, 0, 0];
    }

    /// <summary>An 8×4 baseline JPEG's structure (no pixels needed): SOI, the EXIF segment, the frame header, SOS, EOI.</summary>
    private static byte[] Jpeg(byte[] tiff)
    {
        byte[] exif = [.. Encoding.ASCII.GetBytes("Exif\0\0"), .. tiff];
        byte[] frame = [8, 0, 4, 0, 8, 3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0];
        return [0xFF, 0xD8, .. Segment(0xE1, exif), .. Segment(0xC0, frame), 0xFF, 0xDA, 0, 2, 0xFF, 0xD9];
    }

    private static byte[] Segment(byte marker, byte[] data) =>
        [0xFF, marker, (byte)((data.Length + 2) >> 8), (byte)(data.Length + 2), .. data];
}
