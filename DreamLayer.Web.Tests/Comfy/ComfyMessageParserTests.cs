using System.Buffers.Binary;
using System.Text;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Tests.Comfy;

public sealed class ComfyMessageParserTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void ParseText_ExecutingNull_IsCompletion()
    {
        var evt = Assert.IsType<ExecutingEvent>(ComfyMessageParser.ParseText(Utf8("""{"type":"executing","data":{"node":null,"prompt_id":"p1"}}""")));
        Assert.Null(evt.Node);
        Assert.Equal("p1", evt.PromptId);
    }

    [Fact]
    public void ParseText_ReconnectCourtesyExecuting_HasNoPromptId()
    {
        var evt = Assert.IsType<ExecutingEvent>(ComfyMessageParser.ParseText(Utf8("""{"type":"executing","data":{"node":"3"}}""")));
        Assert.Null(evt.PromptId);
        Assert.Equal("3", evt.Node);
    }

    [Fact]
    public void ParseText_ExecutedWithImages_ReadsFileRefs()
    {
        var evt = Assert.IsType<ExecutedEvent>(ComfyMessageParser.ParseText(Utf8(
            """{"type":"executed","data":{"node":"9","display_node":"9","output":{"images":[{"filename":"a_00001_.png","subfolder":"x/y","type":"output"}]},"prompt_id":"p"}}""")));
        Assert.Equal(new ComfyImageRef("a_00001_.png", "x/y", "output"), Assert.Single(evt.Images));
    }

    [Theory]
    [InlineData("""{"type":"crystools.monitor","data":{"cpu":1}}""")]
    [InlineData("""{"type":"progress"}""")]
    [InlineData("""[1,2]""")]
    public void ParseText_UnknownOrMalformed_IsIgnored(string json) => Assert.Null(ComfyMessageParser.ParseText(Utf8(json)));

    [Fact]
    public void ParseText_Progress_ReadsValueAndMax()
    {
        var evt = Assert.IsType<ProgressEvent>(ComfyMessageParser.ParseText(Utf8("""{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"3"}}""")));
        Assert.Equal((3, 20, "3"), (evt.Value, evt.Max, evt.Node));
    }

    [Fact]
    public void ParseBinary_Type1Jpeg_HasNoPromptId()
    {
        var frame = new byte[8 + 3];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 1);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 1);
        frame[8] = 0xFF;
        var evt = ComfyMessageParser.ParseBinary(frame)!;
        Assert.Null(evt.PromptId);
        Assert.Equal("image/jpeg", evt.MediaType);
        Assert.Equal(3, evt.Image.Length);
    }

    [Fact]
    public void ParseBinary_Type4_ReadsPromptIdFromMetadata()
    {
        var meta = Utf8("""{"node_id":"3","prompt_id":"abc","display_node_id":"3","parent_node_id":null,"real_node_id":"3","image_type":"image/png"}""");
        var frame = new byte[8 + meta.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)meta.Length);
        meta.CopyTo(frame, 8);
        var evt = ComfyMessageParser.ParseBinary(frame)!;
        Assert.Equal("abc", evt.PromptId);
        Assert.Equal("image/png", evt.MediaType);
        Assert.Equal(2, evt.Image.Length);
    }

    [Fact]
    public void ParseBinary_Type4_NamesTheNodeOfTheSubmittedGraph()
    {
        var meta = Utf8("""{"node_id":"12.0.1","prompt_id":"abc","display_node_id":"12","parent_node_id":"12","real_node_id":"12","image_type":"image/png"}""");
        var frame = new byte[8 + meta.Length + 2];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)meta.Length);
        meta.CopyTo(frame, 8);

        Assert.Equal("12", ComfyMessageParser.ParseBinary(frame)!.Node);
    }

    [Fact]
    public void ParseBinary_Type1Png_IsPngWithoutNode()
    {
        var frame = new byte[8 + 3];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 1);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 2);

        var evt = ComfyMessageParser.ParseBinary(frame)!;

        Assert.Equal(("image/png", null), (evt.MediaType, evt.Node));
    }

    [Fact]
    public void ParseBinary_TextFrameOrTruncated_IsIgnored()
    {
        var text = new byte[12];
        BinaryPrimitives.WriteUInt32BigEndian(text, 3);
        Assert.Null(ComfyMessageParser.ParseBinary(text));
        var truncated = new byte[10];
        BinaryPrimitives.WriteUInt32BigEndian(truncated, 4);
        BinaryPrimitives.WriteUInt32BigEndian(truncated.AsSpan(4), 100);
        Assert.Null(ComfyMessageParser.ParseBinary(truncated));
        Assert.Null(ComfyMessageParser.ParseBinary(new byte[3]));
    }
}
