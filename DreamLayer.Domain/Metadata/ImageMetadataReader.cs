using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Reads the generation parameters from a PNG, JPEG or WebP file and says which tool wrote them: A1111 and Forge
/// (<c>parameters</c> text, EXIF UserComment, or "stealth" PNG info hidden in the pixels' low bits), ComfyUI (<c>prompt</c>/<c>workflow</c>), SwarmUI
/// (<c>sui_image_params</c>), InvokeAI (<c>invokeai_metadata</c>, <c>invokeai_graph</c>, <c>sd-metadata</c>,
/// <c>Dream</c>), Fooocus (both schemes), NovelAI and DreamLayer itself. Never throws on file content: a file without generation data, a damaged or
/// truncated file, text over <c>maxTextBytes</c>, a decompression bomb or malformed JSON all give a result whose
/// <see cref="ImageMetadata.Problems"/> say what happened.
/// </summary>
public static partial class ImageMetadataReader
{
    /// <summary>The most text read from one chunk or tag (stored or decompressed); big ComfyUI workflows are a few MB.</summary>
    public const int DefaultMaxTextBytes = 8 * 1024 * 1024;

    private static readonly JsonDocumentOptions JsonLimits = new() { MaxDepth = 64 };
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    public static ImageMetadata Read(ReadOnlySpan<byte> file, int maxTextBytes = DefaultMaxTextBytes)
    {
        var texts = new List<MetadataText>();
        var problems = new List<string>();
        var format = Detect(file);
        switch (format)
        {
            case ImageFileFormat.Png:
                var scan = PngTextChunks.Scan(file, maxTextBytes);
                texts.AddRange(scan.Chunks.Select(c => new MetadataText(c.Keyword, c.Text, c.Kind switch
                {
                    PngTextChunkKind.Text => "PNG tEXt",
                    PngTextChunkKind.CompressedText => "PNG zTXt",
                    _ => "PNG iTXt",
                })));
                problems.AddRange(scan.Problems);
                break;
            case ImageFileFormat.Jpeg:
                ExifText.ReadJpeg(file, maxTextBytes, texts, problems);
                break;
            case ImageFileFormat.WebP:
                ExifText.ReadWebP(file, maxTextBytes, texts, problems);
                break;
            default:
                problems.Add(file.IsEmpty ? "The file is empty." : "The file is not a PNG, JPEG or WebP image.");
                break;
        }
        var generation = Interpret(texts, problems);
        // A1111's stealth PNG info is read, as A1111 and Forge read it, only when the text chunks give no parameters.
        if (generation is null && format == ImageFileFormat.Png && StealthPngInfo.Read(file, maxTextBytes, problems) is { } hidden)
        {
            texts.Add(new MetadataText("parameters", hidden.Text, hidden.Where));
            if (ReadParametersText(hidden.Text, strict: false, scheme: null, problems) is { } found)
            {
                generation = found with { ToolLabel = found.ToolLabel + ", stealth PNG info" };
            }
        }
        return new ImageMetadata(format, generation, texts, problems);
    }

