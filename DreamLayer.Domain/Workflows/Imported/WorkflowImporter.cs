using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Metadata;

namespace DreamLayer.Domain.Workflows.Imported;

/// <summary>An API-format graph read from a file, with the inputs a person would want to set.</summary>
public sealed record ImportedWorkflow(ComfyGraph Graph, IReadOnlyList<WorkflowBinding> Bindings, IReadOnlyList<string> Problems);

/// <summary>
/// Reads a ComfyUI workflow exported in API format (or the <c>prompt</c> chunk of an image ComfyUI saved) and
/// detects its inputs: the prompt and negative prompt by tracing each sampler's conditioning back to its text
/// encoders, seed, steps, CFG, sampler, scheduler, denoise, latent size, checkpoint, LoRAs and images to upload.
/// </summary>
public static class WorkflowImporter
{
    /// <summary>Refusal for a file saved from ComfyUI's normal Save (UI format).</summary>
    public const string UiFormatMessage =
        "This is a UI-format workflow (it has \"nodes\" and \"links\"), which only ComfyUI's editor can read. " +
        "In ComfyUI choose Workflow → Export (API) (\"Save (API)\" in older versions, after ticking \"Enable Dev mode Options\" " +
        "in the settings) and import that file.";

    private static readonly string[] TextInputs = ["text", "text_g", "text_l"];
    private static readonly string[] SeedInputs = ["seed", "noise_seed"];

    /// <summary>Reads a JSON file or a PNG; throws <see cref="ComfyGraphFormatException"/> with a message for the person.</summary>
    public static ImportedWorkflow Import(ReadOnlySpan<byte> file)
    {
        if (file.Length >= 8 && file[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return FromPng(file);
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(file);
        }
        catch (DecoderFallbackException ex)
        {
            throw new ComfyGraphFormatException("The file is neither a JSON workflow nor a PNG image.", ex);
        }
        return FromJson(text);
    }

    public static ImportedWorkflow FromJson(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json.TrimStart('\uFEFF'), documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException ex)
        {
            throw new ComfyGraphFormatException($"The file is not valid JSON: {ex.Message}", ex);
        }
        if (root is JsonObject obj && obj.ContainsKey("nodes") && obj.ContainsKey("links"))
        {
            throw new ComfyGraphFormatException(UiFormatMessage);
        }
        if (root is JsonObject { Count: 0 })
        {
            throw new ComfyGraphFormatException("The workflow has no nodes.");
        }
        if (root is not JsonObject nodes || nodes.Any(n => n.Value is not JsonObject node || !node.ContainsKey("class_type")))
        {
            throw new ComfyGraphFormatException(
                "This JSON is not an API-format workflow: each entry must be a node with a \"class_type\" and \"inputs\". " +
                "In ComfyUI choose Workflow → Export (API) and import that file.");
        }
        var graph = ComfyGraph.FromJson(root);
        return Analyse(graph);
    }

    /// <summary>Reads the API graph ComfyUI writes into the <c>prompt</c> text chunk of every image it saves.</summary>
    public static ImportedWorkflow FromPng(ReadOnlySpan<byte> png)
    {
        IReadOnlyList<PngTextChunk> chunks;
        try
        {
            chunks = PngTextChunks.Read(png);
        }
        catch (InvalidDataException ex)
        {
            throw new ComfyGraphFormatException($"The PNG could not be read: {ex.Message}", ex);
        }
        var prompt = chunks.FirstOrDefault(c => c.Keyword == "prompt")?.Text;
        if (prompt is null)
        {
            throw new ComfyGraphFormatException(chunks.Any(c => c.Keyword == "workflow")
                ? "The image carries only a UI-format workflow, not the API graph; open it in ComfyUI and use Workflow → Export (API)."
                : "The image carries no ComfyUI workflow (no \"prompt\" chunk). Only images saved by ComfyUI's Save Image node have one.");
        }
        return FromJson(prompt);
    }

