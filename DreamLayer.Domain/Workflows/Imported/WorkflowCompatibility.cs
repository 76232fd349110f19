using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows.Imported;

/// <summary>What stands between an imported workflow and one server: errors stop it running; notes do not.</summary>
public sealed record CompatibilityReport(IReadOnlyList<string> Errors, IReadOnlyList<string> Notes)
{
    public bool CanRun => Errors.Count == 0;
}

/// <summary>
/// Checks an imported graph against a server's live <c>/object_info</c>: nodes it lacks, inputs a newer server
/// requires that the workflow does not set, inputs it does not know (ignored there), links to missing nodes,
/// and ComfyUI's own validation (models not installed, values out of range), all at once: a workflow with a node
/// the server lacks still has its missing models named. Every message names the node (title, type and id) and the input.
/// </summary>
public static class WorkflowCompatibility
{
    /// <summary>Inputs the ComfyUI frontend writes for its upload widget; servers ignore them.</summary>
    private static readonly HashSet<string> FrontendOnlyInputs = new(StringComparer.Ordinal) { "upload", "choose file to upload" };

    public static CompatibilityReport Check(ComfyGraph graph, ObjectInfo info, string serverName = "this server")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(info);
        var errors = new List<string>();
        var notes = new List<string>();
        foreach (var id in WorkflowImporter.OrderedIds(graph))
        {
            var node = graph[id];
            var where = WorkflowImporter.Describe(graph, id);
            if (!info.TryGetNode(node.ClassType, out var def))
            {
                errors.Add($"{where}: {serverName} has no node type '{node.ClassType}' (a custom node that is not installed there, or a newer ComfyUI).");
                continue;
            }
            foreach (var spec in def.Required.Values.Where(s => !node.Inputs.ContainsKey(s.Name)))
            {
                errors.Add($"{where} › {spec.Name}: {serverName} requires this input and the workflow does not set it (the workflow was made for another ComfyUI version).");
            }
            foreach (var (input, value) in node.Inputs)
            {
                if (ComfyLink.TryParse(value, out var link) && !graph.Nodes.ContainsKey(link.SourceId))
                {
                    errors.Add($"{where} › {input} is linked to node #{link.SourceId}, which is not in the workflow.");
                }
                else if (!def.TryGetInput(input, out _) && !def.Hidden.Contains(input) && !FrontendOnlyInputs.Contains(input))
                {
                    notes.Add($"{where} › {input}: {serverName} does not know this input and will ignore it.");
                }
            }
        }
        if (errors.Count > 0)
        {
            // The server would stop at the first of these, before it looks at a single value; check the part of the
            // workflow it knows anyway, so a missing model is named together with the nodes and links to fix.
            var known = KnownPart(graph, info);
            var nodeErrors = PromptValidator.ValidateEachNode(known, info);
            var consequences = new PromptValidationResult(null, nodeErrors.ToDictionary(
                e => e.Key,
                e => e.Value with { Errors = e.Value.Errors.Where(x => x.Type != "required_input_missing").ToList() },
                StringComparer.Ordinal), []);
            errors.AddRange(ValidationMessages.DescribeAll(consequences, info, known));
            return new CompatibilityReport(errors, notes);
        }
        var result = PromptValidator.Validate(graph, info);
        var lines = ValidationMessages.DescribeAll(result, info, graph);
        if (!result.IsValid)
        {
            errors.AddRange(lines.Count > 0 ? lines : [ValidationMessages.Describe(result.Error!)]);
        }
        else
        {
            // Some outputs pass and some fail: the server would run only part of the workflow.
            notes.AddRange(lines.Select(l => $"{l} (this output would be skipped)"));
        }
        return new CompatibilityReport(errors, notes);
    }

    /// <summary>
    /// A copy without the nodes the server lacks and without links to nodes that are not there (an input left
    /// unconnected that way is already reported, as a missing node or a broken link).
    /// </summary>
    private static ComfyGraph KnownPart(ComfyGraph graph, ObjectInfo info)
    {
        var known = graph.Clone();
        foreach (var id in known.Nodes.Where(n => !info.TryGetNode(n.Value.ClassType, out _)).Select(n => n.Key).ToList())
        {
            known.Remove(id);
        }
        foreach (var node in known.Nodes.Values)
        {
            foreach (var input in node.Inputs.Where(i => ComfyLink.TryParse(i.Value, out var link) && !known.Nodes.ContainsKey(link.SourceId)).Select(i => i.Key).ToList())
            {
                node.Inputs.Remove(input);
            }
        }
        return known;
    }
}
