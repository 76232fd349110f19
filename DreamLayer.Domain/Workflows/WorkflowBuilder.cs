using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Domain.Workflows;

/// <summary>The names of the parameters a manifest can bind.</summary>
public static class Parameters
{
    public const string Prompt = "prompt";
    public const string NegativePrompt = "negative_prompt";
    public const string Checkpoint = "checkpoint";
    public const string Seed = "seed";
    public const string Steps = "steps";
    public const string Cfg = "cfg";
    public const string Sampler = "sampler";
    public const string Scheduler = "scheduler";
    public const string Width = "width";
    public const string Height = "height";
    public const string BatchSize = "batch_size";
    public const string FilenamePrefix = "filename_prefix";
    public const string Image = "image";
    public const string Scale = "scale";
    public const string UpscaleMethod = "upscale_method";
    public const string Denoise = "denoise";
    public const string MaskBlur = "mask_blur";
}

/// <summary>Fills a template with a request's values: pure, graph in, graph out.</summary>
public static class WorkflowBuilder
{
    /// <param name="sourceImage">LoadImage's <c>image</c> value for a request with a source upload (what the server stored).</param>
    /// <param name="server">Where the job's other uploads (control images) landed and the server's LoRAs; none when null.</param>
    public static ComfyGraph Build(WorkflowTemplate template, GenerationRequest request, ulong seed, string filenamePrefix = "DreamLayer", string sourceImage = "", ServerInputs? server = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(request);
        var graph = template.CreateGraph();
        var values = new Dictionary<string, JsonNode>
        {
            [Parameters.Prompt] = JsonValue.Create(PromptLoras.Strip(request.Prompt)),
            [Parameters.NegativePrompt] = JsonValue.Create(request.NegativePrompt),
            [Parameters.Checkpoint] = JsonValue.Create(request.Checkpoint),
            [Parameters.Seed] = JsonValue.Create(seed),
            [Parameters.Steps] = JsonValue.Create(request.Steps),
            [Parameters.Cfg] = JsonValue.Create(request.Cfg),
            [Parameters.Sampler] = JsonValue.Create(request.Sampler),
            [Parameters.Scheduler] = JsonValue.Create(request.Scheduler),
            [Parameters.Width] = JsonValue.Create(request.Width),
            [Parameters.Height] = JsonValue.Create(request.Height),
            [Parameters.BatchSize] = JsonValue.Create(request.BatchSize),
            [Parameters.FilenamePrefix] = JsonValue.Create(filenamePrefix),
            [Parameters.Image] = JsonValue.Create(sourceImage),
            [Parameters.Scale] = JsonValue.Create(request.Scale ?? 1.0),
            [Parameters.UpscaleMethod] = JsonValue.Create(request.ResizeFilter),
            [Parameters.Denoise] = JsonValue.Create(request.Denoise),
            [Parameters.MaskBlur] = JsonValue.Create((double)request.Inpaint.MaskBlur),
        };
        foreach (var (parameter, targets) in template.Bindings)
        {
            if (!values.TryGetValue(parameter, out var value))
            {
                continue;
            }
            foreach (var target in targets)
            {
                graph[target.Node].Inputs[target.Input] = value.DeepClone();
            }
        }
        if (request.Mode == GenerationMode.Upscale && template.Bindings.TryGetValue(Parameters.Scale, out var scaleTargets) && scaleTargets.Count > 0)
        {
            UpscaleGraph.Apply(graph, scaleTargets[0].Node, request);
        }
        if (request.Mode != GenerationMode.Upscale)
        {
            AdvancedGraph.Apply(graph, request, server ?? ServerInputs.None);
        }
        if (request.Mode == GenerationMode.Inpaint)
        {
            InpaintGraph.Apply(graph, template.OutputNode, request, seed);
        }
        if (request.Mode != GenerationMode.Upscale && request.TiledVae is { } tiled)
        {
            // Last: every transform above finds the output decoder by its VAEDecode.
            GraphTransforms.ApplyTiledDecode(graph, new TiledDecode(tiled.TileSize, tiled.Overlap));
        }
        return graph;
    }
}
