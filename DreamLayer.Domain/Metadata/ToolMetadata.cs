using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Metadata;

/// <summary>SwarmUI's <c>parameters</c> JSON: <c>{"sui_image_params": {...}, "sui_extra_data": {...}, "sui_models": [...]}</c>.</summary>
internal static class SwarmUiMetadata
{
    public static GenerationMetadata From(JsonObject root)
    {
        var p = (JsonObject)root["sui_image_params"]!;
        string? S(string key) => ImageMetadataReader.Scalar(p[key]);
        var parameters = new List<KeyValuePair<string, string>>();
        ImageMetadataReader.Flatten(p, string.Empty, parameters);
        ImageMetadataReader.Flatten(root["sui_extra_data"], "sui_extra_data", parameters);
        ImageMetadataReader.Flatten(root["sui_models"], "sui_models", parameters);

        var loras = new List<LoraUse>();
        if (p["loras"] is JsonArray names)
        {
            var weights = p["loraweights"] as JsonArray;
            for (var i = 0; i < names.Count; i++)
            {
                if (ImageMetadataReader.Scalar(names[i]) is { } name)
                {
                    loras.Add(new LoraUse(name, weights is not null && i < weights.Count ? ImageMetadataReader.Double(ImageMetadataReader.Scalar(weights[i])) : null));
                }
            }
        }
        var version = S("swarm_version");
        return new GenerationMetadata
        {
            Tool = MetadataTool.SwarmUI,
            ToolLabel = version is null ? "SwarmUI" : "SwarmUI " + version,
            Prompt = S("prompt"),
            NegativePrompt = S("negativeprompt"),
            Steps = ImageMetadataReader.Int(S("steps")),
            Sampler = S("sampler"),
            Scheduler = S("scheduler"),
            Cfg = ImageMetadataReader.Double(S("cfgscale")),
            Seed = ImageMetadataReader.ULong(S("seed")),
            Width = ImageMetadataReader.Int(S("width")),
            Height = ImageMetadataReader.Int(S("height")),
            Model = S("model"),
            Denoise = S("initimage") is null ? null : ImageMetadataReader.Double(S("initimagecreativity")),
            Loras = loras,
            Parameters = parameters,
        };
    }
}

/// <summary>
/// InvokeAI's metadata in its three generations: <c>invokeai_metadata</c> (3.0 and later, also found as the
/// metadata node of <c>invokeai_graph</c>), <c>sd-metadata</c> (2.x) and <c>Dream</c> (1.x command line).
/// </summary>
internal static partial class InvokeAiMetadata
{
    /// <summary>InvokeAI scheduler names → ComfyUI sampler and scheduler; "_k" means Karras sigmas.</summary>
    private static readonly Dictionary<string, string> Samplers = new(StringComparer.Ordinal)
    {
        ["euler"] = "euler",
        ["euler_a"] = "euler_ancestral",
        ["heun"] = "heun",
        ["lms"] = "lms",
        ["kdpm_2"] = "dpm_2",
        ["kdpm_2_a"] = "dpm_2_ancestral",
        ["dpmpp_2s"] = "dpmpp_2s_ancestral",
        ["dpmpp_2m"] = "dpmpp_2m",
        ["dpmpp_2m_sde"] = "dpmpp_2m_sde",
        ["dpmpp_sde"] = "dpmpp_sde",
        ["dpmpp_3m"] = "dpmpp_3m_sde",
        ["unipc"] = "uni_pc",
        ["ddim"] = "ddim",
        ["ddpm"] = "ddpm",
        ["deis"] = "deis",
        ["lcm"] = "lcm",
        // InvokeAI 1.x/2.x k-diffusion names.
        ["k_lms"] = "lms",
        ["k_euler"] = "euler",
        ["k_euler_a"] = "euler_ancestral",
        ["k_heun"] = "heun",
        ["k_dpm_2"] = "dpm_2",
        ["k_dpm_2_a"] = "dpm_2_ancestral",
        ["k_dpmpp_2"] = "dpmpp_2m",
        ["k_dpmpp_2_a"] = "dpmpp_2s_ancestral",
    };

