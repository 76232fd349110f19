using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// A1111's "stealth" PNG info, as the sd-webui-stealth-pnginfo extension writes it and Forge reads it: the infotext
/// hidden in the least significant bits of the pixels, column by column (x outer, y inner). Either one bit per pixel
/// in the alpha channel (signature <c>stealth_pnginfo</c>, or <c>stealth_pngcomp</c> when gzip-compressed) or three
/// bits per pixel in red, green and blue (<c>stealth_rgbinfo</c> / <c>stealth_rgbcomp</c>); then the data's length in
/// bits as 32 bits, then the data. Like the readers, only 8-bit-per-channel RGB and RGBA pictures (16-bit ones through
/// their high byte, as Pillow reads them) and only non-interlaced files are read.
/// <para>
/// Bounded: the hidden data may be at most <see cref="MaxHiddenBytes"/>, its gunzipped text at most the caller's text
/// limit. Only the first columns that can hold that much are unfiltered and kept (their low bits, a byte per pixel),
/// rows are inflated one at a time, and reading stops as soon as the answer is known: after 40 rows (120 for RGBA)
/// when there is no signature, which is every ordinary picture.
/// </para>
/// </summary>
internal static class StealthPngInfo
{
    /// <summary>The most hidden data read (gzip or text, as stored); real infotexts are a few kilobytes.</summary>
    public const int MaxHiddenBytes = 1024 * 1024;

    private const int SignatureBits = 120;
    private const int LengthBits = 32;
    private const long MaxPixelsNeeded = SignatureBits + LengthBits + (long)MaxHiddenBytes * 8;

    /// <summary>Bigger pictures (over the default upload limit, 16384²) are not searched: inflating them could take minutes.</summary>
    private const long MaxPicturePixels = 16384L * 16384;
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
    private static readonly Encoding LenientUtf8 = Encoding.GetEncoding("utf-8", EncoderFallback.ExceptionFallback, new DecoderReplacementFallback(string.Empty));

    public sealed record Hidden(string Text, string Where);

    /// <summary>The hidden infotext, or null (no signature, or the data could not be read: then a problem says why).</summary>
    public static Hidden? Read(ReadOnlySpan<byte> png, int maxTextBytes, List<string> problems)
    {
        if (!TryHeader(png, out var header, out var idat))
        {
            return null;
        }
        var pixels = new LowBits(header);
        using var inflater = new ZLibStream(new MemoryStream(idat, writable: false), CompressionMode.Decompress);
        var decoder = new Decoder(header.HasAlpha);
        var decision = decoder.Decide(pixels);
        while (decision is Decision.NeedMore && pixels.RowsDone < header.Height)
        {
            try
            {
                if (!pixels.ReadRow(inflater))
                {
                    break;
                }
            }
            catch (InvalidDataException)
            {
                break;
            }
            if (pixels.Available > decoder.LastNeeded || pixels.RowsDone == header.Height)
            {
                decision = decoder.Decide(pixels);
            }
        }
        var where = decoder.Signature is { } signature
            ? $"PNG {(signature.Contains("png", StringComparison.Ordinal) ? "alpha channel" : "RGB channels")} ({signature})"
            : string.Empty;
        switch (decision)
        {
            case Decision.TooLong:
                problems.Add(string.Create(CultureInfo.InvariantCulture,
                    $"The {where} says it hides {decoder.DataBits / 8:N0} bytes of parameters, more than the limit of {MaxHiddenBytes / 1024 / 1024} MiB; they were not read."));
                return null;
            case Decision.NeedMore when decoder.Signature is not null:
                problems.Add($"The {where} hides parameters that the picture ends before (or the picture data is damaged); they were not read.");
                return null;
            case Decision.Found:
                return Text(decoder, where, maxTextBytes, problems) is { } text ? new Hidden(text, where) : null;
            default:
                return null;
        }
    }

