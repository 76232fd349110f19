using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DreamLayer.Domain.A1111Api;

/// <summary>
/// The body of AUTOMATIC1111's <c>POST /sdapi/v1/txt2img</c> and <c>/sdapi/v1/img2img</c>, as its API builds it from
/// the processing classes' parameters (<c>modules/api/models.py</c>): every field optional, snake_case names, unknown
/// fields ignored as pydantic does. Null means "not sent": A1111's default applies (steps 50, CFG 7, 512×512, seed -1,
/// denoising strength 0.75, mask blur 4, inpaint "only masked" on). The fields DreamLayer cannot honour are listed by
/// <see cref="A1111RequestMapper"/> instead of being dropped silently.
/// </summary>
public sealed class A1111GenerateRequest
{
    [JsonPropertyName("prompt")]
    public string? Prompt { get; set; }

    [JsonPropertyName("negative_prompt")]
    public string? NegativePrompt { get; set; }

    [JsonPropertyName("styles")]
    public IReadOnlyList<string>? Styles { get; set; }

    [JsonPropertyName("seed")]
    public long? Seed { get; set; }

    [JsonPropertyName("subseed")]
    public long? Subseed { get; set; }

    [JsonPropertyName("subseed_strength")]
    public double? SubseedStrength { get; set; }

    /// <summary>A1111's name or alias ("Euler a", "k_euler_a"), the older combined form ("DPM++ 2M Karras"), or ComfyUI's.</summary>
    [JsonPropertyName("sampler_name")]
    public string? SamplerName { get; set; }

    /// <summary>The deprecated field older clients send instead of <see cref="SamplerName"/> (A1111 default "Euler").</summary>
    [JsonPropertyName("sampler_index")]
    public string? SamplerIndex { get; set; }

    [JsonPropertyName("scheduler")]
    public string? Scheduler { get; set; }

    [JsonPropertyName("batch_size")]
    public int? BatchSize { get; set; }

    [JsonPropertyName("n_iter")]
    public int? Iterations { get; set; }

    [JsonPropertyName("steps")]
    public int? Steps { get; set; }

    [JsonPropertyName("cfg_scale")]
    public double? CfgScale { get; set; }

    [JsonPropertyName("width")]
    public int? Width { get; set; }

    [JsonPropertyName("height")]
    public int? Height { get; set; }

    [JsonPropertyName("restore_faces")]
    public bool? RestoreFaces { get; set; }

    [JsonPropertyName("tiling")]
    public bool? Tiling { get; set; }

    [JsonPropertyName("denoising_strength")]
    public double? DenoisingStrength { get; set; }

    /// <summary>Settings for this request only: <c>sd_model_checkpoint</c>, <c>sd_vae</c>, <c>CLIP_stop_at_last_layers</c> are applied.</summary>
    [JsonPropertyName("override_settings")]
    public JsonObject? OverrideSettings { get; set; }

    [JsonPropertyName("refiner_checkpoint")]
    public string? RefinerCheckpoint { get; set; }

    [JsonPropertyName("refiner_switch_at")]
    public double? RefinerSwitchAt { get; set; }

    [JsonPropertyName("enable_hr")]
    public bool? EnableHr { get; set; }

    [JsonPropertyName("hr_scale")]
    public double? HrScale { get; set; }

    [JsonPropertyName("hr_upscaler")]
    public string? HrUpscaler { get; set; }

    [JsonPropertyName("hr_second_pass_steps")]
    public int? HrSecondPassSteps { get; set; }

    [JsonPropertyName("hr_resize_x")]
    public int? HrResizeX { get; set; }

    [JsonPropertyName("hr_resize_y")]
    public int? HrResizeY { get; set; }

    [JsonPropertyName("hr_sampler_name")]
    public string? HrSamplerName { get; set; }

    [JsonPropertyName("hr_checkpoint_name")]
    public string? HrCheckpointName { get; set; }

    [JsonPropertyName("hr_prompt")]
    public string? HrPrompt { get; set; }

    [JsonPropertyName("hr_negative_prompt")]
    public string? HrNegativePrompt { get; set; }

    /// <summary>A selectable script (X/Y/Z plot and the like): DreamLayer runs none, so a request naming one is refused.</summary>
    [JsonPropertyName("script_name")]
    public string? ScriptName { get; set; }

    /// <summary>Always-on scripts by name; <c>controlnet</c> units in sd-webui-controlnet's shape are applied.</summary>
    [JsonPropertyName("alwayson_scripts")]
    public JsonObject? AlwaysOnScripts { get; set; }

    [JsonPropertyName("send_images")]
    public bool? SendImages { get; set; }

    [JsonPropertyName("save_images")]
    public bool? SaveImages { get; set; }

    // img2img and inpainting

    /// <summary>The source pictures as base64 (or <c>data:</c> URLs); the first one is used.</summary>
    [JsonPropertyName("init_images")]
    public IReadOnlyList<string>? InitImages { get; set; }

    /// <summary>The inpainting mask as base64: white is repainted.</summary>
    [JsonPropertyName("mask")]
    public string? Mask { get; set; }

    /// <summary>0 just resize, 1 crop and resize, 2 resize and fill, 3 just resize (latent upscale).</summary>
    [JsonPropertyName("resize_mode")]
    public int? ResizeMode { get; set; }

    [JsonPropertyName("mask_blur")]
    public int? MaskBlur { get; set; }

    [JsonPropertyName("mask_blur_x")]
    public int? MaskBlurX { get; set; }

    [JsonPropertyName("mask_blur_y")]
    public int? MaskBlurY { get; set; }

    /// <summary>Masked content: 0 fill, 1 original, 2 latent noise, 3 latent nothing.</summary>
    [JsonPropertyName("inpainting_fill")]
    public int? InpaintingFill { get; set; }

    /// <summary>Inpaint area: true "only masked" (A1111's default), false "whole picture".</summary>
    [JsonPropertyName("inpaint_full_res")]
    public bool? InpaintFullRes { get; set; }

    [JsonPropertyName("inpaint_full_res_padding")]
    public int? InpaintFullResPadding { get; set; }

    /// <summary>1 repaints the black part of the mask instead of the white one.</summary>
    [JsonPropertyName("inpainting_mask_invert")]
    public int? InpaintingMaskInvert { get; set; }

    [JsonPropertyName("include_init_images")]
    public bool? IncludeInitImages { get; set; }
}