    public static (string Sampler, string Scheduler) ToComfy(string invokeName)
    {
        var karras = invokeName.EndsWith("_k", StringComparison.Ordinal) && !invokeName.StartsWith("k_", StringComparison.Ordinal);
        var baseName = karras ? invokeName[..^2] : invokeName;
        return (Samplers.GetValueOrDefault(baseName, invokeName), karras ? "karras" : "normal");
    }

    public static GenerationMetadata FromMetadata(JsonObject m, string label)
    {
        string? S(string key) => ImageMetadataReader.Scalar(m[key]);
        var parameters = new List<KeyValuePair<string, string>>();
        ImageMetadataReader.Flatten(m, string.Empty, parameters);
        var loras = new List<LoraUse>();
        if (m["loras"] is JsonArray list)
        {
            foreach (var item in list.OfType<JsonObject>())
            {
                if (ModelName(item["lora"] ?? item["model"]) is { } name)
                {
                    loras.Add(new LoraUse(name, ImageMetadataReader.Double(ImageMetadataReader.Scalar(item["weight"]))));
                }
            }
        }
        var version = S("app_version");
        return Common(m, "scheduler", version is null ? label : $"{label}, version {version}", parameters) with
        {
            Prompt = S("positive_prompt"),
            NegativePrompt = S("negative_prompt"),
            Model = ModelName(m["model"]),
            ModelHash = m["model"] is JsonObject model ? ImageMetadataReader.Scalar(model["hash"]) : null,
            Loras = loras,
        };
    }

    /// <summary>The fields InvokeAI 2.x (<c>image</c>) and 3+ (<c>invokeai_metadata</c>) name alike.</summary>
    private static GenerationMetadata Common(JsonObject fields, string samplerKey, string label, List<KeyValuePair<string, string>> parameters)
    {
        string? S(string key) => ImageMetadataReader.Scalar(fields[key]);
        (string Sampler, string Scheduler)? sampling = S(samplerKey) is { } sampler ? ToComfy(sampler) : null;
        return new GenerationMetadata
        {
            Tool = MetadataTool.InvokeAI,
            ToolLabel = label,
            Steps = ImageMetadataReader.Int(S("steps")),
            Sampler = sampling?.Sampler,
            Scheduler = sampling?.Scheduler,
            Cfg = ImageMetadataReader.Double(S("cfg_scale")),
            Seed = ImageMetadataReader.ULong(S("seed")),
            Width = ImageMetadataReader.Int(S("width")),
            Height = ImageMetadataReader.Int(S("height")),
            Denoise = ImageMetadataReader.Double(S("strength")),
            Parameters = parameters,
        };
    }

    /// <summary>The metadata node (<c>core_metadata</c>, or 3.0's <c>metadata_accumulator</c>) of an InvokeAI graph.</summary>
    public static GenerationMetadata? FromGraph(JsonObject graph)
    {
        var nodes = graph["nodes"] switch
        {
            JsonObject byId => byId.Select(n => n.Value),
            JsonArray array => array,
            _ => [],
        };
        var metadata = nodes.OfType<JsonObject>().FirstOrDefault(n => ImageMetadataReader.Scalar(n["type"]) is "core_metadata" or "metadata_accumulator");
        return metadata is null ? null : FromMetadata(metadata, "InvokeAI 3+ (invokeai_graph)");
    }

