using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Scheduling;

/// <summary>A model file a graph names in a loader input, e.g. <c>CheckpointLoaderSimple.ckpt_name = sdxl_base.safetensors</c>.</summary>
public sealed record ModelNeed(string NodeType, string Input, string Value);

/// <summary>
/// What a job needs from a server before it may go there: every node class in its graph, and every model
/// file its loaders name. Read once from the built graph; checked against each server's live catalogue.
/// </summary>
public sealed record JobRequirements(IReadOnlyList<string> NodeTypes, IReadOnlyList<ModelNeed> Models)
{
    /// <summary>
    /// The cloud backend the job must go to (its <see cref="ServerSlot.Cloud"/>), or null for a ComfyUI job. A cloud job
    /// needs no node or model of a server.
    /// </summary>
    public string? Cloud { get; init; }

    /// <summary>A job for the cloud backend <paramref name="backend"/> alone.</summary>
    public static JobRequirements ForCloud(string backend) => new([], []) { Cloud = backend };

    public static JobRequirements FromGraph(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var types = new SortedSet<string>(StringComparer.Ordinal);
        var models = new List<ModelNeed>();
        foreach (var node in graph.Nodes.Values)
        {
            types.Add(node.ClassType);
            foreach (var (input, value) in node.Inputs)
            {
                if (IsModelInput(input) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } name)
                {
                    var need = new ModelNeed(node.ClassType, input, name);
                    if (!models.Contains(need))
                    {
                        models.Add(need);
                    }
                }
            }
        }
        return new JobRequirements([.. types], models);
    }

    /// <summary>
    /// What <paramref name="info"/> lacks for this job, in words ("sdxl_base.safetensors", "the node ControlNetApply"),
    /// or null when the server has everything. A model input that is not a list on the server is not checked.
    /// </summary>
    public string? MissingOn(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        foreach (var type in NodeTypes)
        {
            if (!info.HasNode(type))
            {
                return $"the node {type}";
            }
        }
        foreach (var model in Models)
        {
            if (info.TryGetNode(model.NodeType, out var node) && node.TryGetInput(model.Input, out var spec)
                && spec.ComboValues is { } values && !values.Contains(model.Value, StringComparer.Ordinal))
            {
                return model.Value;
            }
        }
        return null;
    }

    /// <summary>Loader inputs that name a file in one of ComfyUI's model folders (<c>ckpt_name</c>, <c>lora_name</c>, <c>model_name</c>, ...).</summary>
    private static bool IsModelInput(string input) =>
        input.EndsWith("_name", StringComparison.Ordinal) && input != "sampler_name";
}
