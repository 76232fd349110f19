using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Turns parameters read from an image into a txt2img request for a given server: what maps is copied (prompt,
/// negative, steps, sampler, scheduler, CFG, the seed as a fixed seed, size, checkpoint), and each thing the server
/// cannot take is said in a note instead of being silently dropped.
/// </summary>
public static class MetadataToRequest
{
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
                notes.Add($"The server has no checkpoint '{model}'; pick one in the form.");
            }
        }
        if (metadata.Width is null || metadata.Height is null)
        {
            notes.Add("The image does not say its generation size; the form keeps 512×512.");
        }
        if (metadata.Denoise is { } denoise && metadata.Denoise < 1)
        {
            notes.Add(FormattableString.Invariant($"It was made from another image (denoising strength {denoise}); text to image starts from noise instead."));
        }
        if (metadata.Loras.Count > 0)
        {
            notes.Add("LoRAs are not copied: " + string.Join(", ", metadata.Loras.Select(l => l.Name)) + ".");
        }
        return (request, notes);
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