    /// <summary>InvokeAI 2.x: <c>{"app_version", "model_weights", "image": {"prompt", "steps", "sampler", ...}}</c>.</summary>
    public static GenerationMetadata FromSdMetadata(JsonObject root)
    {
        var image = root["image"] as JsonObject ?? [];
        var parameters = new List<KeyValuePair<string, string>>();
        ImageMetadataReader.Flatten(root, string.Empty, parameters);
        var promptText = image["prompt"] switch
        {
            JsonArray parts => string.Join(" ", parts.OfType<JsonObject>().Select(p => ImageMetadataReader.Scalar(p["prompt"])).Where(p => p is not null)),
            var single => ImageMetadataReader.Scalar(single),
        };
        var (positive, negative) = SplitBrackets(promptText ?? string.Empty);
        var version = ImageMetadataReader.Scalar(root["app_version"]);
        return Common(image, "sampler", version is null ? "InvokeAI 2.x (sd-metadata)" : $"InvokeAI {version} (sd-metadata)", parameters) with
        {
            Prompt = positive,
            NegativePrompt = negative,
            Model = ImageMetadataReader.Scalar(root["model_weights"]),
            ModelHash = ImageMetadataReader.Scalar(root["model_hash"]),
        };
    }

    /// <summary>
    /// The switches InvokeAI 1.x/2.x write into <c>Dream</c> (its <c>dream_prompt_str</c>), by their command-line
    /// names: what each means and how many values it takes (-1: all values up to the next switch, 0: a flag).
    /// </summary>
    private static readonly Dictionary<string, (string Name, int Values)> DreamSwitches = new(StringComparer.Ordinal)
    {
        ["s"] = ("Steps", 1),
        ["S"] = ("Seed", 1),
        ["W"] = ("Width", 1),
        ["H"] = ("Height", 1),
        ["C"] = ("CFG scale", 1),
        ["A"] = ("Sampler", 1),
        ["m"] = ("Sampler", 1),
        ["n"] = ("Iterations", 1),
        ["I"] = ("Init image", 1),
        ["M"] = ("Init mask", 1),
        ["init_color"] = ("Colour correction image", 1),
        ["f"] = ("Img2img strength", 1),
        ["G"] = ("Face restoration strength", 1),
        ["ft"] = ("Face restoration", 1),
        ["cf"] = ("CodeFormer fidelity", 1),
        ["U"] = ("Upscale", -1),
        ["c"] = ("Outcrop", -1),
        ["D"] = ("Outpaint direction", -1),
        ["tm"] = ("Text mask", -1),
        ["embiggen"] = ("Embiggen", -1),
        ["embiggen_tiles"] = ("Embiggen tiles", -1),
        ["embiggen_strength"] = ("Embiggen strength", 1),
        ["v"] = ("Variation amount", 1),
        ["V"] = ("With variations", 1),
        ["karras_max"] = ("Karras max", 1),
        ["perlin"] = ("Perlin noise", 1),
        ["threshold"] = ("Threshold", 1),
        ["grid"] = ("Grid", 0),
        ["g"] = ("Grid", 0),
        ["seamless"] = ("Seamless", 0),
        ["hires_fix"] = ("Hires fix", 0),
        ["fit"] = ("Fit to size", 0),
        ["T"] = ("Fit to size", 0),
        ["inpaint_replace"] = ("Inpaint replace", 0),
        ["x"] = ("Skip normalize", 0),
    };