    /// <summary>Detects the bindings of a graph and the problems that need no server to see.</summary>
    public static ImportedWorkflow Analyse(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var problems = BrokenLinks(graph);
        var found = new List<(WorkflowBinding Binding, int Order)>();
        var bound = new HashSet<string>(StringComparer.Ordinal);
        void Add(string node, string input, BindingKind kind)
        {
            if (graph.TryGetNode(node, out var n) && n.Inputs.TryGetValue(input, out var value) && !ComfyLink.TryParse(value, out _)
                && bound.Add(node + "\u001f" + input))
            {
                found.Add((new WorkflowBinding(node, input, kind, string.Empty, value?.DeepClone()), found.Count));
            }
        }

        var ids = OrderedIds(graph);
        var samplers = ids.Where(id => IsSampler(graph[id])).ToList();
        foreach (var sampler in samplers)
        {
            foreach (var encoder in Encoders(graph, sampler, "positive"))
            {
                foreach (var input in TextInputs)
                {
                    Add(encoder, input, BindingKind.Prompt);
                }
            }
        }
        foreach (var sampler in samplers)
        {
            foreach (var encoder in Encoders(graph, sampler, "negative"))
            {
                foreach (var input in TextInputs)
                {
                    Add(encoder, input, BindingKind.NegativePrompt);
                }
            }
        }
        foreach (var id in ids)
        {
            var node = graph[id];
            if (node.ClassType is "LoadImage" or "LoadImageMask")
            {
                Add(id, "image", BindingKind.Image);
            }
            Add(id, "ckpt_name", BindingKind.Checkpoint);
            Add(id, "unet_name", BindingKind.Checkpoint);
            if (node.Inputs.ContainsKey("lora_name"))
            {
                Add(id, "lora_name", BindingKind.Lora);
                Add(id, "strength_model", BindingKind.LoraStrength);
                Add(id, "strength_clip", BindingKind.LoraStrength);
            }
            if (node.ClassType.StartsWith("Empty", StringComparison.Ordinal) && node.ClassType.Contains("Latent", StringComparison.Ordinal))
            {
                Add(id, "width", BindingKind.Width);
                Add(id, "height", BindingKind.Height);
                Add(id, "batch_size", BindingKind.BatchSize);
            }
            var addsNoise = !(node.Inputs.TryGetValue("add_noise", out var addNoise) && addNoise is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "disable");
            foreach (var seed in SeedInputs.Where(_ => addsNoise))
            {
                Add(id, seed, BindingKind.Seed);
            }
            Add(id, "steps", BindingKind.Steps);
            Add(id, "cfg", BindingKind.Cfg);
            Add(id, "sampler_name", BindingKind.Sampler);
            Add(id, "scheduler", BindingKind.Scheduler);
            Add(id, "denoise", BindingKind.Denoise);
        }

        var bindings = found.OrderBy(f => Rank(f.Binding.Kind)).ThenBy(f => f.Order).Select(f => f.Binding).ToList();
        return new ImportedWorkflow(graph, Label(graph, bindings), problems);
    }

