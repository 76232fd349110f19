using System.Text;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Tests.Domain;

public sealed class BatchPromptsTests
{
    [Fact]
    public void Parse_FileWithCommentsAndBlankLines_KeepsOnePromptPerLine()
    {
        var text = "\uFEFF# portraits for the team page\r\na lighthouse at dusk\r\n\r\n   \n  # indented comment\n  a red fox in the snow  \nmasterpiece, <lora:add_detail:0.5>, a castle\n";
        var list = BatchPrompts.Parse(text);
        Assert.Empty(list.Errors);
        Assert.Equal(["a lighthouse at dusk", "a red fox in the snow", "masterpiece, <lora:add_detail:0.5>, a castle"], list.Prompts);
    }

    [Fact]
    public void Parse_TooManyOrTooLong_SaysWhichLine()
    {
        Assert.Equal($"The list has 201 prompts; at most {BatchPrompts.MaxPrompts} can be queued at once.",
            Assert.Single(BatchPrompts.Parse(string.Join('\n', Enumerable.Range(0, 201).Select(i => $"prompt {i}"))).Errors));
        Assert.Equal("Line 2 is 20,001 characters; a prompt can have 20,000.",
            Assert.Single(BatchPrompts.Parse("ok\n" + new string('a', 20_001)).Errors));
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe, 0x61, 0x00 }, "The file is not UTF-8 text: save the prompt list as a plain .txt file.")]
    [InlineData(new byte[] { 0x61, 0x00, 0x62 }, "The file is not a text file: save the prompt list as a plain .txt file.")]
    [InlineData(new byte[] { 0x23, 0x20, 0x61, 0x0a }, "The file has no prompts: write one prompt per line (lines starting with # are skipped).")]
    public void Decode_BadFile_SaysWhy(byte[] bytes, string message) =>
        Assert.Equal(message, Assert.Single(BatchPrompts.Decode(bytes).Errors));

    [Fact]
    public void Decode_OverTheLimit_IsRefusedBeforeReading() =>
        Assert.Equal("The file is over 256 KB; a prompt list can be at most 256 KB.", Assert.Single(BatchPrompts.Decode(new byte[BatchPrompts.MaxFileBytes + 1]).Errors));

    [Fact]
    public void Decode_Utf8_KeepsAccentsAndEmoji() =>
        Assert.Equal(["café au lait ☕", "über 🦊"], BatchPrompts.Decode(Encoding.UTF8.GetBytes("café au lait ☕\nüber 🦊")).Prompts);

    [Theory]
    [InlineData(BatchSeedPolicy.Fixed, 1, new ulong[] { 100, 100, 100 })]
    [InlineData(BatchSeedPolicy.Increment, 1, new ulong[] { 100, 101, 102 })]
    [InlineData(BatchSeedPolicy.Increment, 2, new ulong[] { 100, 102, 104 })]
    public void Expand_SeedPolicy_GivesEachPromptItsSeed(BatchSeedPolicy policy, int batchCount, ulong[] seeds)
    {
        var template = new GenerationRequest { Prompt = "ignored", Checkpoint = "a.safetensors", Steps = 12, BatchCount = batchCount };
        var requests = BatchPrompts.Expand(template, ["one", "two", "three"], policy, 100);
        Assert.Equal(["one", "two", "three"], requests.Select(r => r.Prompt));
        Assert.All(requests, r => Assert.Equal((SeedMode.Fixed, 12, "a.safetensors", batchCount), (r.SeedMode, r.Steps, r.Checkpoint, r.BatchCount)));
        Assert.Equal(seeds, requests.Select(r => r.Seed!.Value));
    }

    [Fact]
    public void Expand_Random_LeavesTheSeedToTheQueue()
    {
        var requests = BatchPrompts.Expand(new GenerationRequest { SeedMode = SeedMode.Fixed, Seed = 5 }, ["one", "two"], BatchSeedPolicy.Random, null);
        Assert.All(requests, r => Assert.Equal((SeedMode.Random, (ulong?)null), (r.SeedMode, r.Seed)));
    }
}
