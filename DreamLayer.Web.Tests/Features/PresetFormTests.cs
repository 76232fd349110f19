using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Features.Generation;

namespace DreamLayer.Web.Tests.Features;

/// <summary>Applying a preset to the form changes exactly its fields; saving one takes exactly the chosen groups.</summary>
public sealed class PresetFormTests
{
    private static Txt2ImgFormModel Typed()
    {
        var model = new Txt2ImgFormModel
        {
            Prompt = "  a lighthouse at dusk <lora:ink:0.5>  ",
            NegativePrompt = "blurry",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Sampler = "dpmpp_2m",
            Scheduler = "karras",
            Steps = 30,
            Cfg = 6.5,
            Width = 768,
            Height = 512,
            SeedMode = SeedMode.Fixed,
            SeedText = "12345",
            BatchSize = 4,
            BatchCount = 3,
        };
        model.Advanced.ClipSkip = 2;
        model.Advanced.Loras.Add(new() { Name = "detail.safetensors", ModelStrength = 0.7 });
        return model;
    }

    [Fact]
    public void Apply_FastDraft_ChangesStepsSamplerAndBatchOnly()
    {
        var model = Typed();
        var before = model.Capture(Enum.GetValues<PresetGroups>().Aggregate((a, b) => a | b));

        model.Apply(PresetResolver.Resolve(BuiltInPresets.FastDraft.Values, GenerationMode.Txt2Img, model.Steps, null).Values);

        Assert.Equal((12, "euler", 1, 1), (model.Steps, model.Sampler, model.BatchSize, model.BatchCount));
        Assert.Equal("  a lighthouse at dusk <lora:ink:0.5>  ", model.Prompt);
        var after = model.Capture(Enum.GetValues<PresetGroups>().Aggregate((a, b) => a | b));
        Assert.Equal(before with { Steps = 12, Sampler = "euler", BatchSize = 1, BatchCount = 1, Loras = after.Loras }, after);
        Assert.Equal(before.Loras, after.Loras);
    }

    [Fact]
    public void CaptureThenApply_OnAFreshForm_GivesTheChosenGroupsOnly()
    {
        var saved = Typed().Capture(PresetGroups.Sampling | PresetGroups.Seed | PresetGroups.Advanced);
        Assert.Null(saved.Checkpoint);
        Assert.Null(saved.Size);
        Assert.Null(saved.BatchSize);
        Assert.Null(saved.Loras);
        Assert.Equal(new PresetSeed(SeedMode.Fixed, 12345), saved.Seed);

        var fresh = new Txt2ImgFormModel { Prompt = "a cat", Width = 1024, Height = 1024, BatchSize = 2 };
        fresh.Apply(saved);

        Assert.Equal(("dpmpp_2m", "karras", 30, 6.5), (fresh.Sampler, fresh.Scheduler, fresh.Steps, fresh.Cfg));
        Assert.Equal((SeedMode.Fixed, "12345"), (fresh.SeedMode, fresh.SeedText));
        Assert.Equal(2, fresh.Advanced.ClipSkip);
        Assert.Equal(("a cat", 1024, 1024, 2), (fresh.Prompt, fresh.Width, fresh.Height, fresh.BatchSize));
        Assert.Empty(fresh.Advanced.Loras);
    }

    [Fact]
    public void Apply_AdvancedGroupWithOptionsOff_TurnsThemOff()
    {
        var model = Typed();
        model.Advanced.HiresEnabled = true;
        model.Advanced.TiledVaeEnabled = true;
        var off = new Txt2ImgFormModel().Capture(PresetGroups.Advanced);

        model.Apply(off);

        Assert.False(model.Advanced.HiresEnabled);
        Assert.False(model.Advanced.TiledVaeEnabled);
        Assert.Equal(1, model.Advanced.ClipSkip);
        Assert.Single(model.Advanced.Loras); // LoRAs are their own group
    }
}
