using System.Buffers.Binary;
using System.Text;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

public sealed class PngTextChunksTests
{
    private static string Metadata(string name) => PngBytes.Metadata(name);

    private static byte[] Bytes(string path) => File.ReadAllBytes(path);

    public static TheoryData<string> ComfyPngs() =>
        [.. Directory.GetFiles(Path.Combine(TestPaths.TestData, "comfyui-png"), "*.png").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Fact]
    public void Read_A1111Png_ReturnsParameters()
    {
        var chunk = Assert.Single(PngTextChunks.Read(Bytes(Metadata("a1111.png"))));

        Assert.Equal(("parameters", PngTextChunkKind.Text), (chunk.Keyword, chunk.Kind));
        Assert.StartsWith("photo of a duck\nNegative prompt: monochrome\nSteps: 15", chunk.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ZtxtAfterIdat_Decompresses()
    {
        var chunks = PngTextChunks.Read(Bytes(Metadata("text_after_idat_ztxt.png")));

        var parameters = Assert.Single(chunks, c => c.Keyword == "parameters");
        Assert.Equal(PngTextChunkKind.CompressedText, parameters.Kind);
        Assert.Equal(PngTextChunks.Find(Bytes(Metadata("a1111.png")), "parameters"), parameters.Text);
        Assert.Equal(7, chunks.Count);
    }

    [Theory]
    [InlineData("comfyui_img2img.png", "prompt,workflow")]
    [InlineData("invokeai_metadata.png", "invokeai_metadata")]
    [InlineData("bad_no_metadata.png", "date:create,date:modify,date:timestamp")]
    public void Read_Fixture_ReturnsKeywordsInOrder(string file, string keywords)
    {
        var chunks = PngTextChunks.Read(Bytes(Metadata(file)));

        Assert.Equal(keywords, string.Join(',', chunks.Select(c => c.Keyword)));
    }

    [Fact]
    public void Read_EmptyFile_ThrowsInvalidData()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PngTextChunks.Read(Bytes(Metadata("bad_empty_file.png"))));
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Jpeg_ThrowsNotPng()
    {
        var ex = Assert.Throws<InvalidDataException>(() => PngTextChunks.Read(Bytes(Metadata("a1111.jpg"))));
        Assert.Contains("not a PNG", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Read_Truncated_ThrowsTruncated(int cut)
    {
        var png = Bytes(Metadata("comfyui_img2img.png"));
        var length = cut < 0 ? png.Length - 12 : cut;

        var ex = Assert.Throws<InvalidDataException>(() => PngTextChunks.Read(png.AsSpan(0, length)));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DataAfterIend_IsIgnored()
    {
        byte[] png = [.. Bytes(Metadata("a1111.png")), .. "garbage"u8];

        Assert.Single(PngTextChunks.Read(png));
    }

    [Fact]
    public void Read_CompressedAndPlainItxt_DecodesUtf8()
    {
        var plain = PngBytes.Chunk("iTXt", [.. "title"u8, 0, 0, 0, .. "en"u8, 0, .. Encoding.UTF8.GetBytes("Titel"), 0, .. Encoding.UTF8.GetBytes("猫 ☕")]);
        var compressed = PngBytes.Chunk("iTXt", [.. "prompt"u8, 0, 1, 0, 0, 0, .. PngBytes.Zlib(Encoding.UTF8.GetBytes("ねこ"))]);
        var png = PngBytes.Insert(Bytes(Metadata("bad_no_metadata.png")), [.. plain, .. compressed]);

        var chunks = PngTextChunks.Read(png);

        Assert.Contains(new PngTextChunk("title", "猫 ☕", PngTextChunkKind.InternationalText, "en", "Titel"), chunks);
        Assert.Contains(new PngTextChunk("prompt", "ねこ", PngTextChunkKind.InternationalText), chunks);
    }

    [Fact]
    public void Read_ZtxtBomb_IsRejected()
    {
        var bomb = PngBytes.Chunk("zTXt", [.. "parameters"u8, 0, 0, .. PngBytes.Zlib(new byte[PngTextChunks.MaxDecompressedBytes + 1])]);
        var png = PngBytes.Insert(Bytes(Metadata("a1111.png")), bomb);

        var ex = Assert.Throws<InvalidDataException>(() => PngTextChunks.Read(png));
        Assert.Contains("16 MiB", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddText_NewChunk_GoesBeforeIendWithValidCrc()
    {
        var png = Bytes(Metadata("bad_no_metadata.png"));

        var result = PngTextChunks.AddText(png, [("parameters", "a cat")]);

        Assert.Equal(png[..^12], result[..(png.Length - 12)]);
        var iendStart = result.Length - 12;
        var added = result.AsSpan(png.Length - 12, iendStart - (png.Length - 12));
        Assert.Equal("tEXt", Encoding.ASCII.GetString(added.Slice(4, 4)));
        Assert.Equal(Crc32.Compute(added[4..^4]), BinaryPrimitives.ReadUInt32BigEndian(added[^4..]));
        Assert.Equal("a cat", PngTextChunks.Find(result, "parameters"));
        Assert.Equal(png[^12..], result[^12..]);
    }

    [Fact]
    public void Crc32_KnownVectors_Match()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
    }

    [Fact]
    public void AddText_SameKeyword_ReplacesExistingChunk()
    {
        var png = Bytes(Metadata("text_after_idat_ztxt.png"));

        var result = PngTextChunks.AddText(png, [("parameters", "new text")]);

        var chunks = PngTextChunks.Read(result);
        var parameters = Assert.Single(chunks, c => c.Keyword == "parameters");
        Assert.Equal(new PngTextChunk("parameters", "new text", PngTextChunkKind.Text), parameters);
        Assert.Equal(7, chunks.Count);
    }

    [Fact]
    public void AddText_NonLatin1Text_WritesItxt()
    {
        var result = PngTextChunks.AddText(Bytes(Metadata("a1111.png")), [("dreamlayer", "猫 with café")]);

        var chunk = Assert.Single(PngTextChunks.Read(result), c => c.Keyword == "dreamlayer");
        Assert.Equal(("猫 with café", PngTextChunkKind.InternationalText), (chunk.Text, chunk.Kind));
    }

    [Fact]
    public void AddText_LatinText_WritesTextChunk()
    {
        var result = PngTextChunks.AddText(Bytes(Metadata("a1111.png")), [("dreamlayer", "café")]);

        Assert.Equal(PngTextChunkKind.Text, Assert.Single(PngTextChunks.Read(result), c => c.Keyword == "dreamlayer").Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" lead")]
    [InlineData("猫")]
    [InlineData("a\0b")]
    public void AddText_BadKeyword_Throws(string keyword)
    {
        Assert.Throws<ArgumentException>(() => PngTextChunks.AddText(Bytes(Metadata("a1111.png")), [(keyword, "x")]));
    }

    [Theory]
    [MemberData(nameof(ComfyPngs))]
    public void AddText_ComfyPng_KeepsPromptAndWorkflowByteIdentical(string file)
    {
        var png = Bytes(Path.Combine(TestPaths.TestData, "comfyui-png", file));
        var before = PngTextChunks.Read(png);

        var result = PngTextChunks.AddText(png, [("parameters", "a cat\nSteps: 20, Sampler: Euler, Seed: 1")]);

        var after = PngTextChunks.Read(result);
        Assert.Equal(before.Single(c => c.Keyword == "prompt"), after.Single(c => c.Keyword == "prompt"));
        Assert.Equal(before.Single(c => c.Keyword == "workflow"), after.Single(c => c.Keyword == "workflow"));
        Assert.Equal(png.AsSpan(0, png.Length - 12).ToArray(), result.AsSpan(0, png.Length - 12).ToArray());
        Assert.Equal(3, after.Count);
    }
}
