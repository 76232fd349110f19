using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>
/// Pure graph transforms that add features to a txt2img-shaped graph. Each one changes the graph it is given
/// <b>in place</b> and returns it, so calls chain; clone first (<see cref="ComfyGraph.Clone"/>) to keep the original.
/// Anchor nodes are found by following links, never by id:
/// the <i>output decoder</i> is the VAEDecode nearest upstream of the SaveImage,
/// the <i>sampler</i> is the KSampler/KSamplerAdvanced nearest upstream of that decoder,
/// the <i>checkpoint</i> is the CheckpointLoaderSimple nearest upstream of the sampler's <c>model</c>.
/// A missing anchor throws <see cref="ComfyGraphFormatException"/>; a spec that makes no sense throws
/// <see cref="ArgumentException"/>. Values within a spec are not range-checked here: <see cref="PromptValidator"/> does that
/// against the server's object_info. Apply <see cref="ApplyRefiner"/> last: after it, the sampler is the refiner's.
/// </summary>
public static class GraphTransforms
{
    private const string KSampler = "KSampler";
    private const string KSamplerAdvanced = "KSamplerAdvanced";
    private const string CheckpointLoader = "CheckpointLoaderSimple";
    private const string VaeDecode = "VAEDecode";
    private const string VaeDecodeTiled = "VAEDecodeTiled";

    /// <summary>VAEDecodeTiled's defaults for its video-only inputs (frames per chunk and their overlap); images ignore them.</summary>
    private const int TiledTemporalSize = 64;
    private const int TiledTemporalOverlap = 8;
    private const string ClipTextEncode = "CLIPTextEncode";
    private const string Lanczos = "lanczos";

    /// <summary>The scale factor assumed for upscale models (the common ESRGAN-family models are 4×).</summary>
    public const double AssumedModelScale = 4.0;

