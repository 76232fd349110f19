using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Jobs;

/// <summary>The base templates shipped in <c>workflows/&lt;mode&gt;/</c>, loaded once.</summary>
public sealed class WorkflowLibrary
{
    private readonly Dictionary<GenerationMode, WorkflowTemplate> _templates = [];

    public WorkflowLibrary(string directory)
    {
        foreach (var mode in Enum.GetValues<GenerationMode>())
        {
            var folder = Path.Combine(directory, mode.ToString().ToLowerInvariant());
            _templates[mode] = WorkflowTemplate.Parse(
                File.ReadAllText(Path.Combine(folder, "workflow.json")),
                File.ReadAllText(Path.Combine(folder, "manifest.json")));
        }
    }

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "workflows");

    public WorkflowTemplate Get(GenerationMode mode) => _templates[mode];
}
