using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace DreamLayer.Web.Tests.Models;

/// <summary>Whole safetensors files for tests: the real layout (8-byte length, JSON header, data), tensors zero-filled.</summary>
public static class SafetensorsBytes
{
    /// <summary>A file with one U8 tensor of <paramref name="dataBytes"/> bytes (filled with a repeating pattern so two files differ by size only).</summary>
    public static byte[] Build(int dataBytes, string tensor = "model.diffusion_model.input_blocks.0.0.weight")
    {
        var header = Header(dataBytes, tensor);
        var bytes = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (var i = 0; i < dataBytes; i++)
        {
            bytes[8 + header.Length + i] = (byte)(i * 31);
        }
        return bytes;
    }

    /// <summary>The 8-byte length and the header of a one-tensor file whose data is <paramref name="dataBytes"/> bytes.</summary>
    public static byte[] Prefix(long dataBytes, string tensor = "model.diffusion_model.input_blocks.0.0.weight")
    {
        var header = Header(dataBytes, tensor);
        var bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }

    private static byte[] Header(long dataBytes, string tensor) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["__metadata__"] = new JsonObject { ["format"] = "pt" },
        [tensor] = new JsonObject { ["dtype"] = "U8", ["shape"] = new JsonArray(dataBytes), ["data_offsets"] = new JsonArray(0, dataBytes) },
    }.ToJsonString());
}
