using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

public sealed class A1111InfotextTests
{
    private static InfotextParameters Sample() => new(
        "a cat, masterpiece", "blurry", 20, "euler_ancestral", "karras", 7, 123, 512, 768, "name",
        ModelHash: "abcd1234", Denoise: 0.5,
        LoraHashes: new Dictionary<string, string> { ["a"] = "1234", ["b"] = "5678" });

    [Fact]
    public void Write_FullParameters_MatchesA1111Format()
    {
        Assert.Equal(
            "a cat, masterpiece\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, Schedule type: Karras, CFG scale: 7, Seed: 123, Size: 512x768, Model hash: abcd1234, Model: name, Denoising strength: 0.5, Lora hashes: \"a: 1234, b: 5678\", Version: DreamLayer",
            A1111Infotext.Write(Sample()));
    }

    [Fact]
    public void Write_NoNegativeNoOptionals_OmitsThem()
    {
        var text = A1111Infotext.Write(new InfotextParameters("a cat", string.Empty, 30, "dpmpp_2m", "normal", 4.5, 18446744073709551615, 1024, 1024, null));

        Assert.Equal("a cat\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Normal, CFG scale: 4.5, Seed: 18446744073709551615, Size: 1024x1024, Version: DreamLayer", text);
    }

    [Fact]
    public void Write_ValuesWithSeparatorsOrQuotes_AreJsonQuoted()
    {
        var p = Sample() with
        {
            Model = "sub\\model, v2",
            LoraHashes = null,
            Extra = new Dictionary<string, string> { ["Note"] = "say \"hi\"", ["Plain"] = "ok" },
        };

        var text = A1111Infotext.Write(p);

        Assert.EndsWith("Model: \"sub\\\\model, v2\", Denoising strength: 0.5, Note: \"say \\\"hi\\\"\", Plain: ok, Version: DreamLayer", text, StringComparison.Ordinal);
        var read = A1111Infotext.Read(text);
        Assert.Equal("sub\\model, v2", read["Model"]);
        Assert.Equal("say \"hi\"", read["Note"]);
    }

    [Theory]
    [InlineData("euler", "karras", "Euler", "Karras")]
    [InlineData("euler_ancestral", "normal", "Euler a", "Normal")]
    [InlineData("dpmpp_2m_sde", "exponential", "DPM++ 2M SDE", "Exponential")]
    [InlineData("dpmpp_sde", "sgm_uniform", "DPM++ SDE", "SGM Uniform")]
    [InlineData("dpm_2_ancestral", "simple", "DPM2 a", "Simple")]
    [InlineData("uni_pc", "beta", "UniPC", "Beta")]
    [InlineData("lcm", "kl_optimal", "LCM", "KL Optimal")]
    [InlineData("dpmpp_3m_sde", "ddim_uniform", "DPM++ 3M SDE", "DDIM")]
    [InlineData("res_multistep", "linear_quadratic", "res_multistep", "linear_quadratic")]
    public void ToA1111_ComfyNames_MapsOrPassesThrough(string sampler, string scheduler, string label, string scheduleType)
    {
        Assert.Equal((label, scheduleType), SamplerNames.ToA1111(sampler, scheduler));
    }

    [Theory]
    [InlineData("DPM++ 2M Karras", null, "dpmpp_2m", "karras")]
    [InlineData("Euler a", "Automatic", "euler_ancestral", "normal")]
    [InlineData("UniPC", "SGM Uniform", "uni_pc", "sgm_uniform")]
    [InlineData("Restart", null, "Restart", "normal")]
    public void FromA1111_Labels_MapBack(string label, string? scheduleType, string sampler, string scheduler)
    {
        Assert.Equal((sampler, scheduler), SamplerNames.FromA1111(label, scheduleType));
    }

