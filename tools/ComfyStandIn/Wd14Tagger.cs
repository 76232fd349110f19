using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ComfyStandIn;

/// <summary>
/// ComfyUI-WD14-Tagger's node (pythongosssss/ComfyUI-WD14-Tagger, <c>wd14tagger.py</c>, read at commit
/// 179bf9bc16573ff748bab7bd495bac0e921e83e6): <c>WD14Tagger|pysssss</c>, display name "WD14 Tagger 🐍", category
/// <c>image</c>, an output node returning <c>{"ui": {"tags": tags}, "result": (tags,)}</c> with one tag string per
/// picture of the batch, so the history's output of the node is <c>{"tags": ["tag, tag, …"]}</c>. Its inputs and
/// defaults are the source's; the tags are read from the picture's colours instead of an ONNX model, joined as the
/// source joins them (<c>replace_underscore</c>, <c>trailing_comma</c>, <c>exclude_tags</c>), and only tags whose
/// made-up score passes <c>threshold</c> are kept, so a threshold of 1 gives an empty string as the real node does.
/// </summary>
internal static class Wd14Tagger
{
    public const string ClassType = "WD14Tagger|pysssss";

    private static readonly string[] Models = ["wd-v1-4-moat-tagger-v2", "wd-v1-4-convnext-tagger-v2", "wd-v1-4-swinv2-tagger-v2", "wd-v1-4-convnextv2-tagger-v2", "wd-v1-4-vit-tagger-v2"];

    /// <summary>The node's <c>/object_info</c> entry, as ComfyUI renders the source's <c>INPUT_TYPES</c> and class attributes.</summary>
    public static JsonObject Declaration()
    {
        static JsonArray Float(double value) => new("FLOAT", new JsonObject { ["default"] = value, ["min"] = 0.0, ["max"] = 1, ["step"] = 0.05 });
        var required = new JsonObject
        {
            ["image"] = new JsonArray("IMAGE"),
            ["model"] = new JsonArray(new JsonArray([.. Models.Select(m => (JsonNode?)m)])),
            ["threshold"] = Float(0.35),
            ["character_threshold"] = Float(0.85),
            ["replace_underscore"] = new JsonArray("BOOLEAN", new JsonObject { ["default"] = false }),
            ["trailing_comma"] = new JsonArray("BOOLEAN", new JsonObject { ["default"] = false }),
            ["exclude_tags"] = new JsonArray("STRING", new JsonObject { ["default"] = string.Empty }),
        };
        return new JsonObject
        {
            ["input"] = new JsonObject { ["required"] = required },
            ["input_order"] = new JsonObject { ["required"] = new JsonArray([.. required.Select(p => (JsonNode?)p.Key)]) },
            ["output"] = new JsonArray("STRING"),
            ["output_is_list"] = new JsonArray(true),
            ["output_name"] = new JsonArray("STRING"),
            ["name"] = ClassType,
            ["display_name"] = "WD14 Tagger 🐍",
            ["description"] = string.Empty,
            ["python_module"] = "custom_nodes.ComfyUI-WD14-Tagger",
            ["category"] = "image",
            ["output_node"] = true,
        };
    }

    /// <summary>The node's <c>ui</c>: <c>{"tags": [one string per picture]}</c>.</summary>
    public static JsonObject Run(Payload? image, JsonObject inputs)
    {
        var threshold = Py.ToFloat(inputs["threshold"]);
        var replaceUnderscore = inputs["replace_underscore"] is JsonValue r && r.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var trailingComma = inputs["trailing_comma"] is JsonValue t && t.GetValueKind() == System.Text.Json.JsonValueKind.True;
        var exclude = Py.Str(inputs["exclude_tags"]).ToLowerInvariant().Split(',').Select(s => s.Trim()).ToHashSet(StringComparer.Ordinal);
        var scored = Scored(image);
        var kept = scored.Where(s => s.Score > threshold)
            .Select(s => replaceUnderscore ? s.Tag.Replace('_', ' ') : s.Tag)
            .Where(tag => !exclude.Contains(tag))
            .Select(tag => tag.Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal));
        var text = trailingComma ? string.Concat(kept.Select(tag => tag + ", ")) : string.Join(", ", kept);
        var batch = Math.Max(1, image?.Batch ?? 1);
        return new JsonObject { ["tags"] = new JsonArray([.. Enumerable.Repeat(text, batch).Select(s => (JsonNode?)s)]) };
    }

    /// <summary>Tags with a score: fixed ones for what the stand-in draws, and the picture's two main colours.</summary>
    private static List<(string Tag, double Score)> Scored(Payload? image)
    {
        var tags = new List<(string, double)> { ("no_humans", 0.92), ("scenery", 0.61), ("gradient_background", 0.55), ("circle", 0.47) };
        if (image?.ImagePath is not { } path || !File.Exists(path))
        {
            return tags;
        }
        using var picture = Image.Load<Rgb24>(path);
        picture.Mutate(p => p.Resize(4, 4));
        var names = new List<string>();
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                names.Add(ColourName(picture[x, y]));
            }
        }
        var main = names.GroupBy(n => n).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Take(2).ToList();
        tags.InsertRange(1, main.Select(g => (g.Key + "_theme", 0.4 + (0.5 * g.Count() / 16.0))));
        return tags;
    }

    private static string ColourName(Rgb24 p)
    {
        var max = Math.Max(p.R, Math.Max(p.G, p.B));
        var min = Math.Min(p.R, Math.Min(p.G, p.B));
        if (max < 50) { return "black"; }
        if (max - min < 30) { return max > 200 ? "white" : "grey"; }
        if (p.R == max) { return p.G > p.B + 40 ? (p.G > 160 ? "yellow" : "orange") : p.B > p.G + 40 ? "pink" : "red"; }
        if (p.G == max) { return p.B > p.R + 40 ? "aqua" : "green"; }
        return p.R > p.G + 40 ? "purple" : "blue";
    }
}
