using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>A1111's <c>&lt;lora:…&gt;</c> tags as people paste them from Civitai and A1111.</summary>
public sealed class PromptLorasTests
{
    private static readonly string[] Server =
    [
        "add_detail.safetensors",
        "characters/Zelda_BotW-10.safetensors",
        "styles/ghibli_style_offset.safetensors",
        "styles\\windows-folder.safetensors",
        "LowRA.safetensors",
        "epiNoiseoffset_v2.pt",
        "sdxl/add_detail.safetensors",
    ];

    public static TheoryData<string, string, string[], double[], double[]> Prompts() => new()
    {
        // prompt, text encoded, names as typed, model (unet) strengths, CLIP (te) strengths
        { "masterpiece, best quality, <lora:add_detail:0.5>, 1girl", "masterpiece, best quality, 1girl", ["add_detail"], [0.5], [0.5] },
        { "<lora:LowRA:0.6> dark, moody", "dark, moody", ["LowRA"], [0.6], [0.6] },
        { "a knight <lora:Zelda_BotW-10:1>", "a knight", ["Zelda_BotW-10"], [1.0], [1.0] },
        { "a knight <lora:Zelda_BotW-10>", "a knight", ["Zelda_BotW-10"], [1.0], [1.0] },
        { "a knight <lora:ghibli_style_offset:0.8:0.3>", "a knight", ["ghibli_style_offset"], [0.3], [0.8] },
        { "a knight <lora:ghibli_style_offset:te=0.5:unet=1.2>", "a knight", ["ghibli_style_offset"], [1.2], [0.5] },
        { "a knight <lora:ghibli_style_offset:0.7:unet=0.2>", "a knight", ["ghibli_style_offset"], [0.2], [0.7] },
        { "portrait,<lora:add_detail:-0.5>,<lora:epiNoiseoffset_v2:.75>,", "portrait", ["add_detail", "epiNoiseoffset_v2"], [-0.5, 0.75], [-0.5, 0.75] },
        { "castle <LoRA:add_detail:1.1>", "castle", ["add_detail"], [1.1], [1.1] },
        { "castle <lyco:add_detail:0.9>", "castle", ["add_detail"], [0.9], [0.9] },
        { "line one <lora:add_detail:0.5>\nline two", "line one\nline two", ["add_detail"], [0.5], [0.5] },
        { "no tags here, (emphasis:1.2), [a|b]", "no tags here, (emphasis:1.2), [a|b]", [], [], [] },
        { "a <embedding:foo> cat", "a <embedding:foo> cat", [], [], [] },
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Parse_RealWorldPrompt_TakesOutTheTagsWithTheirStrengths(string prompt, string text, string[] names, double[] model, double[] clip)
    {
        var parsed = PromptLoras.Parse(prompt);
        Assert.Empty(parsed.Errors);
        Assert.Equal(text, parsed.Text);
        Assert.Equal(names, parsed.Loras.Select(l => l.Name));
        Assert.Equal(model, parsed.Loras.Select(l => l.ModelStrength));
        Assert.Equal(clip, parsed.Loras.Select(l => l.ClipStrength));
    }

    [Theory]
    [InlineData("a <lora:x:abc>")]
    [InlineData("a <lora::0.5>")]
    [InlineData("a <lora:x:0.5:te=high>")]
    public void Parse_UnreadableTag_IsAnErrorNamingTheTag(string prompt)
    {
        var parsed = PromptLoras.Parse(prompt);
        var error = Assert.Single(parsed.Errors);
        Assert.StartsWith(prompt[2..], error, StringComparison.Ordinal);
        Assert.Empty(parsed.Loras);
    }

    [Theory]
    [InlineData("add_detail.safetensors", "add_detail.safetensors")]
    [InlineData("LOWRA", "LowRA.safetensors")]
    [InlineData("zelda_botw-10", "characters/Zelda_BotW-10.safetensors")]
    [InlineData("characters/Zelda_BotW-10", "characters/Zelda_BotW-10.safetensors")]
    [InlineData("characters\\Zelda_BotW-10.safetensors", "characters/Zelda_BotW-10.safetensors")]
    [InlineData("windows-folder", "styles\\windows-folder.safetensors")]
    [InlineData("styles/windows-folder", "styles\\windows-folder.safetensors")]
    [InlineData("epiNoiseoffset_v2", "epiNoiseoffset_v2.pt")]
    [InlineData("sdxl/add_detail", "sdxl/add_detail.safetensors")]
    public void Resolve_TypedName_FindsTheServersFile(string typed, string expected)
    {
        var (name, error) = PromptLoras.Resolve(typed, Server);
        Assert.Null(error);
        Assert.Equal(expected, name);
    }

    [Fact]
    public void Resolve_ExactNameWins_OverTheSameNameInASubfolder() =>
        Assert.Equal("add_detail.safetensors", PromptLoras.Resolve("add_detail", Server).Name);

    [Fact]
    public void Resolve_TwoFilesInFolders_AsksForTheFolder()
    {
        var (name, error) = PromptLoras.Resolve("shared", ["a/shared.safetensors", "b/shared.safetensors"]);
        Assert.Null(name);
        Assert.Equal("'shared' matches several LoRAs (a/shared.safetensors, b/shared.safetensors); write the folder too, for example <lora:a/shared:1>.", error);
    }

    [Fact]
    public void Resolve_Unknown_SaysSo()
    {
        Assert.Equal("The server has no LoRA named 'missing'.", PromptLoras.Resolve("missing", Server).Error);
        Assert.Equal("The server has no LoRAs, so <lora:x> cannot be used: put LoRA files in ComfyUI's models/loras folder.", PromptLoras.Resolve("x", []).Error);
    }
}
