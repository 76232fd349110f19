using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace DreamLayer.Domain.Metadata;

/// <summary>How a PNG text chunk is stored.</summary>
public enum PngTextChunkKind
{
    /// <summary>Latin-1, uncompressed.</summary>
    Text,
    /// <summary>Latin-1, zlib-compressed.</summary>
    CompressedText,
    /// <summary>UTF-8, optionally compressed, with language tag and translated keyword.</summary>
    InternationalText,
}

/// <summary>One text chunk of a PNG file.</summary>
public sealed record PngTextChunk(string Keyword, string Text, PngTextChunkKind Kind, string LanguageTag = "", string TranslatedKeyword = "");

/// <summary>
/// What <see cref="PngTextChunks.Scan"/> found: the text chunks it could read, the size from IHDR (0 when missing) and,
/// in words, every chunk it skipped and why (too large, bad compressed data, file cut off).
/// </summary>
public sealed record PngTextScan(IReadOnlyList<PngTextChunk> Chunks, int Width, int Height, IReadOnlyList<string> Problems);

/// <summary>
/// Reads and writes PNG text chunks (tEXt, zTXt, iTXt) on raw bytes, without an image library. Every chunk that is
/// not touched is copied byte for byte. CRCs are not checked when reading.
/// </summary>
public static class PngTextChunks
{
    /// <summary>The largest text a single chunk may decompress to.</summary>
    public const int MaxDecompressedBytes = 16 * 1024 * 1024;

    /// <summary>All the text <see cref="Scan"/> reads from one file, as a multiple of its per-chunk limit.</summary>
    public const int TotalTextFactor = 4;

    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>Every text chunk up to IEND, in file order, including those after the image data.</summary>
    /// <exception cref="InvalidDataException">Not a PNG, truncated, or a chunk that cannot be decoded.</exception>
    public static IReadOnlyList<PngTextChunk> Read(ReadOnlySpan<byte> png)
    {
        var result = new List<PngTextChunk>();
        foreach (var chunk in Chunks(png))
        {
            var data = png.Slice(chunk.DataStart, chunk.Length);
            var parsed = chunk.Type switch
            {
                "tEXt" => ParseText(data),
                "zTXt" => ParseCompressedText(data),
                "iTXt" => ParseInternationalText(data),
                _ => null,
            };
            if (parsed is not null)
            {
                result.Add(parsed);
            }
        }
        return result;
    }

