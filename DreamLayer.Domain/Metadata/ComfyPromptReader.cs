using System.Globalization;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Metadata;

/// <summary>
/// Reads generation parameters out of a ComfyUI API-format <c>prompt</c> graph, traced back from each output (save
/// or preview node) to the sampler that made its image, and from there through the latent (and decoded image) chain
/// to every earlier pass and to the empty latent or loaded image it started from. The first pass gives the main
/// parameters; each later pass is named by what it is: a <b>hires fix</b> (the same checkpoint after a latent or
/// image upscale: target size, upscaler, steps, denoise), a <b>refiner</b> (another checkpoint continuing the same
/// schedule: KSamplerAdvanced starting where the previous one ended), a <b>continued pass</b> (the same schedule on
/// the same checkpoint) or a <b>second pass</b> (anything else, e.g. another checkpoint over an upscaled latent).
/// Prompts are collected through every branch of conditioning combine, concat, average and set-area nodes, the
/// main (full-picture) one first. Values held by links (a primitive node feeding the seed) are followed too. Every
/// walk is bounded, so a cyclic or huge graph cannot hang it.
/// </summary>
internal static class ComfyPromptReader
{
    private const int MaxDepth = 64;
    private const int MaxPasses = 16;
    private const int MaxOutputs = 16;
    private const int MaxPrompts = 32;

    private static readonly string[] SeedInputs = ["seed", "noise_seed"];
    private static readonly string[] TextInputs = ["text", "text_g", "prompt", "string", "value", "text_l"];
    private static readonly string[] ConditioningInputs = ["conditioning", "conditioning_1", "conditioning_2", "conditioning_to", "conditioning_from", "base_conditioning", "conditioning_a", "conditioning_b"];
    private static readonly string[] LatentInputs = ["latent_image", "samples", "latent", "latents"];

    /// <summary>The inputs that carry the picture itself (latent or image), in the order a walk back follows them.</summary>
    private static readonly string[] DataInputs = ["samples_to", "samples", "latent_image", "latent", "latents", "pixels", "image", "images", "destination", "image1", "samples1"];

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
        var reader = new Reader(graph);

        var outputs = new List<Traced>();
        foreach (var (id, node) in graph.Nodes)
        {
            if (outputs.Count < MaxOutputs && IsOutput(node) && reader.SamplerBehind(node) is { } last)
            {
                outputs.Add(new Traced($"{node.ClassType} (node {id})", reader.Chain(last)));
            }
        }
        if (outputs.Count == 0)
        {
            // No save or preview node: every sampler that no later pass continues.
            var chains = samplers.Take(MaxOutputs).Select(reader.Chain).ToList();
            var earlier = chains.SelectMany(c => c.Passes.SkipLast(1).Select(p => p.Id)).ToHashSet(StringComparer.Ordinal);
            outputs.AddRange(chains.Where(c => !earlier.Contains(c.Passes[^1].Id)).Select(c => new Traced($"{graph[c.Passes[^1].Id].ClassType} (node {c.Passes[^1].Id})", c)));
        }
        var main = outputs.Count == 0 ? new Traced("", reader.Chain(samplers[0])) : outputs.MaxBy(o => o.Chain.Passes.Count)!;
        var described = outputs.Select(o => (Output: o, Description: reader.Describe(o.Chain))).ToList();
        var mainDescription = described.FirstOrDefault(d => ReferenceEquals(d.Output, main)).Description ?? reader.Describe(main.Chain);

