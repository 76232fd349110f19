using System.Text.Json;
using System.Text.Json.Serialization;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows;

/// <summary>Where one parameter goes in a template: a node id and one of its inputs.</summary>
public sealed record InputBinding(string Node, string Input);

/// <summary>
/// A base graph plus its manifest: which node input each parameter is bound to, and which node's
/// images are the result. Templates are data (<c>workflows/&lt;mode&gt;/workflow.json</c> + <c>manifest.json</c>).
/// </summary>
public sealed class WorkflowTemplate
{
    private readonly ComfyGraph _graph;

    private WorkflowTemplate(string name, ComfyGraph graph, IReadOnlyDictionary<string, IReadOnlyList<InputBinding>> bindings, string outputNode)
    {
        Name = name;
        _graph = graph;
        Bindings = bindings;
        OutputNode = outputNode;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<InputBinding>> Bindings { get; }

    /// <summary>The node whose images are the job's result (a SaveImage).</summary>
    public string OutputNode { get; }

    /// <summary>A fresh copy of the base graph, safe to change.</summary>
    public ComfyGraph CreateGraph() => _graph.Clone();

    public static WorkflowTemplate Parse(string graphJson, string manifestJson)
    {
        var graph = ComfyGraph.Parse(graphJson);
        var manifest = JsonSerializer.Deserialize(manifestJson, ManifestJsonContext.Default.TemplateManifest)
            ?? throw new ComfyGraphFormatException("The manifest is empty.");
        var bindings = new Dictionary<string, IReadOnlyList<InputBinding>>(StringComparer.Ordinal);
        foreach (var (parameter, targets) in manifest.Bindings)
        {
            foreach (var target in targets)
            {
                if (!graph.TryGetNode(target.Node, out var node) || !node.Inputs.ContainsKey(target.Input))
                {
                    throw new ComfyGraphFormatException($"Template '{manifest.Name}': parameter '{parameter}' is bound to {target.Node}.{target.Input}, which the graph does not have.");
                }
            }
            bindings[parameter] = targets;
        }
        if (!graph.TryGetNode(manifest.Output, out _))
        {
            throw new ComfyGraphFormatException($"Template '{manifest.Name}': output node '{manifest.Output}' is not in the graph.");
        }
        return new WorkflowTemplate(manifest.Name, graph, bindings, manifest.Output);
    }
}

internal sealed record TemplateManifest(string Name, string Output, Dictionary<string, List<InputBinding>> Bindings);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TemplateManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext;
