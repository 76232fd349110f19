using System.Text.Json;
using DreamLayer.Domain.A1111Api;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// A1111's <c>/sdapi/v1/txt2img</c> and <c>img2img</c> bodies, as Open WebUI, SillyTavern and scripts send them, read
/// as A1111 reads them (its defaults, names, aliases and refusals) into DreamLayer's request.
/// </summary>
public sealed class A1111RequestMapperTests
{
    private static readonly GenerationLimits Limits = AdvancedCatalogue.Limits;

    private static A1111GenerateRequest Body(string json) => JsonSerializer.Deserialize<A1111GenerateRequest>(json)!;

    private static A1111Mapping Mapped(string json, A1111Endpoint endpoint = A1111Endpoint.Txt2Img, string? checkpoint = null)
    {
        var (mapping, error) = A1111RequestMapper.Map(Body(json), endpoint, Limits, checkpoint);
        Assert.Null(error);
        return mapping!;
    }

    private static A1111ApiError Refused(string json, A1111Endpoint endpoint = A1111Endpoint.Txt2Img)
    {
        var (mapping, error) = A1111RequestMapper.Map(Body(json), endpoint, Limits);
        Assert.Null(mapping);
        return error!;
    }

    [Fact]
    public void EmptyBody_TakesA1111sDefaults_FiftyStepsEulerRandomSeedAndTheServersCheckpoint()
    {
        var mapping = Mapped("{}");
        var r = mapping.Request;

        Assert.Equal(GenerationMode.Txt2Img, r.Mode);
        Assert.Equal(50, r.Steps);
        Assert.Equal(7.0, r.Cfg);
        Assert.Equal((512, 512), (r.Width, r.Height));
        Assert.Equal("euler", r.Sampler);
        Assert.Equal("normal", r.Scheduler);
        Assert.Equal(SeedMode.Random, r.SeedMode);
        Assert.Equal((1, 1), (r.BatchSize, r.BatchCount));
        Assert.Equal(Limits.Checkpoints[0], r.Checkpoint);
        Assert.Empty(mapping.Ignored);
        Assert.True(mapping.SendImages);
    }

    [Fact]
    public void OpenWebUisBody_MapsPromptSizeSamplerSchedulerCfgStepsAndSeed()
    {
        var r = Mapped("""
            {"prompt": "a lighthouse, <lora:Style_Ink:0.6>", "negative_prompt": "blurry", "batch_size": 2, "width": 768, "height": 512,
             "sampler_name": "DPM++ 2M", "scheduler": "Karras", "cfg_scale": 5.5, "steps": 28, "seed": 1234, "n_iter": 3,
             "unknown_field_from_a_newer_client": true}
            """).Request;

        Assert.Equal("a lighthouse, <lora:Style_Ink:0.6>", r.Prompt);
        Assert.Equal("blurry", r.NegativePrompt);
        Assert.Equal(("dpmpp_2m", "karras"), (r.Sampler, r.Scheduler));
        Assert.Equal((768, 512, 28, 5.5), (r.Width, r.Height, r.Steps, r.Cfg));
        Assert.Equal((SeedMode.Fixed, (ulong?)1234), (r.SeedMode, r.Seed));
        Assert.Equal((2, 3), (r.BatchSize, r.BatchCount));
    }

    [Theory]
    [InlineData("Euler a", "euler_ancestral", "normal")]
    [InlineData("k_euler_a", "euler_ancestral", "normal")]
    [InlineData("K_DPMPP_2M", "dpmpp_2m", "normal")]
    [InlineData("DPM++ 2M Karras", "dpmpp_2m", "karras")]
    [InlineData("euler_ancestral", "euler_ancestral", "normal")]
    public void SamplerNames_A1111LabelsAliasesOlderCombinedNamesAndComfyUIsOwn_AreUnderstood(string name, string sampler, string scheduler)
    {
        var r = Mapped($$"""{"sampler_name": "{{name}}"}""").Request;

        Assert.Equal((sampler, scheduler), (r.Sampler, r.Scheduler));
    }

    [Fact]
    public void DeprecatedSamplerIndex_IsUsedWhenSamplerNameIsMissing()
    {
        Assert.Equal("heun", Mapped("""{"sampler_index": "Heun"}""").Request.Sampler);
    }

