using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// The infotext carries picker LoRAs, hires fix, VAE, CLIP skip, denoise and ControlNet as A1111 (and
/// sd-webui-controlnet) write them, in A1111's order, and reading it back fills the same request.
/// </summary>
public sealed class RequestInfotextTests
{
    private const string Lora = AdvancedCatalogue.Lora2; // Style_Ink.safetensors
    private const string FolderLora = "styles/Paper Cut.safetensors";

    private static readonly GenerationLimits Limits = AdvancedCatalogue.Limits with
    {
        Advanced = AdvancedCatalogue.Limits.Advanced with { Loras = [.. AdvancedCatalogue.Limits.Advanced.Loras, FolderLora] },
    };

    private static readonly Guid Picture = Guid.Parse("0193a2b4-0000-7000-8000-0000000000c1");

    private static InfotextParameters Base(GenerationRequest r, ulong seed = 42) => new(
        r.Prompt, r.NegativePrompt, r.Steps, r.Sampler, r.Scheduler, r.Cfg, seed, r.Width, r.Height, A1111Infotext.ModelName(r.Checkpoint));

    private static string Write(GenerationRequest r) => A1111Infotext.Write(RequestInfotext.With(Base(r), r));

    [Fact]
    public void With_EverySetting_WritesA1111FieldsInA1111Order()
    {
        var request = AdvancedWorkflowTests.Base with
        {
            Prompt = "a castle, <lora:Style_Ink:0.7>",
            Loras = [new(Lora, 1.0, 1.0), new(FolderLora, 0.8, 0.5)],
            HiresFix = new HiresFixSetting { Scale = 1.5, Steps = 12, Denoise = 0.45, LatentMethod = "nearest-exact", Sampler = "euler" },
            Vae = "vae/vae-ft-mse-840000-ema-pruned.safetensors",
            ClipSkip = 2,
            ControlNets =
            [
                new ControlNetSetting { Model = "sd15/control_v11p_sd15_canny.safetensors", Image = Picture, Preprocessor = "Canny", Strength = 0.8, StartPercent = 0.1, EndPercent = 0.9,
                    PreprocessorSettings = new Dictionary<string, JsonNode?> { ["low_threshold"] = 0.4, ["high_threshold"] = 0.8 } },
                new ControlNetSetting { Model = "control_v11p_sd15_openpose.pth", Image = Picture },
            ],
        };

        Assert.Equal(
            "a castle, <lora:Style_Ink:0.7> <lora:Paper Cut:0.5:0.8>\n" +
            "Negative prompt: lowres\n" +
            "Steps: 30, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 42, Size: 512x768, Model: v1-5-pruned-emaonly, " +
            "VAE: vae-ft-mse-840000-ema-pruned.safetensors, Denoising strength: 0.45, Clip skip: 2, " +
            "ControlNet 0: \"Module: canny, Model: control_v11p_sd15_canny, Weight: 0.8, Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: 102, Threshold B: 204, Guidance Start: 0.1, Guidance End: 0.9, Pixel Perfect: False, Control Mode: Balanced\", " +
            "ControlNet 1: \"Module: none, Model: control_v11p_sd15_openpose, Weight: 1, Resize Mode: Crop and Resize, Processor Res: 512, Guidance Start: 0, Guidance End: 1, Pixel Perfect: False, Control Mode: Balanced\", " +
            "Hires upscale: 1.5, Hires steps: 12, Hires upscaler: Latent (nearest-exact), Hires sampler: Euler, Version: DreamLayer",
            Write(request));
    }

    [Fact]
    public void PromptWithLoras_LoraTypedInThePromptWithAnotherSpelling_IsNotAddedAgain()
    {
        Assert.Equal("ink <lora:style_ink.safetensors:0.3>", RequestInfotext.PromptWithLoras("ink <lora:style_ink.safetensors:0.3>", [new(Lora, 1.0, 1.0)]));
        Assert.Equal("ink <lora:Style_Ink:1>", RequestInfotext.PromptWithLoras("ink", [new(Lora, 1.0, 1.0)]));
        Assert.Equal("<lora:Style_Ink:1.2>", RequestInfotext.PromptWithLoras(string.Empty, [new(Lora, 1.2, 1.2)]));
    }