    /// <summary>
    /// InvokeAI 1.x/2.x <c>Dream</c>: <c>"a prompt [negative]" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms -U 4 0.95</c> (2.x
    /// writes the prompt without quotes). Each switch is listed by its meaning with all its values.
    /// </summary>
    public static GenerationMetadata? FromDream(string dream)
    {
        var line = dream.Trim();
        string prompt, rest;
        if (DreamQuoted().Match(line) is { Success: true } quoted)
        {
            (prompt, rest) = (quoted.Groups[1].Value.Replace("\\\"", "\"", StringComparison.Ordinal), quoted.Groups[2].Value);
        }
        else if (DreamUnquoted().Match(line) is { Success: true } unquoted)
        {
            (prompt, rest) = (unquoted.Groups[1].Value, unquoted.Groups[2].Value);
        }
        else
        {
            return null;
        }
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var parameters = new List<KeyValuePair<string, string>>();
        var tokens = DreamToken().Matches(rest).Select(t => t.Value).ToList();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (!DreamSwitch().IsMatch(tokens[i]))
            {
                parameters.Add(new("Unrecognised", tokens[i].Trim('"')));
                continue;
            }
            var flag = tokens[i].TrimStart('-');
            var (name, count) = DreamSwitches.GetValueOrDefault(flag, (tokens[i], -1));
            var values = new List<string>();
            while (i + 1 < tokens.Count && !DreamSwitch().IsMatch(tokens[i + 1]) && (count < 0 || values.Count < count))
            {
                values.Add(tokens[++i].Trim('"'));
            }
            options[flag] = values.FirstOrDefault() ?? string.Empty;
            parameters.Add(new(name, flag switch
            {
                "U" => UpscaleText(values),
                _ when count == 0 => "yes",
                _ => string.Join(' ', values),
            }));
        }
        var (positive, negative) = SplitBrackets(prompt);
        (string Sampler, string Scheduler)? sampling = (options.GetValueOrDefault("A") ?? options.GetValueOrDefault("m")) is { Length: > 0 } sampler ? ToComfy(sampler) : null;
        return new GenerationMetadata
        {
            Tool = MetadataTool.InvokeAI,
            ToolLabel = "InvokeAI 1.x (Dream)",
            Prompt = positive,
            NegativePrompt = negative,
            Steps = ImageMetadataReader.Int(options.GetValueOrDefault("s")),
            Sampler = sampling?.Sampler,
            Scheduler = sampling?.Scheduler,
            Cfg = ImageMetadataReader.Double(options.GetValueOrDefault("C")),
            Seed = ImageMetadataReader.ULong(options.GetValueOrDefault("S")),
            Width = ImageMetadataReader.Int(options.GetValueOrDefault("W")),
            Height = ImageMetadataReader.Int(options.GetValueOrDefault("H")),
            // -f is written only for img2img (with -I).
            Denoise = options.ContainsKey("I") ? ImageMetadataReader.Double(options.GetValueOrDefault("f")) : null,
            Parameters = parameters,
        };
    }

    /// <summary><c>-U 4 0.95</c>: the ESRGAN scale, then its strength (0.75 when not given).</summary>
    private static string UpscaleText(List<string> values) => values.Count switch
    {
        0 => string.Empty,
        1 => $"{values[0]}× (strength 0.75, the default)",
        _ => $"{values[0]}× (strength {values[1]})",
    };

    private static string? ModelName(JsonNode? model) => model switch
    {
        JsonObject o => ImageMetadataReader.Scalar(o["model_name"]) ?? ImageMetadataReader.Scalar(o["name"]) ?? ImageMetadataReader.Scalar(o["key"]),
        _ => ImageMetadataReader.Scalar(model),
    };

    /// <summary>InvokeAI 1.x/2.x keep the negative prompt in square brackets inside the prompt.</summary>
    private static (string Positive, string Negative) SplitBrackets(string prompt)
    {
        var negatives = Brackets().Matches(prompt).Select(b => b.Groups[1].Value.Trim()).ToList();
        var positive = MultipleSpaces().Replace(Brackets().Replace(prompt, " "), " ").Trim();
        return (positive, string.Join(", ", negatives));
    }

    [GeneratedRegex(@"^""((?:\\.|[^""\\])*)""\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex DreamQuoted();

    [GeneratedRegex(@"^(.*?)\s+(-s\s+\d.*)$", RegexOptions.Singleline)]
    private static partial Regex DreamUnquoted();

    [GeneratedRegex(@"""[^""]*""|\S+")]
    private static partial Regex DreamToken();

    [GeneratedRegex(@"^--?[A-Za-z][\w]*$")]
    private static partial Regex DreamSwitch();

    [GeneratedRegex(@"\[([^\[\]]*)\]")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex MultipleSpaces();
}
