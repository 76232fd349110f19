using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Domain.A1111Api;

/// <summary>Which A1111 route a body came to.</summary>
public enum A1111Endpoint
{
    Txt2Img,
    Img2Img,
}

/// <summary>
/// An answer A1111 would give instead of pictures, in its shape: FastAPI's <c>HTTPException</c> as A1111's exception
/// handler writes it (<c>{"error": "HTTPException", "detail": …, "body": "", "errors": "404: …"}</c>).
/// </summary>
public sealed record A1111ApiError(int Status, string Detail)
{
    public static A1111ApiError NotFound(string detail) => new(404, detail);

    public static A1111ApiError Unprocessable(string detail) => new(422, detail);

    /// <summary>The JSON body A1111 sends with this status.</summary>
    public JsonObject Body() => new()
    {
        ["error"] = "HTTPException",
        ["detail"] = Detail,
        ["body"] = string.Empty,
        ["errors"] = string.Create(CultureInfo.InvariantCulture, $"{Status}: {Detail}"),
    };
}

/// <summary>One ControlNet unit of a request, its picture still as the client sent it (base64 or a <c>data:</c> URL); null: the source picture of image to image.</summary>
public sealed record A1111ControlNetUnit(ControlNetSetting Setting, string? Image);

/// <summary>
/// What an A1111 body asks for, as DreamLayer's request: the parameters mapped, the pictures still encoded (the web
/// layer decodes, checks and stores them, then fills in <see cref="GenerationRequest.SourceImage"/>, the mask and each
/// unit's image), and each field DreamLayer accepted but cannot honour, named, so the caller can say so.
/// </summary>
public sealed record A1111Mapping(
    GenerationRequest Request,
    IReadOnlyList<string> Ignored,
    string? InitImage = null,
    string? Mask = null,
    bool InvertMask = false,
    IReadOnlyList<A1111ControlNetUnit>? ControlNets = null,
    bool SendImages = true);

/// <summary>
/// Turns the body of A1111's <c>/sdapi/v1/txt2img</c> and <c>/sdapi/v1/img2img</c> into a request for a server with
/// the given limits, as A1111 reads it: its defaults for what is not sent (50 steps, seed -1 random), its sampler
/// names and aliases (and ComfyUI's), the checkpoint from <c>override_settings.sd_model_checkpoint</c> by title, name or
/// file, hires fix, refiner, clip skip, VAE, inpainting's fill and area, and sd-webui-controlnet's units. Where A1111
/// refuses (an unknown sampler or model: 404; an unknown script: 422) this refuses with its words; ranges are left to
/// the request validator the forms use, so both faces refuse the same values.
/// </summary>
public static class A1111RequestMapper
{
    private const string ControlNetScript = "controlnet";