    [Fact]
    public void With_Img2Img_WritesItsDenoiseAndNoHiresFix()
    {
        var request = AdvancedWorkflowTests.Base with { Mode = GenerationMode.Img2Img, Denoise = 0.35, HiresFix = new HiresFixSetting() };

        var text = Write(request);

        Assert.Contains(", Model: v1-5-pruned-emaonly, Denoising strength: 0.35, Version: DreamLayer", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Hires", text, StringComparison.Ordinal);
    }

    [Fact]
    public void With_NothingAdvanced_WritesNoExtraFields()
    {
        Assert.EndsWith("Model: v1-5-pruned-emaonly, Version: DreamLayer", Write(AdvancedWorkflowTests.Base), StringComparison.Ordinal);
    }

    public static TheoryData<string> RoundTrips() => [.. RoundTripRequests.Keys];

    private static readonly Dictionary<string, GenerationRequest> RoundTripRequests = new()
    {
        ["picker LoRAs"] = AdvancedWorkflowTests.Base with { Loras = [new(Lora, 0.8, 0.8), new(FolderLora, 1.1, 0.6)] },
        ["typed and picked"] = AdvancedWorkflowTests.Base with { Prompt = "a castle <lora:Style_Ink:0.4>", Loras = [new(Lora, 0.9, 0.9)] },
        ["hires latent"] = AdvancedWorkflowTests.Base with { HiresFix = new HiresFixSetting { Scale = 1.5, Steps = 12, Denoise = 0.45, LatentMethod = "bicubic" } },
        ["hires bilinear, own sampler"] = AdvancedWorkflowTests.Base with { HiresFix = new HiresFixSetting { Scale = 2, Denoise = 0.6, LatentMethod = "bilinear", Sampler = "euler" } },
        ["hires model"] = AdvancedWorkflowTests.Base with { HiresFix = new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = AdvancedCatalogue.UpscaleModel, Scale = 2, Denoise = 0.3 } },
        ["refiner"] = AdvancedWorkflowTests.Base with { Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.7) },
        ["VAE and CLIP skip"] = AdvancedWorkflowTests.Base with { Vae = "taesd", ClipSkip = 3 },
    };

    [Theory]
    [MemberData(nameof(RoundTrips))]
    public void WriteThenRead_ThroughAPng_FillsTheSameRequest(string name)
    {
        var request = RoundTripRequests[name] with { SeedMode = SeedMode.Fixed, Seed = 42 };
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")), [("parameters", Write(request))]);

        var metadata = ImageMetadataReader.Read(png).Generation!;
        var (read, notes) = MetadataToRequest.ToTxt2Img(metadata, Limits);

        Assert.Empty(notes);
        Assert.Equal(Effective(request), Effective(read));
        Assert.Equal(request.HiresFix, read.HiresFix);
        Assert.Equal(request.Refiner, read.Refiner);
        Assert.Equal((request.Vae, request.ClipSkip, request.Checkpoint, request.Seed), (read.Vae, read.ClipSkip, read.Checkpoint, read.Seed));
        Assert.Equal((request.Sampler, request.Scheduler, request.Steps, request.Cfg, request.Width, request.Height), (read.Sampler, read.Scheduler, read.Steps, read.Cfg, read.Width, read.Height));
        Assert.Equal(PromptLoras.Strip(request.Prompt), PromptLoras.Strip(read.Prompt));
    }

    [Fact]
    public void WriteThenRead_ControlNet_IsNotedNotDropped()
    {
        var request = AdvancedWorkflowTests.Base with { ControlNets = [new ControlNetSetting { Model = AdvancedCatalogue.ControlNet, Image = Picture }] };
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")), [("parameters", Write(request))]);

        var metadata = ImageMetadataReader.Read(png).Generation!;
        var (read, notes) = MetadataToRequest.ToTxt2Img(metadata, Limits);

        Assert.StartsWith("Module: none, Model: control_v11p_sd15_canny, Weight: 1,", metadata["ControlNet 0"], StringComparison.Ordinal);
        Assert.Empty(read.ControlNets);
        Assert.Equal(["ControlNet is not copied (1 unit(s)): the image does not carry their control pictures; add them in the form."], notes);
    }

    [Fact]
    public void Read_RealA1111Hires_FillsHiresFixWithTheServersUpscaleModel()
    {
        const string text = "a knight\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 3715666989, Size: 512x768, Model hash: e4a30e4607, " +
            "Model: v1-5-pruned-emaonly, VAE hash: c6a580b13a, VAE: taesd, Denoising strength: 0.4, Clip skip: 2, Hires upscale: 2, Hires steps: 15, Hires upscaler: 4x-UltraSharp, Version: v1.6.0";
        var png = PngTextChunks.AddText(File.ReadAllBytes(PngBytes.Metadata("bad_no_metadata.png")), [("parameters", text)]);

        var (read, notes) = MetadataToRequest.ToTxt2Img(ImageMetadataReader.Read(png).Generation!, Limits);

        Assert.Empty(notes);
        Assert.Equal(new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = AdvancedCatalogue.UpscaleModel, Scale = 2, Steps = 15, Denoise = 0.4 }, read.HiresFix);
        Assert.Equal((2, "taesd"), (read.ClipSkip, read.Vae));
    }

    /// <summary>The LoRAs that apply, as the graph builder takes them: prompt tags win over the picker for the same file.</summary>
    private static List<string> Effective(GenerationRequest request)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var lora in request.Loras)
        {
            result[lora.Name] = FormattableString.Invariant($"{lora.ModelStrength}/{lora.ClipStrength}");
        }
        foreach (var tag in PromptLoras.Parse(request.Prompt).Loras)
        {
            result[PromptLoras.Resolve(tag.Name, Limits.Advanced.Loras).Name!] = FormattableString.Invariant($"{tag.ModelStrength}/{tag.ClipStrength}");
        }
        return [.. result.Select(r => $"{r.Key} {r.Value}").Order(StringComparer.Ordinal)];
    }
}
