using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Domain.Workflows;

/// <summary>The tiny prompt that shows a control map before generating: LoadImage → the preprocessor → PreviewImage.</summary>
public static class PreprocessorGraph
{
    public const string OutputNode = "3";

    public static ComfyGraph Build(string image, string preprocessor, IReadOnlyDictionary<string, JsonNode?>? settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        var graph = new ComfyGraph();
        graph.Add("1", new ComfyNode("LoadImage").Set("image", image));
        var pre = GraphTransforms.AddPreprocessor(graph, "1", preprocessor, settings);
        graph.Add(OutputNode, new ComfyNode("PreviewImage").Link("images", pre, 0));
        return graph;
    }
}