    /// <summary>Inserts one LoraLoader per LoRA, chained in order, between the checkpoint and every consumer of its MODEL and CLIP.</summary>
    public static ComfyGraph ApplyLoras(ComfyGraph graph, IReadOnlyList<LoraSpec> loras)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(loras);
        if (loras.Count == 0)
        {
            return graph;
        }
        var checkpoint = Checkpoint(graph);
        var modelConsumers = GraphLinks.Consumers(graph, checkpoint, 0);
        var clipConsumers = GraphLinks.Consumers(graph, checkpoint, 1);
        var (model, clip) = (checkpoint, checkpoint);
        foreach (var lora in loras)
        {
            var id = GraphLinks.AddNode(graph, new ComfyNode("LoraLoader")
                .Link("model", model, 0)
                .Link("clip", clip, 1)
                .Set("lora_name", lora.Name)
                .Set("strength_model", lora.ModelStrength)
                .Set("strength_clip", lora.ClipStrength));
            (model, clip) = (id, id);
        }
        GraphLinks.Rewire(graph, modelConsumers, model, 0);
        GraphLinks.Rewire(graph, clipConsumers, clip, 1);
        return graph;
    }

    /// <summary>
    /// Sets CLIP skip: a CLIPSetLastLayer between each distinct CLIP source and the CLIPTextEncodes it feeds
    /// (or the existing CLIPSetLastLayer updated). −1 means none and leaves the graph unchanged.
    /// </summary>
    public static ComfyGraph ApplyClipSkip(ComfyGraph graph, int stopAtLayer)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stopAtLayer, -1);
        if (stopAtLayer == -1)
        {
            return graph;
        }
        var encoders = graph.Nodes.Where(n => n.Value.ClassType == ClipTextEncode).Select(n => n.Key).ToList();
        if (encoders.Count == 0)
        {
            throw new ComfyGraphFormatException("CLIP skip needs a CLIPTextEncode node, and the graph has none.");
        }
        var bySource = encoders
            .Select(id => (Id: id, Clip: GraphLinks.LinkOf(graph, id, "clip")
                ?? throw new ComfyGraphFormatException($"CLIPTextEncode '{id}' has no CLIP link.")))
            .GroupBy(e => e.Clip);
        foreach (var group in bySource)
        {
            var source = group.Key;
            if (graph[source.SourceId].ClassType == "CLIPSetLastLayer")
            {
                graph[source.SourceId].Set("stop_at_clip_layer", stopAtLayer);
                continue;
            }
            var id = GraphLinks.AddNode(graph, new ComfyNode("CLIPSetLastLayer")
                .Link("clip", source.SourceId, source.OutputIndex)
                .Set("stop_at_clip_layer", stopAtLayer));
            GraphLinks.Rewire(graph, group.Select(e => new InputRef(e.Id, "clip")), id, 0);
        }
        return graph;
    }

    /// <summary>Adds a VAELoader and points every consumer of the checkpoint's VAE at it.</summary>
    public static ComfyGraph ApplyVae(ComfyGraph graph, string vaeName)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrWhiteSpace(vaeName);
        var checkpoint = Checkpoint(graph);
        var consumers = GraphLinks.Consumers(graph, checkpoint, 2);
        var id = GraphLinks.AddNode(graph, new ComfyNode("VAELoader").Set("vae_name", vaeName));
        GraphLinks.Rewire(graph, consumers, id, 0);
        return graph;
    }

    /// <summary>
    /// Adds LoadImage (+ its preprocessor) + ControlNetLoader + ControlNetApplyAdvanced per unit, chained: the first takes the sampler's
    /// conditioning, each next one the previous one's, and whatever consumed the sampler's conditioning
    /// (the sampler, a hires pass) takes the last unit's. Each unit gets the VAE the output decoder uses.
    /// </summary>
    public static ComfyGraph ApplyControlNets(ComfyGraph graph, IReadOnlyList<ControlNetUnit> units)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(units);
        if (units.Count == 0)
        {
            return graph;
        }
        var decoder = OutputDecoder(graph);
        var sampler = Sampler(graph, decoder);
        var positive = RequiredLink(graph, sampler, "positive");
        var negative = RequiredLink(graph, sampler, "negative");
        var vae = RequiredLink(graph, decoder, "vae");
        var positiveConsumers = GraphLinks.Consumers(graph, positive.SourceId, positive.OutputIndex).Where(c => c.Input == "positive").ToList();
        var negativeConsumers = GraphLinks.Consumers(graph, negative.SourceId, negative.OutputIndex).Where(c => c.Input == "negative").ToList();
        var (pos, neg) = (positive, negative);
        foreach (var unit in units)
        {
            var image = GraphLinks.AddNode(graph, new ComfyNode("LoadImage").Set("image", unit.Image));
            if (unit.Preprocessor is { } preprocessor)
            {
                image = AddPreprocessor(graph, image, preprocessor, unit.PreprocessorSettings);
            }
            var loader = GraphLinks.AddNode(graph, new ComfyNode("ControlNetLoader").Set("control_net_name", unit.Model));
            var apply = GraphLinks.AddNode(graph, new ComfyNode("ControlNetApplyAdvanced")
                .Link("positive", pos.SourceId, pos.OutputIndex)
                .Link("negative", neg.SourceId, neg.OutputIndex)
                .Link("control_net", loader, 0)
                .Link("image", image, 0)
                .Set("strength", unit.Strength)
                .Set("start_percent", unit.StartPercent)
                .Set("end_percent", unit.EndPercent)
                .Link("vae", vae.SourceId, vae.OutputIndex));
            (pos, neg) = (new ComfyLink(apply, 0), new ComfyLink(apply, 1));
        }
        GraphLinks.Rewire(graph, positiveConsumers, pos.SourceId, pos.OutputIndex);
        GraphLinks.Rewire(graph, negativeConsumers, neg.SourceId, neg.OutputIndex);
        return graph;
    }

    /// <summary>Adds a preprocessor node fed by output 0 of <paramref name="imageId"/>, with its settings, and returns its id.</summary>
    public static string AddPreprocessor(ComfyGraph graph, string imageId, string classType, IReadOnlyDictionary<string, JsonNode?>? settings)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrWhiteSpace(classType);
        var node = new ComfyNode(classType).Link("image", imageId, 0);
        foreach (var (name, value) in settings ?? new Dictionary<string, JsonNode?>())
        {
            if (name != "image")
            {
                node.Set(name, GraphLinks.Copy(value));
            }
        }
        return GraphLinks.AddNode(graph, node);
    }

    /// <summary>
    /// Adds a second KSampler pass after the sampler (same model, conditioning, seed and cfg; its own steps and denoise),
    /// fed by the first pass upscaled, and makes everything that consumed the first pass consume the second.
    /// Latent mode: LatentUpscaleBy. Model mode: VAEDecode → upscale model → ImageScale to exactly the first pass's size
    /// (<see cref="HiresFix.BaseWidth"/>×<see cref="HiresFix.BaseHeight"/>, or the EmptyLatentImage's when they are not given)
    /// × <see cref="HiresFix.Scale"/> (rounded to multiples of 8, so the model's own factor doesn't matter) → VAEEncode.
    /// On an img2img graph the first pass is the img2img sampler (its own denoise); the second pass runs on its result.
    /// </summary>
    public static ComfyGraph ApplyHiresFix(ComfyGraph graph, HiresFix spec)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Scale);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Steps);
        var decoder = OutputDecoder(graph);
        var sampler = Sampler(graph, decoder);
        if (graph[sampler].ClassType != KSampler)
        {
            throw new ComfyGraphFormatException($"Hires fix needs a KSampler before the output decoder, and node '{sampler}' is a {graph[sampler].ClassType}. Apply hires fix before the refiner.");
        }
        var firstPassConsumers = GraphLinks.Consumers(graph, sampler, 0);
        string latent;
        if (spec.Upscaler is null)
        {
            latent = GraphLinks.AddNode(graph, new ComfyNode("LatentUpscaleBy")
                .Link("samples", sampler, 0)
                .Set("upscale_method", spec.LatentMethod)
                .Set("scale_by", spec.Scale));
        }
        else
        {
            var (width, height) = TargetSize(graph, sampler, spec);
            var vae = RequiredLink(graph, decoder, "vae");
            var decoded = GraphLinks.AddNode(graph, new ComfyNode(VaeDecode)
                .Link("samples", sampler, 0)
                .Link("vae", vae.SourceId, vae.OutputIndex));
            var upscaled = UpscaleWithModel(graph, spec.Upscaler, decoded);
            var scaled = GraphLinks.AddNode(graph, new ComfyNode("ImageScale")
                .Link("image", upscaled, 0)
                .Set("upscale_method", Lanczos)
                .Set("width", width)
                .Set("height", height)
                .Set("crop", "disabled"));
            latent = GraphLinks.AddNode(graph, new ComfyNode("VAEEncode")
                .Link("pixels", scaled, 0)
                .Link("vae", vae.SourceId, vae.OutputIndex));
        }
        var second = new ComfyNode(KSampler);
        foreach (var (name, value) in graph[sampler].Inputs)
        {
            second.Set(name, GraphLinks.Copy(value));
        }
        second.Link("latent_image", latent, 0).Set("steps", spec.Steps).Set("denoise", spec.Denoise);
        if (spec.Sampler is not null)
        {
            second.Set("sampler_name", spec.Sampler);
        }
        if (spec.Scheduler is not null)
        {
            second.Set("scheduler", spec.Scheduler);
        }
        var secondId = GraphLinks.AddNode(graph, second);
        GraphLinks.Rewire(graph, firstPassConsumers, secondId, 0);
        return graph;
    }

    /// <summary>
    /// Splits the KSampler into an SDXL base and refiner pair of KSamplerAdvanced: the base (same id) runs up to the
    /// switch step and returns leftover noise; the refiner, with its own checkpoint and its own encoding of the same
    /// prompts, finishes from there. The output decoder decodes the refiner's latent with the refiner's VAE.
    /// <para>
    /// The split keeps the KSampler's denoise (img2img, a hires pass) by doing what ComfyUI's KSampler does with it:
    /// a denoise <i>d</i> below 1 with <i>N</i> steps samples the last <i>N</i> steps of a schedule of
    /// <c>int(N / d)</c> steps. So the pair gets <c>steps = int(N / d)</c>, the base starts at
    /// <c>start = int(N / d) − N</c> (0 for a full denoise), and the switch is <see cref="Refiner.SwitchAt"/> of the
    /// <i>N</i> steps actually run: <c>start + round(N × SwitchAt)</c>. Denoise 0.3 with 20 steps and a switch at 0.8:
    /// a 66-step schedule, the base runs 46..62, the refiner 62..66, the same sigmas the single KSampler would use.
    /// </para>
    /// </summary>
    public static ComfyGraph ApplyRefiner(ComfyGraph graph, Refiner spec)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentException.ThrowIfNullOrWhiteSpace(spec.Checkpoint);
        if (!(spec.SwitchAt > 0 && spec.SwitchAt < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(spec), spec.SwitchAt, "SwitchAt must be between 0 and 1 (exclusive).");
        }
        var decoder = OutputDecoder(graph);
        var sampler = Sampler(graph, decoder);
        var node = graph[sampler];
        if (node.ClassType != KSampler)
        {
            throw new ComfyGraphFormatException($"The refiner needs a KSampler before the output decoder, and node '{sampler}' is a {node.ClassType}.");
        }
        var run = (int)(Number(node, "steps") ?? throw new ComfyGraphFormatException($"KSampler '{sampler}' has no literal steps."));
        var (steps, start) = ScheduleOf(run, Number(node, "denoise") ?? 1.0);
        var switchStep = start + (int)Math.Round(run * spec.SwitchAt, MidpointRounding.AwayFromZero);
        var consumers = GraphLinks.Consumers(graph, sampler, 0);

        var baseSampler = new ComfyNode(KSamplerAdvanced, new Dictionary<string, JsonNode?>(StringComparer.Ordinal), node.Title)
            .Set("model", GraphLinks.Copy(node.Inputs["model"]))
            .Set("add_noise", "enable")
            .Set("noise_seed", GraphLinks.Copy(node.Inputs["seed"]))
            .Set("steps", steps)
            .Set("cfg", GraphLinks.Copy(node.Inputs["cfg"]))
            .Set("sampler_name", GraphLinks.Copy(node.Inputs["sampler_name"]))
            .Set("scheduler", GraphLinks.Copy(node.Inputs["scheduler"]))
            .Set("positive", GraphLinks.Copy(node.Inputs["positive"]))
            .Set("negative", GraphLinks.Copy(node.Inputs["negative"]))
            .Set("latent_image", GraphLinks.Copy(node.Inputs["latent_image"]))
            .Set("start_at_step", start)
            .Set("end_at_step", switchStep)
            .Set("return_with_leftover_noise", "enable");
        graph.Remove(sampler);
        graph.Add(sampler, baseSampler);

        var checkpoint = GraphLinks.AddNode(graph, new ComfyNode(CheckpointLoader).Set("ckpt_name", spec.Checkpoint));
        var positive = RefinerEncoder(graph, sampler, "positive", checkpoint);
        var negative = RefinerEncoder(graph, sampler, "negative", checkpoint);
        var refiner = GraphLinks.AddNode(graph, new ComfyNode(KSamplerAdvanced)
            .Link("model", checkpoint, 0)
            .Set("add_noise", "disable")
            .Set("noise_seed", GraphLinks.Copy(baseSampler.Inputs["noise_seed"]))
            .Set("steps", steps)
            .Set("cfg", GraphLinks.Copy(baseSampler.Inputs["cfg"]))
            .Set("sampler_name", GraphLinks.Copy(baseSampler.Inputs["sampler_name"]))
            .Set("scheduler", GraphLinks.Copy(baseSampler.Inputs["scheduler"]))
            .Link("positive", positive, 0)
            .Link("negative", negative, 0)
            .Link("latent_image", sampler, 0)
            .Set("start_at_step", switchStep)
            .Set("end_at_step", 10000)
            .Set("return_with_leftover_noise", "disable"));
        GraphLinks.Rewire(graph, consumers, refiner, 0);
        graph[decoder].Link("vae", checkpoint, 2);
        return graph;
    }

    /// <summary>
    /// The schedule a KSampler runs <paramref name="steps"/> steps of with <paramref name="denoise"/>, as ComfyUI computes it
    /// (<c>comfy.samplers.KSampler.set_steps</c>): its length, and the step the KSampler starts at.
    /// </summary>
    public static (int Steps, int Start) ScheduleOf(int steps, double denoise)
    {
        if (denoise > 0.9999)
        {
            return (steps, 0);
        }
        if (!(denoise > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(denoise), denoise, "A sampler with denoise 0 samples nothing, so there are no steps to split.");
        }
        var total = (int)(steps / denoise);
        return (total, total - steps);
    }

    /// <summary>
    /// Replaces every VAEDecode with a core VAEDecodeTiled under the same id, taking the same samples and VAE, so every
    /// consumer keeps its link. The video-only inputs get the node's defaults. Apply it last: the other transforms find
    /// the output decoder by its VAEDecode.
    /// </summary>
    public static ComfyGraph ApplyTiledDecode(ComfyGraph graph, TiledDecode spec)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(spec);
        var decoders = graph.Nodes.Where(n => n.Value.ClassType == VaeDecode).Select(n => n.Key).ToList();
        if (decoders.Count == 0)
        {
            throw new ComfyGraphFormatException("Tiled decoding needs a VAEDecode node, and the graph has none.");
        }
        foreach (var id in decoders)
        {
            var old = graph[id];
            var tiled = new ComfyNode(VaeDecodeTiled, new Dictionary<string, JsonNode?>(StringComparer.Ordinal), old.Title)
                .Set("samples", GraphLinks.Copy(old.Inputs.GetValueOrDefault("samples")))
                .Set("vae", GraphLinks.Copy(old.Inputs.GetValueOrDefault("vae")))
                .Set("tile_size", spec.TileSize)
                .Set("overlap", spec.Overlap)
                .Set("temporal_size", TiledTemporalSize)
                .Set("temporal_overlap", TiledTemporalOverlap);
            graph.Remove(id);
            graph.Add(id, tiled);
        }
        return graph;
    }

    /// <summary>The VAEDecode nearest upstream of the graph's SaveImage.</summary>
    public static string OutputDecoder(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var save = graph.Nodes.Where(n => n.Value.ClassType == "SaveImage").Select(n => n.Key).Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new ComfyGraphFormatException("The graph has no SaveImage node.");
        return GraphLinks.FindUpstream(graph, save, VaeDecode)
            ?? throw new ComfyGraphFormatException($"No VAEDecode feeds SaveImage '{save}'.");
    }

    /// <summary>The KSampler or KSamplerAdvanced nearest upstream of the output decoder.</summary>
    public static string Sampler(ComfyGraph graph) => Sampler(graph, OutputDecoder(graph));

    /// <summary>The CheckpointLoaderSimple nearest upstream of the sampler's model input.</summary>
    public static string Checkpoint(ComfyGraph graph)
    {
        var sampler = Sampler(graph);
        var model = RequiredLink(graph, sampler, "model");
        return GraphLinks.FindUpstream(graph, model.SourceId, CheckpointLoader)
            ?? throw new ComfyGraphFormatException($"No CheckpointLoaderSimple feeds the model of sampler '{sampler}'.");
    }

    private static string Sampler(ComfyGraph graph, string decoder) =>
        GraphLinks.FindUpstream(graph, decoder, KSampler, KSamplerAdvanced)
        ?? throw new ComfyGraphFormatException($"No KSampler feeds VAEDecode '{decoder}'.");

    private static ComfyLink RequiredLink(ComfyGraph graph, string nodeId, string input) =>
        GraphLinks.LinkOf(graph, nodeId, input)
        ?? throw new ComfyGraphFormatException($"Node '{nodeId}' ({graph[nodeId].ClassType}) has no link on '{input}'.");

    internal static string UpscaleWithModel(ComfyGraph graph, string model, string image)
    {
        var loader = GraphLinks.AddNode(graph, new ComfyNode("UpscaleModelLoader").Set("model_name", model));
        return GraphLinks.AddNode(graph, new ComfyNode("ImageUpscaleWithModel")
            .Link("upscale_model", loader, 0)
            .Link("image", image, 0));
    }

    private static (int Width, int Height) TargetSize(ComfyGraph graph, string sampler, HiresFix spec)
    {
        if (spec.BaseWidth is { } baseWidth && spec.BaseHeight is { } baseHeight)
        {
            return (RoundTo8(baseWidth * spec.Scale), RoundTo8(baseHeight * spec.Scale));
        }
        var scale = spec.Scale;
        var latent = RequiredLink(graph, sampler, "latent_image");
        var empty = GraphLinks.FindUpstream(graph, latent.SourceId, "EmptyLatentImage")
            ?? throw new ComfyGraphFormatException($"Model-mode hires fix needs the EmptyLatentImage of sampler '{sampler}' for the size, and there is none.");
        return (Scaled(graph, empty, "width", scale), Scaled(graph, empty, "height", scale));
    }

    private static int Scaled(ComfyGraph graph, string nodeId, string input, double scale) =>
        RoundTo8((Number(graph[nodeId], input) ?? throw new ComfyGraphFormatException($"EmptyLatentImage '{nodeId}' has no literal {input}.")) * scale);

    private static int RoundTo8(double size) => (int)Math.Round(size / 8, MidpointRounding.AwayFromZero) * 8;

    /// <summary>A literal number input, whatever CLR type the JSON value was created from.</summary>
    private static double? Number(ComfyNode node, string input) =>
        node.Inputs.TryGetValue(input, out var value) && value is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;

    private static string RefinerEncoder(ComfyGraph graph, string sampler, string input, string checkpoint)
    {
        var link = RequiredLink(graph, sampler, input);
        var encoder = GraphLinks.FindUpstream(graph, link.SourceId, ClipTextEncode)
            ?? throw new ComfyGraphFormatException($"No CLIPTextEncode feeds the {input} of sampler '{sampler}'.");
        return GraphLinks.AddNode(graph, new ComfyNode(ClipTextEncode)
            .Set("text", GraphLinks.Copy(graph[encoder].Inputs.GetValueOrDefault("text")))
            .Link("clip", checkpoint, 1));
    }
}
