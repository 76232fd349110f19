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
/// then ComfyUI's own validation (models not installed, values out of range). Every message names the node
/// (title, type and id) and the input.
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
}
