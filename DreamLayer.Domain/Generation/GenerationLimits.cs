using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Generation;

/// <summary>
/// What a server accepts for the txt2img controls, read from its live <c>/object_info</c>: model, sampler
/// and scheduler lists and the numeric ranges. Missing entries fall back to ComfyUI's documented defaults.
/// </summary>
public sealed record GenerationLimits
{
    public IReadOnlyList<string> Checkpoints { get; init; } = [];
    public IReadOnlyList<string> Samplers { get; init; } = [];
    public IReadOnlyList<string> Schedulers { get; init; } = [];
    public int MinSteps { get; init; } = 1;
    public int MaxSteps { get; init; } = 10_000;
    public double MinCfg { get; init; }
    public double MaxCfg { get; init; } = 100;
    public int MinSize { get; init; } = 16;
    public int MaxSize { get; init; } = 16_384;
    public int SizeStep { get; init; } = 8;
    public int MaxBatchSize { get; init; } = GenerationRequest.MaxBatchSize;

    /// <summary>Upscale models on the server (UpscaleModelLoader's <c>model_name</c>); empty when it has none.</summary>
    public IReadOnlyList<string> UpscaleModels { get; init; } = [];

    /// <summary>Resampling filters (ImageScaleBy's <c>upscale_method</c>).</summary>
    public IReadOnlyList<string> ResizeFilters { get; init; } = [];
    public double MinUpscale { get; init; } = 1;
    public double MaxUpscale { get; init; } = 8;
    public int MaxUpscaleSize { get; init; } = 16_384;

    /// <summary>LoRA, ControlNet and Advanced-panel lists and what the server cannot do.</summary>
    public AdvancedLimits Advanced { get; init; } = AdvancedLimits.Unknown;

    public static GenerationLimits From(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var limits = new GenerationLimits
        {
            Advanced = AdvancedLimits.From(info),
            Checkpoints = info.ComboValues("CheckpointLoaderSimple", "ckpt_name"),
            Samplers = info.ComboValues("KSampler", "sampler_name"),
            Schedulers = info.ComboValues("KSampler", "scheduler"),
            UpscaleModels = info.ComboValues("UpscaleModelLoader", "model_name"),
            ResizeFilters = info.ComboValues("ImageScaleBy", "upscale_method"),
        };
        if (info.TryGetNode("ImageScaleBy", out var scaleBy) && scaleBy.TryGetInput("scale_by", out var by) && by.Max is { } maxBy)
        {
            limits = limits with { MaxUpscale = Math.Max(limits.MinUpscale, (double)maxBy) };
        }
        if (info.TryGetNode("ImageScale", out var scale))
        {
            limits = limits with { MaxUpscaleSize = IntOr(scale, "width", s => s.Max, limits.MaxUpscaleSize) };
        }
        if (info.TryGetNode("KSampler", out var ks))
        {
            limits = limits with
            {
                MinSteps = IntOr(ks, "steps", s => s.Min, limits.MinSteps),
                MaxSteps = IntOr(ks, "steps", s => s.Max, limits.MaxSteps),
                MinCfg = ks.TryGetInput("cfg", out var cfg) && cfg.Min is { } cmin ? (double)cmin : limits.MinCfg,
                MaxCfg = ks.TryGetInput("cfg", out cfg) && cfg.Max is { } cmax ? (double)cmax : limits.MaxCfg,
            };
        }
        if (info.TryGetNode("EmptyLatentImage", out var latent))
        {
            limits = limits with
            {
                MinSize = IntOr(latent, "width", s => s.Min, limits.MinSize),
                MaxSize = IntOr(latent, "width", s => s.Max, limits.MaxSize),
                SizeStep = Math.Max(8, IntOr(latent, "width", s => s.Step, limits.SizeStep)),
                MaxBatchSize = Math.Min(GenerationRequest.MaxBatchSize, IntOr(latent, "batch_size", s => s.Max, limits.MaxBatchSize)),
            };
        }
        return limits;
    }

    private static int IntOr(NodeDefinition node, string input, Func<InputSpec, decimal?> pick, int fallback) =>
        node.TryGetInput(input, out var spec) && pick(spec) is { } v ? (int)Math.Clamp(v, int.MinValue, int.MaxValue) : fallback;
}
