using System.Buffers.Binary;
using System.Text.Json;

namespace DreamLayer.Web.Models.Install;

/// <summary>
/// Reads and checks a safetensors file's header: an 8-byte little-endian length, then that many bytes of JSON naming
/// each tensor's dtype, shape and byte range, optionally with a <c>__metadata__</c> object of strings. The length is
/// bounded before anything is read (the safetensors library's own limit, 100,000,000 bytes), so a damaged or hostile
/// file costs at most that. The one place the app reads these headers.
/// </summary>
public static class SafetensorsHeader
{
    /// <summary>The largest header the safetensors library accepts (<c>MAX_HEADER_SIZE</c>).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Null when the file at <paramref name="path"/> is a whole safetensors file; otherwise what is wrong, in words.</summary>
    public static string? Problem(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return Read(file, out _);
    }

    /// <summary>
    /// Reads the header from the start of <paramref name="file"/> (a seekable stream of the whole file). Returns null and
    /// the header's JSON when the header is sound and its tensors fill the rest of the file exactly; otherwise what is wrong.
    /// </summary>
    public static string? Read(Stream file, out JsonDocument? header)
    {
        ArgumentNullException.ThrowIfNull(file);
        header = null;
        var length = file.Length;
        Span<byte> prefix = stackalloc byte[8];
        if (length < 8 || file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false) < 8)
        {
            return $"The file is {length} bytes long, too short to be a safetensors file (its header length alone takes 8).";
        }
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
        {
            return $"The safetensors header claims {headerLength:N0} bytes; at most {MaxHeaderBytes:N0} are allowed, so the file is damaged or not a safetensors file.";
        }
        if ((long)headerLength > length - 8)
        {
            return $"The safetensors header claims {headerLength:N0} bytes, but the file has only {length - 8:N0} after its length: it is cut short or damaged.";
        }
        var json = new byte[(int)headerLength];
        file.ReadExactly(json);
        if (json.Length == 0 || json[0] != (byte)'{')
        {
            return "The safetensors header is not a JSON object: the file is damaged or not a safetensors file.";
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            return $"The safetensors header is not valid JSON ({ex.Message}).";
        }
        var dataLength = length - 8 - (long)headerLength;
        if (Tensors(document.RootElement, dataLength) is { } problem)
        {
            document.Dispose();
            return problem;
        }
        header = document;
        return null;
    }

    private static string? Tensors(JsonElement root, long dataLength)
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
