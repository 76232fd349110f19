using System.Buffers.Binary;
using System.Text.Json;

namespace DreamLayer.Web.Models;

/// <summary>
/// The header of a safetensors file: an 8-byte little-endian length, then that many bytes of JSON naming every tensor
/// (with its type, shape and offsets) and an optional <c>__metadata__</c> object of strings. Read with bounded memory:
/// a length over <see cref="MaxHeaderBytes"/> is refused before anything more is read.
/// </summary>
public sealed record SafetensorsHeader(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<string> TensorNames)
{
    /// <summary>
    /// The longest header read. Real headers are far smaller (an SDXL checkpoint's is about 200 KB); a longer one is a
    /// damaged or hostile file.
    /// </summary>
    public const int MaxHeaderBytes = 16 * 1024 * 1024;

    /// <summary>Reads the header at the start of <paramref name="stream"/>; the reason in words when it is not one.</summary>
    public static async Task<(SafetensorsHeader? Header, string? Problem)> ReadAsync(Stream stream, CancellationToken ct, int maxHeaderBytes = MaxHeaderBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var prefix = new byte[8];
        if (await stream.ReadAtLeastAsync(prefix, 8, throwOnEndOfStream: false, ct) < 8)
        {
            return (null, "The file is shorter than a safetensors header (8 bytes).");
        }
        var length = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (length < 2)
        {
            return (null, "The safetensors header is empty.");
        }
        if (length > (ulong)maxHeaderBytes)
        {
            return (null, $"The safetensors header claims {length:N0} bytes, over the limit of {maxHeaderBytes:N0}: the file is damaged or not a safetensors model.");
        }
        if (stream.CanSeek && (ulong)(stream.Length - 8) < length)
        {
            return (null, $"The safetensors header claims {length:N0} bytes but the file holds only {stream.Length - 8:N0} after its length: the file is cut short.");
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
}
