using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Fooocus (2.2 and later) writes its parameters to the <c>parameters</c> text (EXIF UserComment in JPEG and WebP) in
/// one of two schemes, named in <c>fooocus_scheme</c> (EXIF MakerNote): <c>fooocus</c>, a JSON object with its own
/// keys, and <c>a1111</c>, A1111-style text with Fooocus keys added (read by <see cref="ImageMetadataReader"/> as
/// infotext, told apart by its <c>Version: Fooocus …</c>).
/// </summary>
internal static partial class FooocusMetadata
{
    /// <summary>Whether a JSON <c>parameters</c> object is Fooocus's: the scheme says so, or it has Fooocus's own keys.</summary>
    public static bool IsFooocus(JsonObject json, string? scheme) =>
        string.Equals(scheme?.Trim(), "fooocus", StringComparison.Ordinal)
        || ImageMetadataReader.Scalar(json["metadata_scheme"]) == "fooocus"
        || (json.ContainsKey("base_model") && json.ContainsKey("full_prompt"));

    /// <summary>
    /// The <c>fooocus</c> scheme. The prompt is the one Fooocus encoded (<c>full_prompt</c>: styles and the Fooocus V2
    /// expansion applied, joined as its A1111 scheme joins them), so that it gives the same conditioning elsewhere;
    /// the prompt as typed and the styles are listed with the other parameters.
    /// </summary>
    public static GenerationMetadata FromJson(JsonObject m)
    {
        string? S(string key) => ImageMetadataReader.Scalar(m[key]) is { Length: > 0 } v && v != "None" ? v : null;
        var used = new HashSet<string>(StringComparer.Ordinal);
        var parameters = new List<KeyValuePair<string, string>>();
        void Add(string label, string key, string? value = null)
        {
            used.Add(key);
            if ((value ?? S(key)) is { Length: > 0 } v)
            {
                parameters.Add(new(label, v));
            }
        }

        var (width, height) = Resolution(S("resolution"));
        var loras = new List<LoraUse>();
        if (m["loras"] is JsonArray list)
        {
            foreach (var item in list.OfType<JsonArray>())
            {
                if (item.Count >= 2 && ImageMetadataReader.Scalar(item[0]) is { } name)
                {
                    loras.Add(new LoraUse(name, ImageMetadataReader.Double(ImageMetadataReader.Scalar(item[1])), Hash: item.Count > 2 ? ImageMetadataReader.Scalar(item[2]) : null));
                }
            }
        }
        foreach (var (key, value) in m)
        {
            // Older files list the LoRAs only as "lora_combined_1": "name : weight".
            if (key.StartsWith("lora_combined_", StringComparison.Ordinal) && ImageMetadataReader.Scalar(value)?.Split(" : ") is [.. var parts] && parts.Length >= 2)
            {
                var name = parts[^2].Trim();
                if (name != "None" && !loras.Any(l => l.Name == name))
                {
                    loras.Add(new LoraUse(name, ImageMetadataReader.Double(parts[^1].Trim())));
                }
            }
        }

        Add("Steps", "steps");
        Add("Sampler", "sampler");
        Add("Scheduler", "scheduler");
        Add("Guidance scale", "guidance_scale");
        Add("Seed", "seed");
        Add("Size", "resolution", width is null ? null : string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"));
        Add("Base model", "base_model");
        Add("Base model hash", "base_model_hash");
        Add(RequestInfotext.Refiner, "refiner_model");
        Add("Refiner hash", "refiner_model_hash");
        Add(RequestInfotext.RefinerSwitchAt, "refiner_switch", S("refiner_model") is null ? string.Empty : null);
        used.Add("loras");
        foreach (var lora in loras)
        {
            parameters.Add(new("LoRA", string.Create(CultureInfo.InvariantCulture, $"{lora.Name}: {lora.Weight}")));
        }
        Add("Performance", "performance");
        Add("Styles", "styles", S("styles") is { } styles ? string.Join(", ", StyleName().Matches(styles).Select(x => x.Groups[1].Value)) : null);
        Add("Sharpness", "sharpness");
        Add("ADM guidance", "adm_guidance");
        Add("VAE", "vae");
        Add(RequestInfotext.ClipSkip, "clip_skip");
        Add("Prompt as typed", "prompt");
        Add("Negative prompt as typed", "negative_prompt");
        Add("Fooocus V2 expansion", "prompt_expansion");
        Add("Version", "version");
        used.UnionWith(["full_prompt", "full_negative_prompt", "metadata_scheme"]);
        foreach (var (key, value) in m)
        {
            if (!used.Contains(key) && !key.StartsWith("lora_combined_", StringComparison.Ordinal))
            {
                ImageMetadataReader.Flatten(value, key, parameters);
            }
        }

        var version = S("version");
        return new GenerationMetadata
        {
            Tool = MetadataTool.Fooocus,
            ToolLabel = (version ?? "Fooocus") + " (fooocus scheme)",
            Prompt = Joined(m["full_prompt"]) ?? S("prompt"),
            NegativePrompt = Joined(m["full_negative_prompt"]) ?? S("negative_prompt"),
            Steps = ImageMetadataReader.Int(S("steps")),
            Sampler = S("sampler"),
            Scheduler = S("scheduler"),
            Cfg = ImageMetadataReader.Double(S("guidance_scale")),
            Seed = ImageMetadataReader.ULong(S("seed")),
            Width = width,
            Height = height,
            Model = S("base_model"),
            ModelHash = S("base_model_hash"),
            Loras = loras,
            Parameters = parameters,
        };
    }

    /// <summary>Fooocus writes the size as a Python tuple: <c>"(768, 1280)"</c>.</summary>
    public static (int? Width, int? Height) Resolution(string? text)
    {
        var match = text is null ? null : Tuple().Match(text);
        return match is { Success: true }
            ? (ImageMetadataReader.Int(match.Groups[1].Value), ImageMetadataReader.Int(match.Groups[2].Value))
            : (null, null);
    }

    private static string? Joined(JsonNode? node) => node switch
    {
        JsonArray parts => string.Join(", ", parts.Select(ImageMetadataReader.Scalar).Where(p => !string.IsNullOrEmpty(p))),
        _ => ImageMetadataReader.Scalar(node),
    } is { Length: > 0 } text ? text : null;

    [GeneratedRegex(@"^\s*\(\s*'?(\d+)'?\s*,\s*'?(\d+)'?\s*\)\s*$")]
    private static partial Regex Tuple();

    [GeneratedRegex(@"'((?:[^'\\]|\\.)*)'")]
    private static partial Regex StyleName();
}

/// <summary>
/// NovelAI: <c>Software: NovelAI</c>, the prompt in <c>Description</c>, the model in <c>Source</c> ("Stable Diffusion
/// 1D44365E": name and hash) and the parameters as JSON in <c>Comment</c>: steps, sampler, seed, scale (CFG), uc
/// (negative prompt), strength and noise, and in later versions width, height, noise_schedule, request_type, ….
/// </summary>
internal static partial class NovelAiMetadata
{
    public static bool IsNovelAi(string? software) => string.Equals(software?.Trim(), "NovelAI", StringComparison.Ordinal);

