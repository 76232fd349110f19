using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// ComfyUI graphs with more than one sampling pass and more than one output, read from real files (ComfyUI's own
/// examples, sd-parsers' fixtures) and hand-built graphs: each output traced back from its save node, the second
/// pass named for what it is, every prompt of a combined conditioning collected.
/// </summary>
public sealed class ComfyMultiPassTests
{
    private static readonly GenerationLimits Server = new()
    {
        Checkpoints = ["v2-1_768-ema-pruned.ckpt", "sd_xl_base_1.0.safetensors", "sd_xl_refiner_1.0.safetensors", "wd-illusion-fp16.safetensors"],
        Samplers = ["euler", "dpmpp_sde", "dpmpp_2m"],
        Schedulers = ["normal", "karras", "simple"],
        Advanced = new AdvancedLimits { LatentUpscaleMethods = ["nearest-exact", "bilinear", "bislerp"], UpscaleModels = ["RealESRGAN_x4plus.pth"] },
    };

    private static GenerationMetadata ReadTestData(string name) =>
        ImageMetadataReader.Read(File.ReadAllBytes(TestPaths.TestFile("metadata", name))).Generation ?? throw new InvalidOperationException(name + " has no generation data");

    private static GenerationMetadata ReadGraph(string json) =>
        ImageMetadataReader.Read(PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")), [("prompt", json)])).Generation
        ?? throw new InvalidOperationException("no generation data");

    private static KeyValuePair<string, string> P(string key, string value) => new(key, value);

    [Fact]
    public void Read_HiresFixLatentExample_IsAHiresFixWithItsTargetSizeAndDenoise()
    {
        var g = ReadTestData("comfyui_hiresfix_latent_workflow.png");

        Assert.Equal(("masterpiece HDR victorian portrait painting of woman, blonde hair, mountain nature, blue sky\n", "bad hands, text, watermark\n"), (g.Prompt, g.NegativePrompt));
        Assert.Equal((12, "dpmpp_sde", 89848141647836UL, 768, 768, "v2-1_768-ema-pruned.ckpt"), (g.Steps, g.Sampler, g.Seed, g.Width, g.Height, g.Model));
        Assert.Equal(
            [P("Steps", "12"), P("Sampler", "dpmpp_sde"), P("Scheduler", "normal"), P("CFG scale", "8.0"), P("Seed", "89848141647836"), P("Size", "768x768"),
             P("Batch size", "1"), P("Model", "v2-1_768-ema-pruned.ckpt"), P("Denoise", "1.0"),
             P("Hires upscale", "1.5"), P("Hires resize", "1152x1152"), P("Hires upscaler", "Latent (nearest-exact)"), P("Hires steps", "14"),
             P("Hires sampler", "DPM++ 2M"), P("Hires scheduler", "simple"), P("Hires denoising strength", "0.5"), P("Hires CFG scale", "8.0"),
             P("Hires seed", "469771404043268")],
            g.Parameters);
        Assert.Null(g["Refiner"]);
        Assert.Equal(
            [("SaveImage (node 9): one pass", false), ("SaveImage (node 12): first pass, hires fix", true)],
            g.Outputs.Select(o => (o.Title, o.IsMain)));
        Assert.Equal(9, g.Outputs[0].Parameters.Count);
    }

    [Fact]
    public void ToTxt2Img_HiresFixLatentExample_FillsTheAdvancedPanelsHiresFix()
    {
        var (request, notes) = MetadataToRequest.ToTxt2Img(ReadTestData("comfyui_hiresfix_latent_workflow.png"), Server);

        Assert.Equal(
            new HiresFixSetting { Upscaler = HiresUpscaler.Latent, LatentMethod = "nearest-exact", Scale = 1.5, Steps = 14, Denoise = 0.5, Sampler = "dpmpp_2m" },
            request.HiresFix);
        Assert.Null(request.Refiner);
        Assert.Equal((768, 768, 12, "v2-1_768-ema-pruned.ckpt"), (request.Width, request.Height, request.Steps, request.Checkpoint));
        Assert.Empty(notes);
    }

    [Fact]
    public void Read_HiresFixEsrganExample_NamesTheUpscaleModelAndTheSizeAfterTheResize()
    {
        var g = ReadTestData("comfyui_hiresfix_esrgan_workflow.png");

        Assert.Equal(("2", "1536x1536", "RealESRGAN_x4plus.pth", "14", "0.5"), (g["Hires upscale"], g["Hires resize"], g["Hires upscaler"], g["Hires steps"], g["Hires denoising strength"]));
        Assert.Equal((251225068430076UL, 768), (g.Seed, g.Width));
        var (request, _) = MetadataToRequest.ToTxt2Img(g, Server);
        Assert.Equal((HiresUpscaler.Model, "RealESRGAN_x4plus.pth", 2.0, 14, 0.5), (request.HiresFix?.Upscaler, request.HiresFix?.UpscaleModel, request.HiresFix?.Scale, request.HiresFix?.Steps, request.HiresFix?.Denoise));
    }

    [Fact]
    public void Read_SecondPassOnAnotherCheckpoint_IsASecondPassNotARefiner()
    {
        var g = ReadTestData("comfyui_latent_upscale_different_prompt_model.png");

        Assert.Equal(("wd-illusion-fp16.safetensors", 1368, 768, 758448896326830UL), (g.Model, g.Width, g.Height, g.Seed));
        Assert.StartsWith("anime happy girl (fennec:1.2)", g.Prompt, StringComparison.Ordinal);
        Assert.Null(g["Refiner"]);
        Assert.Null(g["Hires upscale"]);
        Assert.Equal(
            ("cardosAnime_v10.safetensors", "2052x1152", "Latent (bislerp)", "8", "13.0", "0.4999999999999999"),
            (g["Second pass"], g["Second pass size"], g["Second pass upscaler"], g["Second pass steps"], g["Second pass CFG scale"], g["Second pass denoise"]));
        Assert.StartsWith("from far away anime happy girl", g["Second pass prompt"], StringComparison.Ordinal);
        Assert.StartsWith("(hands), (text:1.1), letters", g["Second pass negative prompt"], StringComparison.Ordinal);
        Assert.Equal("SaveImage (node 12): first pass, second pass", g.Outputs.Single(o => o.IsMain).Title);

        var (request, notes) = MetadataToRequest.ToTxt2Img(g, Server);
        Assert.Equal((null, null, "wd-illusion-fp16.safetensors"), (request.HiresFix, request.Refiner, request.Checkpoint));
        Assert.Equal(["The graph's second pass (on cardosAnime_v10.safetensors) is not copied: Txt2Img has no second pass on another checkpoint."], notes);
    }

    [Fact]
    public void Read_SdxlBaseAndRefiner_RefinerContinuesTheSchedule()
    {
        var g = ImageMetadataReader.Read(File.ReadAllBytes(PngBytes.Fixture("comfyui-png", "sdxl_simple_example.png"))).Generation!;

        Assert.Equal(("sd_xl_refiner_1.0.safetensors", "0.8"), (g["Refiner"], g["Refiner switch at"]));
        var (request, _) = MetadataToRequest.ToTxt2Img(g, Server);
        Assert.Equal(new RefinerSetting("sd_xl_refiner_1.0.safetensors", 0.8), request.Refiner);
        Assert.Empty(g.Outputs);
    }

    [Fact]
    public void Read_NoisyLatentComposition_TracesTheMainOutputFromItsSaveNode()
    {
        var g = ReadTestData("comfyui_noisy_latents_3_subjects.png");

        // The background pass that the other passes are composited onto and continue, not the first sampler in node order.
        Assert.Equal("sky clouds nature national park beautiful winter snow scenery HDR landscape (sunset)\n", g.Prompt);
        Assert.Equal((512136241112371UL, 16, 1280, 704, "Anything-V3.0.ckpt"), (g.Seed, g.Steps, g.Width, g.Height, g.Model));
        Assert.Equal(("0", "4"), (g["Start at step"], g["End at step"]));
        Assert.Equal("steps 4–10000 of 16", g["Continued pass"]);
        Assert.Equal(3, g.Parameters.Count(p => p.Key == "Composited pass"));
        Assert.Contains(g.Parameters, p => p.Key == "Composited pass" && p.Value.StartsWith("best quality, intricate details", StringComparison.Ordinal) && p.Value.EndsWith("(seed 200072334202574)", StringComparison.Ordinal));
        Assert.Equal(("1.5", "1920x1088", "9", "0.54"), (g["Hires upscale"], g["Hires resize"], g["Hires steps"], g["Hires denoising strength"]));
        Assert.Null(g["Refiner"]);
        Assert.Equal(
            [("SaveImage (node 9): first pass, continued pass", false), ("SaveImage (node 32): first pass, continued pass, hires fix", true)],
            g.Outputs.Select(o => (o.Title, o.IsMain)));
    }

    [Fact]
    public void Read_AreaComposition_MainPromptFirstThenEveryAreaPrompt()
    {
        var g = ReadTestData("comfyui_area_composition_2pass.png");

        Assert.StartsWith("(masterpiece) (best quality) beautiful landscape breathtaking amazing view", g.Prompt, StringComparison.Ordinal);
        var areas = g.Parameters.Where(p => p.Key == "Area prompt").Select(p => p.Value).ToList();
        Assert.Equal(4, areas.Count);
        Assert.StartsWith("area 704×384 at (0, 0), strength 1.2000000000000002: (best quality) (night:1.3)", areas[0], StringComparison.Ordinal);
        Assert.StartsWith("area 704×384 at (0, 320), strength 1.0: (best quality) (evening:1.2)", areas[1], StringComparison.Ordinal);
        Assert.StartsWith("area 704×384 at (0, 512), strength 1.0: (best quality) (daytime:1.2)", areas[2], StringComparison.Ordinal);
        Assert.StartsWith("area 704×384 at (0, 704), strength 1.0: (masterpiece) (best quality) morning sky", areas[3], StringComparison.Ordinal);
        // The second pass runs on another checkpoint over the upscaled latent.
        Assert.Equal(("AbyssOrangeMix2_hard.safetensors", "1088x1920", "Latent (nearest-exact)"), (g["Second pass"], g["Second pass size"], g["Second pass upscaler"]));
    }

    [Fact]
    public void Read_UnclipTwoPass_FollowsUnclipConditioningAndNamesTheOtherCheckpoint()
    {
        var g = ReadTestData("comfyui_unclip_2pass.png");

        Assert.Equal("\n(waifu, anime, exceptional, best aesthetic, new, newest, best quality, masterpiece, extremely detailed:1.2)\n", g.Prompt);
        Assert.Equal(("wd-1-5-beta2-aesthetic-unclip-h-fp32.safetensors", 1280, 704), (g.Model, g.Width, g.Height));
        Assert.Equal(("cardosAnimated_v20.safetensors", "1920x1088"), (g["Second pass"], g["Second pass size"]));
        Assert.Equal(2, g.Outputs.Count);
    }

    [Fact]
    public void Read_ConcatAndAverageConditioning_CollectsEveryBranchMainFirst()
    {
        const string graph = """
            {"1":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"base.safetensors"}},
             "2":{"class_type":"CLIPTextEncode","inputs":{"text":"a red barn","clip":["1",1]}},
             "3":{"class_type":"CLIPTextEncode","inputs":{"text":"golden hour","clip":["1",1]}},
             "4":{"class_type":"CLIPTextEncode","inputs":{"text":"oil painting","clip":["1",1]}},
             "5":{"class_type":"ConditioningConcat","inputs":{"conditioning_to":["2",0],"conditioning_from":["3",0]}},
             "6":{"class_type":"ConditioningAverage","inputs":{"conditioning_to":["5",0],"conditioning_from":["7",0],"conditioning_to_strength":0.7}},
             "7":{"class_type":"ConditioningSetAreaPercentage","inputs":{"conditioning":["4",0],"width":0.5,"height":0.25,"x":0.5,"y":0,"strength":1.0}},
             "8":{"class_type":"CLIPTextEncode","inputs":{"text":"blurry","clip":["1",1]}},
             "9":{"class_type":"EmptyLatentImage","inputs":{"width":512,"height":512,"batch_size":1}},
             "10":{"class_type":"KSampler","inputs":{"seed":5,"steps":20,"cfg":7,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["1",0],"positive":["6",0],"negative":["8",0],"latent_image":["9",0]}},
             "11":{"class_type":"VAEDecode","inputs":{"samples":["10",0],"vae":["1",2]}},
             "12":{"class_type":"PreviewImage","inputs":{"images":["11",0]}}}
            """;

        var g = ReadGraph(graph);

        Assert.Equal(("a red barn", "blurry"), (g.Prompt, g.NegativePrompt));
        Assert.Equal(
            [P("Combined prompt", "golden hour"), P("Area prompt", "area 50%×25% at (50%, 0%), strength 1.0: oil painting")],
            g.Parameters.Where(p => p.Key.Contains("prompt", StringComparison.Ordinal)));
        Assert.Empty(g.Outputs);
    }

    [Fact]
    public void Read_TwoOutputsOfTheSamePass_AreBothListed()
    {
        const string graph = """
            {"1":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"base.safetensors"}},
             "2":{"class_type":"CLIPTextEncode","inputs":{"text":"a boat","clip":["1",1]}},
             "3":{"class_type":"EmptyLatentImage","inputs":{"width":640,"height":448,"batch_size":2}},
             "4":{"class_type":"KSampler","inputs":{"seed":9,"steps":10,"cfg":5,"sampler_name":"euler","scheduler":"normal","denoise":1,"model":["1",0],"positive":["2",0],"negative":["2",0],"latent_image":["3",0]}},
             "5":{"class_type":"VAEDecode","inputs":{"samples":["4",0],"vae":["1",2]}},
             "6":{"class_type":"SaveImage","inputs":{"images":["5",0],"filename_prefix":"a"}},
             "7":{"class_type":"ImageScaleBy","inputs":{"image":["5",0],"upscale_method":"lanczos","scale_by":2}},
             "8":{"class_type":"SaveImageWebsocket","inputs":{"images":["7",0]}}}
            """;

        var g = ReadGraph(graph);

        Assert.Equal(["SaveImage (node 6): one pass", "SaveImageWebsocket (node 8): one pass"], g.Outputs.Select(o => o.Title));
        Assert.Equal((640, 448, 9UL), (g.Width, g.Height, g.Seed));
    }

    [Theory]
    [InlineData("comfyui_default_txt2img_api.json")]
    [InlineData("imagesmith_img2img_api.json")]
    [InlineData("kleer001_controlnet_depth_api.json")]
    [InlineData("kleer001_lora_basic_api.json")]
    [InlineData("kleer001_upscale_esrgan_api.json")]
    public void Read_RealSinglePassWorkflows_HaveOnePassAndAPrompt(string file)
    {
        var g = ReadGraph(File.ReadAllText(TestPaths.TestFile("workflows", file)));

        Assert.False(string.IsNullOrWhiteSpace(g.Prompt));
        Assert.DoesNotContain(g.Parameters, p => p.Key is "Refiner" or "Second pass" or "Hires upscale" or "Continued pass");
        Assert.NotNull(g.Steps);
    }
}
