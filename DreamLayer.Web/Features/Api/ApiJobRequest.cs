using System.Text.Json;
using System.Text.Json.Serialization;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The body of <c>POST /api/v1/jobs</c>: every field the Txt2Img, Img2Img, Inpaint and Extras forms take, under the
/// names of <see cref="GenerationRequest"/> in camelCase (so the validator's field names map one to one, see
/// <see cref="ApiFieldNames"/>). Pictures are upload ids from <c>POST /api/v1/uploads</c>: <see cref="SourceImage"/>
/// (img2img, inpaint, upscale), <see cref="Mask"/> (inpaint) and each ControlNet unit's <c>image</c>. Fields left out
/// keep the forms' defaults.
/// </summary>
public sealed record ApiJobRequest
{
    /// <summary><c>Txt2Img</c> (default), <c>Img2Img</c>, <c>Inpaint</c> or <c>Upscale</c>; an imported workflow runs through <c>POST /api/v1/workflows/{id}/jobs</c>.</summary>
    public GenerationMode Mode { get; init; } = GenerationMode.Txt2Img;

    public string Prompt { get; init; } = string.Empty;
    public string NegativePrompt { get; init; } = string.Empty;

    /// <summary>The checkpoint's file name as <c>GET /api/v1/models</c> lists it.</summary>
    public string Checkpoint { get; init; } = string.Empty;

    public string Sampler { get; init; } = "euler";
    public string Scheduler { get; init; } = "normal";
    public int Steps { get; init; } = 20;
    public double Cfg { get; init; } = 7.0;
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;

    /// <summary><c>Random</c>, <c>Fixed</c> or <c>ReuseLast</c>; left out: <c>Fixed</c> when a seed is given, else <c>Random</c>.</summary>
    public SeedMode? SeedMode { get; init; }

    /// <summary>The seed, 0 to 18446744073709551615 (also as a string, for clients whose numbers are doubles).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public ulong? Seed { get; init; }

    public int BatchSize { get; init; } = 1;
    public int BatchCount { get; init; } = 1;

    public IReadOnlyList<LoraSetting> Loras { get; init; } = [];
    public IReadOnlyList<ControlNetSetting> ControlNets { get; init; } = [];
    public HiresFixSetting? HiresFix { get; init; }
    public RefinerSetting? Refiner { get; init; }
    public string? Vae { get; init; }
    public int ClipSkip { get; init; } = 1;
    public TiledVaeSetting? TiledVae { get; init; }

    /// <summary>
    /// A cloud model instead of a ComfyUI server (Txt2Img; Img2Img and Inpaint with a model that edits a picture, with
    /// <c>sourceImage</c> and, for Inpaint, <c>mask</c>): <c>provider</c> (<c>OpenAi</c>, <c>Ideogram</c>,
    /// <c>Bfl</c>), <c>model</c> (the provider's id), <c>size</c> or <c>aspectRatio</c>, <c>count</c> and the model's
    /// <c>options</c> by their API names; the checkpoint, sampler, steps and LoRAs are then not used. Its cost is counted
    /// against the cloud budgets.
    /// </summary>
    public CloudSetting? Cloud { get; init; }

    /// <summary>Img2img, inpaint and upscale: the upload id of the picture to start from.</summary>
    public Guid? SourceImage { get; init; }

    /// <summary>Inpaint: the upload id of the mask, at the source's size; its opaque pixels are repainted, transparent ones kept.</summary>
    public Guid? Mask { get; init; }

    public double Denoise { get; init; } = 0.75;
    public ResizeMode ResizeMode { get; init; } = ResizeMode.JustResize;
    public InpaintSettings Inpaint { get; init; } = new();

    public UpscaleMethod UpscaleMethod { get; init; } = UpscaleMethod.Resize;
    public string ResizeFilter { get; init; } = "lanczos";
    public string UpscaleModel { get; init; } = string.Empty;

    /// <summary>Upscale: the factor; null resizes to <see cref="Width"/>×<see cref="Height"/> exactly.</summary>
    public double? Scale { get; init; } = 2.0;

