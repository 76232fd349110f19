using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Txt2Img;
using DreamLayer.Web.Models;

namespace DreamLayer.Web.Tests.Features;

/// <summary>What the generation forms do with the admins' model settings: defaults on picking, trigger words, family checks.</summary>
public sealed class ModelChoicesTests
{
    private static readonly GenerationLimits Limits = new()
    {
        Checkpoints = ["sd15.safetensors", "sdxl.safetensors"],
        Samplers = ["euler", "dpmpp_2m"],
        Schedulers = ["normal", "karras"],
        Advanced = AdvancedLimits.Unknown with { Vaes = ["sdxl_vae.safetensors"] },
    };

    private static ModelInfo Checkpoint(string name, ModelFamily? inferred, ModelDefaults? defaults = null) =>
        ModelInfo.For(new ModelKey("checkpoints", name)) with { Inferred = inferred, Defaults = defaults ?? ModelDefaults.None };

    [Fact]
    public void PickingAnSdxlCheckpoint_SwitchesTo1024_AndSaysSo()
    {
        var form = new Txt2ImgFormModel { Width = 512, Height = 512 };

        var said = ModelChoices.ApplyDefaults(Checkpoint("sdxl.safetensors", ModelFamily.Sdxl), form, Limits);

        Assert.Equal((1024, 1024), (form.Width, form.Height));
        Assert.Equal("SDXL defaults: 1024×1024.", said);
    }

    [Fact]
    public void AnAdminsDefaults_AreApplied_ExceptWhatTheServerLacks_AndNothingChangedSaysNothing()
    {
        var info = Checkpoint("sdxl.safetensors", ModelFamily.Sdxl, new ModelDefaults(832, 1216, 30, 5.5, "dpmpp_2m", "exotic", 2, "sdxl_vae.safetensors")) with { DisplayName = "Juggernaut" };
        var form = new Txt2ImgFormModel();

        var said = ModelChoices.ApplyDefaults(info, form, Limits);

        Assert.Equal((832, 1216, 30, 5.5, "dpmpp_2m", "normal", 2, "sdxl_vae.safetensors"),
            (form.Width, form.Height, form.Steps, form.Cfg, form.Sampler, form.Scheduler, form.Advanced.ClipSkip, form.Advanced.Vae));
        Assert.Equal("Juggernaut defaults: 832×1216, 30 steps, CFG 5.5, dpmpp_2m, CLIP skip 2, VAE sdxl_vae.safetensors.", said);
        Assert.Null(ModelChoices.ApplyDefaults(info, form, Limits));
        Assert.Null(ModelChoices.ApplyDefaults(Checkpoint("odd.safetensors", ModelFamily.Unknown), form, Limits));
    }

    [Fact]
    public void TriggerWords_AreAddedOnce()
    {
        Assert.Equal("a portrait, ohwx, red scarf", ModelChoices.WithTriggerWords("a portrait", ["ohwx", "red scarf"]));
        Assert.Equal("ohwx man, red scarf", ModelChoices.WithTriggerWords("ohwx man", ["ohwx", "red scarf"]));
        Assert.Equal("ohwx", ModelChoices.WithTriggerWords("", ["ohwx"]));
    }

    [Fact]
    public void ALoraOfAnotherFamily_IsFlagged_UnknownFamiliesAreNot()
    {
        var lora = ModelInfo.For(new ModelKey("loras", "style.safetensors")) with { Inferred = ModelFamily.Sd15 };

        Assert.Equal("This is an SD 1.5 LoRA; the checkpoint sdxl.safetensors is SDXL: it will have little or no effect.",
            ModelChoices.FamilyMismatch(lora, Checkpoint("sdxl.safetensors", ModelFamily.Sdxl)));
        Assert.Null(ModelChoices.FamilyMismatch(lora, Checkpoint("sd15.safetensors", ModelFamily.Sd15)));
        Assert.Null(ModelChoices.FamilyMismatch(lora, Checkpoint("odd.safetensors", ModelFamily.Unknown)));
        Assert.Null(ModelChoices.FamilyMismatch(lora, null));
    }
}
