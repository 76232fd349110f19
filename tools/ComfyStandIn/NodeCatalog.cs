using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfyStandIn;

/// <summary>One declared input: its name, whether it is required, and its raw spec <c>[type, options]</c>.</summary>
internal sealed record InputDef(string Name, bool Required, JsonNode? Type, JsonObject Options)
{
    /// <summary>The type as a string, or null when it is a V1 list combo.</summary>
    public string? TypeName => Type is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public JsonArray? ComboList => Type as JsonArray;

    public JsonArray Config() => new(Type?.DeepClone(), Options.DeepClone());
}

/// <summary>A node class; <paramref name="ApiNode"/> marks ComfyUI's paid API nodes (<c>"api_node": true</c>), which call Comfy.org.</summary>
internal sealed record NodeDef(string ClassType, IReadOnlyList<InputDef> Inputs, IReadOnlyList<string> Outputs, bool OutputNode, bool ApiNode = false);

/// <summary>The node catalogue, loaded from a real <c>/object_info</c> dump, with model lists swapped as configured.</summary>
internal sealed class NodeCatalog
{
    private static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"];
    /// <summary>ComfyUI's <c>supported_pt_extensions</c>: what <c>folder_paths.get_filename_list</c> lists.</summary>
    public static readonly string[] ModelExtensions = [".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft"];

    /// <summary>Loader inputs listed from a models folder, as ComfyUI's loaders declare them.</summary>
    private static readonly (string Node, string Input, string Folder)[] ModelInputs =
    [
        ("*", "ckpt_name", "checkpoints"), ("*", "lora_name", "loras"), ("VAELoader", "vae_name", "vae"),
        ("*", "control_net_name", "controlnet"), ("UpscaleModelLoader", "model_name", "upscale_models"),
        ("*", "unet_name", "diffusion_models"), ("CLIPLoader", "clip_name", "text_encoders"),
        ("DualCLIPLoader", "clip_name1", "text_encoders"), ("DualCLIPLoader", "clip_name2", "text_encoders"),
        ("CLIPVisionLoader", "clip_name", "clip_vision"),
    ];

    private readonly JsonObject _info;
    private Dictionary<string, NodeDef> _defs = new(StringComparer.Ordinal);
    private readonly string _inputDir;
    private readonly string? _modelsDir;
    private readonly Lock _lock = new();

    public NodeCatalog(JsonObject info, StandInOptions options, string inputDir)
    {
        _info = info;
        _inputDir = inputDir;
        _modelsDir = options.ModelsDirectory;
        foreach (var (_, node) in _info)
        {
            if (node is not JsonObject n) { continue; }
            if (options.Checkpoints is { } ckpts) { ReplaceLists(n, "ckpt_name", ckpts); }
            if (options.Loras is { } loras) { ReplaceLists(n, "lora_name", loras); }
        }
        if (options.ControlNetAux)
        {
            foreach (var (name, node) in AuxPreprocessors()) { _info[name] = node; }
        }
        if (options.Wd14Tagger)
        {
            _info[Wd14Tagger.ClassType] = Wd14Tagger.Declaration();
        }
        if (_modelsDir is not null)
        {
            RescanModels();
        }
        else
        {
            _defs = ParseAll(_info);
        }
    }

    /// <summary>The models folder this server lists its models from (<see cref="StandInOptions.ModelsDirectory"/>), if any.</summary>
    public string? ModelsDirectory => _modelsDir;

    /// <summary>
    /// With a models folder, reads the loaders' lists from it again, as ComfyUI's <c>get_filename_list</c> does when
    /// a folder changed; a file added or removed shows in the next <c>/object_info</c> and is accepted by the next prompt.
    /// </summary>
    public void RescanModels()
    {
        if (_modelsDir is null) { return; }
        lock (_lock)
        {
            var lists = new Dictionary<string, string[]>(StringComparer.Ordinal); // each folder read once per rescan
            foreach (var (name, node) in _info)
            {
                if (node is not JsonObject n) { continue; }
                foreach (var (nodeType, input, folder) in ModelInputs)
                {
                    if ((nodeType == "*" || nodeType == name) && (n["input"]?["required"]?[input] ?? n["input"]?["optional"]?[input]) is not null)
                    {
                        if (!lists.TryGetValue(folder, out var files))
                        {
                            lists[folder] = files = [.. ListModels(folder) ?? [], .. folder == "vae" ? new[] { "pixel_space" } : []];
                        }
                        ReplaceLists(n, input, files);
                    }
                }
            }
            Volatile.Write(ref _defs, ParseAll(_info));
        }
    }

