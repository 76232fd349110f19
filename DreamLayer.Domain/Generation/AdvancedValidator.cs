using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Generation;

/// <summary>Checks the LoRA, ControlNet and Advanced-panel parts of a request, and the LoRA tags in its prompt.</summary>
public static class AdvancedValidator
{
    public const int MaxLoras = 16;
    public const int MaxControlNets = 8;
    public const double MaxLoraStrength = 100;
    public const double MaxControlNetStrength = 10;
    public const double MaxHiresScale = 4;

    /// <summary>KSamplerAdvanced's largest step count, which an img2img refiner's whole schedule must fit in.</summary>
    public const int MaxRefinerSchedule = 10_000;

    /// <param name="limits">The server's lists and ranges; null before any server has been read (lists are then not checked).</param>
    public static void Validate(GenerationRequest request, GenerationLimits? limits, Action<string, string> add)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(add);
        var a = limits?.Advanced is { } known && !ReferenceEquals(known, AdvancedLimits.Unknown) ? known : null;
        if (request.HiresFix is not null && HiresFixRefusal(request.Mode) is { } hires)
        {
            add(nameof(request.HiresFix), hires);
        }
        if (request.ControlNets.Count > 0 && ControlNetRefusal(request.Mode, request.Inpaint.Area) is { } controlNet)
        {
            add(nameof(request.ControlNets), controlNet);
        }
        ValidateLoras(request, limits, a, add);
        ValidateControlNets(request, a, add);
        ValidateHires(request, limits, a, add);
        ValidateRefiner(request, limits, a, add);
        if (request.Vae is { } vae)
        {
            if (string.IsNullOrWhiteSpace(vae))
            {
                add(nameof(request.Vae), "Pick a VAE, or use the checkpoint's own.");
            }
            else if (a is not null)
            {
                Unavailable(nameof(request.Vae), a.VaeUnavailable, add);
                Listed(nameof(request.Vae), "VAE", vae, a.Vaes, a.VaeUnavailable, add);
            }
        }
        if (request.TiledVae is { } tiled)
        {
            ValidateTiledVae(tiled, a, add);
        }
        var maxClipSkip = a?.MaxClipSkip ?? 24;
        if (request.ClipSkip < 1 || request.ClipSkip > maxClipSkip)
        {
            add(nameof(request.ClipSkip), $"CLIP skip must be between 1 (none) and {maxClipSkip}.");
        }
        else if (request.ClipSkip > 1 && a is not null)
        {
            Unavailable(nameof(request.ClipSkip), a.ClipSkipUnavailable, add);
        }
    }

    /// <summary>
    /// Why hires fix is not offered in a mode (null where it is). Inpainting pastes its result onto the original picture
    /// through the mask at the picture's own size, so a second pass at a larger size has nowhere to go.
    /// </summary>
    public static string? HiresFixRefusal(GenerationMode mode) => mode == GenerationMode.Inpaint
        ? "Hires fix is not offered for inpainting: the result is pasted back onto the original at its own size. Upscale the result in Extras instead."
        : null;

    /// <summary>Why ControlNet units are not offered (null where they are): an only-masked inpaint samples a crop the control image would not line up with.</summary>
    public static string? ControlNetRefusal(GenerationMode mode, InpaintArea area) => mode == GenerationMode.Inpaint && area == InpaintArea.OnlyMasked
        ? "ControlNet needs the whole picture: with 'Only masked' the control image would not line up with the cropped area."
        : null;

    /// <summary>The picker's LoRAs and the prompt's tags, resolved to the server's file names; prompt tags win over the picker for the same file.</summary>
    public static IReadOnlyList<LoraSetting> EffectiveLoras(GenerationRequest request, IReadOnlyList<string>? available)
    {
        ArgumentNullException.ThrowIfNull(request);
        var result = request.Loras.ToList();
        foreach (var tag in PromptLoras.Parse(request.Prompt).Loras)
        {
            var name = available is { Count: > 0 } && PromptLoras.Resolve(tag.Name, available).Name is { } resolved ? resolved : tag.Name;
            result.RemoveAll(l => string.Equals(l.Name, name, StringComparison.Ordinal));
            result.Add(new LoraSetting(name, tag.ModelStrength, tag.ClipStrength));
        }
        return result;
    }

    private static void ValidateLoras(GenerationRequest request, GenerationLimits? limits, AdvancedLimits? a, Action<string, string> add)
    {
        const string field = nameof(GenerationRequest.Loras);
        var parsed = PromptLoras.Parse(request.Prompt);
        foreach (var error in parsed.Errors)
        {
            add(nameof(request.Prompt), error);
        }
        if (request.Loras.Count + parsed.Loras.Count > MaxLoras)
        {
            add(field, $"At most {MaxLoras} LoRAs at once.");
        }
        if (request.Loras.Count > 0 && a?.LoraUnavailable is { } unavailable)
        {
            add(field, unavailable);
        }
        for (var i = 0; i < request.Loras.Count; i++)
        {
            var lora = request.Loras[i];
            if (string.IsNullOrWhiteSpace(lora.Name))
            {
                add(field, $"LoRA {i + 1}: pick a LoRA, or remove the row.");
                continue;
            }
            if (!InRange(lora.ModelStrength, -MaxLoraStrength, MaxLoraStrength) || !InRange(lora.ClipStrength, -MaxLoraStrength, MaxLoraStrength))
            {
                add(field, $"LoRA '{lora.Name}': strengths must be between {-MaxLoraStrength} and {MaxLoraStrength}.");
            }
            if (a is not null)
            {
                Listed(field, "LoRA", lora.Name, a.Loras, a.LoraUnavailable, add);
            }
        }
        if (a is null || limits is null)
        {
            return;
        }
        foreach (var tag in parsed.Loras)
        {
            if (a.Loras.Count == 0 && a.LoraUnavailable is { } reason)
            {
                add(nameof(request.Prompt), $"{tag.Tag}: {reason}");
            }
            else if (PromptLoras.Resolve(tag.Name, a.Loras).Error is { } error)
            {
                add(nameof(request.Prompt), $"{tag.Tag}: {error}");
            }
        }
    }

    private static void ValidateControlNets(GenerationRequest request, AdvancedLimits? a, Action<string, string> add)
    {
        const string field = nameof(GenerationRequest.ControlNets);
        if (request.ControlNets.Count > MaxControlNets)
        {
            add(field, $"At most {MaxControlNets} ControlNet units at once.");
        }
        if (request.ControlNets.Count > 0 && a?.ControlNetUnavailable is { } reason)
        {
            add(field, reason);
            return;
        }
        for (var i = 0; i < request.ControlNets.Count; i++)
        {
            var unit = request.ControlNets[i];
            var label = $"ControlNet unit {i + 1}";
            if (string.IsNullOrWhiteSpace(unit.Model))
            {
                add(field, $"{label}: pick a ControlNet model.");
            }
            else if (a is not null)
            {
                Listed(field, "ControlNet model", unit.Model, a.ControlNetModels, null, add);
            }
            if (unit.Image is null)
            {
                add(field, unit.Preprocessor is null ? $"{label}: upload a control image." : $"{label}: upload the picture to make the control map from.");
            }
            if (!InRange(unit.Strength, 0, MaxControlNetStrength))
            {
                add(field, $"{label}: strength must be between 0 and {MaxControlNetStrength}.");
            }
            if (!InRange(unit.StartPercent, 0, 1) || !InRange(unit.EndPercent, 0, 1))
            {
                add(field, $"{label}: start and end must be between 0 and 1.");
            }
            else if (unit.StartPercent > unit.EndPercent)
            {
                add(field, $"{label}: it starts ({N(unit.StartPercent)}) after it ends ({N(unit.EndPercent)}).");
            }
            if (unit.Preprocessor is { } pre)
            {
                ValidatePreprocessor(field, label, pre, unit.PreprocessorSettings, a, add);
            }
        }
    }

    /// <summary>Checks a preprocessor and its settings against what the server declares for that node.</summary>
    public static void ValidatePreprocessor(string field, string label, string classType, IReadOnlyDictionary<string, JsonNode?> settings, AdvancedLimits? a, Action<string, string> add)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(add);
        if (a is null)
        {
            return;
        }
        if (a.FindPreprocessor(classType) is not { } info)
        {
            add(field, classType == AdvancedLimits.CannyClass && a.CannyUnavailable is { } canny ? $"{label}: {canny}"
                : a.AuxPreprocessorsUnavailable is { } aux ? $"{label}: {aux}"
                : $"{label}: this server has no preprocessor '{classType}'.");
            return;
        }
        foreach (var (name, value) in settings)
        {
            var spec = info.Settings.FirstOrDefault(s => s.Name == name);
            if (spec is null)
            {
                add(field, $"{label}: {info.DisplayName} has no setting '{name}'.");
            }
            else if (spec.IsCombo)
            {
                var text = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
                if (text is null || (spec.ComboValues is { Count: > 0 } options && !options.Contains(text, StringComparer.Ordinal)))
                {
                    add(field, $"{label}: {name} must be one of {string.Join(", ", spec.ComboValues ?? [])}.");
                }
            }
            else if (spec.Type is "INT" or "FLOAT")
            {
                if (value is not JsonValue n || n.GetValueKind() != JsonValueKind.Number)
                {
                    add(field, $"{label}: {name} must be a number.");
                    continue;
                }
                var number = n.GetValue<double>();
                if ((spec.Min is { } min && number < (double)min) || (spec.Max is { } max && number > (double)max))
                {
                    add(field, $"{label}: {name} must be between {spec.Min?.ToString(CultureInfo.InvariantCulture) ?? "-∞"} and {spec.Max?.ToString(CultureInfo.InvariantCulture) ?? "∞"}.");
                }
            }
        }
    }

    private static void ValidateHires(GenerationRequest request, GenerationLimits? limits, AdvancedLimits? a, Action<string, string> add)
    {
        if (request.HiresFix is not { } h)
        {
            return;
        }
        const string field = nameof(GenerationRequest.HiresFix);
        if (!InRange(h.Scale, 1, MaxHiresScale))
        {
            add(field, $"Hires fix: upscale by must be between 1 and {MaxHiresScale}.");
        }
        else if (limits is not null && (request.Width * h.Scale > limits.MaxSize || request.Height * h.Scale > limits.MaxSize))
        {
            add(field, $"Hires fix: {request.Width}×{request.Height} upscaled by {N(h.Scale)} is over the server's {limits.MaxSize} pixel limit.");
        }
        var maxSteps = limits?.MaxSteps ?? 10_000;
        if (h.Steps < 0 || h.Steps > maxSteps)
        {
            add(field, $"Hires fix: steps must be between 0 (same as the first pass) and {maxSteps}.");
        }
        if (!InRange(h.Denoise, 0, 1))
        {
            add(field, "Hires fix: denoising strength must be between 0 and 1.");
        }
        if (h.Upscaler == HiresUpscaler.Model && string.IsNullOrWhiteSpace(h.UpscaleModel))
        {
            add(field, "Hires fix: pick an upscale model.");
        }
        if (a is null)
        {
            return;
        }
        if (h.Upscaler == HiresUpscaler.Latent)
        {
            Unavailable(field, a.HiresLatentUnavailable, add);
            Listed(field, "latent upscale method", h.LatentMethod, a.LatentUpscaleMethods, a.HiresLatentUnavailable, add);
        }
        else
        {
            Unavailable(field, a.HiresModelUnavailable, add);
            Listed(field, "upscale model", h.UpscaleModel, a.UpscaleModels, a.HiresModelUnavailable, add);
        }
        if (h.Sampler is { } sampler && limits is not null)
        {
            Listed(field, "sampler", sampler, limits.Samplers, null, add);
        }
    }

    private static void ValidateTiledVae(TiledVaeSetting tiled, AdvancedLimits? a, Action<string, string> add)
    {
        const string field = nameof(GenerationRequest.TiledVae);
        var limits = a ?? AdvancedLimits.Unknown;
        if (a?.TiledVaeUnavailable is { } reason)
        {
            add(field, reason);
            return;
        }
        if (tiled.TileSize < limits.MinTileSize || tiled.TileSize > limits.MaxTileSize || tiled.TileSize % limits.TileStep != 0)
        {
            add(field, $"Tiled VAE decode: the tile size must be a multiple of {limits.TileStep} from {limits.MinTileSize} to {limits.MaxTileSize}.");
        }
        if (tiled.Overlap < 0 || tiled.Overlap % limits.TileStep != 0 || tiled.Overlap * 4 > tiled.TileSize)
        {
            add(field, $"Tiled VAE decode: the overlap must be a multiple of {limits.TileStep} and at most a quarter of the tile size (ComfyUI would shrink it otherwise).");
        }
    }

    private static void ValidateRefiner(GenerationRequest request, GenerationLimits? limits, AdvancedLimits? a, Action<string, string> add)
    {
        if (request.Refiner is not { } r)
        {
            return;
        }
        const string field = nameof(GenerationRequest.Refiner);
        if (string.IsNullOrWhiteSpace(r.Checkpoint))
        {
            add(field, "Refiner: pick the refiner's checkpoint.");
        }
        if (!(r.SwitchAt > 0 && r.SwitchAt < 1))
        {
            add(field, "Refiner: switch at must be between 0 and 1 (a fraction of the steps).");
        }
        else
        {
            var switchStep = (int)Math.Round(request.Steps * r.SwitchAt, MidpointRounding.AwayFromZero);
            if (switchStep < 1 || switchStep >= request.Steps)
            {
                add(field, $"Refiner: with {request.Steps} steps, switching at {N(r.SwitchAt)} leaves the base or the refiner no step; use more steps or another switch point.");
            }
        }
        if (request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint)
        {
            // The pair of samplers runs the img2img steps at the end of a longer schedule (see GraphTransforms.ApplyRefiner).
            if (request.Denoise <= 0)
            {
                add(field, "Refiner: with a denoising strength of 0 nothing is sampled, so there is nothing to refine; raise the strength.");
            }
            else if (request.Denoise < 1 && request.Steps / request.Denoise > MaxRefinerSchedule)
            {
                add(field, $"Refiner: {request.Steps} steps at a denoising strength of {N(request.Denoise)} need a schedule of over {MaxRefinerSchedule} steps; raise the strength or use fewer steps.");
            }
        }
        if (a is not null)
        {
            Unavailable(field, a.RefinerUnavailable, add);
            if (limits is not null && !string.IsNullOrWhiteSpace(r.Checkpoint))
            {
                Listed(field, "checkpoint", r.Checkpoint, limits.Checkpoints, null, add);
            }
        }
    }

    private static void Unavailable(string field, string? reason, Action<string, string> add)
    {
        if (reason is not null)
        {
            add(field, reason);
        }
    }

    /// <summary>A name the server does not list; skipped when the option is unavailable (that reason is reported instead).</summary>
    private static void Listed(string field, string what, string value, IReadOnlyList<string> allowed, string? unavailable, Action<string, string> add)
    {
        if (unavailable is null && !string.IsNullOrEmpty(value) && !allowed.Contains(value, StringComparer.Ordinal))
        {
            add(field, $"The server has no {what} named '{value}'.");
        }
    }

    private static bool InRange(double value, double min, double max) => double.IsFinite(value) && value >= min && value <= max;

    private static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