    public static GenerationMetadata From(string? description, string? comment, string? source, List<string> problems)
    {
        var c = comment is null ? [] : ImageMetadataReader.ParseObject(comment, "Comment", problems) ?? [];
        string? S(string key) => ImageMetadataReader.Scalar(c[key]);
        var parameters = new List<KeyValuePair<string, string>>();
        if (source is { Length: > 0 })
        {
            parameters.Add(new("Source", source));
        }
        ImageMetadataReader.Flatten(c, string.Empty, parameters);

        var (model, hash) = source is not null && ModelAndHash().Match(source.Trim()) is { Success: true } m
            ? (m.Groups[1].Value, m.Groups[2].Value)
            : (source?.Trim(), null);
        var img2img = S("request_type") is { } request && request.StartsWith("Img2Img", StringComparison.Ordinal);
        return new GenerationMetadata
        {
            Tool = MetadataTool.NovelAI,
            ToolLabel = source is { Length: > 0 } ? $"NovelAI ({source.Trim()})" : "NovelAI",
            Prompt = S("prompt") ?? description?.Trim(),
            NegativePrompt = S("uc"),
            Steps = ImageMetadataReader.Int(S("steps")),
            Sampler = S("sampler") is { } sampler ? ToComfySampler(sampler) : null,
            Scheduler = S("noise_schedule") switch
            {
                "karras" => "karras",
                "exponential" => "exponential",
                "polyexponential" => "exponential",
                _ => "normal",
            },
            Cfg = ImageMetadataReader.Double(S("scale")),
            Seed = ImageMetadataReader.ULong(S("seed")),
            Width = ImageMetadataReader.Int(S("width")),
            Height = ImageMetadataReader.Int(S("height")),
            Model = model,
            ModelHash = hash,
            // "strength" is written for every image; it applies only when NovelAI says the request was img2img.
            Denoise = img2img ? ImageMetadataReader.Double(S("strength")) : null,
            Parameters = parameters,
        };
    }

    /// <summary>NovelAI's k-diffusion names are ComfyUI's with a <c>k_</c> prefix; <c>ddim_v3</c> is DDIM.</summary>
    private static string ToComfySampler(string sampler) => sampler switch
    {
        "ddim_v3" or "ddim" => "ddim",
        "k_dpmpp_2s_ancestral" => "dpmpp_2s_ancestral",
        _ when sampler.StartsWith("k_", StringComparison.Ordinal) => sampler[2..],
        _ => sampler,
    };

    [GeneratedRegex(@"^(.*?)\s+([A-Fa-f0-9]{8})$")]
    private static partial Regex ModelAndHash();
}
