using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Generation;

/// <summary>A node that turns a picture into a control map, and the settings its node declares besides the image.</summary>
public sealed record PreprocessorInfo(string ClassType, string DisplayName, bool IsCore, IReadOnlyList<InputSpec> Settings);

/// <summary>
/// What a server offers for LoRA, ControlNet and the Advanced panel, read from its live <c>/object_info</c>:
/// the model lists, the preprocessors it has, and for each option that it cannot run, the reason in words
/// (null when it can). Pages disable an option with its reason; the validator refuses it with the same words.
/// </summary>
public sealed record AdvancedLimits
{
    /// <summary>The category comfyui_controlnet_aux files its preprocessor nodes under.</summary>
    public const string AuxCategory = "ControlNet Preprocessors";

    public const string CannyClass = "Canny";

    public IReadOnlyList<string> Loras { get; init; } = [];
    public IReadOnlyList<string> ControlNetModels { get; init; } = [];
    public IReadOnlyList<string> Vaes { get; init; } = [];
    public IReadOnlyList<string> LatentUpscaleMethods { get; init; } = [];
    public IReadOnlyList<string> UpscaleModels { get; init; } = [];
    public IReadOnlyList<PreprocessorInfo> Preprocessors { get; init; } = [];

    public string? LoraUnavailable { get; init; }
    public string? ControlNetUnavailable { get; init; }
    public string? CannyUnavailable { get; init; }
    public string? AuxPreprocessorsUnavailable { get; init; }
    public string? HiresLatentUnavailable { get; init; }
    public string? HiresModelUnavailable { get; init; }
    public string? RefinerUnavailable { get; init; }
    public string? VaeUnavailable { get; init; }
    public string? ClipSkipUnavailable { get; init; }
    public string? TiledVaeUnavailable { get; init; }

    /// <summary>VAEDecodeTiled's <c>tile_size</c> range and step (ComfyUI: 64 to 4096 in steps of 32).</summary>
    public int MinTileSize { get; init; } = 64;
    public int MaxTileSize { get; init; } = 4096;
    public int TileStep { get; init; } = 32;

    /// <summary>The largest A1111-style CLIP skip (CLIPSetLastLayer's lowest <c>stop_at_clip_layer</c>, negated).</summary>
    public int MaxClipSkip { get; init; } = 24;

    /// <summary>Everything unknown or offered: what validation assumes before any server has been read.</summary>
    public static AdvancedLimits Unknown { get; } = new();

