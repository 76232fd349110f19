using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DreamLayer.Web.Features.SdApi;

// The bodies of AUTOMATIC1111's API (modules/api/models.py), field for field, in its snake_case names.

/// <summary>
/// The answer of <c>txt2img</c> and <c>img2img</c>: base64 PNGs, the request as understood, and <c>info</c>, a JSON
/// <em>string</em>. The pictures are held as their bytes: the serializer writes each as base64 straight into the
/// response, never as a string of its own (a third larger, twice over as UTF-16) first.
/// </summary>
public sealed record SdApiGenerated(
    [property: JsonPropertyName("images")] IReadOnlyList<byte[]> Images,
    [property: JsonPropertyName("parameters")] JsonObject Parameters,
    [property: JsonPropertyName("info")] string Info);

/// <summary>A1111's <c>shared.state.dict()</c>: the state of the person's current job.</summary>
public sealed record SdApiState(
    [property: JsonPropertyName("skipped")] bool Skipped,
    [property: JsonPropertyName("interrupted")] bool Interrupted,
    [property: JsonPropertyName("stopping_generation")] bool StoppingGeneration,
    [property: JsonPropertyName("job")] string Job,
    [property: JsonPropertyName("job_count")] int JobCount,
    [property: JsonPropertyName("job_timestamp")] string JobTimestamp,
    [property: JsonPropertyName("job_no")] int JobNo,
    [property: JsonPropertyName("sampling_step")] int SamplingStep,
    [property: JsonPropertyName("sampling_steps")] int SamplingSteps);

/// <summary>The answer of <c>GET progress</c>.</summary>
public sealed record SdApiProgress(
    [property: JsonPropertyName("progress")] double Progress,
    [property: JsonPropertyName("eta_relative")] double EtaRelative,
    [property: JsonPropertyName("state")] SdApiState State,
    [property: JsonPropertyName("current_image")] string? CurrentImage,
    [property: JsonPropertyName("textinfo")] string? TextInfo,
    [property: JsonPropertyName("current_task")] string? CurrentTask);

/// <summary>One checkpoint of <c>GET sd-models</c>; <c>hash</c> (the first 10 hex digits) and <c>sha256</c> are null until the file is hashed.</summary>
public sealed record SdApiModel(
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("hash")] string? Hash,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("filename")] string FileName,
    [property: JsonPropertyName("config")] string? Config);

/// <summary>One sampler of <c>GET samplers</c>: A1111's name, ComfyUI's as an alias.</summary>
public sealed record SdApiSampler(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string> Aliases,
    [property: JsonPropertyName("options")] IReadOnlyDictionary<string, string> Options);

/// <summary>One scheduler of <c>GET schedulers</c>: ComfyUI's name, A1111's label.</summary>
public sealed record SdApiScheduler(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("label")] string Label,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string>? Aliases,
    [property: JsonPropertyName("default_rho")] double? DefaultRho,
    [property: JsonPropertyName("need_inner_model")] bool? NeedInnerModel);

/// <summary>One LoRA of <c>GET loras</c> (the shape of A1111's built-in Lora extension).</summary>
public sealed record SdApiLora(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("alias")] string Alias,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("metadata")] IReadOnlyDictionary<string, string> Metadata);

/// <summary>One upscaler of <c>GET upscalers</c>.</summary>
public sealed record SdApiUpscaler(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("model_name")] string? ModelName,
    [property: JsonPropertyName("model_path")] string? ModelPath,
    [property: JsonPropertyName("model_url")] string? ModelUrl,
    [property: JsonPropertyName("scale")] double? Scale);

/// <summary>The body of <c>POST png-info</c>.</summary>
public sealed class SdApiImageRequest
{
    [JsonPropertyName("image")]
    public string? Image { get; set; }
}

/// <summary>The answer of <c>POST png-info</c>: the infotext, every text chunk, and the infotext's fields.</summary>
public sealed record SdApiPngInfo(
    [property: JsonPropertyName("info")] string Info,
    [property: JsonPropertyName("items")] IReadOnlyDictionary<string, string> Items,
    [property: JsonPropertyName("parameters")] IReadOnlyDictionary<string, string> Parameters);

/// <summary>The body of <c>POST extra-single-image</c> (the fields DreamLayer reads; the rest are ignored as pydantic does).</summary>
public sealed class SdApiExtrasRequest
{
    [JsonPropertyName("image")]
    public string? Image { get; set; }

    /// <summary>0 scale by <see cref="UpscalingResize"/>, 1 scale to <see cref="UpscalingResizeW"/>×<see cref="UpscalingResizeH"/>.</summary>
    [JsonPropertyName("resize_mode")]
    public int? ResizeMode { get; set; }

    [JsonPropertyName("upscaling_resize")]
    public double? UpscalingResize { get; set; }

    [JsonPropertyName("upscaling_resize_w")]
    public int? UpscalingResizeW { get; set; }

    [JsonPropertyName("upscaling_resize_h")]
    public int? UpscalingResizeH { get; set; }

    [JsonPropertyName("upscaler_1")]
    public string? Upscaler1 { get; set; }

    [JsonPropertyName("upscaler_2")]
    public string? Upscaler2 { get; set; }

    [JsonPropertyName("extras_upscaler_2_visibility")]
    public double? Upscaler2Visibility { get; set; }

    [JsonPropertyName("gfpgan_visibility")]
    public double? GfpganVisibility { get; set; }

    [JsonPropertyName("codeformer_visibility")]
    public double? CodeformerVisibility { get; set; }
}

/// <summary>The answer of <c>POST extra-single-image</c>: the picture's bytes, written as base64 (see <see cref="SdApiGenerated"/>).</summary>
public sealed record SdApiExtrasResult(
    [property: JsonPropertyName("image")] byte[] Image,
    [property: JsonPropertyName("html_info")] string HtmlInfo);