    /// <summary>
    /// Reads every text chunk it can and never throws on bad input: a chunk whose text is over
    /// <paramref name="maxTextBytes"/> (stored or decompressed) or whose compressed data is corrupt is skipped, and a
    /// truncated file keeps the chunks before the cut. Once the text read adds up to <see cref="TotalTextFactor"/> times
    /// <paramref name="maxTextBytes"/>, the remaining text chunks are skipped (many chunks each just under the limit
    /// would otherwise add up to gigabytes). Each skip is described in <see cref="PngTextScan.Problems"/>.
    /// </summary>
    public static PngTextScan Scan(ReadOnlySpan<byte> png, int maxTextBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTextBytes);
        var chunks = new List<PngTextChunk>();
        var problems = new List<string>();
        int width = 0, height = 0;
        long totalText = 0, maxTotal = (long)maxTextBytes * TotalTextFactor;
        var skippedForTotal = 0;
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            problems.Add(png.Length == 0 ? "The file is empty." : "The file is not a PNG image (the PNG signature is missing).");
            return new PngTextScan(chunks, 0, 0, problems);
        }
        var pos = Signature.Length;
        while (true)
        {
            if (png.Length - pos < 12)
            {
                problems.Add("The PNG is cut off before its end (no IEND chunk); the text before the cut was read.");
                break;
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.Slice(pos, 4));
            var type = Latin1.GetString(png.Slice(pos + 4, 4));
            if (length > (uint)(png.Length - pos - 12))
            {
                problems.Add($"The PNG is cut off inside its '{type}' chunk; the text before the cut was read.");
                break;
            }
            var data = png.Slice(pos + 8, (int)length);
            if (type == "IHDR" && data.Length >= 8)
            {
                width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data), int.MaxValue);
                height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data[4..]), int.MaxValue);
            }
            else if (type is "tEXt" or "zTXt" or "iTXt" && totalText >= maxTotal)
            {
                skippedForTotal++;
            }
            else if (type is "tEXt" or "zTXt" or "iTXt")
            {
                var keyword = KeywordOf(data[..Math.Min(data.Length, 80)]);
                if (type == "tEXt" && data.Length - keyword.Length - 1 > maxTextBytes)
                {
                    problems.Add($"The text chunk '{keyword}' holds {data.Length:N0} bytes, over the {maxTextBytes:N0}-byte limit; it was skipped.");
                }
                else
                {
                    try
                    {
                        var parsed = type switch
                        {
                            "tEXt" => ParseText(data),
                            "zTXt" => ParseCompressedText(data, maxTextBytes),
                            _ => ParseInternationalText(data, maxTextBytes, limitStoredText: true),
                        };
                        if (parsed is not null)
                        {
                            chunks.Add(parsed);
                            totalText += parsed.Text.Length;
                        }
                    }
                    catch (InvalidDataException ex)
                    {
                        problems.Add(ex.Message + " It was skipped.");
                    }
                }
            }
            pos += (int)length + 12;
            if (type == "IEND")
            {
                break;
            }
        }
        if (skippedForTotal > 0)
        {
            problems.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The text chunks add up to more than {maxTotal:N0} bytes; the {skippedForTotal:N0} after that were skipped."));
        }
        return new PngTextScan(chunks, width, height, problems);
    }

    /// <summary>The text of the first chunk named <paramref name="keyword"/>, or null.</summary>
    public static string? Find(ReadOnlySpan<byte> png, string keyword) =>
        Read(png).FirstOrDefault(c => string.Equals(c.Keyword, keyword, StringComparison.Ordinal))?.Text;

    /// <summary>
    /// Returns a copy of <paramref name="png"/> with the given text chunks inserted right before IEND. A chunk with the
    /// same keyword as a new one is removed; every other chunk stays byte-identical. Text that Latin-1 cannot hold is
    /// written as an uncompressed UTF-8 iTXt chunk, otherwise tEXt.
    /// </summary>
    public static byte[] AddText(ReadOnlySpan<byte> png, IEnumerable<(string Keyword, string Text)> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var additions = new List<(string Keyword, string Text)>();
        foreach (var (keyword, text) in chunks)
        {
            ValidateKeyword(keyword);
            ArgumentNullException.ThrowIfNull(text);
            additions.RemoveAll(a => a.Keyword == keyword);
            additions.Add((keyword, text));
        }
        var replaced = additions.Select(a => a.Keyword).ToHashSet(StringComparer.Ordinal);

        using var output = new MemoryStream(png.Length + 1024);
        output.Write(Signature);
        var wroteNew = false;
        foreach (var chunk in Chunks(png))
        {
            if (chunk.Type == "IEND")
            {
                foreach (var (keyword, text) in additions)
                {
                    WriteChunk(output, keyword, text);
                }
                wroteNew = true;
            }
            else if (chunk.Type is "tEXt" or "zTXt" or "iTXt" && replaced.Contains(KeywordOf(png.Slice(chunk.DataStart, chunk.Length))))
            {
                continue;
            }
            output.Write(png.Slice(chunk.Start, chunk.Length + 12));
        }
        if (!wroteNew)
        {
            throw new InvalidDataException("The PNG has no IEND chunk.");
        }
        return output.ToArray();
    }

    private readonly record struct ChunkRange(int Start, string Type, int Length)
    {
        public int DataStart => Start + 8;
    }

    private static List<ChunkRange> Chunks(ReadOnlySpan<byte> png)
    {
        if (png.Length == 0)
        {
            throw new InvalidDataException("The file is empty, so it is not a PNG image.");
        }
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
        {
            throw new InvalidDataException("The file is not a PNG image (the PNG signature is missing).");
        }
        var chunks = new List<ChunkRange>();
        var pos = Signature.Length;
        while (true)
        {
            if (png.Length - pos < 12)
            {
                throw new InvalidDataException($"The PNG is truncated: a chunk header is cut off at byte {pos} and there is no IEND chunk.");
            }
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.Slice(pos, 4));
            var type = Latin1.GetString(png.Slice(pos + 4, 4));
            if (length > int.MaxValue || length > (uint)(png.Length - pos - 12))
            {
                throw new InvalidDataException($"The PNG is truncated: chunk '{type}' at byte {pos} declares {length} bytes but the file ends first.");
            }
            chunks.Add(new ChunkRange(pos, type, (int)length));
            pos += (int)length + 12;
            if (type == "IEND")
            {
                return chunks;
            }
        }
    }

    private static string KeywordOf(ReadOnlySpan<byte> data)
    {
        var nul = data.IndexOf((byte)0);
        return Latin1.GetString(nul < 0 ? data : data[..nul]);
    }

    private static PngTextChunk? ParseText(ReadOnlySpan<byte> data)
    {
        var nul = data.IndexOf((byte)0);
        return nul < 0 ? null : new PngTextChunk(Latin1.GetString(data[..nul]), Latin1.GetString(data[(nul + 1)..]), PngTextChunkKind.Text);
    }

    private static PngTextChunk? ParseCompressedText(ReadOnlySpan<byte> data, int maxBytes = MaxDecompressedBytes)
    {
        var nul = data.IndexOf((byte)0);
        if (nul < 0 || nul + 1 >= data.Length)
        {
            return null;
        }
        var keyword = Latin1.GetString(data[..nul]);
        var text = Latin1.GetString(Inflate(data[(nul + 2)..], keyword, maxBytes));
        return new PngTextChunk(keyword, text, PngTextChunkKind.CompressedText);
    }

    private static PngTextChunk? ParseInternationalText(ReadOnlySpan<byte> data, int maxBytes = MaxDecompressedBytes, bool limitStoredText = false)
    {
        var nul = data.IndexOf((byte)0);
        if (nul < 0 || nul + 3 > data.Length)
        {
            return null;
        }
        var keyword = Latin1.GetString(data[..nul]);
        var compressed = data[nul + 1] != 0;
        var rest = data[(nul + 3)..];
        var langEnd = rest.IndexOf((byte)0);
        if (langEnd < 0)
        {
            return null;
        }
        var language = Encoding.ASCII.GetString(rest[..langEnd]);
        rest = rest[(langEnd + 1)..];
        var translatedEnd = rest.IndexOf((byte)0);
        if (translatedEnd < 0)
        {
            return null;
        }
        var translated = Encoding.UTF8.GetString(rest[..translatedEnd]);
        rest = rest[(translatedEnd + 1)..];
        if (limitStoredText && !compressed && rest.Length > maxBytes)
        {
            throw new InvalidDataException($"The text chunk '{keyword}' holds {rest.Length:N0} bytes, over the {maxBytes:N0}-byte limit.");
        }
        var text = compressed ? Encoding.UTF8.GetString(Inflate(rest, keyword, maxBytes)) : Encoding.UTF8.GetString(rest);
        return new PngTextChunk(keyword, text, PngTextChunkKind.InternationalText, language, translated);
    }

    private static byte[] Inflate(ReadOnlySpan<byte> compressed, string keyword, int maxBytes)
    {
        using var input = new MemoryStream(compressed.ToArray());
        using var zlib = new ZLibStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream();
        var buffer = new byte[81920];
        try
        {
            int read;
            while ((read = zlib.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > maxBytes)
                {
                    throw new InvalidDataException(maxBytes >= 1024 * 1024 && maxBytes % (1024 * 1024) == 0
                        ? $"The text chunk '{keyword}' decompresses to more than {maxBytes / (1024 * 1024)} MiB."
                        : $"The text chunk '{keyword}' decompresses to more than {maxBytes:N0} bytes.");
                }
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith("The text chunk", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"The text chunk '{keyword}' has corrupt compressed data.", ex);
        }
        return output.ToArray();
    }

    private static void ValidateKeyword(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        if (keyword.Length is 0 or > 79 || keyword.Any(c => c is < ' ' or > 'ÿ' || (c > '~' && c < '¡'))
            || keyword.StartsWith(' ') || keyword.EndsWith(' ') || keyword.Contains("  ", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{keyword}' is not a valid PNG text keyword (1–79 printable Latin-1 characters, no leading, trailing or double spaces).", nameof(keyword));
        }
    }

    private static void WriteChunk(MemoryStream output, string keyword, string text)
    {
        byte[] data;
        string type;
        if (text.All(c => c <= 'ÿ'))
        {
            type = "tEXt";
            data = [.. Latin1.GetBytes(keyword), 0, .. Latin1.GetBytes(text)];
        }
        else
        {
            type = "iTXt";
            data = [.. Latin1.GetBytes(keyword), 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(text)];
        }
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, header[4..]);
        output.Write(header);
        output.Write(data);
        var crc = Crc32.Append(Crc32.Append(Crc32.Initial, header[4..]), data);
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, Crc32.Finish(crc));
        output.Write(crcBytes);
    }
}

/// <summary>The CRC-32 of PNG (ISO 3309, polynomial 0xEDB88320).</summary>
public static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    internal const uint Initial = 0xFFFFFFFFu;

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Append(Initial, data));

    internal static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }
        return crc;
    }

    internal static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
