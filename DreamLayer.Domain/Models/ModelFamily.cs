namespace DreamLayer.Domain.Models;

/// <summary>The base model a file was made for; a LoRA works only with checkpoints of its own family.</summary>
public enum ModelFamily
{
    Unknown,
    Sd15,
    Sd2,
    Sdxl,
    Sd3,
    Flux,
    Other,
}

public static class ModelFamilies
{
    /// <summary>The families an admin can pick, in the order the page lists them.</summary>
    public static IReadOnlyList<ModelFamily> Known { get; } = [ModelFamily.Sd15, ModelFamily.Sd2, ModelFamily.Sdxl, ModelFamily.Sd3, ModelFamily.Flux, ModelFamily.Other];

    public static string Label(this ModelFamily family) => family switch
    {
        ModelFamily.Sd15 => "SD 1.5",
        ModelFamily.Sd2 => "SD 2.x",
        ModelFamily.Sdxl => "SDXL",
        ModelFamily.Sd3 => "SD 3.x",
        ModelFamily.Flux => "FLUX",
        ModelFamily.Other => "Other",
        _ => "Unknown",
    };

    /// <summary>The size the family was trained at (its images look right there), or null when not known.</summary>
    public static int? NativeSize(this ModelFamily family) => family switch
    {
        ModelFamily.Sd15 => 512,
        ModelFamily.Sd2 => 768,
        ModelFamily.Sdxl or ModelFamily.Sd3 or ModelFamily.Flux => 1024,
        _ => null,
    };

    /// <summary>Reads a stored family name (the enum's name); anything else is <see cref="ModelFamily.Unknown"/>.</summary>
    public static ModelFamily Parse(string? stored) =>
        Enum.TryParse<ModelFamily>(stored, ignoreCase: false, out var family) && Enum.IsDefined(family) ? family : ModelFamily.Unknown;

    /// <summary>
    /// The family a safetensors header says, from its <c>__metadata__</c> (kohya's <c>ss_base_model_version</c> and
    /// <c>ss_v2</c>, the model spec's <c>modelspec.architecture</c>) and else from its tensor names, the way the
    /// loaders of ComfyUI tell the architectures apart. Unknown when neither says.
    /// </summary>
    public static ModelFamily Infer(IReadOnlyDictionary<string, string>? metadata, IEnumerable<string> tensorNames)
    {
        var fromMetadata = FromMetadata(metadata);
        return fromMetadata != ModelFamily.Unknown ? fromMetadata : FromTensorNames(tensorNames);
    }

    public static ModelFamily FromMetadata(IReadOnlyDictionary<string, string>? metadata)
    {
        if (metadata is null)
        {
            return ModelFamily.Unknown;
        }
        if (metadata.TryGetValue("modelspec.architecture", out var architecture) && FromArchitecture(architecture) is var a && a != ModelFamily.Unknown)
        {
            return a;
        }
        if (metadata.TryGetValue("ss_base_model_version", out var version) && FromArchitecture(version) is var v && v != ModelFamily.Unknown)
        {
            return v;
        }
        return metadata.TryGetValue("ss_v2", out var v2) && string.Equals(v2, "True", StringComparison.OrdinalIgnoreCase) ? ModelFamily.Sd2 : ModelFamily.Unknown;
    }

