using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows.Imported;

/// <summary>
/// What a run of an imported workflow needs after it leaves the form: the saved graph with the person's values
/// already applied, where the job's seed goes, and the uploads the server must receive first.
/// </summary>
public sealed record WorkflowRunSpec(
    Guid WorkflowId,
    string Name,
    string GraphJson,
    IReadOnlyList<InputBinding> SeedTargets,
    IReadOnlyList<WorkflowImageInput> Images);

/// <summary>Puts a person's values into a saved graph at its bindings: pure, graph in, graph out.</summary>
public static class WorkflowRun
{
    /// <summary>
    /// A copy of <paramref name="graph"/> with each binding set to the person's value, or to its default when
    /// none is given (hidden bindings always keep their default). Values for inputs that are not bindings are ignored.
    /// </summary>
    public static ComfyGraph Apply(ComfyGraph graph, IReadOnlyList<WorkflowBinding> bindings, IEnumerable<WorkflowValue> values)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(bindings);
        ArgumentNullException.ThrowIfNull(values);
        var given = values.GroupBy(v => (v.Node, v.Input)).ToDictionary(g => g.Key, g => g.Last().Value);
        var result = graph.Clone();
        foreach (var binding in bindings)
        {
            if (!result.TryGetNode(binding.Node, out var node))
            {
                throw new ComfyGraphFormatException($"The field '{binding.Label}' points at node #{binding.Node}, which is not in the workflow.");
            }
            var value = !binding.Hidden && given.TryGetValue((binding.Node, binding.Input), out var v) ? v : binding.Default;
            if (value is not null)
            {
                node.Inputs[binding.Input] = value.DeepClone();
            }
        }
        return result;
    }

    /// <summary>The graph to send for one job: the seed at every seed target, each upload's server name at its input.</summary>
    public static ComfyGraph Finish(WorkflowRunSpec spec, ulong seed, IReadOnlyDictionary<Guid, string> uploaded)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(uploaded);
        var graph = ComfyGraph.Parse(spec.GraphJson);
        foreach (var target in spec.SeedTargets)
        {
            graph[target.Node].Inputs[target.Input] = JsonValue.Create(seed);
        }
        foreach (var image in spec.Images)
        {
            graph[image.Node].Inputs[image.Input] = JsonValue.Create(uploaded[image.Upload]);
        }
        return graph;
    }
}
