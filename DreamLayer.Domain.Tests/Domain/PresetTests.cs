using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>Presets checked against a server before they touch the form: what is set, what is left alone, what is skipped and why.</summary>
public sealed class PresetTests
{
    private static readonly GenerationLimits Server = AdvancedCatalogue.Limits;

    private static PresetOutcome Resolve(PresetValues preset, int steps = 30, GenerationMode mode = GenerationMode.Txt2Img, GenerationLimits? limits = null) =>
        PresetResolver.Resolve(preset, mode, steps, limits ?? Server);

    [Theory]
    [InlineData(30, BuiltInPresets.DraftMaxSteps)]
    [InlineData(8, 8)]
    public void Resolve_FastDraft_CapsStepsUsesEulerAndOneImage(int steps, int expected)
    {
        var outcome = Resolve(BuiltInPresets.FastDraft.Values, steps);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(expected, outcome.Values.Steps);
        Assert.Null(outcome.Values.MaxSteps);
        Assert.Equal(("euler", 1, 1), (outcome.Values.Sampler, outcome.Values.BatchSize, outcome.Values.BatchCount));
    }

    [Fact]
    public void Resolve_FastDraft_LeavesEveryFieldItDoesNotSetUnset()
    {
        var values = Resolve(BuiltInPresets.FastDraft.Values).Values;

        Assert.Equal(new PresetValues { Steps = BuiltInPresets.DraftMaxSteps, Sampler = "euler", BatchSize = 1, BatchCount = 1 }, values);
        Assert.Null(values.Checkpoint);
        Assert.Null(values.Cfg);
        Assert.Null(values.Size);
        Assert.Null(values.NegativePrompt);
        Assert.Null(values.Loras);
        Assert.Null(values.TiledVae);
    }

    [Fact]
    public void Resolve_LowMemory_TurnsOnTiledDecodeAndOneImagePerRun()
    {
        var outcome = Resolve(BuiltInPresets.LowMemory.Values);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(new PresetValues { BatchSize = 1, TiledVae = true }, outcome.Values);
    }

    [Fact]
    public void Resolve_ServerWithoutTiledDecode_SkipsItWithTheReasonAndAppliesTheRest()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!.AsObject();
        root.Remove("VAEDecodeTiled");
        var limits = GenerationLimits.From(CatalogueJson.Parse(root.ToJsonString()));

        var outcome = Resolve(BuiltInPresets.LowMemory.Values with { TileSize = 256 }, limits: limits);

        var skipped = Assert.Single(outcome.Skipped);
        Assert.Equal(("Tiled VAE decode", "This server has no VAEDecodeTiled node, so it cannot do a tiled VAE decode."), (skipped.Field, skipped.Reason));
        Assert.Equal(new PresetValues { BatchSize = 1 }, outcome.Values);
    }

    [Fact]
    public void Resolve_ValuesTheServerLacks_AreSkippedOneByOneWithTheirReasons()
    {
        var preset = new PresetValues
        {
            Checkpoint = "missing.safetensors",
            Sampler = "dpmpp_9m",
            Scheduler = "karras",
            Cfg = 250,
            Steps = 25,
            Size = new PresetSize(1004, 1000),
            BatchSize = 500,
            Loras = [new(AdvancedCatalogue.Lora1, 0.8, 0.8), new("gone.safetensors")],
            Vae = new PresetSwitch<string>("nope.pt"),
        };

        var outcome = Resolve(preset);

        Assert.Equal(
            [
                ("Checkpoint", "The server has no checkpoint named 'missing.safetensors'."),
                ("Sampler", "The server has no sampler named 'dpmpp_9m'."),
                ("CFG scale", "CFG 250 is outside the server's 0 to 100."),
                ("Size", "1004 × 1000 is not a multiple of 8."),
                ("Batch size", $"A batch size of 500 is outside the server's 1 to {Server.MaxBatchSize}."),
                ("LoRA gone.safetensors", "The server has no LoRA named 'gone.safetensors'."),
                ("VAE", "The server has no VAE named 'nope.pt'."),
            ],
            outcome.Skipped.Select(s => (s.Field, s.Reason)));
        Assert.Equal(new PresetValues { Scheduler = "karras", Steps = 25, Loras = outcome.Values.Loras }, outcome.Values);
        Assert.Equal([AdvancedCatalogue.Lora1], outcome.Values.Loras!.Select(l => l.Name));
    }

    [Fact]
    public void Resolve_HiresFixOnInpaint_IsSkippedWithTheModesReason_WhileImg2ImgTakesIt()
    {
        var preset = new PresetValues
        {
            HiresFix = new PresetSwitch<HiresFixSetting>(new HiresFixSetting { Scale = 1.5, Denoise = 0.4 }),
            Refiner = new PresetSwitch<RefinerSetting>(null),
            ClipSkip = 2,
        };

        var inpaint = Resolve(preset, mode: GenerationMode.Inpaint);
        var img2img = Resolve(preset, mode: GenerationMode.Img2Img);

        var skipped = Assert.Single(inpaint.Skipped);
        Assert.Equal(("Hires fix", AdvancedValidator.HiresFixRefusal(GenerationMode.Inpaint)), (skipped.Field, skipped.Reason));
        // Turning the refiner off is always possible; CLIP skip works in every image mode.
        Assert.Equal(new PresetValues { Refiner = new PresetSwitch<RefinerSetting>(null), ClipSkip = 2 }, inpaint.Values);
        Assert.Empty(img2img.Skipped);
        Assert.Equal(preset, img2img.Values);
    }

    [Fact]
    public void Resolve_NoServerReadYet_AppliesListValuesUnchecked()
    {
        var preset = new PresetValues { Checkpoint = "any.safetensors", Sampler = "whatever", Loras = [new("x.safetensors")] };

        var outcome = PresetResolver.Resolve(preset, GenerationMode.Txt2Img, 20, limits: null);

        Assert.Empty(outcome.Skipped);
        Assert.Equal(preset, outcome.Values);
    }

    [Fact]
    public void Json_RoundTrip_KeepsSwitchedOffOptionsApartFromUnsetOnes()
    {
        var preset = new PresetValues
        {
            Steps = 28,
            Seed = new PresetSeed(SeedMode.Fixed, ulong.MaxValue),
            HiresFix = new PresetSwitch<HiresFixSetting>(null),
            Vae = new PresetSwitch<string>("taesd"),
            Loras = [],
            TiledVae = false,
        };

        var back = PresetValues.FromJson(preset.ToJson());

        Assert.Equal(28, back.Steps);
        Assert.Equal(new PresetSeed(SeedMode.Fixed, ulong.MaxValue), back.Seed);
        Assert.NotNull(back.HiresFix);
        Assert.Null(back.HiresFix.Value);
        Assert.Null(back.Refiner);
        Assert.Equal("taesd", back.Vae?.Value);
        Assert.Empty(back.Loras!);
        Assert.False(back.TiledVae);
        Assert.Equal(PresetValues.Empty, PresetValues.FromJson("{not json"));
    }

    [Fact]
    public void Describe_BuiltIns_SayWhatTheyChange()
    {
        Assert.Equal(["Sampler: euler", "Steps: at most 12", "Batch size: 1", "Batch count: 1"], BuiltInPresets.FastDraft.Values.Describe());
        Assert.Equal(["Batch size: 1", "Tiled VAE decode: on"], BuiltInPresets.LowMemory.Values.Describe());
    }
}
