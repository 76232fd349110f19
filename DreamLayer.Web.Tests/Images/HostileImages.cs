using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DreamLayer.Web.Tests.Domain;

namespace DreamLayer.Web.Tests.Images;

/// <summary>
/// Hostile image files made by hand, as an attacker would: small files that claim or unpack to gigabytes, files cut
/// off, files of countless chunks. Large ones are built once per test run and never committed.
/// </summary>
internal static class HostileImages
{
    private static readonly Lazy<byte[]> GreyGiant = new(() => GreyPng(16384, 16384));
    private static readonly Lazy<byte[]> TextBomb = new(() => BuildZtxtBomb(1024));

    /// <summary>A valid 8-bit grey PNG of 16384×16384 (all black): a few hundred KB that decode to gigabytes as RGBA.</summary>
    public static byte[] Grey16384 => GreyGiant.Value;

    /// <summary>A valid 64×64 grey PNG with a zTXt 'parameters' chunk of about 1 MB that inflates to 1 GiB.</summary>
    public static byte[] ZtxtBomb => TextBomb.Value;

    /// <summary>A valid grey PNG of any size, its rows deflated as they are made (nothing of its decoded size is held).</summary>
    public static byte[] GreyPng(int width, int height, byte shade = 0)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bits
        ihdr[9] = 0; // grey
        png.Write(PngBytes.Chunk("IHDR", ihdr));
        using (var idat = new MemoryStream())
        {
            using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true))
            {
                var row = new byte[width + 1];
                Array.Fill(row, shade, 1, width);
                for (var y = 0; y < height; y++)
                {
                    z.Write(row);
                }
            }
            png.Write(PngBytes.Chunk("IDAT", idat.ToArray()));
        }
        png.Write(PngBytes.Chunk("IEND", []));
        return png.ToArray();
    }

    /// <summary>A 64×64 grey PNG whose zTXt chunk inflates to <paramref name="mebibytes"/> MiB of zeros.</summary>
    public static byte[] BuildZtxtBomb(int mebibytes)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < mebibytes; i++)
            {
                z.Write(zeros);
            }
        }
        var chunk = PngBytes.Chunk("zTXt", [.. "parameters"u8, 0, 0, .. compressed.ToArray()]);
        return PngBytes.Insert(GreyPng(64, 64, 128), chunk);
    }

    /// <summary>A 64×64 grey PNG with <paramref name="count"/> small tEXt chunks.</summary>
    public static byte[] ManyTextChunks(int count)
    {
        using var chunks = new MemoryStream();
        for (var i = 0; i < count; i++)
        {
            chunks.Write(PngBytes.Chunk("tEXt", [.. "k"u8, 0, .. Encoding.ASCII.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))]));
        }
        return PngBytes.Insert(GreyPng(64, 64), chunks.ToArray());
    }

    /// <summary>A baseline JPEG frame header claiming <paramref name="width"/>×<paramref name="height"/>, followed by a scan and the end.</summary>
    public static byte[] JpegClaiming(int width, int height, int extraSegments = 0)
    {
        using var jpeg = new MemoryStream();
        jpeg.Write([0xFF, 0xD8]);
        for (var i = 0; i < extraSegments; i++)
        {
            jpeg.Write([0xFF, 0xE2, 0x00, 0x10, .. "ICC_PROFILE\0"u8, 1, 1]); // APP2 segments, as an ICC profile split in parts
        }
        var sof = new byte[] { 0xFF, 0xC0, 0x00, 0x11, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1 };
        jpeg.Write(sof);
        jpeg.Write([0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0]);
        jpeg.Write(new byte[64]);
        jpeg.Write([0xFF, 0xD9]);
        return jpeg.ToArray();
    }

    /// <summary>An extended WebP (VP8X) whose canvas claims <paramref name="width"/>×<paramref name="height"/>, with a 1×1 lossless frame.</summary>
    public static byte[] WebPClaiming(int width, int height)
    {
        var vp8x = new byte[10];
        vp8x[0] = 0x10; // alpha
        WriteUInt24(vp8x.AsSpan(4), width - 1);
        WriteUInt24(vp8x.AsSpan(7), height - 1);
        byte[] vp8l = [0x2F, 0, 0, 0, 0, 0, 0, 0];
        byte[] body = [.. "WEBP"u8, .. RiffChunk("VP8X", vp8x), .. RiffChunk("VP8L", vp8l)];
        var header = new byte[8];
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), (uint)body.Length);
        return [.. header, .. body];
    }

    /// <summary>A GIF whose screen and first picture claim 65535×65535.</summary>
    public static byte[] GifClaimingMaximum() =>
    [
        .. "GIF89a"u8, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0, 0,
        0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x08, 0x02, 0x4C, 0x01, 0x00,
        0x3B,
    ];

    private static byte[] RiffChunk(string fourCc, byte[] data)
    {
        var result = new byte[8 + data.Length + (data.Length & 1)];
        Encoding.ASCII.GetBytes(fourCc, result);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)data.Length);
        data.CopyTo(result, 8);
        return result;
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