    [Fact]
    public void UnknownSampler_IsRefusedAsA1111Does_404SamplerNotFound_InItsErrorShape()
    {
        var error = Refused("""{"sampler_name": "Restart++"}""");

        Assert.Equal(404, error.Status);
        Assert.Equal("Sampler not found", error.Detail);
        Assert.Equal("""{"error":"HTTPException","detail":"Sampler not found","body":"","errors":"404: Sampler not found"}""", error.Body().ToJsonString());
    }

    [Fact]
    public void Scheduler_AutomaticKeepsTheSamplersOwn_AnUnknownOneIsRefused()
    {
        Assert.Equal("karras", Mapped("""{"sampler_name": "DPM++ 2M Karras", "scheduler": "Automatic"}""").Request.Scheduler);
        Assert.Equal("sgm_uniform", Mapped("""{"scheduler": "SGM Uniform"}""").Request.Scheduler);
        Assert.Equal("ddim_uniform", Mapped("""{"scheduler": "ddim"}""").Request.Scheduler);
        Assert.Equal(404, Refused("""{"scheduler": "Polyexponential"}""").Status);
    }

    [Theory]
    [InlineData("v1-5-pruned-emaonly.safetensors [6ce0161689]")]
    [InlineData("v1-5-pruned-emaonly.safetensors")]
    [InlineData("v1-5-pruned-emaonly")]
    public void CheckpointOverride_ByA1111TitleFileOrModelName_PicksTheServersFile(string title)
    {
        var json = JsonSerializer.Serialize(new { override_settings = new { sd_model_checkpoint = title } });

        Assert.Equal(AdvancedCatalogue.Checkpoint, Mapped(json, checkpoint: AdvancedCatalogue.Refiner).Request.Checkpoint);
    }

    [Fact]
    public void Checkpoint_ThePersonsOwnIsUsedWhenTheBodyNamesNone_AnUnknownOneIs404ModelNotFound()
    {
        Assert.Equal(AdvancedCatalogue.Refiner, Mapped("{}", checkpoint: AdvancedCatalogue.Refiner).Request.Checkpoint);

        var error = Refused("""{"override_settings": {"sd_model_checkpoint": "dreamshaper_8.safetensors [879db523c3]"}}""");
        Assert.Equal((404, "Model not found"), (error.Status, error.Detail));
    }

    [Fact]
    public void OverrideSettings_ClipSkipAndVaeApply_OthersAreNamedAsIgnored()
    {
        var mapping = Mapped("""
            {"override_settings": {"CLIP_stop_at_last_layers": 2, "sd_vae": "Automatic", "eta_noise_seed_delta": 31337},
             "override_settings_restore_afterwards": true}
            """);

        Assert.Equal(2, mapping.Request.ClipSkip);
        Assert.Null(mapping.Request.Vae);
        Assert.Equal(["override_settings.eta_noise_seed_delta"], mapping.Ignored);
        Assert.Equal(404, Refused("""{"override_settings": {"sd_vae": "missing.vae.pt"}}""").Status);
        Assert.Equal(422, Refused("""{"override_settings": {"CLIP_stop_at_last_layers": "two"}}""").Status);
    }

    [Fact]
    public void WhatDreamLayerCannotHonour_IsAcceptedAndNamed_NotSilentlyDropped()
    {
        var mapping = Mapped("""
            {"restore_faces": true, "tiling": true, "subseed": 7, "subseed_strength": 0.3, "styles": ["cinematic"], "denoising_strength": 0.4}
            """);

        Assert.Equal(["subseed_strength", "restore_faces", "tiling", "styles", "denoising_strength"], mapping.Ignored);
    }

    [Fact]
    public void ASelectableScript_AndAnAlwaysOnScriptOtherThanControlNet_AreRefusedAsA1111RefusesOnesItLacks()
    {
        Assert.Equal((422, "Script 'x/y/z plot' not found"), (Refused("""{"script_name": "x/y/z plot"}""").Status, Refused("""{"script_name": "x/y/z plot"}""").Detail));
        Assert.Equal("always on script ADetailer not found", Refused("""{"alwayson_scripts": {"ADetailer": {"args": []}}}""").Detail);
    }

    [Theory]
    [InlineData(-1, SeedMode.Random, null)]
    [InlineData(0, SeedMode.Fixed, 0UL)]
    [InlineData(4294967295, SeedMode.Fixed, 4294967295UL)]
    public void Seed_MinusOneIsRandom_AnyOtherIsFixed(long seed, SeedMode mode, ulong? fixedSeed)
    {
        var r = Mapped($$"""{"seed": {{seed}}}""").Request;

        Assert.Equal((mode, fixedSeed), (r.SeedMode, r.Seed));
    }