    /// <summary>sd-webui's aliases of its samplers (lower case), beside the names <see cref="SamplerNames"/> knows.</summary>
    private static readonly Dictionary<string, string> SamplerAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["k_euler_a"] = "euler_ancestral",
        ["k_euler_ancestral"] = "euler_ancestral",
        ["k_euler"] = "euler",
        ["k_lms"] = "lms",
        ["k_heun"] = "heun",
        ["k_dpm_2"] = "dpm_2",
        ["k_dpm_2_a"] = "dpm_2_ancestral",
        ["k_dpmpp_2s_a"] = "dpmpp_2s_ancestral",
        ["k_dpmpp_2m"] = "dpmpp_2m",
        ["k_dpmpp_sde"] = "dpmpp_sde",
        ["k_dpmpp_2m_sde"] = "dpmpp_2m_sde",
        ["k_dpmpp_2m_sde_heun"] = "dpmpp_2m_sde_heun",
        ["k_dpmpp_3m_sde"] = "dpmpp_3m_sde",
        ["k_dpm_fast"] = "dpm_fast",
        ["k_dpm_ad"] = "dpm_adaptive",
        ["k_lcm"] = "lcm",
    };

    /// <summary>sd-webui's own scheduler names (lower case) where they differ from ComfyUI's.</summary>
    private static readonly Dictionary<string, string> SchedulerAliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ddim"] = "ddim_uniform",
    };

    /// <summary>The override settings this applies; any other is named as ignored.</summary>
    private static readonly HashSet<string> AppliedOverrides = new(StringComparer.Ordinal) { "sd_model_checkpoint", "sd_vae", "CLIP_stop_at_last_layers" };

    /// <summary>
    /// The request for <paramref name="body"/>, or A1111's refusal. <paramref name="checkpoint"/> is the person's
    /// checkpoint (A1111's <c>sd_model_checkpoint</c> option, set per person), used when the body names none; without
    /// one, the server's first checkpoint.
    /// </summary>
    public static (A1111Mapping? Mapping, A1111ApiError? Error) Map(A1111GenerateRequest body, A1111Endpoint endpoint, GenerationLimits limits, string? checkpoint = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(limits);
        var ignored = new List<string>();
        if (body.ScriptName is { Length: > 0 } script)
        {
            return (null, A1111ApiError.Unprocessable($"Script '{script}' not found"));
        }
        if (body.Seed is < -1)
        {
            return (null, A1111ApiError.Unprocessable("seed: -1 for a random seed, or a seed from 0"));
        }
        if (Sampler(body.SamplerName is { Length: > 0 } named ? named : body.SamplerIndex is { Length: > 0 } index ? index : "Euler", limits) is not { } sampler)
        {
            return (null, A1111ApiError.NotFound("Sampler not found"));
        }
        var scheduler = sampler.Scheduler;
        if (body.Scheduler is { Length: > 0 } askedScheduler && !askedScheduler.Equals("Automatic", StringComparison.OrdinalIgnoreCase))
        {
            if (Scheduler(askedScheduler, limits) is not { } known)
            {
                return (null, A1111ApiError.NotFound("Scheduler not found"));
            }
            scheduler = known;
        }
        var overrides = body.OverrideSettings ?? [];
        ignored.AddRange(overrides.Select(o => o.Key).Where(k => !AppliedOverrides.Contains(k)).Select(k => "override_settings." + k));
        string model;
        if (Text(overrides, "sd_model_checkpoint") is { Length: > 0 } asked)
        {
            if (Find(asked, limits.Checkpoints) is not { } found)
            {
                return (null, A1111ApiError.NotFound("Model not found"));
            }
            model = found;
        }
        else
        {
            model = (checkpoint is { Length: > 0 } ? Find(checkpoint, limits.Checkpoints) : null) ?? (limits.Checkpoints.Count > 0 ? limits.Checkpoints[0] : null) ?? checkpoint ?? string.Empty;
        }

        var request = new GenerationRequest
        {
            Mode = endpoint == A1111Endpoint.Txt2Img ? GenerationMode.Txt2Img : body.Mask is { Length: > 0 } ? GenerationMode.Inpaint : GenerationMode.Img2Img,
            Prompt = body.Prompt ?? string.Empty,
            NegativePrompt = body.NegativePrompt ?? string.Empty,
            Checkpoint = model,
            Sampler = sampler.Sampler,
            Scheduler = scheduler,
            Steps = body.Steps ?? 50,
            Cfg = body.CfgScale ?? 7.0,
            Width = body.Width ?? 512,
            Height = body.Height ?? 512,
            SeedMode = body.Seed is null or -1 ? SeedMode.Random : SeedMode.Fixed,
            Seed = body.Seed is >= 0 and var seed ? (ulong)seed : null,
            BatchSize = body.BatchSize ?? 1,
            BatchCount = body.Iterations ?? 1,
        };
        if (body.SubseedStrength is > 0)
        {
            ignored.Add("subseed_strength");
        }
        if (body.RestoreFaces == true)
        {
            ignored.Add("restore_faces");
        }
        if (body.Tiling == true)
        {
            ignored.Add("tiling");
        }
        if (body.Styles is { Count: > 0 })
        {
            ignored.Add("styles");
        }

        var error = ApplyOverrides(overrides, limits, ref request)
            ?? ApplyRefiner(body, limits, ref request)
            ?? (endpoint == A1111Endpoint.Txt2Img ? ApplyHires(body, limits, ignored, ref request) : null);
        if (error is not null)
        {
            return (null, error);
        }

        string? init = null;
        if (endpoint == A1111Endpoint.Img2Img)
        {
            if (body.InitImages is not { Count: > 0 } images || string.IsNullOrEmpty(images[0]))
            {
                return (null, A1111ApiError.NotFound("Init image not found"));
            }
            init = images[0];
            if (images.Count > 1)
            {
                ignored.Add("init_images (all but the first)");
            }
            if (ApplyImageSettings(body, ignored, ref request) is { } imageError)
            {
                return (null, imageError);
            }
        }
        else if (body.EnableHr != true && body.DenoisingStrength is not null && body.DenoisingStrength != 0.75)
        {
            // Without hires fix, text to image has no use for a denoising strength; A1111 ignores it too.
            ignored.Add("denoising_strength");
        }

        var (units, unitError) = ControlNets(body.AlwaysOnScripts, limits, hasInitImage: init is not null, ignored);
        if (unitError is not null)
        {
            return (null, unitError);
        }
        request = request with { ControlNets = [.. units.Select(u => u.Setting)] };
        return (new A1111Mapping(request, ignored, init, body.Mask is { Length: > 0 } mask ? mask : null, body.InpaintingMaskInvert == 1, units, body.SendImages ?? true), null);
    }

    /// <summary>A ComfyUI sampler (and the scheduler an A1111 combined name carries) that the server has, or null.</summary>
    private static (string Sampler, string Scheduler)? Sampler(string name, GenerationLimits limits)
    {
        var trimmed = name.Trim();
        var (sampler, scheduler) = SamplerAliases.TryGetValue(trimmed, out var alias) ? (alias, "normal") : SamplerNames.FromA1111(trimmed);
        // A label FromA1111 does not know comes back unchanged: it may be ComfyUI's own name, which the server decides.
        return limits.Samplers.Count == 0 || limits.Samplers.Contains(sampler, StringComparer.Ordinal) ? (sampler, scheduler) : null;
    }

    private static string? Scheduler(string name, GenerationLimits limits)
    {
        var trimmed = name.Trim();
        var scheduler = SchedulerAliases.TryGetValue(trimmed, out var alias) ? alias
            : SamplerNames.SchedulerFromA1111(trimmed) is var fromLabel && fromLabel != trimmed ? fromLabel
            : trimmed.ToLowerInvariant();
        return limits.Schedulers.Count == 0 || limits.Schedulers.Contains(scheduler, StringComparer.Ordinal) ? scheduler : null;
    }

    /// <summary>The server's model for an A1111 title ("file.safetensors [hash]"), file, or model name.</summary>
    public static string? Find(string name, IReadOnlyList<string> models)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(models);
        var title = name.Trim();
        var hash = title.LastIndexOf(" [", StringComparison.Ordinal);
        if (hash > 0 && title.EndsWith(']'))
        {
            title = title[..hash];
        }
        return MetadataToRequest.FindCheckpoint(title, models);
    }

    private static A1111ApiError? ApplyOverrides(JsonObject overrides, GenerationLimits limits, ref GenerationRequest request)
    {
        if (overrides["CLIP_stop_at_last_layers"] is { } clipNode)
        {
            if (Int(clipNode) is not { } clipSkip)
            {
                return A1111ApiError.Unprocessable("override_settings.CLIP_stop_at_last_layers: a whole number from 1");
            }
            request = request with { ClipSkip = clipSkip };
        }
        if (Text(overrides, "sd_vae") is { Length: > 0 } vae && vae is not "Automatic" and not "None")
        {
            if (Find(vae, limits.Advanced.Vaes) is not { } file)
            {
                return A1111ApiError.NotFound($"VAE '{vae}' not found");
            }
            request = request with { Vae = file };
        }
        return null;
    }

    private static A1111ApiError? ApplyRefiner(A1111GenerateRequest body, GenerationLimits limits, ref GenerationRequest request)
    {
        if (body.RefinerCheckpoint is not { Length: > 0 } refiner || refiner == "None")
        {
            return null;
        }
        if (Find(refiner, limits.Checkpoints) is not { } file)
        {
            return A1111ApiError.NotFound("Model not found");
        }
        request = request with { Refiner = new RefinerSetting(file, body.RefinerSwitchAt ?? 0.8) };
        return null;
    }

    private static A1111ApiError? ApplyHires(A1111GenerateRequest body, GenerationLimits limits, List<string> ignored, ref GenerationRequest request)
    {
        if (body.EnableHr != true)
        {
            return null;
        }
        var scale = body.HrScale ?? 2.0;
        if (body.HrResizeX is > 0 || body.HrResizeY is > 0)
        {
            // A1111 scales to cover the asked size and crops the rest; DreamLayer scales by one factor, so covers it.
            var byWidth = body.HrResizeX is > 0 and var x ? (double)x / request.Width : 0;
            var byHeight = body.HrResizeY is > 0 and var y ? (double)y / request.Height : 0;
            scale = Math.Max(byWidth, byHeight);
            if (byWidth > 0 && byHeight > 0 && Math.Abs(byWidth - byHeight) > 1e-9)
            {
                ignored.Add("hr_resize_x/hr_resize_y (the picture covers the size, uncropped)");
            }
        }
        var hires = new HiresFixSetting
        {
            Scale = scale,
            Steps = body.HrSecondPassSteps ?? 0,
            Denoise = body.DenoisingStrength ?? 0.75,
        };
        if (body.HrSamplerName is { Length: > 0 } hrSampler && hrSampler != "Use same sampler")
        {
            if (Sampler(hrSampler, limits) is not { } found)
            {
                return A1111ApiError.NotFound("Sampler not found");
            }
            hires = hires with { Sampler = found.Sampler };
        }
        var label = body.HrUpscaler is { Length: > 0 } named ? named : "Latent";
        if (RequestInfotext.LatentMethod(label) is { } method)
        {
            if (limits.Advanced.LatentUpscaleMethods.Count > 0 && !limits.Advanced.LatentUpscaleMethods.Contains(method, StringComparer.Ordinal))
            {
                return A1111ApiError.Unprocessable($"hr_upscaler: could not find upscaler named {label}");
            }
            hires = hires with { LatentMethod = method };
        }
        else if (Find(label, limits.Advanced.UpscaleModels) is { } model)
        {
            hires = hires with { Upscaler = HiresUpscaler.Model, UpscaleModel = model };
        }
        else
        {
            return A1111ApiError.Unprocessable($"hr_upscaler: could not find upscaler named {label}");
        }
        if (body.HrCheckpointName is { Length: > 0 } hrCheckpoint && hrCheckpoint != "Use same checkpoint")
        {
            ignored.Add("hr_checkpoint_name");
        }
        if (body.HrPrompt is { Length: > 0 } hrPrompt && hrPrompt != request.Prompt)
        {
            ignored.Add("hr_prompt");
        }
        if (body.HrNegativePrompt is { Length: > 0 } hrNegative && hrNegative != request.NegativePrompt)
        {
            ignored.Add("hr_negative_prompt");
        }
        request = request with { HiresFix = hires };
        return null;
    }

    private static A1111ApiError? ApplyImageSettings(A1111GenerateRequest body, List<string> ignored, ref GenerationRequest request)
    {
        var resize = body.ResizeMode ?? 0;
        if (resize is < 0 or > 3)
        {
            return A1111ApiError.Unprocessable("resize_mode: 0 (just resize), 1 (crop and resize), 2 (resize and fill) or 3 (just resize, latent upscale)");
        }
        if (resize == 3)
        {
            ignored.Add("resize_mode 3 (resized as 0, in pixels)");
        }
        request = request with
        {
            Denoise = body.DenoisingStrength ?? 0.75,
            ResizeMode = resize switch
            {
                1 => ResizeMode.CropAndResize,
                2 => ResizeMode.ResizeAndFill,
                _ => ResizeMode.JustResize,
            },
        };
        if (request.Mode != GenerationMode.Inpaint)
        {
            return null;
        }
        var fill = body.InpaintingFill ?? 0;
        if (fill is < 0 or > 3)
        {
            return A1111ApiError.Unprocessable("inpainting_fill: 0 (fill), 1 (original), 2 (latent noise) or 3 (latent nothing)");
        }
        if (fill == 3)
        {
            return A1111ApiError.Unprocessable("inpainting_fill: 3 (latent nothing) is not available; use 2 (latent noise)");
        }
        request = request with
        {
            Inpaint = new InpaintSettings
            {
                MaskBlur = body.MaskBlur ?? Math.Max(body.MaskBlurX ?? 4, body.MaskBlurY ?? 4),
                MaskedContent = fill switch
                {
                    1 => MaskedContent.Original,
                    2 => MaskedContent.LatentNoise,
                    _ => MaskedContent.Fill,
                },
                Area = body.InpaintFullRes ?? true ? InpaintArea.OnlyMasked : InpaintArea.WholePicture,
                Padding = body.InpaintFullResPadding ?? 0,
            },
        };
        return null;
    }

    /// <summary>
    /// sd-webui-controlnet's units (<c>alwayson_scripts.controlnet.args</c>): each enabled unit with a model becomes a
    /// ControlNet of the request. Any other always-on script is refused as A1111 refuses one it does not have.
    /// </summary>
    private static (IReadOnlyList<A1111ControlNetUnit> Units, A1111ApiError? Error) ControlNets(JsonObject? scripts, GenerationLimits limits, bool hasInitImage, List<string> ignored)
    {
        var units = new List<A1111ControlNetUnit>();
        if (scripts is null)
        {
            return (units, null);
        }
        foreach (var (name, value) in scripts)
        {
            if (!name.Equals(ControlNetScript, StringComparison.OrdinalIgnoreCase))
            {
                return (units, A1111ApiError.Unprocessable($"always on script {name} not found"));
            }
            if (value?["args"] is not JsonArray args)
            {
                continue;
            }
            var number = 0;
            foreach (var arg in args)
            {
                number++;
                if (arg is not JsonObject unit)
                {
                    return (units, A1111ApiError.Unprocessable($"ControlNet unit {number}: expected an object with module, model, image and weight"));
                }
                if (unit["enabled"] is JsonValue enabled && enabled.GetValueKind() == JsonValueKind.False)
                {
                    continue;
                }
                var (mapped, error) = ControlNetUnit(unit, number, limits, hasInitImage, ignored);
                if (error is not null)
                {
                    return (units, error);
                }
                if (mapped is not null)
                {
                    units.Add(mapped);
                }
            }
        }
        return (units, null);
    }

    private static (A1111ControlNetUnit? Unit, A1111ApiError? Error) ControlNetUnit(JsonObject unit, int number, GenerationLimits limits, bool hasInitImage, List<string> ignored)
    {
        var modelName = Text(unit, "model");
        if (modelName is null or "" or "None")
        {
            ignored.Add($"ControlNet unit {number} (no model)");
            return (null, null);
        }
        if (Find(modelName, limits.Advanced.ControlNetModels) is not { } model)
        {
            return (null, A1111ApiError.NotFound($"ControlNet unit {number}: model '{modelName}' not found"));
        }
        var image = unit["image"] switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonObject o => Text(o, "image"),
            _ => Text(unit, "input_image"),
        };
        if (string.IsNullOrEmpty(image) && !hasInitImage)
        {
            return (null, A1111ApiError.Unprocessable($"ControlNet unit {number}: no image (text to image needs one for each unit)"));
        }
        var module = Text(unit, "module") ?? "none";
        string? preprocessor = null;
        var settings = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        if (RequestInfotext.PreprocessorsFor(module) is { Count: > 0 } candidates)
        {
            preprocessor = candidates.FirstOrDefault(c => limits.Advanced.FindPreprocessor(c) is not null);
            if (preprocessor is null)
            {
                return (null, A1111ApiError.Unprocessable($"ControlNet unit {number}: the module '{module}' is not available on this server"));
            }
            var inputs = limits.Advanced.FindPreprocessor(preprocessor)!.Settings.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
            if (preprocessor == AdvancedLimits.CannyClass)
            {
                // sd-webui-controlnet gives Canny's thresholds on 0–255, ComfyUI's Canny node on 0–1.
                settings["low_threshold"] = Math.Round((Double(unit["threshold_a"]) ?? 100) / 255, 4);
                settings["high_threshold"] = Math.Round((Double(unit["threshold_b"]) ?? 200) / 255, 4);
            }
            if (inputs.Contains("resolution") && Int(unit["processor_res"]) is > 0 and var resolution)
            {
                settings["resolution"] = resolution;
            }
        }
        if (unit["control_mode"] is { } mode && Int(mode) is not 0 && Text(unit, "control_mode") is not "Balanced")
        {
            ignored.Add($"ControlNet unit {number} control_mode");
        }
        if (unit["pixel_perfect"] is JsonValue pixel && pixel.GetValueKind() == JsonValueKind.True)
        {
            ignored.Add($"ControlNet unit {number} pixel_perfect");
        }
        var setting = new ControlNetSetting
        {
            Model = model,
            Preprocessor = preprocessor,
            PreprocessorSettings = settings,
            Strength = Double(unit["weight"]) ?? 1.0,
            StartPercent = Double(unit["guidance_start"]) ?? 0,
            EndPercent = Double(unit["guidance_end"]) ?? 1,
        };
        return (new A1111ControlNetUnit(setting, string.IsNullOrEmpty(image) ? null : image), null);
    }

    private static string? Text(JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static double? Double(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static int? Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i
        : Double(node) is { } d && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d
        : null;
}
