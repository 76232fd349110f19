using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// Writes PNGs carrying "stealth" PNG info bit for bit as the sd-webui-stealth-pnginfo extension does
/// (<c>prepare_data</c>: signature, 32-bit length in bits, data; <c>add_data</c>: column by column, top to bottom, into
/// the alpha LSB, or the R, G, B LSBs in turn), over a patterned picture whose rows use every PNG filter type.
/// </summary>
internal static class StealthPng
{
    public static byte[] Build(int width, int height, bool hasAlpha, bool rgbMode, bool compressed, string text, int bitDepth = 8) =>
        Build(width, height, hasAlpha, Bits(Payload(rgbMode, compressed, Encoding.UTF8.GetBytes(text))), rgbMode, bitDepth);

    /// <summary>The extension's bit string for a payload: signature, 32-bit length, data.</summary>
    public static byte[] Payload(bool rgbMode, bool compressed, byte[] data, long? claimedBits = null)
    {
        var signature = $"stealth_{(rgbMode ? "rgb" : "png")}{(compressed ? "comp" : "info")}";
        var param = compressed ? Gzip(data) : data;
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)(claimedBits ?? param.Length * 8L));
        return [.. Encoding.UTF8.GetBytes(signature), .. length, .. param];
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gz.Write(data);
        }
        return ms.ToArray();
    }

    public static bool[] Bits(byte[] bytes) => [.. bytes.SelectMany(b => Enumerable.Range(0, 8).Select(i => ((b >> (7 - i)) & 1) == 1))];

    public static byte[] Build(int width, int height, bool hasAlpha, bool[] bits, bool rgbMode, int bitDepth = 8)
    {
        var channels = hasAlpha ? 4 : 3;
        var sampleBytes = bitDepth / 8;
        var bpp = channels * sampleBytes;
        var pixels = new byte[height][];
        for (var y = 0; y < height; y++)
        {
            pixels[y] = new byte[width * bpp];
            for (var i = 0; i < pixels[y].Length; i++)
            {
                pixels[y][i] = (byte)((i * 7 + y * 13) ^ (i >> 3));
            }
        }
        void SetLsb(int x, int y, int channel, bool bit)
        {
            // The high byte of a 16-bit sample, as Pillow reads it.
            ref var b = ref pixels[y][x * bpp + channel * sampleBytes];
            b = (byte)((b & ~1) | (bit ? 1 : 0));
        }
        var index = 0;
        for (var x = 0; x < width && index < bits.Length; x++)
        {
            for (var y = 0; y < height && index < bits.Length; y++)
            {
                if (rgbMode)
                {
                    for (var c = 0; c < 3 && index < bits.Length; c++)
                    {
                        SetLsb(x, y, c, bits[index++]);
                    }
                }
                else
                {
                    SetLsb(x, y, 3, bits[index++]);
                }
            }
        }
        return Encode(width, height, hasAlpha, bitDepth, pixels);
    }

    public static byte[] Encode(int width, int height, bool hasAlpha, int bitDepth, byte[][] rows)
    {
        var bpp = (hasAlpha ? 4 : 3) * bitDepth / 8;
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var previous = new byte[rows[0].Length];
            for (var y = 0; y < height; y++)
            {
                var filter = y % 5;
                var row = rows[y];
                var filtered = new byte[row.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                    var predicted = filter switch
                    {
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        4 => Paeth(a, b, c),
                        _ => 0,
                    };
                    filtered[i] = (byte)(row[i] - predicted);
                }
                z.WriteByte((byte)filter);
                z.Write(filtered);
                previous = row;
            }
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)(hasAlpha ? 6 : 2);
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. PngBytes.Chunk("IHDR", ihdr), .. PngBytes.Chunk("IDAT", raw.ToArray()), .. PngBytes.Chunk("IEND", [])];
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}

/// <summary>A large RGBA picture of zeros streamed row by row, with a bit string in the alpha LSBs of the first column.</summary>
internal static class LargeStealthPng
{
    public static byte[] Build(int width, int height, bool[] firstColumnAlphaBits, int? claimedHeight = null)
    {
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + width * 4];
            for (var y = 0; y < height; y++)
            {
                row[4] = (byte)(y < firstColumnAlphaBits.Length && firstColumnAlphaBits[y] ? 1 : 0);
                z.Write(row);
            }
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)(claimedHeight ?? height));
        ihdr[8] = 8;
        ihdr[9] = 6;
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. PngBytes.Chunk("IHDR", ihdr), .. PngBytes.Chunk("IDAT", raw.ToArray()), .. PngBytes.Chunk("IEND", [])];
    }
}