    private static string? Text(Decoder decoder, string where, int maxTextBytes, List<string> problems)
    {
        var data = decoder.Data!;
        if (!decoder.Compressed)
        {
            if (data.Length > maxTextBytes)
            {
                problems.Add($"The parameters hidden in the {where} are over the {FormatLimit(maxTextBytes)} text limit; they were not read.");
                return null;
            }
            return LenientUtf8.GetString(data);
        }
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
            var buffer = new byte[Math.Min(maxTextBytes + 1L, Math.Max(64 * 1024, data.Length * 8L))];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > maxTextBytes)
                    {
                        problems.Add($"The parameters hidden in the {where} decompress to more than {FormatLimit(maxTextBytes)}; they were not read.");
                        return null;
                    }
                    Array.Resize(ref buffer, (int)Math.Min(maxTextBytes + 1L, buffer.Length * 2L));
                }
                var read = gzip.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is InvalidDataException or DecoderFallbackException)
        {
            problems.Add($"The parameters hidden in the {where} are damaged (not valid gzip-compressed UTF-8 text); they were not read.");
            return null;
        }
    }

    private static string FormatLimit(int bytes) => bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024 / 1024} MiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");

    private sealed record Header(int Width, int Height, int BytesPerPixel, int BytesPerSample, bool HasAlpha);

    /// <summary>The IHDR of an RGB or RGBA, 8- or 16-bit, non-interlaced PNG and its IDAT data joined; false for any other.</summary>
    private static bool TryHeader(ReadOnlySpan<byte> png, out Header header, out byte[] idat)
    {
        header = null!;
        idat = [];
        if (png.Length < 33 || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return false;
        }
        var width = BinaryPrimitives.ReadUInt32BigEndian(png[16..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(png[20..]);
        int bitDepth = png[24], colourType = png[25], interlace = png[28];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue || bitDepth is not (8 or 16) || colourType is not (2 or 6) || interlace != 0)
        {
            return false;
        }
        var bytesPerSample = bitDepth / 8;
        var bytesPerPixel = (colourType == 6 ? 4 : 3) * bytesPerSample;
        if ((long)width * bytesPerPixel + 1 > int.MaxValue || (long)width * height > MaxPicturePixels)
        {
            return false;
        }
        header = new Header((int)width, (int)height, bytesPerPixel, bytesPerSample, colourType == 6);

        // Join the IDAT data (it is at most the file's own size); a cut-off file keeps what it has.
        var total = 0L;
        var pos = 8;
        var ranges = new List<(int Start, int Length)>();
        while (pos + 8 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            var start = pos + 8;
            var available = (int)Math.Min(length, (uint)(png.Length - start));
            if (type.SequenceEqual("IDAT"u8))
            {
                ranges.Add((start, available));
                total += available;
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                break;
            }
            if (length > (uint)(png.Length - start))
            {
                break;
            }
            pos = start + (int)length + 4;
        }
        if (total == 0)
        {
            return false;
        }
        idat = new byte[total];
        var at = 0;
        foreach (var (start, length) in ranges)
        {
            png.Slice(start, length).CopyTo(idat.AsSpan(at));
            at += length;
        }
        return true;
    }

    /// <summary>
    /// The low bits of the first columns, kept column by column (index x * height + y): bit 3 red, 2 green, 1 blue,
    /// 0 alpha. Rows are unfiltered only as far as those columns (PNG filters look only left and up).
    /// </summary>
    private sealed class LowBits
    {
        private readonly Header _header;
        private readonly int _columns;
        private readonly int _prefix;
        private readonly long _rowBytes;
        private byte[] _previous;
        private byte[] _current;
        private readonly byte[] _skip = new byte[64 * 1024];
        private readonly byte[] _bits;

        public LowBits(Header header)
        {
            _header = header;
            _columns = (int)Math.Min(header.Width, (MaxPixelsNeeded + header.Height - 1) / header.Height);
            _prefix = _columns * header.BytesPerPixel;
            _rowBytes = (long)header.Width * header.BytesPerPixel;
            _previous = new byte[_prefix];
            _current = new byte[_prefix];
            // A very tall picture needs only the top of its first column.
            _bits = new byte[Math.Min((long)_columns * header.Height, MaxPixelsNeeded + 1)];
        }

        public int RowsDone { get; private set; }

        /// <summary>How many pixels, in the hidden data's order, have been read without a gap.</summary>
        public long Available => Math.Min(RowsDone == _header.Height ? (long)_columns * _header.Height : RowsDone, _bits.Length);

        public long Height => _header.Height;

        public int this[long index] => _bits[index];

        public bool ReadRow(Stream inflater)
        {
            var filter = inflater.ReadByte();
            if (filter < 0 || inflater.ReadAtLeast(_current, _prefix, throwOnEndOfStream: false) < _prefix)
            {
                return false;
            }
            for (var rest = _rowBytes - _prefix; rest > 0;)
            {
                var read = inflater.Read(_skip, 0, (int)Math.Min(rest, _skip.Length));
                if (read == 0)
                {
                    return false;
                }
                rest -= read;
            }
            Unfilter(filter, _current, _previous, _header.BytesPerPixel);
            var y = RowsDone;
            var step = _header.BytesPerSample;
            for (var x = 0; x < _columns; x++)
            {
                // A 16-bit sample counts by its high byte, as Pillow reads it.
                var p = x * _header.BytesPerPixel;
                var bits = ((_current[p] & 1) << 3) | ((_current[p + step] & 1) << 2) | ((_current[p + 2 * step] & 1) << 1);
                if (_header.HasAlpha)
                {
                    bits |= _current[p + 3 * step] & 1;
                }
                var index = (long)x * _header.Height + y;
                if (index < _bits.Length)
                {
                    _bits[index] = (byte)bits;
                }
            }
            (_previous, _current) = (_current, _previous);
            RowsDone++;
            return true;
        }

        private static void Unfilter(int filter, byte[] row, byte[] above, int bpp)
        {
            for (var i = 0; i < row.Length; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
                row[i] = (byte)(row[i] + filter switch
                {
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => 0,
                });
            }
        }

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }

    private enum Decision
    {
        NeedMore,
        None,
        TooLong,
        Found,
    }

    /// <summary>
    /// Follows the extension's reader. Both modes are one bit stream (alpha: a bit per pixel; RGB: red, green, blue
    /// of each pixel in turn): the signature in bits 0–119, the data's length in bits 120–151, the data from bit 152.
    /// The RGB signature is looked at first (after 40 pixels), the alpha one, in an RGBA picture, after 120.
    /// </summary>
    private sealed class Decoder(bool hasAlpha)
    {
        private const int DataStart = SignatureBits + LengthBits;

        private enum Stage
        {
            RgbSignature,
            AlphaSignature,
            Length,
            Data,
        }

        private Stage _stage = Stage.RgbSignature;
        private bool _alpha;

        /// <summary>The index of the last pixel the next step needs.</summary>
        public long LastNeeded { get; private set; } = SignatureBits / 3 - 1;

        public string? Signature { get; private set; }
        public bool Compressed { get; private set; }
        public long DataBits { get; private set; }
        public byte[]? Data { get; private set; }

        public Decision Decide(LowBits pixels)
        {
            while (pixels.Available > LastNeeded)
            {
                switch (_stage)
                {
                    case Stage.RgbSignature:
                        var rgb = Encoding.ASCII.GetString(Bytes(pixels, 0, SignatureBits, alpha: false));
                        if (rgb is "stealth_rgbinfo" or "stealth_rgbcomp")
                        {
                            Found(rgb, alpha: false);
                        }
                        else if (hasAlpha)
                        {
                            (_stage, LastNeeded) = (Stage.AlphaSignature, SignatureBits - 1);
                        }
                        else
                        {
                            return Decision.None;
                        }
                        break;
                    case Stage.AlphaSignature:
                        var alpha = Encoding.ASCII.GetString(Bytes(pixels, 0, SignatureBits, alpha: true));
                        if (alpha is not ("stealth_pnginfo" or "stealth_pngcomp"))
                        {
                            return Decision.None;
                        }
                        Found(alpha, alpha: true);
                        break;
                    case Stage.Length:
                        DataBits = BinaryPrimitives.ReadUInt32BigEndian(Bytes(pixels, SignatureBits, LengthBits, _alpha));
                        if (DataBits == 0 || DataBits % 8 != 0)
                        {
                            return Decision.None;
                        }
                        if (DataBits > MaxHiddenBytes * 8L)
                        {
                            return Decision.TooLong;
                        }
                        (_stage, LastNeeded) = (Stage.Data, PixelOf(DataStart + DataBits - 1));
                        break;
                    default:
                        Data = Bytes(pixels, DataStart, DataBits, _alpha);
                        return Decision.Found;
                }
            }
            return Decision.NeedMore;
        }

        private void Found(string signature, bool alpha)
        {
            (Signature, Compressed, _alpha) = (signature, signature.EndsWith("comp", StringComparison.Ordinal), alpha);
            (_stage, LastNeeded) = (Stage.Length, PixelOf(DataStart - 1));
        }

        private long PixelOf(long bit) => _alpha ? bit : bit / 3;

        /// <summary><paramref name="count"/> bits from bit <paramref name="start"/> of the alpha or the RGB bit stream, most significant first.</summary>
        private static byte[] Bytes(LowBits pixels, long start, long count, bool alpha)
        {
            var bytes = new byte[count / 8];
            for (long i = 0; i < count; i++)
            {
                var at = start + i;
                var bit = alpha ? pixels[at] & 1 : (pixels[at / 3] >> (3 - (int)(at % 3))) & 1;
                bytes[i / 8] |= (byte)(bit << (7 - (int)(i % 8)));
            }
            return bytes;
        }
    }
}
