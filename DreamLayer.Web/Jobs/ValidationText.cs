using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Jobs;

/// <summary>Turns ComfyUI validation results (ours or the server's) into one message for the job card.</summary>
public static class ValidationText
{
    public static string Describe(PromptValidationResult result, ObjectInfo info, ComfyGraph graph)
    {
        var lines = ValidationMessages.DescribeAll(result, info, graph);
        return lines.Count > 0 ? string.Join(" ", lines) : "The server refused the workflow without saying why.";
    }

    public static string Describe(IEnumerable<ComfyNodeErrors> nodeErrors, ObjectInfo info, ComfyGraph graph) =>
        Describe(new PromptValidationResult(null, nodeErrors.ToDictionary(n => n.NodeId), []), info, graph);
}
