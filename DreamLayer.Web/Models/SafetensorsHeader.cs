using System.Buffers.Binary;
using System.Text.Json;

namespace DreamLayer.Web.Models;

/// <summary>
/// The header of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON naming every tensor
/// (with its type, shape and offsets) and an optional <c>__metadata__</c> object of strings. Read with bounded memory:
/// a length over <see cref="MaxHeaderBytes"/> is refused before anything more is read. The one place the app reads
/// these headers: the catalogue reads a model's metadata and tensor names (<see cref="ReadAsync"/>), an install checks
/// that a downloaded or uploaded file is whole (<see cref="WholeFileProblem(string)"/>).
/// </summary>
public sealed record SafetensorsHeader(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<string> TensorNames)
{
    /// <summary>
    /// The longest header read: the safetensors library's own <c>MAX_HEADER_SIZE</c>. Real headers are far smaller (an
    /// SDXL checkpoint's is about 200 KB); a longer one is a damaged or hostile file.
    /// </summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>Reads the header at the start of <paramref name="stream"/>; the reason in words when it is not one.</summary>
    public static async Task<(SafetensorsHeader? Header, string? Problem)> ReadAsync(Stream stream, CancellationToken ct, int maxHeaderBytes = MaxHeaderBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = new byte[8];
        if (await stream.ReadAtLeastAsync(prefix, 8, throwOnEndOfStream: false, ct) < 8)
        {
            return (null, TooShort);
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length < 2)
        {
            return (null, "The safetensors header is empty.");
        }
        if (LengthProblem(length, stream.CanSeek ? stream.Length - 8 : null, maxHeaderBytes) is { } problem)
        {
            return (null, problem);
        }
        var json = new byte[(int)length];
        var read = await stream.ReadAtLeastAsync(json, json.Length, throwOnEndOfStream: false, ct);
        if (read < json.Length)
        {
            return (null, $"The safetensors header claims {length:N0} bytes but the file ends after {read:N0}: the file is cut short.");
        }
        return Parse(json);
    }

    /// <summary>Reads the header of a file on disk.</summary>
    public static async Task<(SafetensorsHeader? Header, string? Problem)> ReadFileAsync(string path, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.Asynchronous);
        return await ReadAsync(file, ct);
    }

    private static (SafetensorsHeader? Header, string? Problem) Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, "The safetensors header is not a JSON object.");
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new List<string>();
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        foreach (var entry in property.Value.EnumerateObject())
                        {
                            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
                        }
                    }
                }
                else
                {
                    names.Add(property.Name);
                }
            }
            return (new SafetensorsHeader(metadata, names), null);
        }
        catch (JsonException ex)
        {
            return (null, $"The safetensors header is damaged: {ex.Message}");
        }
    }

    private const string TooShort = "The file is shorter than a safetensors header (8 bytes).";

    /// <summary>Why a header claiming <paramref name="length"/> bytes cannot be read (over the limit, or longer than the <paramref name="available"/> bytes), or null.</summary>
    private static string? LengthProblem(ulong length, long? available, int maxHeaderBytes) =>
        length > (ulong)maxHeaderBytes
            ? $"The safetensors header claims {length:N0} bytes, over the limit of {maxHeaderBytes:N0}: the file is damaged or not a safetensors model."
            : available is { } rest && (ulong)rest < length
                ? $"The safetensors header claims {length:N0} bytes but the file holds only {rest:N0} after its length: the file is cut short."
                : null;

    /// <summary>Null when the file at <paramref name="path"/> is a whole safetensors file; otherwise what is wrong, in words.</summary>
    public static string? WholeFileProblem(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var problem = WholeFileProblem(file, out var header);
        header?.Dispose();
        return problem;
    }

    /// <summary>
    /// Checks a whole file (a seekable stream from its start): null and the header's JSON when the header is sound and
    /// its tensors' byte ranges fill the rest of the file exactly; otherwise what is wrong.
    /// </summary>
    public static string? WholeFileProblem(Stream file, out JsonDocument? header)
    {
        ArgumentNullException.ThrowIfNull(file);
        header = null;
        var length = file.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            return TooShort;
        }
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (LengthProblem(headerLength, length - 8, MaxHeaderBytes) is { } lengthProblem)
        {
            return lengthProblem;
        }
        var json = new byte[(int)headerLength];
        file.ReadExactly(json);
        if (json.Length == 0 || json[0] != (byte)'{')
        {
            return "The safetensors header is not a JSON object: the file is damaged or not a safetensors model.";
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            return $"The safetensors header is damaged: {ex.Message}";
        }
        if (TensorsProblem(document.RootElement, length - 8 - (long)headerLength) is { } problem)
        {
            document.Dispose();
            return problem;
        }
        header = document;
        return null;
    }

    private static string? TensorsProblem(JsonElement root, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "The safetensors header is not a JSON object.";
        }
        long end = 0;
        foreach (var tensor in root.EnumerateObject())
        {
            if (tensor.Name == "__metadata__")
            {
                continue;
            }
            var value = tensor.Value;
            if (value.ValueKind != JsonValueKind.Object
                || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
                || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
                || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
                || !offsets[0].TryGetInt64(out var from) || !offsets[1].TryGetInt64(out var to) || from < 0 || to < from)
            {
                return $"The safetensors header's entry for \"{tensor.Name}\" lacks a dtype, a shape or a valid byte range.";
            }
            if (to > dataLength)
            {
                return $"The tensor \"{tensor.Name}\" ends at byte {to:N0} of the data, but the file holds only {dataLength:N0}: the file is cut short.";
            }
            end = Math.Max(end, to);
        }
        return end == dataLength
            ? null
            : $"The tensors fill {end:N0} bytes but the file holds {dataLength:N0} after the header: the file is damaged.";
    }
}
