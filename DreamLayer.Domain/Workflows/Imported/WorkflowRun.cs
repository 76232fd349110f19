using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Workflows.Imported;

/// <summary>
/// What a run of an imported workflow needs after it leaves the form: the saved graph with the person's values
/// already applied, where the job's seed goes, the largest seed every one of those inputs takes (null: no limit below
/// the app's own), and the uploads the server must receive first.
/// </summary>
public sealed record WorkflowRunSpec(
    Guid WorkflowId,
    string Name,
    string GraphJson,
    IReadOnlyList<InputBinding> SeedTargets,
    IReadOnlyList<WorkflowImageInput> Images,
    ulong? SeedMax = null);

/// <summary>A saved workflow as a run needs it.</summary>
public sealed record SavedWorkflowRef(Guid Id, string Name, ComfyGraph Graph, IReadOnlyList<WorkflowBinding> Bindings);

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

    /// <summary>
    /// The request for a run: the graph with the values applied, the visible seed fields as the seed targets (the job's
    /// seed policy decides their value), and, for history and the image's infotext, the prompt, model and sampling
    /// values read from the first field of each kind.
    /// </summary>
    /// <param name="info">
    /// The catalogue the form was built from: a seed input declared with a smaller maximum than the app's random seeds
    /// (the paid API nodes take at most 2147483647) gets random seeds within it.
    /// </param>
    public static GenerationRequest CreateRequest(SavedWorkflowRef workflow, IEnumerable<WorkflowValue> values, IReadOnlyList<WorkflowImageInput> images,
        SeedMode seedMode, ulong? seed, int batchCount, ObjectInfo? info = null)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(images);
        var graph = Apply(workflow.Graph, workflow.Bindings, values);
        JsonNode? First(BindingKind kind) =>
            workflow.Bindings.FirstOrDefault(b => b.Kind == kind) is { } b && graph[b.Node].Inputs.TryGetValue(b.Input, out var v) ? v : null;
        string Text(BindingKind kind) => First(kind) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : string.Empty;
        double? Number(BindingKind kind) => First(kind) is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        var defaults = new GenerationRequest();
        var seedTargets = workflow.Bindings.Where(b => b.Kind == BindingKind.Seed && !b.Hidden).Select(b => new InputBinding(b.Node, b.Input)).ToList();
        var spec = new WorkflowRunSpec(
            workflow.Id,
            workflow.Name,
            graph.ToJsonString(),
            seedTargets,
            images,
            info is null ? null : SeedMax(graph, seedTargets, info));
        return new GenerationRequest
        {
            Mode = GenerationMode.Workflow,
            Workflow = spec,
            Prompt = Text(BindingKind.Prompt),
            NegativePrompt = Text(BindingKind.NegativePrompt),
            Checkpoint = Text(BindingKind.Checkpoint),
            Sampler = Text(BindingKind.Sampler),
            Scheduler = Text(BindingKind.Scheduler),
            Steps = (int)(Number(BindingKind.Steps) ?? 0),
            Cfg = Number(BindingKind.Cfg) ?? 0,
            Width = (int)(Number(BindingKind.Width) ?? 0),
            Height = (int)(Number(BindingKind.Height) ?? 0),
            BatchSize = (int)(Number(BindingKind.BatchSize) ?? defaults.BatchSize),
            SeedMode = seedMode,
            Seed = seed,
            BatchCount = batchCount,
        };
    }

    /// <summary>
    /// The smallest maximum <paramref name="info"/> declares for the seed targets' inputs, or null when none declares one
    /// below <see cref="SeedPolicy.MaxRandomSeed"/>.
    /// </summary>
    public static ulong? SeedMax(ComfyGraph graph, IEnumerable<InputBinding> seedTargets, ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(seedTargets);
        ArgumentNullException.ThrowIfNull(info);
        ulong? max = null;
        foreach (var target in seedTargets)
        {
            if (graph.TryGetNode(target.Node, out var node) && info.TryGetNode(node.ClassType, out var definition)
                && definition.TryGetInput(target.Input, out var input) && input.Max is { } declared && declared >= 0
                && declared < SeedPolicy.MaxRandomSeed)
            {
                var limit = (ulong)decimal.Truncate(declared);
                max = max is { } known ? Math.Min(known, limit) : limit;
            }
        }
        return max;
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
