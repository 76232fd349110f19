using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using static DreamLayer.Web.Tests.Domain.AdvancedCatalogue;
using static DreamLayer.Web.Tests.Domain.AdvancedWorkflowTests;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>What a person is told when a LoRA, ControlNet or Advanced setting cannot work, and what a server lacks.</summary>
public sealed class AdvancedValidationTests
{
    private static readonly Guid Picture = Guid.NewGuid();

    public static TheoryData<string, string, string> Invalid() => new()
    {
        { "lora:unknown", nameof(GenerationRequest.Loras), "The server has no LoRA named 'nope.safetensors'." },
        { "lora:empty", nameof(GenerationRequest.Loras), "LoRA 1: pick a LoRA, or remove the row." },
        { "lora:strength", nameof(GenerationRequest.Loras), "strengths must be between -100 and 100" },
        { "prompt:unknown", nameof(GenerationRequest.Prompt), "<lora:missing:0.5>: The server has no LoRA named 'missing'." },
        { "prompt:ambiguous", nameof(GenerationRequest.Prompt), "matches several LoRAs (detail/add_detail.safetensors, other/add_detail.ckpt)" },
        { "prompt:weight", nameof(GenerationRequest.Prompt), "<lora:x:strong> in the prompt: write <lora:name>" },
        { "cn:model", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: pick a ControlNet model." },
        { "cn:image", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: upload a control image." },
        { "cn:preimage", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: upload the picture to make the control map from." },
        { "cn:order", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: it starts (0.8) after it ends (0.2)." },
        { "cn:strength", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: strength must be between 0 and 10." },
        { "cn:preprocessor", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: this server has no preprocessor 'OpenposePreprocessor'." },
        { "cn:setting", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: low_threshold must be between 0.01 and 0.99." },
        { "cn:combo", nameof(GenerationRequest.ControlNets), "ControlNet unit 1: coarse must be one of disable, enable." },
        { "hires:scale", nameof(GenerationRequest.HiresFix), "Hires fix: upscale by must be between 1 and 4." },
        { "hires:denoise", nameof(GenerationRequest.HiresFix), "Hires fix: denoising strength must be between 0 and 1." },
        { "hires:model", nameof(GenerationRequest.HiresFix), "The server has no upscale model named 'missing.pth'." },
        { "hires:method", nameof(GenerationRequest.HiresFix), "The server has no latent upscale method named 'lanczos9'." },
        { "refiner:switch", nameof(GenerationRequest.Refiner), "Refiner: with 4 steps, switching at 0.95 leaves the base or the refiner no step" },
        { "refiner:checkpoint", nameof(GenerationRequest.Refiner), "The server has no checkpoint named 'nope.safetensors'." },
        { "vae", nameof(GenerationRequest.Vae), "The server has no VAE named 'nope.pt'." },
        { "clipskip", nameof(GenerationRequest.ClipSkip), "CLIP skip must be between 1 (none) and 24." },
        { "tiled:size", nameof(GenerationRequest.TiledVae), "Tiled VAE decode: the tile size must be a multiple of 32 from 64 to 4096." },
        { "tiled:overlap", nameof(GenerationRequest.TiledVae), "Tiled VAE decode: the overlap must be a multiple of 32 and at most a quarter of the tile size" },
    };

    private static GenerationRequest Make(string name) => name switch
    {
        "lora:unknown" => Base with { Loras = [new("nope.safetensors")] },
        "lora:empty" => Base with { Loras = [new("")] },
        "lora:strength" => Base with { Loras = [new(Lora1, 150, 1)] },
        "prompt:unknown" => Base with { Prompt = "a cat <lora:missing:0.5>" },
        "prompt:ambiguous" => Base with { Prompt = "a cat <lora:ADD_DETAIL>" },
        "prompt:weight" => Base with { Prompt = "a cat <lora:x:strong>" },
        "cn:model" => Base with { ControlNets = [new ControlNetSetting { Image = Picture }] },
        "cn:image" => Base with { ControlNets = [new ControlNetSetting { Model = ControlNet }] },
        "cn:preimage" => Base with { ControlNets = [new ControlNetSetting { Model = ControlNet, Preprocessor = "Canny" }] },
        "cn:order" => Base with { ControlNets = [new ControlNetSetting { Model = ControlNet, Image = Picture, StartPercent = 0.8, EndPercent = 0.2 }] },
        "cn:strength" => Base with { ControlNets = [new ControlNetSetting { Model = ControlNet, Image = Picture, Strength = 11 }] },
        "cn:preprocessor" => Base with { ControlNets = [new ControlNetSetting { Model = ControlNet, Image = Picture, Preprocessor = "OpenposePreprocessor" }] },
        "cn:setting" => WithPreprocessor("Canny", "low_threshold", 1.5),
        "cn:combo" => WithPreprocessor("LineArtPreprocessor", "coarse", "maybe"),
        "hires:scale" => Base with { HiresFix = new HiresFixSetting { Scale = 6 } },
        "hires:denoise" => Base with { HiresFix = new HiresFixSetting { Denoise = 1.5 } },
        "hires:model" => Base with { HiresFix = new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = "missing.pth" } },
        "hires:method" => Base with { HiresFix = new HiresFixSetting { LatentMethod = "lanczos9" } },
        "refiner:switch" => Base with { Steps = 4, Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.95) },
        "refiner:checkpoint" => Base with { Refiner = new RefinerSetting("nope.safetensors") },
        "vae" => Base with { Vae = "nope.pt" },
        "clipskip" => Base with { ClipSkip = 30 },
        "tiled:size" => Base with { TiledVae = new TiledVaeSetting(500) },
        "tiled:overlap" => Base with { TiledVae = new TiledVaeSetting(128, 64) },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static GenerationRequest WithPreprocessor(string preprocessor, string setting, JsonNode value) => Base with
    {
        ControlNets =
        [
            new ControlNetSetting
            {
                Model = ControlNet,
                Image = Picture,
                Preprocessor = preprocessor,
                PreprocessorSettings = new Dictionary<string, JsonNode?> { [setting] = value },
            },
        ],
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_BadSetting_SaysWhatIsWrongOnItsField(string name, string field, string message)
    {
        var errors = GenerationRequestValidator.Validate(Make(name), AdvancedCatalogue.Limits);
        Assert.Contains(errors, e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Limits_RealCatalogue_OffersCannyAndSaysWhatIsMissing()
    {
        var info = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));
        var a = GenerationLimits.From(info).Advanced;
        Assert.Equal(["Canny"], a.Preprocessors.Select(p => p.ClassType));
        Assert.Equal(["low_threshold", "high_threshold"], a.Preprocessors[0].Settings.Select(s => s.Name));
        Assert.Null(a.CannyUnavailable);
        Assert.Equal("This server has no ControlNet preprocessor nodes (install comfyui_controlnet_aux for depth, openpose, lineart, scribble, ...).", a.AuxPreprocessorsUnavailable);
        Assert.Equal("This server has no LoRAs: put LoRA files in ComfyUI's models/loras folder.", a.LoraUnavailable);
        Assert.Null(a.ControlNetUnavailable);
        Assert.Null(a.HiresLatentUnavailable);
        Assert.Equal("This server has no upscale models: put them in ComfyUI's models/upscale_models folder.", a.HiresModelUnavailable);
        Assert.Null(a.RefinerUnavailable);
        Assert.Equal(24, a.MaxClipSkip);
        Assert.Null(a.TiledVaeUnavailable);
        Assert.Equal((64, 4096, 32), (a.MinTileSize, a.MaxTileSize, a.TileStep));
    }

    [Fact]
    public void Limits_WithAuxPack_ListsItsPreprocessorsWithTheirSettings()
    {
        var lineart = Assert.Single(AdvancedCatalogue.Limits.Advanced.Preprocessors, p => !p.IsCore);
        Assert.Equal(("LineArtPreprocessor", "Realistic Lineart"), (lineart.ClassType, lineart.DisplayName));
        Assert.Equal(["coarse", "resolution"], lineart.Settings.Select(s => s.Name));
        Assert.Null(AdvancedCatalogue.Limits.Advanced.AuxPreprocessorsUnavailable);
    }

    [Fact]
    public void Validate_ServerWithoutNodes_RefusesWithTheReasonTheFormShows()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!.AsObject();
        root.Remove("ControlNetApplyAdvanced");
        root.Remove("CLIPSetLastLayer");
        root.Remove("VAEDecodeTiled");
        var limits = GenerationLimits.From(CatalogueJson.Parse(root.ToJsonString()));
        var request = Base with
        {
            ControlNets = [new ControlNetSetting { Model = "controlnet-depth-sdxl-1.0.safetensors", Image = Picture }],
            ClipSkip = 2,
            Loras = [new("any.safetensors")],
            TiledVae = new TiledVaeSetting(),
        };
        var errors = GenerationRequestValidator.Validate(request, limits);
        Assert.Contains(new FieldError(nameof(GenerationRequest.ControlNets), "This server has no ControlNetApplyAdvanced node, so it cannot do ControlNet."), errors);
        Assert.Contains(new FieldError(nameof(GenerationRequest.ClipSkip), "This server has no CLIPSetLastLayer node, so it cannot do CLIP skip."), errors);
        Assert.Contains(new FieldError(nameof(GenerationRequest.Loras), "This server has no LoRAs: put LoRA files in ComfyUI's models/loras folder."), errors);
        Assert.Contains(new FieldError(nameof(GenerationRequest.TiledVae), "This server has no VAEDecodeTiled node, so it cannot do a tiled VAE decode."), errors);
        Assert.Equal("This server has no VAEDecodeTiled node, so it cannot do a tiled VAE decode.", limits.Advanced.TiledVaeUnavailable);
    }
}
