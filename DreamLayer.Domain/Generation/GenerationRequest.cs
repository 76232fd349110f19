using DreamLayer.Domain.Workflows.Imported;

namespace DreamLayer.Domain.Generation;

/// <summary>What a person asked for on a generation page. The only thing a page builds.</summary>
public sealed record GenerationRequest
{
    public GenerationMode Mode { get; init; } = GenerationMode.Txt2Img;
    public string Prompt { get; init; } = string.Empty;
    public string NegativePrompt { get; init; } = string.Empty;
    public string Checkpoint { get; init; } = string.Empty;
    public string Sampler { get; init; } = "euler";
    public string Scheduler { get; init; } = "normal";
    public int Steps { get; init; } = 20;
    public double Cfg { get; init; } = 7.0;
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;
    public SeedMode SeedMode { get; init; } = SeedMode.Random;

    /// <summary>The seed for <see cref="SeedMode.Fixed"/>; the whole 64-bit range is allowed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Images made together in one run on the server (one latent batch).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>How many runs (jobs) to queue, each with its own seed.</summary>
    public int BatchCount { get; init; } = 1;

    /// <summary>Upscale: the stored upload to enlarge.</summary>
    public Guid? SourceImage { get; init; }

    /// <summary>Upscale: plain resampling or an upscale model.</summary>
    public UpscaleMethod UpscaleMethod { get; init; } = UpscaleMethod.Resize;

    /// <summary>Upscale: the resampling filter (ImageScaleBy's <c>upscale_method</c>), also used to reach the exact size after a model.</summary>
    public string ResizeFilter { get; init; } = "lanczos";

    /// <summary>Upscale with <see cref="UpscaleMethod.Model"/>: the server's upscale model file.</summary>
    public string UpscaleModel { get; init; } = string.Empty;

    /// <summary>Upscale: the factor; null means resize to <see cref="Width"/>×<see cref="Height"/> exactly.</summary>
    public double? Scale { get; init; } = 2.0;

    // LoRA, ControlNet and the Advanced panel (txt2img and img2img): empty or null means off.
    // Checked by AdvancedValidator, applied to the graph by AdvancedGraph.

    /// <summary>LoRAs from the picker; <c>&lt;lora:name:weight&gt;</c> tags in <see cref="Prompt"/> are added to these.</summary>
    public IReadOnlyList<LoraSetting> Loras { get; init; } = [];

    /// <summary>ControlNet units, applied in order.</summary>
    public IReadOnlyList<ControlNetSetting> ControlNets { get; init; } = [];

    public HiresFixSetting? HiresFix { get; init; }

    public RefinerSetting? Refiner { get; init; }

    /// <summary>A VAE file to use instead of the checkpoint's own; null keeps the checkpoint's.</summary>
    public string? Vae { get; init; }

    /// <summary>A1111's "Clip skip": 1 uses the last CLIP layer (no change), 2 stops one layer earlier, ...</summary>
    public int ClipSkip { get; init; } = 1;

    /// <summary>Decode the result in tiles (<c>VAEDecodeTiled</c>) to save GPU memory; null decodes it at once.</summary>
    public TiledVaeSetting? TiledVae { get; init; }

    /// <summary>Img2img and inpaint: how much of the source is repainted (KSampler's <c>denoise</c>, 0 to 1).</summary>
    public double Denoise { get; init; } = 0.75;

    /// <summary>Img2img and whole-picture inpaint: how the source is fitted to <see cref="Width"/>×<see cref="Height"/>.</summary>
    public ResizeMode ResizeMode { get; init; } = ResizeMode.JustResize;

    /// <summary>Img2img and inpaint: the size of <see cref="SourceImage"/> as stored, in pixels (0 when unknown).</summary>
    public int SourceWidth { get; init; }

    /// <summary>See <see cref="SourceWidth"/>.</summary>
    public int SourceHeight { get; init; }

    /// <summary>Inpaint: the painted mask, a stored upload at the source's size.</summary>
    public InpaintMask? Mask { get; init; }

    /// <inheritdoc cref="InpaintSettings"/>
    public InpaintSettings Inpaint { get; init; } = new();

    /// <summary>Workflow: the saved workflow's graph with the person's values applied, where the seed goes, and images to upload.</summary>
    public WorkflowRunSpec? Workflow { get; init; }

    /// <summary>
    /// A cloud model instead of a ComfyUI server (Txt2Img only): the provider, the model and what only it takes. The
    /// prompt, negative prompt and seed come from this request; the checkpoint, sampler, steps, LoRAs and the rest are
    /// not used.
    /// </summary>
    public CloudSetting? Cloud { get; init; }

    public const int MaxPromptLength = 20_000;
    public const int MaxBatchCount = 100;
    public const int MaxBatchSize = 64;
}

public enum GenerationMode
{
    Txt2Img,
    Upscale,
    Img2Img,
    Inpaint,
    /// <summary>A workflow imported from ComfyUI and saved to the team's library.</summary>
    Workflow,
}

public enum UpscaleMethod
{
    /// <summary>Resampling only (ImageScaleBy / ImageScale).</summary>
    Resize,
    /// <summary>An upscale model (UpscaleModelLoader + ImageUpscaleWithModel), then resampling to the exact factor or size.</summary>
    Model,
}

public enum SeedMode
{
    /// <summary>A new random seed for every run.</summary>
    Random,
    /// <summary>The given seed; later runs of a batch count use seed+1, seed+2, … like A1111.</summary>
    Fixed,
    /// <summary>The seed of the last finished image, then as <see cref="Fixed"/>.</summary>
    ReuseLast,
}

/// <summary>
/// What a cloud job takes beyond the prompt, stored with the request: everything needed to send it again after a
/// restart (while it was not sent) and to describe it.
/// </summary>
/// <param name="Provider">The provider's id as the app names it (<c>OpenAi</c>, <c>Ideogram</c>, <c>Bfl</c>).</param>
/// <param name="Model">The provider's model id (<c>gpt-image-1</c>, <c>V_3</c>, <c>flux-pro-1.1</c>).</param>
public sealed record CloudSetting(string Provider, string Model)
{
    /// <summary><c>WxH</c> (or <c>auto</c>) for the models sized by pixels; null: the model's default.</summary>
    public string? Size { get; init; }

    /// <summary><c>W:H</c> for the models sized by an aspect ratio; null: the model's default.</summary>
    public string? AspectRatio { get; init; }

    /// <summary>Pictures in the one request (one bill).</summary>
    public int Count { get; init; } = 1;

    /// <summary>The model's own options by their API names, as text.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