    [Fact]
    public void Seed_BelowMinusOne_IsRefusedNamingTheField()
    {
        Assert.StartsWith("seed:", Refused("""{"seed": -5}""").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void HiresFix_AsSillyTavernSendsIt_BecomesTheHiresPass()
    {
        var r = Mapped($$"""
            {"width": 512, "height": 768, "enable_hr": true, "hr_scale": 1.5, "hr_upscaler": "{{AdvancedCatalogue.UpscaleModel}}",
             "hr_second_pass_steps": 12, "denoising_strength": 0.45, "hr_sampler_name": "Use same sampler", "hr_prompt": "", "hr_negative_prompt": ""}
            """).Request;

        var hires = Assert.IsType<HiresFixSetting>(r.HiresFix);
        Assert.Equal((HiresUpscaler.Model, AdvancedCatalogue.UpscaleModel), (hires.Upscaler, hires.UpscaleModel));
        Assert.Equal((1.5, 12, 0.45), (hires.Scale, hires.Steps, hires.Denoise));
        Assert.Null(hires.Sampler);
    }

    [Fact]
    public void HiresFix_LatentByDefault_ResizeToASizeBecomesItsScale_AnUnknownUpscalerIsRefused()
    {
        var latent = Mapped("""{"enable_hr": true, "hr_upscaler": "Latent (nearest-exact)", "hr_resize_x": 1024, "hr_resize_y": 1024}""").Request.HiresFix!;
        Assert.Equal((HiresUpscaler.Latent, "nearest-exact", 2.0), (latent.Upscaler, latent.LatentMethod, latent.Scale));

        Assert.Equal(HiresUpscaler.Latent, Mapped("""{"enable_hr": true}""").Request.HiresFix!.Upscaler);
        Assert.Null(Mapped("""{"enable_hr": false, "hr_scale": 2}""").Request.HiresFix);
        var error = Refused("""{"enable_hr": true, "hr_upscaler": "R-ESRGAN 4x+ Anime6B"}""");
        Assert.Equal((422, "hr_upscaler: could not find upscaler named R-ESRGAN 4x+ Anime6B"), (error.Status, error.Detail));
    }

    [Fact]
    public void Refiner_ByTitle_SwitchesAtTheAskedPoint()
    {
        var refiner = Mapped($$"""{"refiner_checkpoint": "{{AdvancedCatalogue.Refiner}} [7440042bbd]", "refiner_switch_at": 0.7}""").Request.Refiner;

        Assert.Equal(new RefinerSetting(AdvancedCatalogue.Refiner, 0.7), refiner);
        Assert.Null(Mapped("""{"refiner_checkpoint": "None"}""").Request.Refiner);
    }

    [Fact]
    public void Img2Img_WithoutInitImages_Is404AsInA1111()
    {
        var error = Refused("""{"prompt": "x"}""", A1111Endpoint.Img2Img);

        Assert.Equal((404, "Init image not found"), (error.Status, error.Detail));
    }

    [Fact]
    public void Img2Img_TakesTheFirstInitImage_DenoiseAndResizeMode()
    {
        var mapping = Mapped("""{"init_images": ["AAAA", "BBBB"], "denoising_strength": 0.35, "resize_mode": 1}""", A1111Endpoint.Img2Img);

        Assert.Equal(GenerationMode.Img2Img, mapping.Request.Mode);
        Assert.Equal("AAAA", mapping.InitImage);
        Assert.Equal((0.35, ResizeMode.CropAndResize), (mapping.Request.Denoise, mapping.Request.ResizeMode));
        Assert.Equal(["init_images (all but the first)"], mapping.Ignored);
    }

    [Fact]
    public void Inpaint_WithAMask_TakesA1111sDefaults_FillOnlyMaskedBlurFour()
    {
        var mapping = Mapped("""{"init_images": ["AAAA"], "mask": "MMMM"}""", A1111Endpoint.Img2Img);

        Assert.Equal(GenerationMode.Inpaint, mapping.Request.Mode);
        Assert.Equal("MMMM", mapping.Mask);
        Assert.False(mapping.InvertMask);
        Assert.Equal(new InpaintSettings { MaskBlur = 4, MaskedContent = MaskedContent.Fill, Area = InpaintArea.OnlyMasked, Padding = 0 }, mapping.Request.Inpaint);
    }

    [Fact]
    public void Inpaint_FillAreaPaddingBlurAndInvert_Map_LatentNothingIsRefusedWithTheAlternative()
    {
        var mapping = Mapped("""
            {"init_images": ["AAAA"], "mask": "MMMM", "inpainting_fill": 1, "inpaint_full_res": false, "inpaint_full_res_padding": 48,
             "mask_blur_x": 2, "mask_blur_y": 6, "inpainting_mask_invert": 1}
            """, A1111Endpoint.Img2Img);

        Assert.Equal(new InpaintSettings { MaskBlur = 6, MaskedContent = MaskedContent.Original, Area = InpaintArea.WholePicture, Padding = 48 }, mapping.Request.Inpaint);
        Assert.True(mapping.InvertMask);
        Assert.Contains("use 2 (latent noise)", Refused("""{"init_images": ["AAAA"], "mask": "MMMM", "inpainting_fill": 3}""", A1111Endpoint.Img2Img).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlNetUnits_InSdWebUiControlNetsShape_BecomeTheRequestsUnits_ThresholdsOnComfyUIsScale()
    {
        var mapping = Mapped($$"""
            {"alwayson_scripts": {"controlnet": {"args": [
              {"enabled": true, "image": "CCCC", "module": "canny", "model": "control_v11p_sd15_canny [d14c016b]", "weight": 0.8,
               "guidance_start": 0.1, "guidance_end": 0.9, "threshold_a": 51, "threshold_b": 204, "control_mode": "Balanced"},
              {"enabled": false, "image": "DDDD", "module": "canny", "model": "control_v11p_sd15_canny"},
              {"enabled": true, "image": {"image": "EEEE", "mask": null}, "module": "lineart_realistic", "model": "{{AdvancedCatalogue.ControlNet}}", "processor_res": 768}
            ]} } }
            """);

        Assert.Equal(2, mapping.ControlNets!.Count);
        var canny = mapping.ControlNets[0];
        Assert.Equal("CCCC", canny.Image);
        Assert.Equal((AdvancedCatalogue.ControlNet, AdvancedLimits.CannyClass), (canny.Setting.Model, canny.Setting.Preprocessor));
        Assert.Equal((0.8, 0.1, 0.9), (canny.Setting.Strength, canny.Setting.StartPercent, canny.Setting.EndPercent));
        Assert.Equal((0.2, 0.8), ((double)canny.Setting.PreprocessorSettings["low_threshold"]!, (double)canny.Setting.PreprocessorSettings["high_threshold"]!));
        var lineart = mapping.ControlNets[1];
        Assert.Equal(("EEEE", "LineArtPreprocessor"), (lineart.Image, lineart.Setting.Preprocessor));
        Assert.Equal(768, (int)lineart.Setting.PreprocessorSettings["resolution"]!);
        Assert.Equal(2, mapping.Request.ControlNets.Count);
    }

    [Fact]
    public void ControlNetUnits_AnUnknownModelOrAMissingModuleOrNoImageInTextToImage_AreRefusedNamingTheUnit()
    {
        Assert.Equal("ControlNet unit 1: model 'control_v11f1p_sd15_depth' not found",
            Refused("""{"alwayson_scripts": {"controlnet": {"args": [{"image": "C", "module": "none", "model": "control_v11f1p_sd15_depth"}]}}}""").Detail);
        Assert.Contains("module 'depth_zoe' is not available",
            Refused("""{"alwayson_scripts": {"controlnet": {"args": [{"image": "C", "module": "depth_zoe", "model": "control_v11p_sd15_canny"}]}}}""").Detail, StringComparison.Ordinal);
        Assert.Contains("ControlNet unit 1: no image",
            Refused("""{"alwayson_scripts": {"controlnet": {"args": [{"module": "none", "model": "control_v11p_sd15_canny"}]}}}""").Detail, StringComparison.Ordinal);

        // In image to image a unit without a picture of its own takes the source picture, as sd-webui-controlnet does.
        var unit = Mapped("""{"init_images": ["AAAA"], "alwayson_scripts": {"controlnet": {"args": [{"module": "none", "model": "control_v11p_sd15_canny"}]}}}""", A1111Endpoint.Img2Img).ControlNets!.Single();
        Assert.Null(unit.Image);
        Assert.Null(unit.Setting.Preprocessor);
    }
}
