using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Components.Shared;

namespace DreamLayer.Web.Tests.Domain;

public sealed class MetadataToRequestTests
{
    private static readonly GenerationLimits Server = new()
    {
        Checkpoints = ["sd15/realistic_realisticVisionV20_v20.safetensors", "v1-5-pruned-emaonly.ckpt"],
        Samplers = ["euler", "uni_pc", "dpmpp_2m"],
        Schedulers = ["normal", "karras"],
    };

    private static GenerationMetadata Read(string folder, string file) =>
        ImageMetadataReader.Read(File.ReadAllBytes(PngBytes.Fixture(folder, file))).Generation ?? throw new InvalidOperationException(file + " has no generation data");

    [Fact]
    public void ToTxt2Img_A1111Png_FillsEveryFieldAndFindsTheCheckpointByName()
    {
        var (request, notes) = MetadataToRequest.ToTxt2Img(Read("metadata", "a1111.png"), Server);

        Assert.Equal(("photo of a duck", "monochrome", 15, "uni_pc", "normal", 5.0), (request.Prompt, request.NegativePrompt, request.Steps, request.Sampler, request.Scheduler, request.Cfg));
        Assert.Equal((SeedMode.Fixed, (ulong?)235284042UL, 512, 400), (request.SeedMode, request.Seed, request.Width, request.Height));
        Assert.Equal("sd15/realistic_realisticVisionV20_v20.safetensors", request.Checkpoint);
        Assert.Empty(notes);
    }

    [Fact]
    public void ToTxt2Img_ComfyImg2Img_TrimsPromptsAndSaysWhatDidNotCarryOver()
    {
        var (request, notes) = MetadataToRequest.ToTxt2Img(Read("comfyui-png", "img2img_workflow.png"), Server);

        Assert.Equal(("photograph of victorian woman with wings, sky clouds, meadow grass", "watermark, text"), (request.Prompt, request.NegativePrompt));
        Assert.Equal(("v1-5-pruned-emaonly.ckpt", "dpmpp_2m", 280823642470253UL), (request.Checkpoint, request.Sampler, request.Seed));
        Assert.Equal(
            ["The image does not say its generation size; the form keeps 512×512.",
             "It was made from another image (denoising strength 0.8700000000000001); text to image starts from noise instead."],
            notes);
    }

    [Fact]
    public void ToTxt2Img_MissingCheckpointSamplerAndLora_AreNoted_TheCheckpointKeptForTheFormsOffer()
    {
        var metadata = Read("comfyui-png", "lora.png") with { Model = "animefull.safetensors" };

        var (request, notes) = MetadataToRequest.ToTxt2Img(metadata, Server with { Samplers = ["uni_pc"] });

        Assert.Equal("animefull.safetensors", request.Checkpoint); // the form offers a replacement
        Assert.Equal(
            ["The sampler 'euler' is not on this server; pick one in the form.",
             "The server has no checkpoint 'animefull.safetensors'; the form offers a replacement.",
             "The server has no LoRA 'epiNoiseoffset_v2.safetensors'; it is left out."],
            notes);
    }

    [Fact]
    public void ToTxt2Img_ComfyGraphLoraTheServerHas_GoesToThePicker()
    {
        var server = Server with { Advanced = new AdvancedLimits { Loras = ["noise/epiNoiseoffset_v2.safetensors"] } };

        var (request, notes) = MetadataToRequest.ToTxt2Img(Read("comfyui-png", "lora.png"), server);

        Assert.Equal([new LoraSetting("noise/epiNoiseoffset_v2.safetensors", 1.0, 1.0)], request.Loras);
        Assert.DoesNotContain("<lora:", request.Prompt, StringComparison.Ordinal);
        Assert.Empty(notes);
    }

    [Fact]
    public void ToTxt2Img_NoServer_SaysNothingCouldBeChecked()
    {
        var (_, notes) = MetadataToRequest.ToTxt2Img(Read("metadata", "a1111.png"), null);

        Assert.Equal(["No server is connected, so the checkpoint, sampler and scheduler could not be checked."], notes);
    }

    [Fact]
    public void GenerationDrafts_Take_GivesADraftOnceAndOnlyToItsMode()
    {
        var drafts = new GenerationDrafts();
        var first = new GenerationDraft(new GenerationRequest { Prompt = "old" }, "a.png", []);
        var second = new GenerationDraft(new GenerationRequest { Prompt = "new" }, "b.png", []);
        drafts.Offer(GenerationMode.Txt2Img, first);
        drafts.Offer(GenerationMode.Txt2Img, second);

        Assert.Null(drafts.Take(GenerationMode.Upscale));
        Assert.Same(second, drafts.Take(GenerationMode.Txt2Img));
        Assert.Null(drafts.Take(GenerationMode.Txt2Img));
    }
}
