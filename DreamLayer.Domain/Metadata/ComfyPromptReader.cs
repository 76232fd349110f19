using System.Globalization;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Reads generation parameters out of a ComfyUI API-format <c>prompt</c> graph. The main sampler is the first in the
/// latent chain (with a base + refiner pair, the base); its positive and negative conditioning are traced back
/// through ControlNet, combine and similar nodes to the text encoders, its model input back through LoRA loaders
/// to the checkpoint, and its latent back to the empty latent that gives the size. Values held by links (a
/// primitive node feeding the seed) are followed too. Every walk is bounded, so a cyclic graph cannot hang it.
/// </summary>
internal static class ComfyPromptReader
{
    private const int MaxDepth = 64;

    private static readonly string[] SeedInputs = ["seed", "noise_seed"];
    private static readonly string[] TextInputs = ["text", "text_g", "prompt", "string", "value", "text_l"];
    private static readonly string[] PassThroughConditioning = ["conditioning", "conditioning_to", "conditioning_1", "conditioning_from", "conditioning_2", "base_conditioning"];
    private static readonly string[] LatentInputs = ["latent_image", "samples", "latent", "latents"];

    public static GenerationMetadata? Read(string json, bool hasWorkflow, List<string> problems)
    {
        ComfyGraph graph;
        try
        {
            graph = ComfyGraph.Parse(json);
        }
        catch (ComfyGraphFormatException ex)
        {
            problems.Add($"The ComfyUI 'prompt' text is not an API-format graph ({ex.Message}); it was ignored.");
            return null;
        }
        var label = hasWorkflow ? "ComfyUI (prompt and workflow)" : "ComfyUI (prompt)";
        var samplers = graph.Nodes.Where(n => IsSampler(n.Value)).Select(n => n.Key).ToList();
        if (samplers.Count == 0)
        {
            return new GenerationMetadata { Tool = MetadataTool.ComfyUI, ToolLabel = label, Parameters = [new("Nodes", graph.Nodes.Count.ToString(CultureInfo.InvariantCulture))] };
        }
        // The main sampler is one whose latent does not come from another sampler.
        var main = samplers.FirstOrDefault(id => !LatentComesFromSampler(graph, id)) ?? samplers[0];
        var sampler = graph[main];
        var reader = new Reader(graph);

        var seed = SeedInputs.Select(i => reader.Number(sampler, i)).FirstOrDefault(v => v is not null);
        var steps = reader.Number(sampler, "steps");
        var cfg = reader.Number(sampler, "cfg");
        var samplerName = reader.String(sampler, "sampler_name");
        var scheduler = reader.String(sampler, "scheduler");
        var denoise = reader.Number(sampler, "denoise");
        var positive = reader.Text(sampler, "positive", 0);
        var negative = reader.Text(sampler, "negative", 0);
        var loras = new List<LoraUse>();
        var model = reader.Model(sampler, loras, 0);
        var latent = reader.Latent(sampler, 0);

        var parameters = new List<KeyValuePair<string, string>>();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                parameters.Add(new(key, value));
            }
        }
        Add("Steps", steps);
        Add("Sampler", samplerName);
        Add("Scheduler", scheduler);
        Add("CFG scale", cfg);
        Add("Seed", seed);
        if (latent.Width is not null)
        {
            Add("Size", $"{latent.Width}x{latent.Height}");
        }
        Add("Batch size", latent.BatchSize);
        Add("Model", model);
        Add("Denoise", denoise);
        foreach (var lora in loras)
        {
            Add("LoRA", string.Create(CultureInfo.InvariantCulture, $"{lora.Name} (model {lora.Weight}, clip {lora.ClipWeight})"));
        }
        Add("Init image", latent.InitImage);
        if (sampler.ClassType == "KSamplerAdvanced")
        {
            Add("Start at step", reader.Number(sampler, "start_at_step"));
            Add("End at step", reader.Number(sampler, "end_at_step"));
        }
        foreach (var refiner in samplers.Where(id => id != main))
        {
            var node = graph[refiner];
            Add("Refiner", reader.Model(node, [], 0));
            if (node.ClassType == "KSamplerAdvanced")
            {
                Add("Refiner start at step", reader.Number(node, "start_at_step"));
            }
        }

        return new GenerationMetadata
        {
            Tool = MetadataTool.ComfyUI,
            ToolLabel = label,
            Prompt = positive,
            NegativePrompt = negative,
            Steps = ImageMetadataReader.Int(steps),
            Sampler = samplerName is null ? null : samplerName.StartsWith("sample_", StringComparison.Ordinal) ? samplerName["sample_".Length..] : samplerName,
            Scheduler = scheduler,
            Cfg = ImageMetadataReader.Double(cfg),
            Seed = ImageMetadataReader.ULong(seed),
            Width = ImageMetadataReader.Int(latent.Width),
            Height = ImageMetadataReader.Int(latent.Height),
            Model = model,
            Denoise = ImageMetadataReader.Double(denoise),
            Loras = loras,
            Parameters = parameters,
        };
    }

    private static bool IsSampler(ComfyNode node) =>
        node.Inputs.ContainsKey("positive") && node.Inputs.ContainsKey("negative") && node.Inputs.ContainsKey("latent_image")
        && (node.Inputs.ContainsKey("steps") || SeedInputs.Any(node.Inputs.ContainsKey));

    private static bool LatentComesFromSampler(ComfyGraph graph, string samplerId)
    {
        var id = samplerId;
        for (var depth = 0; depth < MaxDepth; depth++)
        {
            var node = graph[id];
            var next = LatentInputs.Select(i => node.Inputs.GetValueOrDefault(i)).FirstOrDefault(v => ComfyLink.TryParse(v, out _));
            if (!ComfyLink.TryParse(next, out var link) || !graph.TryGetNode(link.SourceId, out var source))
            {
                return false;
            }
            if (IsSampler(source))
            {
                return true;
            }
            id = link.SourceId;
        }
        return false;
    }

    private sealed record LatentInfo(string? Width, string? Height, string? BatchSize, string? InitImage);

    private sealed class Reader(ComfyGraph graph)
    {
        /// <summary>A literal number or boolean of an input, following links to primitive nodes.</summary>
        public string? Number(ComfyNode node, string input) => Literal(node.Inputs.GetValueOrDefault(input), input, 0) is { } v && v.Kind == LiteralKind.Number ? v.Text : null;

        public string? String(ComfyNode node, string input) => Literal(node.Inputs.GetValueOrDefault(input), input, 0) is { } v ? v.Text : null;

        private enum LiteralKind
        {
            Number,
            Text,
        }

        private readonly record struct Found(string Text, LiteralKind Kind);

        private Found? Literal(JsonNode? value, string input, int depth)
        {
            if (depth > MaxDepth || value is null)
            {
                return null;
            }
            if (ComfyLink.TryParse(value, out var link))
            {
                if (!graph.TryGetNode(link.SourceId, out var source))
                {
                    return null;
                }
                // A primitive or helper node: its own input of the same name, else its only literal.
                if (source.Inputs.TryGetValue(input, out var same) && Literal(same, input, depth + 1) is { } found)
                {
                    return found;
                }
                foreach (var name in (string[])["value", "seed", "int", "float", "number", "string", "text"])
                {
                    if (source.Inputs.TryGetValue(name, out var v) && !ComfyLink.TryParse(v, out _) && Literal(v, name, depth + 1) is { } lit)
                    {
                        return lit;
                    }
                }
                return null;
            }
            return value switch
            {
                JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => new Found(v.GetValue<string>(), LiteralKind.Text),
                JsonValue v when ImageMetadataReader.Scalar(v) is { } s => new Found(s, LiteralKind.Number),
                _ => null,
            };
        }

        /// <summary>The prompt text behind a conditioning input (slot-aware for nodes with positive/negative outputs).</summary>
        public string? Text(ComfyNode node, string input, int depth)
        {
            if (depth > MaxDepth || !ComfyLink.TryParse(node.Inputs.GetValueOrDefault(input), out var link) || !graph.TryGetNode(link.SourceId, out var source))
            {
                return null;
            }
            // A text encoder: its text input (a literal or a link to a string node).
            foreach (var name in TextInputs)
            {
                if (source.Inputs.TryGetValue(name, out var v) && Literal(v, name, depth + 1) is { Kind: LiteralKind.Text } text)
                {
                    if (name == "text_g" && String(source, "text_l") is { } textL && textL != text.Text && textL.Length > 0)
                    {
                        return text.Text + "\n" + textL;
                    }
                    return text.Text;
                }
            }
            // A node with both conditionings (ControlNet apply, InstructPix2Pix...): output 0 is positive, 1 negative.
            if (source.Inputs.ContainsKey("positive") && source.Inputs.ContainsKey("negative"))
            {
                return Text(source, link.OutputIndex == 1 ? "negative" : "positive", depth + 1);
            }
            foreach (var name in PassThroughConditioning)
            {
                if (Text(source, name, depth + 1) is { } passed)
                {
                    return passed;
                }
            }
            return null;
        }

        /// <summary>The checkpoint (or diffusion model) behind a model input, collecting LoRA loaders on the way.</summary>
        public string? Model(ComfyNode node, List<LoraUse> loras, int depth)
        {
            if (depth > MaxDepth || !ComfyLink.TryParse(node.Inputs.GetValueOrDefault("model"), out var link) || !graph.TryGetNode(link.SourceId, out var source))
            {
                return null;
            }
            foreach (var name in (string[])["ckpt_name", "unet_name", "model_name"])
            {
                if (String(source, name) is { } model)
                {
                    return model;
                }
            }
            if (String(source, "lora_name") is { } lora)
            {
                loras.Add(new LoraUse(lora, ImageMetadataReader.Double(Number(source, "strength_model")), ImageMetadataReader.Double(Number(source, "strength_clip"))));
            }
            return Model(source, loras, depth + 1);
        }

        /// <summary>Size and batch size from the empty latent behind the sampler, or the image an encoded latent came from.</summary>
        public LatentInfo Latent(ComfyNode node, int depth)
        {
            var value = LatentInputs.Select(i => node.Inputs.GetValueOrDefault(i)).FirstOrDefault(v => ComfyLink.TryParse(v, out _));
            if (depth > MaxDepth || !ComfyLink.TryParse(value, out var link) || !graph.TryGetNode(link.SourceId, out var source))
            {
                return new LatentInfo(null, null, null, null);
            }
            if (Number(source, "width") is { } width && Number(source, "height") is { } height)
            {
                return new LatentInfo(width, height, Number(source, "batch_size"), null);
            }
            if (source.Inputs.TryGetValue("pixels", out var pixelsValue) && ComfyLink.TryParse(pixelsValue, out var pixels) && graph.TryGetNode(pixels.SourceId, out var image))
            {
                return new LatentInfo(null, null, null, String(image, "image"));
            }
            return Latent(source, depth + 1);
        }
    }
}
