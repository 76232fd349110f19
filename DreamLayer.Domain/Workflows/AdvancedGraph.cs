using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Domain.Workflows;

/// <summary>What the builder needs from the chosen server besides the request: where uploads landed, which LoRAs it has.</summary>
public sealed record ServerInputs
{
    /// <summary>LoadImage's value for each stored upload the job sent to the server (upload id → <c>subfolder/name [input]</c>).</summary>
    public IReadOnlyDictionary<Guid, string> UploadedImages { get; init; } = new Dictionary<Guid, string>();

    /// <summary>The server's LoRA files, to resolve <c>&lt;lora:name&gt;</c> tags typed without folder or extension.</summary>
    public IReadOnlyList<string> Loras { get; init; } = [];

    public static ServerInputs None { get; } = new();

    /// <summary>LoadImage's value for an upload: where it was sent, or its canonical name when it was not (probes, tests).</summary>
    public string ImageFor(Guid upload) => UploadedImages.TryGetValue(upload, out var value) ? value : UploadName(upload);

    /// <summary>The file name an upload gets in the server's input folder.</summary>
    public static string UploadName(Guid upload) => $"{upload:N}.png";
}

/// <summary>
/// Applies a request's LoRAs (picker and prompt tags), CLIP skip, VAE, ControlNet units, hires fix and refiner to a
/// txt2img-, img2img- or inpaint-shaped graph, in the order that keeps each one meaningful: model and CLIP patches first, then conditioning,
/// then the second pass, the refiner last (it replaces the sampler). The VAE override also decodes the refiner's output.
/// </summary>
public static class AdvancedGraph
{
    public static ComfyGraph Apply(ComfyGraph graph, GenerationRequest request, ServerInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(inputs);
        var loras = AdvancedValidator.EffectiveLoras(request, inputs.Loras);
        GraphTransforms.ApplyLoras(graph, loras.Select(l => new LoraSpec(l.Name, l.ModelStrength, l.ClipStrength)).ToList());
        GraphTransforms.ApplyClipSkip(graph, request.ClipSkip <= 1 ? -1 : -request.ClipSkip);
        if (request.Vae is { Length: > 0 } vae)
        {
            GraphTransforms.ApplyVae(graph, vae);
        }
        GraphTransforms.ApplyControlNets(graph, request.ControlNets
            .Select(u => new ControlNetUnit(u.Model, u.Image is { } id ? inputs.ImageFor(id) : string.Empty,
                u.Strength, u.StartPercent, u.EndPercent, u.Preprocessor, u.PreprocessorSettings))
            .ToList());
        if (request.HiresFix is { } h)
        {
            GraphTransforms.ApplyHiresFix(graph, new HiresFix(
                h.Scale,
                h.Steps > 0 ? h.Steps : request.Steps,
                h.Denoise,
                h.Upscaler == HiresUpscaler.Model ? h.UpscaleModel : null,
                h.LatentMethod,
                h.Sampler,
                BaseWidth: request.Width,
                BaseHeight: request.Height));
        }
        if (request.Refiner is { } r)
        {
            GraphTransforms.ApplyRefiner(graph, new Refiner(r.Checkpoint, r.SwitchAt));
            if (request.Vae is { Length: > 0 })
            {
                var loader = graph.Nodes.First(n => n.Value.ClassType == "VAELoader").Key;
                graph[GraphTransforms.OutputDecoder(graph)].Link("vae", loader, 0);
            }
        }
        return graph;
    }
}
