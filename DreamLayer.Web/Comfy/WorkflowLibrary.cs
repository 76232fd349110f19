using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Imported;

namespace DreamLayer.Web.Comfy;

/// <summary>The base templates shipped in <c>workflows/&lt;mode&gt;/</c>, loaded once.</summary>
public sealed class WorkflowLibrary
{
    private readonly Dictionary<GenerationMode, WorkflowTemplate> _templates = [];

    public WorkflowLibrary(string directory)
    {
        foreach (var mode in Enum.GetValues<GenerationMode>().Where(m => m != GenerationMode.Workflow))
        {
            var folder = Path.Combine(directory, mode.ToString().ToLowerInvariant());
            _templates[mode] = WorkflowTemplate.Parse(
                File.ReadAllText(Path.Combine(folder, "workflow.json")),
                File.ReadAllText(Path.Combine(folder, "manifest.json")));
        }
    }

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "workflows");

    public WorkflowTemplate Get(GenerationMode mode) => _templates[mode];

    /// <summary>
    /// The nodes and models a request's graph needs from a server (the graph built with stand-in seed and file names).
    /// <paramref name="knownLoras"/> are the LoRA files the servers list, so that <c>&lt;lora:name&gt;</c> prompt tags
    /// resolve to the file a server has, as they will when the job is sent.
    /// </summary>
    public JobRequirements Requirements(GenerationRequest request, IReadOnlyList<string> knownLoras)
    {
        ArgumentNullException.ThrowIfNull(request);
        var graph = request is { Mode: GenerationMode.Workflow, Workflow: { } spec }
            ? WorkflowRun.Finish(spec, 0, spec.Images.Select(i => i.Upload).Distinct().ToDictionary(id => id, ServerInputs.UploadName))
            : WorkflowBuilder.Build(Get(request.Mode), request, 0, sourceImage: "source.png", server: new ServerInputs { Loras = knownLoras });
        return JobRequirements.FromGraph(graph);
    }

    /// <summary>
    /// Builds each template with the server's own first model, sampler and scheduler and checks it with
    /// ComfyUI's rules against that server's catalogue: a server that lacks a node or has no checkpoint is
    /// reported when it connects, not when someone's job fails.
    /// </summary>
    public IReadOnlyDictionary<GenerationMode, string> FindUnsupportedModes(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var limits = GenerationLimits.From(info);
        var problems = new Dictionary<GenerationMode, string>();
        foreach (var (mode, template) in _templates)
        {
            GenerationRequest probe;
            if (mode == GenerationMode.Upscale)
            {
                // Plain resize is the baseline; an empty upscale-model list only disables the model method on the page.
                probe = new GenerationRequest
                {
                    Mode = mode,
                    SourceImage = Guid.Empty,
                    ResizeFilter = limits.ResizeFilters.Count > 0 ? limits.ResizeFilters[0] : "lanczos",
                    Scale = 2,
                };
            }
            else if (limits.Checkpoints.Count == 0)
            {
                problems[mode] = "The server lists no checkpoints: put a model in ComfyUI's models/checkpoints folder.";
                continue;
            }
            else
            {
                probe = new GenerationRequest
                {
                    Mode = mode,
                    Prompt = "probe",
                    Checkpoint = limits.Checkpoints[0],
                    Sampler = limits.Samplers.Count > 0 ? limits.Samplers[0] : "euler",
                    Scheduler = limits.Schedulers.Count > 0 ? limits.Schedulers[0] : "normal",
                };
            }
            var graph = WorkflowBuilder.Build(template, probe, 1, sourceImage: "probe.png");
            var result = PromptValidator.Validate(graph, info);
            if (!result.IsValid || result.NodeErrors.Count > 0)
            {
                problems[mode] = string.Join(" ", ValidationMessages.DescribeAll(result, info, graph));
            }
        }
        return problems;
    }
}