    /// <summary>
    /// How the API reads a body: camelCase names (any case), enums by name, a field the request does not have, a null
    /// where a value is needed and a missing required field refused (so a typo is named, not silently ignored).
    /// </summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        MaxDepth = 16,
        Converters = { new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
    };

    /// <summary>
    /// The request the queue checks, with the stored uploads' sizes filled in (the source's for img2img and inpaint, the
    /// mask's with the box of what is painted on it).
    /// </summary>
    public GenerationRequest ToRequest(UploadFacts? source, InpaintMask? mask) => new()
    {
        Mode = Mode,
        Prompt = Prompt,
        NegativePrompt = NegativePrompt,
        Checkpoint = Checkpoint,
        Sampler = Sampler,
        Scheduler = Scheduler,
        Steps = Steps,
        Cfg = Cfg,
        Width = Width,
        Height = Height,
        SeedMode = SeedMode ?? (Seed is null ? Domain.Generation.SeedMode.Random : Domain.Generation.SeedMode.Fixed),
        Seed = Seed,
        BatchSize = BatchSize,
        BatchCount = BatchCount,
        Loras = Loras,
        ControlNets = ControlNets,
        HiresFix = HiresFix,
        Refiner = Refiner,
        Vae = string.IsNullOrEmpty(Vae) ? null : Vae,
        ClipSkip = ClipSkip,
        TiledVae = TiledVae,
        SourceImage = SourceImage,
        SourceWidth = source?.Width ?? 0,
        SourceHeight = source?.Height ?? 0,
        Mask = mask,
        Denoise = Denoise,
        ResizeMode = ResizeMode,
        Inpaint = Inpaint,
        UpscaleMethod = UpscaleMethod,
        ResizeFilter = ResizeFilter,
        UpscaleModel = UpscaleModel,
        Scale = Scale,
        Cloud = Cloud,
    };
}

/// <summary>A stored upload's size, read from its file.</summary>
public sealed record UploadFacts(Guid Id, int Width, int Height);

/// <summary>
/// The API's JSON names for the validator's fields: <see cref="GenerationRequest"/>'s property names in camelCase, and
/// the inpainting options under <c>inpaint</c>.
/// </summary>
public static class ApiFieldNames
{
    private static readonly Dictionary<string, string> Inpaint = new(StringComparer.Ordinal)
    {
        [nameof(InpaintSettings.MaskBlur)] = "inpaint.maskBlur",
        [nameof(InpaintSettings.MaskedContent)] = "inpaint.maskedContent",
        [nameof(InpaintSettings.Area)] = "inpaint.area",
        [nameof(InpaintSettings.Padding)] = "inpaint.padding",
    };

    /// <summary>The cloud check's fields (<see cref="Cloud.CloudRequestValidator"/>), which name what a person reads; a model's own option is under <c>cloud.options</c>.</summary>
    private static readonly Dictionary<string, string> Cloud = new(StringComparer.Ordinal)
    {
        [Web.Cloud.CloudRequestValidator.ModelField] = "cloud.model",
        [Web.Cloud.CloudRequestValidator.PromptField] = "prompt",
        [Web.Cloud.CloudRequestValidator.NegativeField] = "negativePrompt",
        [Web.Cloud.CloudRequestValidator.SeedField] = "seed",
        [Web.Cloud.CloudRequestValidator.CountField] = "cloud.count",
        [Web.Cloud.CloudRequestValidator.SizeField] = "cloud.size",
        [Web.Cloud.CloudRequestValidator.AspectField] = "cloud.aspectRatio",
    };

    public static string Of(string domainField)
    {
        ArgumentNullException.ThrowIfNull(domainField);
        return Inpaint.TryGetValue(domainField, out var name) ? name
            : Cloud.TryGetValue(domainField, out var cloud) ? cloud
            : Web.Cloud.CloudCatalog.All.SelectMany(m => m.Options).FirstOrDefault(o => o.Label == domainField) is { } option ? "cloud.options." + option.Name
            : JsonNamingPolicy.CamelCase.ConvertName(domainField);
    }
}