    /// <summary>A model spec architecture (<c>stable-diffusion-xl-v1-base/lora</c>) or kohya base version (<c>sdxl_base_v1-0</c>).</summary>
    private static ModelFamily FromArchitecture(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t.StartsWith("flux", StringComparison.Ordinal))
        {
            return ModelFamily.Flux;
        }
        if (t.StartsWith("stable-diffusion-xl", StringComparison.Ordinal) || t.StartsWith("sdxl", StringComparison.Ordinal))
        {
            return ModelFamily.Sdxl;
        }
        if (t.StartsWith("stable-diffusion-v3", StringComparison.Ordinal) || t.StartsWith("stable-diffusion-3", StringComparison.Ordinal) || t.StartsWith("sd3", StringComparison.Ordinal))
        {
            return ModelFamily.Sd3;
        }
        if (t.StartsWith("stable-diffusion-v2", StringComparison.Ordinal) || t.StartsWith("sd_v2", StringComparison.Ordinal) || t.StartsWith("sd2", StringComparison.Ordinal))
        {
            return ModelFamily.Sd2;
        }
        if (t.StartsWith("stable-diffusion-v1", StringComparison.Ordinal) || t.StartsWith("sd_v1", StringComparison.Ordinal) || t.StartsWith("sd1", StringComparison.Ordinal))
        {
            return ModelFamily.Sd15;
        }
        return ModelFamily.Unknown;
    }

    /// <summary>
    /// The family from the tensor names alone: whole checkpoints (<c>model.diffusion_model.*</c> with their text
    /// encoders), bare diffusion models, and LoRAs in kohya (<c>lora_unet_*</c>, <c>lora_te*</c>) or diffusers naming.
    /// </summary>
    public static ModelFamily FromTensorNames(IEnumerable<string> tensorNames)
    {
        ArgumentNullException.ThrowIfNull(tensorNames);
        bool flux = false, sd3 = false, sdxl = false, sd2 = false, sd1 = false, singleTransformer = false, jointTransformer = false;
        foreach (var name in tensorNames)
        {
            if (name.Contains("double_blocks", StringComparison.Ordinal) || name.Contains("single_blocks", StringComparison.Ordinal))
            {
                flux = true;
            }
            else if (name.Contains("single_transformer_blocks", StringComparison.Ordinal))
            {
                singleTransformer = true;
            }
            else if (name.Contains("joint_blocks", StringComparison.Ordinal))
            {
                sd3 = true;
            }
            else if (name.StartsWith("transformer.transformer_blocks.", StringComparison.Ordinal) && name.Contains(".attn.add_", StringComparison.Ordinal))
            {
                jointTransformer = true; // diffusers MM-DiT: SD3, or FLUX when single blocks follow
            }
            else if (name.StartsWith("conditioner.embedders.1.", StringComparison.Ordinal) || name.StartsWith("lora_te2_", StringComparison.Ordinal)
                || name.Contains("label_emb.", StringComparison.Ordinal) || name.StartsWith("add_embedding.", StringComparison.Ordinal)
                || name.StartsWith("lora_unet_input_blocks_", StringComparison.Ordinal) || name.StartsWith("lora_unet_output_blocks_", StringComparison.Ordinal))
            {
                sdxl = true;
            }
            else if (name.StartsWith("cond_stage_model.model.", StringComparison.Ordinal))
            {
                sd2 = true; // OpenCLIP ViT-H text encoder
            }
            else if (name.StartsWith("cond_stage_model.transformer.", StringComparison.Ordinal) || name.StartsWith("lora_te_", StringComparison.Ordinal)
                || name.StartsWith("lora_unet_down_blocks_", StringComparison.Ordinal) || name.StartsWith("lora_unet_up_blocks_", StringComparison.Ordinal)
                || name.StartsWith("model.diffusion_model.input_blocks.", StringComparison.Ordinal))
            {
                sd1 = true;
            }
        }
        if (flux || singleTransformer)
        {
            return ModelFamily.Flux;
        }
        if (sd3 || jointTransformer)
        {
            return ModelFamily.Sd3;
        }
        if (sdxl)
        {
            return ModelFamily.Sdxl;
        }
        if (sd2)
        {
            return ModelFamily.Sd2;
        }
        return sd1 ? ModelFamily.Sd15 : ModelFamily.Unknown;
    }

    /// <summary>
    /// Trigger words a LoRA's header proposes: the model spec's <c>modelspec.trigger_phrase</c>, else the most frequent
    /// tags of kohya's <c>ss_tag_frequency</c> (at most <paramref name="max"/>). Empty when it says nothing.
    /// </summary>
    public static IReadOnlyList<string> ProposedTriggerWords(IReadOnlyDictionary<string, string>? metadata, int max = 5)
    {
        if (metadata is null)
        {
            return [];
        }
        if (metadata.TryGetValue("modelspec.trigger_phrase", out var phrase) && !string.IsNullOrWhiteSpace(phrase))
        {
            return [.. phrase.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(max)];
        }
        if (!metadata.TryGetValue("ss_tag_frequency", out var frequencies))
        {
            return [];
        }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(frequencies);
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var dataset in doc.RootElement.EnumerateObject().Where(d => d.Value.ValueKind == System.Text.Json.JsonValueKind.Object))
            {
                foreach (var tag in dataset.Value.EnumerateObject().Where(t => t.Value.TryGetInt64(out _)))
                {
                    var word = tag.Name.Trim();
                    if (word.Length > 0)
                    {
                        counts[word] = counts.GetValueOrDefault(word) + tag.Value.GetInt64();
                    }
                }
            }
            return [.. counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal).Take(max).Select(c => c.Key)];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>A1111's short hash of a model: the first 10 hex digits of its SHA-256.</summary>
    public static string ShortHash(string sha256)
    {
        ArgumentNullException.ThrowIfNull(sha256);
        return sha256.Length >= 10 ? sha256[..10] : sha256;
    }
}