    /// <summary>The node ids in a stable order: numeric ids by value first, then the others as text.</summary>
    public static IReadOnlyList<string> OrderedIds(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Nodes.Keys
            .OrderBy(k => long.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? 0 : 1)
            .ThenBy(k => long.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .ThenBy(k => k, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>"KSampler (#3)", or with its title: "Refiner (KSamplerAdvanced #11)".</summary>
    public static string Describe(ComfyGraph graph, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (!graph.TryGetNode(nodeId, out var node))
        {
            return $"node #{nodeId}";
        }
        return string.IsNullOrWhiteSpace(node.Title) || node.Title == node.ClassType
            ? $"{node.ClassType} (#{nodeId})"
            : $"{node.Title} ({node.ClassType} #{nodeId})";
    }

    /// <summary>Form order: texts, images and models first, then size and sampling; a LoRA's strengths stay with its name.</summary>
    private static int Rank(BindingKind kind) => kind switch
    {
        BindingKind.Prompt => 0,
        BindingKind.NegativePrompt => 1,
        BindingKind.Image => 2,
        BindingKind.Checkpoint => 3,
        BindingKind.Lora or BindingKind.LoraStrength => 4,
        BindingKind.Width => 5,
        BindingKind.Height => 6,
        BindingKind.BatchSize => 7,
        BindingKind.Seed => 8,
        _ => 9 + (int)kind,
    };

    /// <summary>A node that samples: it takes positive and negative conditioning and a latent.</summary>
    private static bool IsSampler(ComfyNode node) =>
        ComfyLink.TryParse(node.Inputs.GetValueOrDefault("positive"), out _)
        && ComfyLink.TryParse(node.Inputs.GetValueOrDefault("negative"), out _)
        && node.Inputs.ContainsKey("latent_image");

    /// <summary>
    /// The text encoders feeding a sampler's <paramref name="input"/>, through conditioning nodes: a node with
    /// positive/negative inputs (ControlNet apply) is followed on the side its output index names; any other
    /// (combine, concat, set area, ...) through each of its conditioning links.
    /// </summary>
    private static List<string> Encoders(ComfyGraph graph, string samplerId, string input)
    {
        var result = new List<string>();
        var seen = new HashSet<(string, int)>();
        var stack = new Stack<ComfyLink>();
        if (GraphLinksOf(graph, samplerId, input) is { } start)
        {
            stack.Push(start);
        }
        while (stack.Count > 0)
        {
            var link = stack.Pop();
            if (!seen.Add((link.SourceId, link.OutputIndex)) || !graph.TryGetNode(link.SourceId, out var node))
            {
                continue;
            }
            if (TextInputs.Any(t => node.Inputs.TryGetValue(t, out var v) && v is JsonValue s && s.GetValueKind() == JsonValueKind.String))
            {
                result.Add(link.SourceId);
                continue;
            }
            IEnumerable<string> next = node.Inputs.ContainsKey("positive") && node.Inputs.ContainsKey("negative")
                ? [link.OutputIndex == 1 ? "negative" : "positive"]
                : node.Inputs.Keys.Where(k => k.StartsWith("conditioning", StringComparison.Ordinal));
            foreach (var name in next.Reverse())
            {
                if (GraphLinksOf(graph, link.SourceId, name) is { } upstream)
                {
                    stack.Push(upstream);
                }
            }
        }
        return result;
    }

    private static ComfyLink? GraphLinksOf(ComfyGraph graph, string nodeId, string input) =>
        graph[nodeId].Inputs.TryGetValue(input, out var value) && ComfyLink.TryParse(value, out var link) ? link : null;

    private static List<string> BrokenLinks(ComfyGraph graph)
    {
        var problems = new List<string>();
        foreach (var id in OrderedIds(graph))
        {
            foreach (var (input, value) in graph[id].Inputs)
            {
                if (ComfyLink.TryParse(value, out var link) && !graph.Nodes.ContainsKey(link.SourceId))
                {
                    problems.Add($"{Describe(graph, id)} › {input} is linked to node #{link.SourceId}, which is not in the workflow.");
                }
            }
        }
        return problems;
    }

    private static List<WorkflowBinding> Label(ComfyGraph graph, List<WorkflowBinding> bindings)
    {
        var counts = bindings.GroupBy(b => (b.Kind, b.Input)).ToDictionary(g => g.Key, g => g.Count());
        return bindings.Select(b =>
        {
            var name = b.Kind switch
            {
                BindingKind.Prompt => "Prompt",
                BindingKind.NegativePrompt => "Negative prompt",
                BindingKind.Seed => "Seed",
                BindingKind.Steps => "Steps",
                BindingKind.Cfg => "CFG scale",
                BindingKind.Sampler => "Sampler",
                BindingKind.Scheduler => "Scheduler",
                BindingKind.Denoise => "Denoise",
                BindingKind.Width => "Width",
                BindingKind.Height => "Height",
                BindingKind.BatchSize => "Batch size",
                BindingKind.Checkpoint => b.Input == "unet_name" ? "Diffusion model" : "Checkpoint",
                BindingKind.Lora => "LoRA",
                BindingKind.LoraStrength => b.Input == "strength_clip" ? "LoRA CLIP strength" : "LoRA strength",
                BindingKind.Image => "Image",
                _ => b.Input,
            };
            if (b.Input is "text_g" or "text_l")
            {
                name += $" ({b.Input})";
            }
            var label = counts[(b.Kind, b.Input)] > 1 ? $"{name} · {Describe(graph, b.Node)}" : name;
            return b with { Label = label };
        }).ToList();
    }
}