    public static ImageFileFormat Detect(ReadOnlySpan<byte> file) =>
        file.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) ? ImageFileFormat.Png
        : file.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? ImageFileFormat.Jpeg
        : file.Length >= 12 && file.StartsWith("RIFF"u8) && file[8..12].SequenceEqual("WEBP"u8) ? ImageFileFormat.WebP
        : ImageFileFormat.Unknown;

    /// <summary>Decides which tool wrote the texts and reads its parameters; the first recognisable source wins.</summary>
    internal static GenerationMetadata? Interpret(IReadOnlyList<MetadataText> texts, List<string> problems)
    {
        string? Text(string key) => texts.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.Ordinal))?.Text;

        if (NovelAiMetadata.IsNovelAi(Text("Software")) && (Text("Comment") is not null || Text("Description") is not null))
        {
            return NovelAiMetadata.From(Text("Description"), Text("Comment"), Text("Source"), problems);
        }
        // PNG "parameters" is read whatever it holds; EXIF and JPEG comments only when they look like parameters.
        // Fooocus names its scheme in "fooocus_scheme" (PNG) or the EXIF MakerNote.
        var scheme = Text("fooocus_scheme") ?? Text("MakerNote");
        foreach (var (text, strict) in new[] { (Text("parameters"), false), (Text("UserComment"), true), (Text("Comment"), true) })
        {
            if (text is not null && ReadParametersText(text, strict, scheme, problems) is { } found)
            {
                return found;
            }
        }
        if (Text("invokeai_metadata") is { } invoke && ParseObject(invoke, "invokeai_metadata", problems) is { } invokeObject)
        {
            return InvokeAiMetadata.FromMetadata(invokeObject, "InvokeAI 3+ (invokeai_metadata)");
        }
        if (Text("invokeai_graph") is { } graph && ParseObject(graph, "invokeai_graph", problems) is { } graphObject
            && InvokeAiMetadata.FromGraph(graphObject) is { } fromGraph)
        {
            return fromGraph;
        }
        if (Text("sd-metadata") is { } legacy && ParseObject(legacy, "sd-metadata", problems) is { } legacyObject)
        {
            return InvokeAiMetadata.FromSdMetadata(legacyObject);
        }
        if (Text("Dream") is { } dream && InvokeAiMetadata.FromDream(dream) is { } fromDream)
        {
            return fromDream;
        }
        // ComfyUI: PNG chunks, or "prompt:"/"workflow:" strings in the EXIF of its WebP files.
        var prompt = Text("prompt") ?? Prefixed(texts, "prompt:");
        var workflow = Text("workflow") ?? Prefixed(texts, "workflow:");
        if (prompt is not null)
        {
            return ComfyPromptReader.Read(prompt, workflow is not null, problems);
        }
        if (workflow is not null)
        {
            return new GenerationMetadata
            {
                Tool = MetadataTool.ComfyUI,
                ToolLabel = "ComfyUI (UI workflow only, no API prompt)",
                Parameters = [new("Workflow", "a ComfyUI UI workflow; open the image in ComfyUI to see it")],
            };
        }
        return null;
    }

    private static string? Prefixed(IReadOnlyList<MetadataText> texts, string prefix) =>
        texts.FirstOrDefault(t => t.Where.StartsWith("EXIF", StringComparison.Ordinal) && t.Text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) is { } t
            ? t.Text[prefix.Length..]
            : null;

    private static GenerationMetadata? ReadParametersText(string text, bool strict, string? scheme, List<string> problems)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            return ParseObject(trimmed, "parameters", problems) switch
            {
                { } json when json["sui_image_params"] is JsonObject => SwarmUiMetadata.From(json),
                { } json when FooocusMetadata.IsFooocus(json, scheme) => FooocusMetadata.FromJson(json),
                _ => null,
            };
        }
        var info = A1111Infotext.Read(text);
        if (info.Parameters.Count == 0 && (strict || string.IsNullOrWhiteSpace(info.Prompt)))
        {
            return null;
        }
        return FromInfotext(info);
    }

    /// <summary>A1111, Forge or DreamLayer infotext, told apart by its <c>Version</c>.</summary>
    internal static GenerationMetadata FromInfotext(Infotext info)
    {
        var version = info["Version"];
        var (tool, label) = version switch
        {
            "DreamLayer" => (MetadataTool.DreamLayer, "DreamLayer"),
            not null when ForgeVersion().IsMatch(version) => (MetadataTool.Forge, "Forge " + version),
            not null when version.StartsWith("Fooocus", StringComparison.Ordinal) => (MetadataTool.Fooocus, version + " (a1111 scheme)"),
            not null => (MetadataTool.A1111, "AUTOMATIC1111 web UI " + version),
            null => (MetadataTool.A1111, "AUTOMATIC1111 web UI (A1111-style parameters)"),
        };
        // Fooocus's A1111 scheme writes the scheduler's ComfyUI name as "Scheduler".
        (string Sampler, string Scheduler)? sampling = info["Sampler"] is { } s ? SamplerNames.FromA1111(s, info["Schedule type"] ?? info["Scheduler"]) : null;
        var sized = A1111Infotext.TryParseSize(info["Size"], out var width, out var height);
        return new GenerationMetadata
        {
            Tool = tool,
            ToolLabel = label,
            Prompt = info.Prompt,
            NegativePrompt = info.NegativePrompt,
            Steps = Int(info["Steps"]),
            Sampler = sampling?.Sampler,
            Scheduler = sampling?.Scheduler,
            Cfg = Double(info["CFG scale"]),
            Seed = ULong(info["Seed"]),
            Width = sized ? width : null,
            Height = sized ? height : null,
            Model = info["Model"],
            ModelHash = info["Model hash"],
            Denoise = Double(info["Denoising strength"]),
            Loras = LorasOf(info.Prompt, info["Lora hashes"], info["Lora weights"]),
            Parameters = [.. info.Parameters],
        };
    }

    /// <summary>
    /// LoRAs named in the prompt as <c>&lt;lora:name:weight&gt;</c>, with hashes from "Lora hashes"; a LoRA named only
    /// there (Fooocus) takes its weight from "Lora weights".
    /// </summary>
    private static List<LoraUse> LorasOf(string prompt, string? hashes, string? weights)
    {
        var hashByName = Pairs(hashes);
        var weightByName = Pairs(weights);
        var loras = new List<LoraUse>();
        foreach (var tag in PromptLoras.Parse(prompt).Loras)
        {
            // <lora:name:te:unet>: the model weight, and the text encoder's when it differs.
            loras.Add(new LoraUse(tag.Name, tag.ModelStrength, tag.ClipStrength == tag.ModelStrength ? null : tag.ClipStrength, hashByName.GetValueOrDefault(tag.Name)));
            hashByName.Remove(tag.Name);
        }
        loras.AddRange(hashByName.Select(h => new LoraUse(h.Key, Double(weightByName.GetValueOrDefault(h.Key)), null, h.Value)));
        loras.AddRange(weightByName.Where(w => !loras.Any(l => l.Name == w.Key)).Select(w => new LoraUse(w.Key, Double(w.Value))));
        return loras;
    }

    /// <summary><c>"name: value, name: value"</c> as written in "Lora hashes" and "Lora weights".</summary>
    private static Dictionary<string, string> Pairs(string? text)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = pair.LastIndexOf(':');
            if (colon > 0)
            {
                pairs[pair[..colon].Trim()] = pair[(colon + 1)..].Trim();
            }
        }
        return pairs;
    }

    internal static JsonObject? ParseObject(string json, string what, List<string> problems)
    {
        try
        {
            if (JsonNode.Parse(json, NodeOptions, JsonLimits) is JsonObject obj)
            {
                return obj;
            }
            problems.Add($"The '{what}' text is JSON but not an object; it was ignored.");
        }
        catch (JsonException ex)
        {
            problems.Add($"The '{what}' text is not valid JSON ({ex.Message}); it was ignored.");
        }
        return null;
    }

    /// <summary>Every scalar in a JSON object as <c>path: value</c> (<c>model.model_name</c>, <c>loras[0].weight</c>), at most 500.</summary>
    internal static void Flatten(JsonNode? node, string path, List<KeyValuePair<string, string>> into)
    {
        if (into.Count >= 500)
        {
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Flatten(value, path.Length == 0 ? key : path + "." + key, into);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Flatten(array[i], string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), into);
                }
                break;
            case JsonValue value:
                into.Add(new(path, Scalar(value) ?? string.Empty));
                break;
            default:
                into.Add(new(path, "null"));
                break;
        }
    }

    /// <summary>A JSON scalar as text: strings as they are, numbers exactly as written, booleans lower-case.</summary>
    internal static string? Scalar(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    internal static int? Int(string? s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null;

    internal static double? Double(string? s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    internal static ulong? ULong(string? s)
    {
        if (ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            return v;
        }
        // Some tools write whole numbers as floats ("1234.0").
        return decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && d <= ulong.MaxValue && decimal.Truncate(d) == d
            ? (ulong)d
            : null;
    }

    [GeneratedRegex(@"^f\d")]
    private static partial Regex ForgeVersion();
}
