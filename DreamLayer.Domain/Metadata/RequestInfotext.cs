using System.Globalization;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// What A1111 writes into its infotext for the LoRA, ControlNet and Advanced settings of a request, and how those
/// fields are read back: picker LoRAs as <c>&lt;lora:name:weight&gt;</c> tags in the prompt line, <c>VAE</c>,
/// <c>Denoising strength</c>, <c>Clip skip</c>, sd-webui-controlnet's <c>ControlNet N</c> units, then <c>Hires
/// upscale</c>, <c>Hires steps</c>, <c>Hires upscaler</c> (and <c>Hires sampler</c>) and the refiner, in A1111's order.
/// </summary>
public static class RequestInfotext
{
    public const string HiresUpscale = "Hires upscale";
    public const string HiresSteps = "Hires steps";
    public const string HiresUpscaler = "Hires upscaler";
    public const string HiresSampler = "Hires sampler";
    public const string ClipSkip = "Clip skip";
    public const string Vae = "VAE";
    public const string Refiner = "Refiner";
    public const string RefinerSwitchAt = "Refiner switch at";
    public const string ControlNetPrefix = "ControlNet ";

    /// <summary>
    /// Adds the request's LoRA, ControlNet and Advanced settings to the infotext of a txt2img, img2img or inpaint image.
    /// </summary>
    public static InfotextParameters With(InfotextParameters infotext, GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(infotext);
        ArgumentNullException.ThrowIfNull(request);
        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < request.ControlNets.Count; i++)
        {
            extra[ControlNetPrefix + i.ToString(CultureInfo.InvariantCulture)] = ControlNetUnit(request.ControlNets[i]);
        }
        double? denoise = request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint ? request.Denoise : null;
        if (request.Mode == GenerationMode.Txt2Img && request.HiresFix is { } hires)
        {
            denoise = hires.Denoise;
            extra[HiresUpscale] = Number(hires.Scale);
            if (hires.Steps > 0)
            {
                extra[HiresSteps] = hires.Steps.ToString(CultureInfo.InvariantCulture);
            }
            extra[HiresUpscaler] = UpscalerLabel(hires);
            if (hires.Sampler is { Length: > 0 } sampler && sampler != request.Sampler)
            {
                extra[HiresSampler] = SamplerNames.SamplerToA1111(sampler);
            }
        }
        if (request.Mode == GenerationMode.Txt2Img && request.Refiner is { } refiner)
        {
            extra[Refiner] = A1111Infotext.ModelName(refiner.Checkpoint);
            extra[RefinerSwitchAt] = Number(refiner.SwitchAt);
        }
        foreach (var (key, value) in infotext.Extra ?? new Dictionary<string, string>())
        {
            extra[key] = value;
        }
        return infotext with
        {
            Prompt = PromptWithLoras(infotext.Prompt, request.Loras),
            Vae = string.IsNullOrEmpty(request.Vae) ? null : VaeName(request.Vae),
            Denoise = denoise ?? infotext.Denoise,
            ClipSkip = request.ClipSkip,
            Extra = extra.Count > 0 ? extra : null,
        };
    }

    /// <summary>
    /// The prompt line as A1111 shows it: each picker LoRA appended as a tag (A1111 adds them to the prompt text),
    /// unless the prompt already has a tag for the same file (that tag is the one that applies).
    /// </summary>
    public static string PromptWithLoras(string prompt, IReadOnlyList<LoraSetting> loras)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(loras);
        var typed = PromptLoras.Parse(prompt).Loras;
        var tags = loras
            .Where(l => !typed.Any(t => PromptLoras.Resolve(t.Name, [l.Name]).Name is not null))
            .Select(LoraTag)
            .ToList();
        return tags.Count == 0 ? prompt : string.Join(' ', [prompt.TrimEnd(), .. tags]).TrimStart();
    }

    /// <summary>
    /// <c>&lt;lora:name:weight&gt;</c> with the name A1111 lists (file name without folder or extension), or
    /// <c>&lt;lora:name:te:unet&gt;</c> when CLIP and model strengths differ (A1111's order: text encoder first).
    /// </summary>
    public static string LoraTag(LoraSetting lora)
    {
        ArgumentNullException.ThrowIfNull(lora);
        var name = A1111Infotext.ModelName(lora.Name);
        return lora.ClipStrength == lora.ModelStrength
            ? $"<lora:{name}:{Number(lora.ModelStrength)}>"
            : $"<lora:{name}:{Number(lora.ClipStrength)}:{Number(lora.ModelStrength)}>";
    }

    /// <summary>
    /// One unit as sd-webui-controlnet writes it: <c>Module: canny, Model: control_v11p_sd15_canny, Weight: 1, Resize
    /// Mode: Crop and Resize, Processor Res: 512, Threshold A: 100, Threshold B: 200, Guidance Start: 0, Guidance End: 1,
    /// Pixel Perfect: False, Control Mode: Balanced</c>. ComfyUI fits the control picture by centre crop (Crop and
    /// Resize); Canny's thresholds (0–1 in ComfyUI) are given on A1111's 0–255 scale.
    /// </summary>
    public static string ControlNetUnit(ControlNetSetting unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var fields = new List<string>
        {
            "Module: " + ModuleName(unit.Preprocessor),
            "Model: " + A1111Infotext.ModelName(unit.Model),
            "Weight: " + Number(unit.Strength),
            "Resize Mode: Crop and Resize",
            "Processor Res: " + (Setting(unit, "resolution") is { } resolution ? Number(resolution) : "512"),
        };
        if (unit.Preprocessor == AdvancedLimits.CannyClass)
        {
            fields.Add("Threshold A: " + Number(Math.Round((Setting(unit, "low_threshold") ?? 0.4) * 255, MidpointRounding.AwayFromZero)));
            fields.Add("Threshold B: " + Number(Math.Round((Setting(unit, "high_threshold") ?? 0.8) * 255, MidpointRounding.AwayFromZero)));
        }
        fields.Add("Guidance Start: " + Number(unit.StartPercent));
        fields.Add("Guidance End: " + Number(unit.EndPercent));
        fields.Add("Pixel Perfect: False");
        fields.Add("Control Mode: Balanced");
        return string.Join(", ", fields);
    }

    /// <summary>A1111's name for hires fix's upscaler: "Latent" (bilinear) or "Latent (method)", else the model's name.</summary>
    public static string UpscalerLabel(HiresFixSetting hires)
    {
        ArgumentNullException.ThrowIfNull(hires);
        return hires.Upscaler == Generation.HiresUpscaler.Model
            ? A1111Infotext.ModelName(hires.UpscaleModel)
            : hires.LatentMethod == "bilinear" ? "Latent" : $"Latent ({hires.LatentMethod})";
    }

    /// <summary>The latent method for an A1111 "Latent…" upscaler label, or null for a model name.</summary>
    public static string? LatentMethod(string label)
    {
        ArgumentNullException.ThrowIfNull(label);
        if (label == "Latent")
        {
            return "bilinear";
        }
        if (label.StartsWith("Latent (", StringComparison.Ordinal) && label.EndsWith(')'))
        {
            return label["Latent (".Length..^1].Replace(" antialiased", string.Empty, StringComparison.Ordinal).Replace("antialiased", "bilinear", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>A1111 writes the VAE's file name with its extension and without its folder.</summary>
    public static string VaeName(string vae)
    {
        ArgumentNullException.ThrowIfNull(vae);
        return vae[(vae.LastIndexOfAny(['/', '\\']) + 1)..];
    }

    /// <summary>sd-webui-controlnet's module for each ComfyUI preprocessor node that has a counterpart.</summary>
    private static readonly Dictionary<string, string> Modules = new(StringComparer.Ordinal)
    {
        [AdvancedLimits.CannyClass] = "canny",
        ["CannyEdgePreprocessor"] = "canny",
        ["LineArtPreprocessor"] = "lineart_realistic",
        ["AnimeLineArtPreprocessor"] = "lineart_anime",
        ["MiDaS-DepthMapPreprocessor"] = "depth_midas",
        ["Zoe-DepthMapPreprocessor"] = "depth_zoe",
        ["LeReS-DepthMapPreprocessor"] = "depth_leres",
        ["DepthAnythingPreprocessor"] = "depth_anything",
        ["OpenposePreprocessor"] = "openpose_full",
        ["DWPreprocessor"] = "dw_openpose_full",
        ["HEDPreprocessor"] = "softedge_hed",
        ["PiDiNetPreprocessor"] = "softedge_pidinet",
        ["ScribblePreprocessor"] = "scribble_hed",
        ["M-LSDPreprocessor"] = "mlsd",
        ["NormalBaePreprocessor"] = "normal_bae",
        ["TilePreprocessor"] = "tile_resample",
        ["ContentShufflePreprocessor"] = "shuffle",
        ["MediaPipe-FaceMeshPreprocessor"] = "mediapipe_face",
        ["OneFormer-ADE20K-SemSegPreprocessor"] = "seg_ofade20k",
    };

    /// <summary>sd-webui-controlnet's module for a ComfyUI preprocessor node (its class name when there is no counterpart).</summary>
    public static string ModuleName(string? preprocessor) =>
        preprocessor is null or "" ? "none" : Modules.GetValueOrDefault(preprocessor, preprocessor);

    /// <summary>
    /// The ComfyUI preprocessor nodes that do what an sd-webui-controlnet module does, the one in ComfyUI's core first
    /// (Canny); a module named by a node's class name is that node. Empty for "none" and for a module without one.
    /// </summary>
    public static IReadOnlyList<string> PreprocessorsFor(string module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (module is "" or "none")
        {
            return [];
        }
        var nodes = Modules.Where(m => string.Equals(m.Value, module, StringComparison.OrdinalIgnoreCase)).Select(m => m.Key).ToList();
        return nodes.Count > 0 ? nodes : [module];
    }

    private static double? Setting(ControlNetSetting unit, string name) =>
        unit.PreprocessorSettings.TryGetValue(name, out var value) && value is System.Text.Json.Nodes.JsonValue v
        && v.GetValueKind() == System.Text.Json.JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : null;

    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