        var first = graph[main.Chain.Passes[0].Id];
        var loras = new List<LoraUse>();
        var model = reader.Model(first, loras, 0);
        var samplerName = reader.String(first, "sampler_name");
        var source = main.Chain.Source;
        return new GenerationMetadata
        {
            Tool = MetadataTool.ComfyUI,
            ToolLabel = label,
            Prompt = mainDescription.Prompt,
            NegativePrompt = mainDescription.NegativePrompt,
            Steps = ImageMetadataReader.Int(reader.Number(first, "steps")),
            Sampler = samplerName is null ? null : samplerName.StartsWith("sample_", StringComparison.Ordinal) ? samplerName["sample_".Length..] : samplerName,
            Scheduler = reader.String(first, "scheduler"),
            Cfg = ImageMetadataReader.Double(reader.Number(first, "cfg")),
            Seed = ImageMetadataReader.ULong(SeedInputs.Select(i => reader.Number(first, i)).FirstOrDefault(v => v is not null)),
            Width = source.Width,
            Height = source.Height,
            Model = model,
            Denoise = ImageMetadataReader.Double(reader.Number(first, "denoise")),
            Loras = loras,
            Parameters = mainDescription.Parameters,
            Outputs = described.Count > 1
                ? [.. described.Select(d => new MetadataOutput($"{d.Output.Title}: {d.Description.Summary}", d.Description.Parameters, ReferenceEquals(d.Output, main)))]
                : [],
        };
    }

    /// <summary>A node that saves or shows images: ComfyUI's output nodes and custom ones named alike.</summary>
    private static bool IsOutput(ComfyNode node) =>
        node.Inputs.TryGetValue("images", out var images) && ComfyLink.TryParse(images, out _)
        && (node.ClassType.Contains("Save", StringComparison.OrdinalIgnoreCase) || node.ClassType.Contains("Preview", StringComparison.OrdinalIgnoreCase));

    private static bool IsSampler(ComfyNode node) =>
        node.Inputs.ContainsKey("positive") && node.Inputs.ContainsKey("negative") && node.Inputs.ContainsKey("latent_image")
        && (node.Inputs.ContainsKey("steps") || SeedInputs.Any(node.Inputs.ContainsKey));

    private sealed record Traced(string Title, Chain Chain);

    /// <summary>What a latent walk found between two passes: resizes, upscale models, composited samplers.</summary>
    private sealed record Upscale(bool Latent, string? Method, double? ScaleBy, int? Width, int? Height, string? Model);

    /// <summary>One sampling pass: its sampler, what happened to the picture before it, the samplers composited into it.</summary>
    private sealed record Pass(string Id, IReadOnlyList<Upscale> Upscales, IReadOnlyList<string> Composited);

    private sealed record Source(int? Width, int? Height, string? BatchSize, string? InitImage);

    /// <summary>The passes that made one output, first to last, and what the first started from.</summary>
    private sealed record Chain(IReadOnlyList<Pass> Passes, Source Source);

    private sealed record Description(string? Prompt, string? NegativePrompt, List<KeyValuePair<string, string>> Parameters, string Summary);

    private enum PassKind
    {
        HiresFix,
        Refiner,
        ContinuedPass,
        SecondPass,
    }

    private sealed record PromptPart(string Text, string? Area);

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

        private static bool IsLink(ComfyNode node, string input, out ComfyLink link) => ComfyLink.TryParse(node.Inputs.GetValueOrDefault(input), out link);

        /// <summary>The first input that carries the picture (latent or image) into a node.</summary>
        private static ComfyLink? DataLink(ComfyNode node)
        {
            foreach (var name in DataInputs)
            {
                if (IsLink(node, name, out var link))
                {
                    return link;
                }
            }
            return null;
        }

        /// <summary>The sampler whose result an output shows: back through decoders, resizes and other picture nodes.</summary>
        public string? SamplerBehind(ComfyNode output)
        {
            var link = DataLink(output);
            for (var depth = 0; depth < MaxDepth && link is { } l && graph.TryGetNode(l.SourceId, out var node); depth++)
            {
                if (IsSampler(node))
                {
                    return l.SourceId;
                }
                link = DataLink(node);
            }
            return null;
        }

        /// <summary>Every pass that led to a sampler's result, first to last.</summary>
        public Chain Chain(string lastSampler)
        {
            var passes = new List<Pass>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var current = lastSampler;
            var source = new Source(null, null, null, null);
            while (passes.Count < MaxPasses && seen.Add(current))
            {
                var (previous, upscales, composited, start) = WalkBack(graph[current]);
                passes.Insert(0, new Pass(current, upscales, composited));
                if (previous is null || seen.Contains(previous))
                {
                    source = start;
                    break;
                }
                current = previous;
            }
            return new Chain(passes, source);
        }

        /// <summary>From a sampler's latent input back to the previous sampler or to where the picture starts.</summary>
        private (string? Previous, List<Upscale> Upscales, List<string> Composited, Source Start) WalkBack(ComfyNode sampler)
        {
            var upscales = new List<Upscale>();
            var composited = new List<string>();
            var link = LatentInputs.Select(i => IsLink(sampler, i, out var l) ? l : (ComfyLink?)null).FirstOrDefault(l => l is not null);
            for (var depth = 0; depth < MaxDepth && link is { } l && graph.TryGetNode(l.SourceId, out var node); depth++)
            {
                if (IsSampler(node))
                {
                    upscales.Reverse();
                    return (l.SourceId, upscales, composited, new Source(null, null, null, null));
                }
                var next = DataLink(node);
                if (next is null)
                {
                    var width = ImageMetadataReader.Int(Number(node, "width"));
                    var height = ImageMetadataReader.Int(Number(node, "height"));
                    upscales.Reverse();
                    return (null, upscales, composited, width is not null && height is not null
                        ? new Source(width, height, Number(node, "batch_size"), null)
                        : new Source(null, null, null, String(node, "image")));
                }
                if (UpscaleOf(node) is { } upscale)
                {
                    upscales.Add(upscale);
                }
                // A latent pasted onto this one (noisy latent composition): the sampler that made it.
                foreach (var other in (string[])["samples_from", "source", "image2", "samples2"])
                {
                    if (IsLink(node, other, out var from) && graph.TryGetNode(from.SourceId, out var fromNode) && IsSampler(fromNode) && composited.Count < MaxPasses)
                    {
                        composited.Add(from.SourceId);
                    }
                }
                link = next;
            }
            upscales.Reverse();
            return (null, upscales, composited, new Source(null, null, null, null));
        }

        private Upscale? UpscaleOf(ComfyNode node)
        {
            var latent = node.ClassType.Contains("Latent", StringComparison.Ordinal);
            var method = String(node, "upscale_method");
            if (IsLink(node, "upscale_model", out var modelLink) && graph.TryGetNode(modelLink.SourceId, out var loader))
            {
                return new Upscale(false, null, null, null, null, String(loader, "model_name") ?? loader.ClassType);
            }
            if (ImageMetadataReader.Double(Number(node, "scale_by")) is { } scale)
            {
                return new Upscale(latent, method, scale, null, null, null);
            }
            if (ImageMetadataReader.Int(Number(node, "width")) is { } width && ImageMetadataReader.Int(Number(node, "height")) is { } height
                && !node.Inputs.ContainsKey("x"))
            {
                return new Upscale(latent, method, null, width, height, null);
            }
            return null;
        }

        /// <summary>The parameters of one output's passes, in order, with a summary ("first pass, hires fix").</summary>
        public Description Describe(Chain chain)
        {
            var parameters = new List<KeyValuePair<string, string>>();
            void Add(string key, string? value)
            {
                if (!string.IsNullOrEmpty(value))
                {
                    parameters.Add(new(key, value));
                }
            }
            var first = graph[chain.Passes[0].Id];
            var firstLoras = new List<LoraUse>();
            var firstModel = Model(first, firstLoras, 0);
            var positives = Prompts(first, "positive");
            var negatives = Prompts(first, "negative");
            Add("Steps", Number(first, "steps"));
            Add("Sampler", String(first, "sampler_name"));
            Add("Scheduler", String(first, "scheduler"));
            Add("CFG scale", Number(first, "cfg"));
            Add("Seed", SeedInputs.Select(i => Number(first, i)).FirstOrDefault(v => v is not null));
            if (chain.Source.Width is not null)
            {
                Add("Size", string.Create(CultureInfo.InvariantCulture, $"{chain.Source.Width}x{chain.Source.Height}"));
            }
            Add("Batch size", chain.Source.BatchSize);
            Add("Model", firstModel);
            Add("Denoise", Number(first, "denoise"));
            foreach (var lora in firstLoras)
            {
                Add("LoRA", string.Create(CultureInfo.InvariantCulture, $"{lora.Name} (model {lora.Weight}, clip {lora.ClipWeight})"));
            }
            Add("Init image", chain.Source.InitImage);
            if (first.ClassType == "KSamplerAdvanced")
            {
                Add("Start at step", Number(first, "start_at_step"));
                Add("End at step", Number(first, "end_at_step"));
            }
            AddPrompts(parameters, positives, "prompt");
            AddPrompts(parameters, negatives, "negative prompt");
            var mainPrompt = positives.FirstOrDefault()?.Text;
            var mainNegative = negatives.FirstOrDefault()?.Text;

            var summary = new List<string> { chain.Passes.Count == 1 ? "one pass" : "first pass" };
            var kinds = new Dictionary<PassKind, int>();
            (int? Width, int? Height) size = (chain.Source.Width, chain.Source.Height);
            for (var i = 1; i < chain.Passes.Count; i++)
            {
                var pass = chain.Passes[i];
                var previous = graph[chain.Passes[i - 1].Id];
                var node = graph[pass.Id];
                var model = Model(node, [], 0);
                var (target, upscaler) = Target(size, pass.Upscales);
                var kind = Classify(previous, node, model == Model(previous, [], 0), pass.Upscales.Count > 0);
                var count = kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                summary.Add(Name(kind));
                var prompt = Prompts(node, "positive").FirstOrDefault()?.Text;
                var negative = Prompts(node, "negative").FirstOrDefault()?.Text;
                var seed = SeedInputs.Select(s => Number(node, s)).FirstOrDefault(v => v is not null);
                var firstSeed = SeedInputs.Select(s => Number(previous, s)).FirstOrDefault(v => v is not null);
                var sampler = String(node, "sampler_name") is { } s ? s.StartsWith("sample_", StringComparison.Ordinal) ? s["sample_".Length..] : s : null;
                if (kind == PassKind.HiresFix && count == 1)
                {
                    // The keys A1111 writes, so that "Send to Txt2Img" fills the hires fix.
                    if (target.Width is { } w && size.Width is { } w0 && w0 > 0)
                    {
                        Add(RequestInfotext.HiresUpscale, Math.Round((double)w / w0, 4).ToString("R", CultureInfo.InvariantCulture));
                    }
                    if (target.Width is not null)
                    {
                        Add("Hires resize", string.Create(CultureInfo.InvariantCulture, $"{target.Width}x{target.Height}"));
                    }
                    Add(RequestInfotext.HiresUpscaler, upscaler);
                    Add(RequestInfotext.HiresSteps, Number(node, "steps"));
                    Add(RequestInfotext.HiresSampler, sampler is null ? null : SamplerNames.SamplerToA1111(sampler));
                    Add("Hires scheduler", String(node, "scheduler"));
                    Add(HiresDenoise, Number(node, "denoise"));
                    Add("Hires CFG scale", Number(node, "cfg"));
                    Add("Hires seed", seed != firstSeed ? seed : null);
                    Add("Hires prompt", prompt != mainPrompt ? prompt : null);
                    Add("Hires negative prompt", negative != mainNegative ? negative : null);
                }
                else if (kind == PassKind.Refiner && count == 1)
                {
                    var start = ImageMetadataReader.Double(Number(node, "start_at_step"));
                    var steps = ImageMetadataReader.Double(Number(node, "steps"));
                    Add(RequestInfotext.Refiner, model);
                    Add(RequestInfotext.RefinerSwitchAt, start is { } a && steps is > 0 and var n ? Math.Round(a / n, 4).ToString("R", CultureInfo.InvariantCulture) : null);
                    Add("Refiner start at step", Number(node, "start_at_step"));
                    Add("Refiner prompt", prompt != mainPrompt ? prompt : null);
                    Add("Refiner negative prompt", negative != mainNegative ? negative : null);
                }
                else
                {
                    var name = Name(kind);
                    var prefix = char.ToUpperInvariant(name[0]) + name[1..] + (count > 1 ? " " + count.ToString(CultureInfo.InvariantCulture) : string.Empty);
                    Add(prefix, kind == PassKind.ContinuedPass
                        ? $"steps {Number(node, "start_at_step")}–{Number(node, "end_at_step")} of {Number(node, "steps")}"
                        : model);
                    if (target.Width is not null)
                    {
                        Add(prefix + " size", string.Create(CultureInfo.InvariantCulture, $"{target.Width}x{target.Height}"));
                    }
                    Add(prefix + " upscaler", upscaler);
                    if (kind != PassKind.ContinuedPass)
                    {
                        Add(prefix + " steps", Number(node, "steps"));
                    }
                    Add(prefix + " sampler", String(node, "sampler_name"));
                    Add(prefix + " scheduler", String(node, "scheduler"));
                    Add(prefix + " CFG scale", Number(node, "cfg"));
                    Add(prefix + " denoise", Number(node, "denoise"));
                    Add(prefix + " seed", seed != firstSeed && seed != "0" ? seed : null);
                    Add(prefix + " prompt", prompt != mainPrompt ? prompt : null);
                    Add(prefix + " negative prompt", negative != mainNegative ? negative : null);
                }
                foreach (var id in pass.Composited)
                {
                    var other = graph[id];
                    Add("Composited pass", $"{Prompts(other, "positive").FirstOrDefault()?.Text} (seed {SeedInputs.Select(s => Number(other, s)).FirstOrDefault(v => v is not null)})");
                }
                size = target;
            }
            return new Description(mainPrompt, mainNegative, parameters, string.Join(", ", summary));
        }

        private static string Name(PassKind kind) => kind switch
        {
            PassKind.HiresFix => "hires fix",
            PassKind.Refiner => "refiner",
            PassKind.ContinuedPass => "continued pass",
            _ => "second pass",
        };

        /// <summary>
        /// A pass continuing the previous one's schedule (KSamplerAdvanced starting at the step the previous one ended,
        /// of the same number of steps, with nothing done to the latent between) is a refiner on another checkpoint and
        /// a continued pass on the same one; after an upscale on the same checkpoint it is a hires fix; else a second pass.
        /// </summary>
        private PassKind Classify(ComfyNode previous, ComfyNode current, bool sameCheckpoint, bool upscaled)
        {
            var continues = !upscaled && previous.ClassType == "KSamplerAdvanced" && current.ClassType == "KSamplerAdvanced"
                && Number(current, "start_at_step") is { } start && start == Number(previous, "end_at_step")
                && Number(current, "steps") == Number(previous, "steps");
            return continues ? (sameCheckpoint ? PassKind.ContinuedPass : PassKind.Refiner)
                : upscaled && sameCheckpoint ? PassKind.HiresFix
                : PassKind.SecondPass;
        }

        /// <summary>The size after a pass's upscales and the upscaler's name as A1111 writes it ("Latent (bislerp)" or the model).</summary>
        private static ((int? Width, int? Height) Size, string? Upscaler) Target((int? Width, int? Height) size, IReadOnlyList<Upscale> upscales)
        {
            string? upscaler = null;
            foreach (var up in upscales)
            {
                if (up.Model is { } model)
                {
                    // The model's factor is in its weights: the size is known again only after an explicit resize.
                    size = (null, null);
                    upscaler = model;
                }
                else if (up.Width is { } w)
                {
                    size = (w, up.Height);
                }
                else if (up.ScaleBy is { } by)
                {
                    size = size.Width is { } w0 && size.Height is { } h0 ? ((int)Math.Round(w0 * by), (int)Math.Round(h0 * by)) : (null, null);
                }
                if (up.Latent && upscaler is null)
                {
                    upscaler = up.Method is null or "bilinear" ? "Latent" : $"Latent ({up.Method})";
                }
                else if (!up.Latent && upscaler is null && up.Method is { } method)
                {
                    upscaler = $"Image ({method})";
                }
            }
            return (size, upscaler);
        }

        private static void AddPrompts(List<KeyValuePair<string, string>> parameters, List<PromptPart> prompts, string what)
        {
            foreach (var part in prompts.Skip(1))
            {
                parameters.Add(part.Area is null
                    ? new($"Combined {what}", part.Text)
                    : new($"Area {what}", $"{part.Area}: {part.Text}"));
            }
        }

        /// <summary>
        /// Every prompt behind a conditioning input, following every branch of combine, concat, average and set-area
        /// nodes (and ControlNet-style nodes by the output used): prompts for the whole picture first, then area prompts.
        /// </summary>
        public List<PromptPart> Prompts(ComfyNode node, string input)
        {
            var found = new List<PromptPart>();
            Collect(node, input, null, found, new HashSet<string>(StringComparer.Ordinal), 0);
            return [.. found.Where(p => p.Area is null).Concat(found.Where(p => p.Area is not null)).Distinct()];
        }

        private void Collect(ComfyNode node, string input, string? area, List<PromptPart> into, HashSet<string> visited, int depth)
        {
            if (depth > MaxDepth || into.Count >= MaxPrompts || !IsLink(node, input, out var link) || !graph.TryGetNode(link.SourceId, out var source)
                || !visited.Add($"{link.SourceId}:{link.OutputIndex}:{area}"))
            {
                return;
            }
            // A text encoder: its text input (a literal or a link to a string node).
            foreach (var name in TextInputs)
            {
                if (source.Inputs.TryGetValue(name, out var v) && Literal(v, name, depth + 1) is { Kind: LiteralKind.Text } text)
                {
                    var full = name == "text_g" && String(source, "text_l") is { Length: > 0 } textL && textL != text.Text ? text.Text + "\n" + textL : text.Text;
                    into.Add(new PromptPart(full, area));
                    return;
                }
            }
            // A node with both conditionings (ControlNet apply, InstructPix2Pix...): output 0 is positive, 1 negative.
            if (source.Inputs.ContainsKey("positive") && source.Inputs.ContainsKey("negative"))
            {
                Collect(source, link.OutputIndex == 1 ? "negative" : "positive", area, into, visited, depth + 1);
                return;
            }
            var here = AreaOf(source) ?? area;
            foreach (var name in ConditioningInputs)
            {
                Collect(source, name, here, into, visited, depth + 1);
            }
        }

        /// <summary>"704×384 at (0, 512), strength 1" for ConditioningSetArea and its percentage and mask variants.</summary>
        private string? AreaOf(ComfyNode node)
        {
            if (!node.ClassType.StartsWith("ConditioningSet", StringComparison.Ordinal) || node.ClassType == "ConditioningSetTimestepRange")
            {
                return null;
            }
            var strength = Number(node, "strength") is { } s ? $", strength {s}" : string.Empty;
            if (Number(node, "width") is { } w && Number(node, "height") is { } h)
            {
                var percent = node.ClassType.Contains("Percentage", StringComparison.Ordinal);
                string Dim(string v) => percent && ImageMetadataReader.Double(v) is { } f ? Math.Round(f * 100, 2).ToString(CultureInfo.InvariantCulture) + "%" : v;
                return $"area {Dim(w)}×{Dim(h)} at ({Dim(Number(node, "x") ?? "0")}, {Dim(Number(node, "y") ?? "0")}){strength}";
            }
            return node.Inputs.ContainsKey("mask") ? $"masked area{strength}" : null;
        }

        /// <summary>The checkpoint (or diffusion model) behind a model input, collecting LoRA loaders on the way.</summary>
        public string? Model(ComfyNode node, List<LoraUse> loras, int depth)
        {
            if (depth > MaxDepth || !IsLink(node, "model", out var link) || !graph.TryGetNode(link.SourceId, out var source))
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
    }

    /// <summary>The second pass's denoise when it is a hires fix (A1111 writes it as "Denoising strength").</summary>
    public const string HiresDenoise = "Hires denoising strength";
}
