using System.Buffers.Binary;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Models;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// Family inference from minimal safetensors files with the real tensor names of each architecture, and the bounds of
/// the header reader: a damaged, cut or oversized header is refused in words, before anything large is read.
/// </summary>
public sealed class SafetensorsHeaderTests
{
    private static async Task<SafetensorsHeader> ReadAsync(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        var (header, problem) = await SafetensorsHeader.ReadAsync(stream, default);
        Assert.Null(problem);
        return header!;
    }

    public static TheoryData<string, ModelFamily> Files => new()
    {
        { nameof(SafetensorsFiles.Sd15Checkpoint), ModelFamily.Sd15 },
        { nameof(SafetensorsFiles.SdxlCheckpoint), ModelFamily.Sdxl },
        { nameof(SafetensorsFiles.FluxDiffusionModel), ModelFamily.Flux },
        { nameof(SafetensorsFiles.Sd15Lora), ModelFamily.Sd15 },
        { nameof(SafetensorsFiles.SdxlLora), ModelFamily.Sdxl },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Family_IsReadFromTheTensorNames(string file, ModelFamily expected)
    {
        var names = (string[])typeof(SafetensorsFiles).GetField(file)!.GetValue(null)!;
        var header = await ReadAsync(SafetensorsFiles.Build(names));

        Assert.Equal(names, header.TensorNames);
        Assert.Empty(header.Metadata);
        Assert.Equal(expected, ModelFamilies.Infer(header.Metadata, header.TensorNames));
    }

    [Fact]
    public async Task Family_MetadataWinsOverTensorNames_AndTriggerWordsAreProposed()
    {
        var header = await ReadAsync(SafetensorsFiles.Build(SafetensorsFiles.Sd15Lora, new Dictionary<string, string>
        {
            ["ss_base_model_version"] = "sdxl_base_v1-0",
            ["ss_tag_frequency"] = """{"10_ohwx": {"ohwx person": 40, "smiling": 12, "outdoors": 3}}""",
        }));

        Assert.Equal(ModelFamily.Sdxl, ModelFamilies.Infer(header.Metadata, header.TensorNames));
        Assert.Equal(["ohwx person", "smiling"], ModelFamilies.ProposedTriggerWords(header.Metadata, max: 2));
    }

    [Fact]
    public async Task Header_OverTheLimit_IsRefusedBeforeItIsRead()
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);
        using var stream = new OnlyPrefixStream(bytes); // reading past the length would throw

        var (header, problem) = await SafetensorsHeader.ReadAsync(stream, default);

        Assert.Null(header);
        Assert.Contains("over the limit", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter than a safetensors header")]
    [InlineData(new byte[] { 40, 0, 0, 0, 0, 0, 0, 0, (byte)'{' }, "cut short")]
    [InlineData(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'x', (byte)'}' }, "damaged")]
    [InlineData(new byte[] { 2, 0, 0, 0, 0, 0, 0, 0, (byte)'[', (byte)']' }, "not a JSON object")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 }, "empty")]
    public async Task Header_DamagedOrCut_IsRefusedInWords(byte[] bytes, string expected)
    {
        using var stream = new MemoryStream(bytes);
        var (header, problem) = await SafetensorsHeader.ReadAsync(stream, default);

        Assert.Null(header);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    /// <summary>A non-seekable stream that fails the test if anything beyond its first bytes is asked for.</summary>
    private sealed class OnlyPrefixStream(byte[] prefix) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Assert.True(_position < prefix.Length, "the reader asked for bytes past the length prefix");
            var n = Math.Min(count, prefix.Length - _position);
            Array.Copy(prefix, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