    /// <summary>The files of a models subfolder (relative paths with <c>/</c>, sorted), or null without a models folder.</summary>
    public IReadOnlyList<string>? ListModels(string folder)
    {
        if (_modelsDir is null) { return null; }
        var root = Path.Combine(_modelsDir, folder);
        if (!Directory.Exists(root)) { return []; }
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => ModelExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static Dictionary<string, NodeDef> ParseAll(JsonObject info)
    {
        var defs = new Dictionary<string, NodeDef>(StringComparer.Ordinal);
        foreach (var (name, node) in info)
        {
            if (node is JsonObject n) { defs[name] = Parse(name, n); }
        }
        return defs;
    }

    /// <summary>
    /// The catalogue that ships with the stand-in (<c>Catalog/object_info.json</c>, copied beside the program; see
    /// <c>Catalog/SOURCES.md</c>), or the same file in the source tree when run from elsewhere.
    /// </summary>
    public static string FindDefaultObjectInfo()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "Catalog", "object_info.json");
        if (File.Exists(beside)) { return beside; }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var inTree = Path.Combine(dir.FullName, "tools", "ComfyStandIn", "Catalog", "object_info.json");
            if (File.Exists(inTree)) { return inTree; }
        }
        throw new FileNotFoundException("object_info.json not found; pass ObjectInfoPath / --object-info.");
    }

    public bool TryGet(string classType, out NodeDef def) => Volatile.Read(ref _defs).TryGetValue(classType, out def!);

    /// <summary>The catalogue as served, with the LoadImage lists reflecting input/ right now.</summary>
    public JsonObject Snapshot(string? onlyClass = null)
    {
        var images = new JsonArray(ListInputImages().Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        lock (_lock)
        {
            var result = new JsonObject();
            foreach (var (name, node) in _info)
            {
                if (onlyClass is not null && name != onlyClass) { continue; }
                var copy = node!.DeepClone().AsObject();
                if (name is "LoadImage" or "LoadImageMask" && copy["input"]?["required"]?["image"] is JsonArray spec && spec.Count > 0)
                {
                    spec[0] = images.DeepClone();
                }
                result[name] = copy;
            }
            return result;
        }
    }

    public IReadOnlyList<string> ListFor(string classType, string input)
    {
        if (!Volatile.Read(ref _defs).TryGetValue(classType, out var def)) { return []; }
        var inp = def.Inputs.FirstOrDefault(i => i.Name == input);
        if (inp is null) { return []; }
        var list = inp.ComboList ?? (inp.Options["options"] as JsonArray) ?? [];
        return list.Select(x => x?.GetValue<string>() ?? string.Empty).ToList();
    }

    private List<string> ListInputImages()
    {
        if (!Directory.Exists(_inputDir)) { return []; }
        return Directory.EnumerateFiles(_inputDir)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Two nodes of comfyui_controlnet_aux, with the inputs its <c>define_preprocessor_inputs</c> declares.</summary>
    private static IEnumerable<(string Name, JsonObject Node)> AuxPreprocessors()
    {
        static JsonObject Node(string name, string display, string category, JsonObject optional) => new()
        {
            ["input"] = new JsonObject { ["required"] = new JsonObject { ["image"] = new JsonArray("IMAGE") }, ["optional"] = optional },
            ["input_order"] = new JsonObject { ["required"] = new JsonArray("image"), ["optional"] = new JsonArray(optional.Select(p => (JsonNode?)p.Key).ToArray()) },
            ["output"] = new JsonArray("IMAGE"),
            ["output_is_list"] = new JsonArray(false),
            ["output_name"] = new JsonArray("IMAGE"),
            ["name"] = name,
            ["display_name"] = display,
            ["description"] = string.Empty,
            ["python_module"] = "custom_nodes.comfyui_controlnet_aux",
            ["category"] = category,
            ["output_node"] = false,
        };
        static JsonArray Resolution() => new("INT", new JsonObject { ["default"] = 512, ["min"] = 64, ["max"] = 16384, ["step"] = 64 });
        yield return ("LineArtPreprocessor", Node("LineArtPreprocessor", "Realistic Lineart", "ControlNet Preprocessors/Line Extractors", new JsonObject
        {
            ["coarse"] = new JsonArray(new JsonArray("disable", "enable"), new JsonObject { ["default"] = "disable" }),
            ["resolution"] = Resolution(),
        }));
        yield return ("DepthAnythingPreprocessor", Node("DepthAnythingPreprocessor", "Depth Anything", "ControlNet Preprocessors/Normal and Depth Estimators", new JsonObject
        {
            ["ckpt_name"] = new JsonArray(new JsonArray("depth_anything_vitl14.pth", "depth_anything_vitb14.pth", "depth_anything_vits14.pth"), new JsonObject { ["default"] = "depth_anything_vitl14.pth" }),
            ["resolution"] = Resolution(),
        }));
    }

    private static void ReplaceLists(JsonObject node, string inputName, IList<string> values)
    {
        foreach (var section in new[] { "required", "optional" })
        {
            if (node["input"]?[section]?[inputName] is not JsonArray spec || spec.Count == 0)
            {
                continue;
            }
            var list = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
            if (spec[0] is JsonArray)
            {
                spec[0] = list; // the classic combo: the list is the type
            }
            else if (spec[0] is JsonValue type && type.GetValueKind() == JsonValueKind.String && type.GetValue<string>() == "COMBO" && spec.Count > 1 && spec[1] is JsonObject options)
            {
                options["options"] = list; // the "COMBO" form: the list is an option
            }
        }
    }

    private static NodeDef Parse(string name, JsonObject node)
    {
        var inputs = new List<InputDef>();
        foreach (var (section, required) in new[] { ("required", true), ("optional", false) })
        {
            if (node["input"]?[section] is not JsonObject declared) { continue; }
            var order = (node["input_order"]?[section] as JsonArray)?.Select(x => x!.GetValue<string>()).ToList()
                ?? declared.Select(p => p.Key).ToList();
            foreach (var key in order.Concat(declared.Select(p => p.Key)).Distinct(StringComparer.Ordinal))
            {
                if (declared[key] is not JsonArray spec) { continue; }
                var options = spec.Count > 1 && spec[1] is JsonObject o ? o : new JsonObject();
                inputs.Add(new InputDef(key, required, spec.Count > 0 ? spec[0] : null, options));
            }
        }
        var outputs = (node["output"] as JsonArray)?.Select(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "*").ToList() ?? [];
        var outputNode = node["output_node"] is JsonValue ov && ov.GetValueKind() == JsonValueKind.True;
        var apiNode = node["api_node"] is JsonValue av && av.GetValueKind() == JsonValueKind.True;
        return new NodeDef(name, inputs, outputs, outputNode, apiNode);
    }
}
