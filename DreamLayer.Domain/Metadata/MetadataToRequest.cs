using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Turns parameters read from an image into a txt2img request for a given server: what maps is copied (prompt with its
/// LoRA tags, negative, steps, sampler, scheduler, CFG, the seed as a fixed seed, size, checkpoint, LoRAs of a graph,
/// clip skip, VAE, hires fix, refiner), and each thing the server cannot take is said in a note instead of being
/// silently dropped.
/// </summary>
public static class MetadataToRequest
{
    /// <summary>A ComfyUI graph's pass on another checkpoint, named by <see cref="ComfyPromptReader"/>.</summary>
    private const string SecondPass = "Second pass";

    public static (GenerationRequest Request, IReadOnlyList<string> Notes) ToTxt2Img(GenerationMetadata metadata, GenerationLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var notes = new List<string>();
        var defaults = new GenerationRequest();
        var request = defaults with
        {
            Prompt = metadata.Prompt?.Trim() ?? string.Empty,
            NegativePrompt = metadata.NegativePrompt?.Trim() ?? string.Empty,
            Steps = metadata.Steps ?? defaults.Steps,
            Cfg = metadata.Cfg ?? defaults.Cfg,
            Width = metadata.Width ?? defaults.Width,
            Height = metadata.Height ?? defaults.Height,
            SeedMode = metadata.Seed is null ? SeedMode.Random : SeedMode.Fixed,
            Seed = metadata.Seed,
        };

        if (metadata.Sampler is { } sampler)
        {
            if (limits is null || limits.Samplers.Contains(sampler, StringComparer.Ordinal))
            {
                request = request with { Sampler = sampler };
            }
            else
            {
                notes.Add($"The sampler '{metadata["Sampler"] ?? sampler}' is not on this server; pick one in the form.");
            }
        }
        if (metadata.Scheduler is { } scheduler)
        {
            if (limits is null || limits.Schedulers.Contains(scheduler, StringComparer.Ordinal))
            {
                request = request with { Scheduler = scheduler };
            }
            else
            {
                notes.Add($"The scheduler '{scheduler}' is not on this server; pick one in the form.");
            }
        }

        if (limits is null)
        {
            notes.Add("No server is connected, so the checkpoint, sampler and scheduler could not be checked.");
        }
        else if (metadata.Model is { Length: > 0 } model)
        {
            if (FindCheckpoint(model, limits.Checkpoints) is { } checkpoint)
            {
                request = request with { Checkpoint = checkpoint };
            }
            else
            {
                // Kept as the image names it: the form says no server has it and offers a replacement of its family.
                request = request with { Checkpoint = model };
                notes.Add($"The server has no checkpoint '{model}'; the form offers a replacement.");
            }
        }
        if (metadata.Width is null || metadata.Height is null)
        {
            notes.Add("The image does not say its generation size; the form keeps 512×512.");
        }
        var hires = metadata[RequestInfotext.HiresUpscale] is not null;
        if (metadata.Denoise is { } denoise && metadata.Denoise < 1 && !hires)
        {
            notes.Add(FormattableString.Invariant($"It was made from another image (denoising strength {denoise}); text to image starts from noise instead."));
        }
        request = Loras(metadata, request, limits, notes);
        request = Advanced(metadata, request, limits, notes);
        return (request, notes);
    }

    /// <summary>
    /// LoRA tags in the prompt stay there (they apply as typed); LoRAs the file names elsewhere (a ComfyUI graph) go to
    /// the picker when the server has them. Each one the server lacks is noted.
    /// </summary>
    private static GenerationRequest Loras(GenerationMetadata metadata, GenerationRequest request, GenerationLimits? limits, List<string> notes)
    {
        if (metadata.Loras.Count == 0)
        {
            return request;
        }
        var typed = PromptLoras.Parse(request.Prompt).Loras;
        var available = limits?.Advanced.Loras ?? [];
        var picked = new List<LoraSetting>();
        foreach (var lora in metadata.Loras)
        {
            var inPrompt = typed.Any(t => string.Equals(t.Name, lora.Name, StringComparison.OrdinalIgnoreCase));
            var (file, _) = PromptLoras.Resolve(lora.Name, available);
            if (limits is null)
            {
                notes.Add($"The LoRA '{lora.Name}' could not be checked.");
            }
            else if (file is null && inPrompt)
            {
                notes.Add($"The prompt names the LoRA '{lora.Name}', which the server does not have: take the tag out or add the file to the server.");
            }
            else if (file is null)
            {
                notes.Add($"The server has no LoRA '{lora.Name}'; it is left out.");
            }
            else if (!inPrompt)
            {
                picked.Add(new LoraSetting(file, lora.Weight ?? 1.0, lora.ClipWeight ?? lora.Weight ?? 1.0));
            }
        }
        return picked.Count == 0 ? request : request with { Loras = [.. request.Loras, .. picked] };
    }

    /// <summary>Clip skip, VAE, hires fix and the refiner as A1111 writes them; ControlNet units are noted (their pictures are not in the file).</summary>
    private static GenerationRequest Advanced(GenerationMetadata metadata, GenerationRequest request, GenerationLimits? limits, List<string> notes)
    {
        var advanced = limits?.Advanced;
        if (ImageMetadataReader.Int(metadata[RequestInfotext.ClipSkip]) is > 1 and var clipSkip)
        {
            request = request with { ClipSkip = Math.Min(clipSkip, advanced?.MaxClipSkip ?? clipSkip) };
        }
        if (metadata[RequestInfotext.Vae] is { Length: > 0 } vae)
        {
            if (advanced is not null && FindCheckpoint(vae, advanced.Vaes) is { } file)
            {
                request = request with { Vae = file };
            }
            else
            {
                notes.Add($"The server has no VAE '{vae}'; the checkpoint's own is used.");
            }
        }
        if (ImageMetadataReader.Double(metadata[RequestInfotext.HiresUpscale]) is { } scale)
        {
            var label = metadata[RequestInfotext.HiresUpscaler] ?? "Latent";
            var hires = new HiresFixSetting
            {
                Scale = scale,
                Steps = ImageMetadataReader.Int(metadata[RequestInfotext.HiresSteps]) ?? 0,
                // A1111 writes the hires pass's denoise as "Denoising strength"; a ComfyUI graph's first pass has its own.
                Denoise = ImageMetadataReader.Double(metadata[ComfyPromptReader.HiresDenoise]) ?? metadata.Denoise ?? new HiresFixSetting().Denoise,
                Sampler = metadata[RequestInfotext.HiresSampler] is { } hiresSampler ? SamplerNames.FromA1111(hiresSampler).Sampler : null,
            };
            if (RequestInfotext.LatentMethod(label) is { } method)
            {
                if (advanced is null || advanced.LatentUpscaleMethods.Contains(method, StringComparer.Ordinal))
                {
                    request = request with { HiresFix = hires with { LatentMethod = method } };
                }
                else
                {
                    notes.Add($"Hires fix is not copied: the server has no latent upscale method '{method}'.");
                }
            }
            else if (advanced is not null && FindCheckpoint(label, advanced.UpscaleModels) is { } model)
            {
                request = request with { HiresFix = hires with { Upscaler = HiresUpscaler.Model, UpscaleModel = model } };
            }
            else
            {
                notes.Add($"Hires fix is not copied: the server has no upscaler '{label}'.");
            }
        }
        else if (metadata[RequestInfotext.HiresUpscaler] is { } upscaler)
        {
            notes.Add($"Hires fix is not copied: the graph does not say the size after its upscaler '{upscaler}'.");
        }
        if (metadata[SecondPass] is { Length: > 0 } secondPass)
        {
            notes.Add($"The graph's second pass (on {secondPass}) is not copied: Txt2Img has no second pass on another checkpoint.");
        }
        if (metadata[RequestInfotext.Refiner] is { Length: > 0 } refiner)
        {
            if (limits is not null && FindCheckpoint(refiner, limits.Checkpoints) is { } checkpoint)
            {
                request = request with { Refiner = new RefinerSetting(checkpoint, ImageMetadataReader.Double(metadata[RequestInfotext.RefinerSwitchAt]) ?? 0.8) };
            }
            else
            {
                notes.Add($"The refiner is not copied: the server has no checkpoint '{refiner}'.");
            }
        }
        var units = metadata.Parameters.Count(p => p.Key.StartsWith(RequestInfotext.ControlNetPrefix, StringComparison.Ordinal));
        if (units > 0)
        {
            notes.Add($"ControlNet is not copied ({units} unit(s)): the image does not carry their control pictures; add them in the form.");
        }
        return request;
    }

    /// <summary>
    /// The server's checkpoint for a name from an image: the exact file, else the one whose file name without folder
    /// and extension is the same (how A1111 and InvokeAI name models), ignoring case.
    /// </summary>
    public static string? FindCheckpoint(string name, IReadOnlyList<string> checkpoints)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(checkpoints);
        if (checkpoints.Contains(name, StringComparer.Ordinal))
        {
            return name;
        }
        var wanted = A1111Infotext.ModelName(name);
        return checkpoints.FirstOrDefault(c => string.Equals(A1111Infotext.ModelName(c), wanted, StringComparison.OrdinalIgnoreCase));
    }
}