    public static AdvancedLimits From(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        string? Missing(string what, params string[] nodes) =>
            nodes.Where(n => !info.HasNode(n)).ToList() is { Count: > 0 } missing
                ? $"This server has no {string.Join(" or ", missing)} node, so it cannot do {what}."
                : null;
        var loras = info.ComboValues("LoraLoader", "lora_name");
        var controlNets = info.ComboValues("ControlNetLoader", "control_net_name");
        var vaes = info.ComboValues("VAELoader", "vae_name");
        var upscaleModels = info.ComboValues("UpscaleModelLoader", "model_name");
        var preprocessors = info.Nodes.Values
            .Where(n => n.Name == CannyClass || n.Category.StartsWith(AuxCategory, StringComparison.Ordinal))
            .Where(IsImageToImage)
            .OrderBy(n => n.Name == CannyClass ? 0 : 1).ThenBy(n => Display(n), StringComparer.OrdinalIgnoreCase)
            .Select(n => new PreprocessorInfo(n.Name, Display(n), n.Name == CannyClass,
                n.Required.Values.Concat(n.Optional.Values).Where(i => i.Name != "image" && IsSetting(i)).ToList()))
            .ToList();
        var controlNetMissing = Missing("ControlNet", "ControlNetLoader", "ControlNetApplyAdvanced", "LoadImage");
        var clipSkip = info.TryGetNode("CLIPSetLastLayer", out var csl) && csl.TryGetInput("stop_at_clip_layer", out var stop) && stop.Min is { } min
            ? (int)Math.Clamp(-min, 1, 1000)
            : 24;
        return new AdvancedLimits
        {
            Loras = loras,
            ControlNetModels = controlNets,
            Vaes = vaes,
            LatentUpscaleMethods = info.ComboValues("LatentUpscaleBy", "upscale_method"),
            UpscaleModels = upscaleModels,
            Preprocessors = preprocessors,
            LoraUnavailable = Missing("LoRAs", "LoraLoader")
                ?? (loras.Count == 0 ? "This server has no LoRAs: put LoRA files in ComfyUI's models/loras folder." : null),
            ControlNetUnavailable = controlNetMissing
                ?? (controlNets.Count == 0 ? "This server has no ControlNet models: put them in ComfyUI's models/controlnet folder." : null),
            CannyUnavailable = Missing("Canny edge maps", CannyClass),
            AuxPreprocessorsUnavailable = preprocessors.Any(p => !p.IsCore)
                ? null
                : "This server has no ControlNet preprocessor nodes (install comfyui_controlnet_aux for depth, openpose, lineart, scribble, ...).",
            HiresLatentUnavailable = Missing("a latent hires fix", "LatentUpscaleBy"),
            HiresModelUnavailable = Missing("a hires fix with an upscale model", "UpscaleModelLoader", "ImageUpscaleWithModel", "ImageScale", "VAEEncode")
                ?? (upscaleModels.Count == 0 ? "This server has no upscale models: put them in ComfyUI's models/upscale_models folder." : null),
            RefinerUnavailable = Missing("an SDXL refiner", "KSamplerAdvanced"),
            VaeUnavailable = Missing("a VAE override", "VAELoader")
                ?? (vaes.Count == 0 ? "This server has no VAE files: put them in ComfyUI's models/vae folder." : null),
            ClipSkipUnavailable = Missing("CLIP skip", "CLIPSetLastLayer"),
            MaxClipSkip = clipSkip,
            TiledVaeUnavailable = Missing("a tiled VAE decode", "VAEDecodeTiled"),
            MinTileSize = TileSize(info, s => s.Min, 64),
            MaxTileSize = TileSize(info, s => s.Max, 4096),
            TileStep = Math.Max(1, TileSize(info, s => s.Step, 32)),
        };
    }

    private static int TileSize(ObjectInfo info, Func<InputSpec, decimal?> pick, int fallback) =>
        info.TryGetNode("VAEDecodeTiled", out var node) && node.TryGetInput("tile_size", out var spec) && pick(spec) is { } v
            ? (int)Math.Clamp(v, 1, 1 << 20)
            : fallback;

    public PreprocessorInfo? FindPreprocessor(string classType) => Preprocessors.FirstOrDefault(p => p.ClassType == classType);

    private static string Display(NodeDefinition n) => string.IsNullOrEmpty(n.DisplayName) ? n.Name : n.DisplayName;

    /// <summary>A preprocessor takes an IMAGE named <c>image</c> and gives an IMAGE first.</summary>
    private static bool IsImageToImage(NodeDefinition n) =>
        n.Required.TryGetValue("image", out var image) && image.Type == "IMAGE" && n.Outputs.Count > 0 && n.Outputs[0] == "IMAGE"
        && n.Required.Values.Where(i => i.Name != "image").All(IsSetting);

    /// <summary>A widget the form can show: a number, a switch or a list (sockets such as MASK are not).</summary>
    private static bool IsSetting(InputSpec i) => i.IsCombo || i.Type is "INT" or "FLOAT" or "BOOLEAN";

    /// <summary>These limits with the options a mode does not offer marked unavailable, with the reason (see <see cref="AdvancedValidator"/>).</summary>
    public AdvancedLimits ForMode(GenerationMode mode, InpaintArea area) => this with
    {
        HiresLatentUnavailable = AdvancedValidator.HiresFixRefusal(mode) ?? HiresLatentUnavailable,
        HiresModelUnavailable = AdvancedValidator.HiresFixRefusal(mode) ?? HiresModelUnavailable,
        ControlNetUnavailable = AdvancedValidator.ControlNetRefusal(mode, area) ?? ControlNetUnavailable,
    };
}