    [Fact]
    public void Read_RealA1111Png_ParsesPromptsAndParameters()
    {
        var png = File.ReadAllBytes(Path.Combine(TestPaths.TestData, "metadata", "a1111.png"));

        var info = A1111Infotext.Read(PngTextChunks.Find(png, "parameters")!);

        Assert.Equal("photo of a duck", info.Prompt);
        Assert.Equal("monochrome", info.NegativePrompt);
        Assert.Equal(
            ["Steps", "Sampler", "CFG scale", "Seed", "Size", "Model hash", "Model"],
            info.Parameters.Keys);
        Assert.Equal(("15", "UniPC", "5", "235284042", "c0d1994c73", "realistic_realisticVisionV20_v20"),
            (info["Steps"], info["Sampler"], info["CFG scale"], info["Seed"], info["Model hash"], info["Model"]));
        Assert.True(A1111Infotext.TryParseSize(info["Size"], out var w, out var h));
        Assert.Equal((512, 400), (w, h));
    }

    [Fact]
    public void Read_Written_RoundTrips()
    {
        var p = Sample() with { Prompt = "line one\n  line two, (detail:1.2)", NegativePrompt = "bad\nworse" };

        var info = A1111Infotext.Read(A1111Infotext.Write(p));

        Assert.Equal(p.Prompt, info.Prompt);
        Assert.Equal(p.NegativePrompt, info.NegativePrompt);
        Assert.Equal("a: 1234, b: 5678", info["Lora hashes"]);
        Assert.Equal(("20", "Euler a", "Karras", "7", "123", "512x768", "0.5", "DreamLayer"),
            (info["Steps"], info["Sampler"], info["Schedule type"], info["CFG scale"], info["Seed"], info["Size"], info["Denoising strength"], info["Version"]));
    }

    [Fact]
    public void Read_NoNegativeLine_LeavesNegativeEmpty()
    {
        var info = A1111Infotext.Read("a dog\nin the park\nSteps: 20, Sampler: Euler, Seed: 5");

        Assert.Equal("a dog\nin the park", info.Prompt);
        Assert.Equal(string.Empty, info.NegativePrompt);
        Assert.Equal("5", info["Seed"]);
    }

    [Fact]
    public void Read_NoParameterLine_IsAllPrompt()
    {
        var info = A1111Infotext.Read("just words: here\nNegative prompt: ugly");

        Assert.Equal("just words: here", info.Prompt);
        Assert.Equal("ugly", info.NegativePrompt);
        Assert.Empty(info.Parameters);
    }

    [Theory]
    [InlineData("v1-5-pruned-emaonly.safetensors", "v1-5-pruned-emaonly")]
    [InlineData("sdxl/juggernautXL_v9.safetensors", "juggernautXL_v9")]
    [InlineData("sd15\\dreamshaper_8.ckpt", "dreamshaper_8")]
    [InlineData("flux1-dev", "flux1-dev")]
    [InlineData("OfficialStableDiffusion/sd_xl_base_1.0", "sd_xl_base_1.0")]
    public void ModelName_Checkpoint_IsTheFileNameWithoutFolderOrExtension(string checkpoint, string expected)
    {
        Assert.Equal(expected, A1111Infotext.ModelName(checkpoint));
    }

    [Fact]
    public void Write_ThenReadAsImage_RoundTripsEveryField()
    {
        var p = Sample() with { Model = "juggernautXL_v9", ModelHash = null, LoraHashes = new Dictionary<string, string> { ["add_detail"] = "7c6bad76eb54" } };
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")), [("parameters", A1111Infotext.Write(p))]);

        var g = ImageMetadataReader.Read(png).Generation;

        Assert.NotNull(g);
        Assert.Equal((p.Prompt, p.NegativePrompt, 20, "euler_ancestral", "karras", 7.0, 123UL), (g.Prompt, g.NegativePrompt, g.Steps, g.Sampler, g.Scheduler, g.Cfg, g.Seed));
        Assert.Equal((512, 768, "juggernautXL_v9", null, 0.5), (g.Width, g.Height, g.Model, g.ModelHash, g.Denoise));
        Assert.Equal([new LoraUse("add_detail", Hash: "7c6bad76eb54")], g.Loras);
        Assert.DoesNotContain(g.Parameters, x => x.Key == "Model hash");
    }
}
