using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>Builds PNG chunks by hand for tests of damaged, compressed and oversized metadata.</summary>
public static class PngBytes
{
    public static string Fixture(string folder, string name) => Path.Combine(TestPaths.TestData, folder, name);

    public static string Metadata(string name) => Fixture("metadata", name);

    public static byte[] Zlib(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(data);
        }
        return ms.ToArray();
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        var result = new byte[data.Length + 12];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, result.AsSpan(4));
        data.CopyTo(result, 8);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(8 + data.Length), Crc32.Compute(result.AsSpan(4, 4 + data.Length)));
        return result;
    }

    /// <summary>Inserts chunks right before IEND.</summary>
    public static byte[] Insert(byte[] png, byte[] chunks) => [.. png[..^12], .. chunks, .. png[^12..]];
}
