using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Web.Tests.Domain;

public sealed class GraphTransformsTests
{
    private const string Lora1 = "detail.safetensors";
    private const string Lora2 = "style.safetensors";
    private const string Vae = "sdxl_vae.safetensors";
    private const string ControlNet = "control_canny.safetensors";
    private const string RefinerCheckpoint = "sd_xl_refiner_1.0.safetensors";
    private const string UpscaleModel = "4x-UltraSharp.pth";

    /// <summary>The real object_info, with the model names the transforms use added to its lists.</summary>
    private static readonly ObjectInfo Catalogue = BuildCatalogue();

    private static ObjectInfo BuildCatalogue()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!;
        void Inject(string node, string input, params string[] names)
        {
            var list = root[node]!["input"]!["required"]![input]![0]!.AsArray();
            foreach (var name in names)
            {
                list.Add(name);
            }
        }
        Inject("LoraLoader", "lora_name", Lora1, Lora2);
        Inject("VAELoader", "vae_name", Vae);
        Inject("ControlNetLoader", "control_net_name", ControlNet);
        Inject("CheckpointLoaderSimple", "ckpt_name", RefinerCheckpoint);
        return CatalogueJson.Parse(root.ToJsonString());
    }

    private static ComfyGraph Txt2Img()
    {
        var template = WorkflowTemplate.Parse(
            File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "workflow.json")),
            File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "manifest.json")));
        var request = new GenerationRequest
        {
            Prompt = "a castle",
            NegativePrompt = "lowres",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Sampler = "dpmpp_2m",
            Scheduler = "karras",
            Width = 512,
            Height = 768,
            Steps = 30,
        };
        return WorkflowBuilder.Build(template, request, 42);
    }

    private static readonly LoraSpec[] TwoLoras = [new(Lora1, 0.8, 0.7), new(Lora2, 0.5, 1.0)];

    private static readonly ControlNetUnit[] TwoUnits =
    [
        new(ControlNet, "pose.png", 1.0, 0.0, 1.0),
        new(ControlNet, "depth.png", 0.6, 0.1, 0.8),
    ];

    private static ComfyLink LinkOf(ComfyGraph graph, string nodeId, string input) =>
        GraphLinks.LinkOf(graph, nodeId, input) ?? throw new InvalidOperationException($"{nodeId}.{input} is not a link");

    private static List<string> IdsOf(ComfyGraph graph, string classType) =>
        graph.Nodes.Where(n => n.Value.ClassType == classType).Select(n => n.Key).Order(StringComparer.Ordinal).ToList();

    private static T Literal<T>(ComfyGraph graph, string nodeId, string input) => graph[nodeId].Inputs[input]!.GetValue<T>();

    [Fact]
    public void Consumers_CheckpointClip_AreBothEncoders()
    {
        var graph = Txt2Img();
        Assert.Equal([new InputRef("6", "clip"), new InputRef("7", "clip")], GraphLinks.Consumers(graph, "4", 1).OrderBy(c => c.NodeId, StringComparer.Ordinal));
        Assert.Equal(("8", "3", "4"), (GraphTransforms.OutputDecoder(graph), GraphTransforms.Sampler(graph), GraphTransforms.Checkpoint(graph)));
    }

    [Fact]
    public void ApplyLoras_TwoLoras_ChainsBetweenCheckpointAndAllConsumers()
    {
        var graph = GraphTransforms.ApplyLoras(Txt2Img(), TwoLoras);

        var loras = IdsOf(graph, "LoraLoader");
        Assert.Equal(2, loras.Count);
        var (first, second) = (loras[0], loras[1]);
        Assert.Equal(new ComfyLink("4", 0), LinkOf(graph, first, "model"));
        Assert.Equal(new ComfyLink("4", 1), LinkOf(graph, first, "clip"));
        Assert.Equal(new ComfyLink(first, 0), LinkOf(graph, second, "model"));
        Assert.Equal(new ComfyLink(first, 1), LinkOf(graph, second, "clip"));
        Assert.Equal(new ComfyLink(second, 0), LinkOf(graph, "3", "model"));
        Assert.Equal(new ComfyLink(second, 1), LinkOf(graph, "6", "clip"));
        Assert.Equal(new ComfyLink(second, 1), LinkOf(graph, "7", "clip"));
        Assert.Equal(new ComfyLink("4", 2), LinkOf(graph, "8", "vae"));
        Assert.Equal(Lora1, Literal<string>(graph, first, "lora_name"));
        Assert.Equal(0.8, Literal<double>(graph, first, "strength_model"));
        Assert.Equal(1.0, Literal<double>(graph, second, "strength_clip"));
    }

    [Fact]
    public void ApplyNothing_EmptySpecs_LeaveGraphUnchanged()
    {
        var before = Txt2Img().ToJsonString();
        var graph = Txt2Img();
        GraphTransforms.ApplyLoras(graph, []);
        GraphTransforms.ApplyControlNets(graph, []);
        GraphTransforms.ApplyClipSkip(graph, -1);
        Assert.Equal(before, graph.ToJsonString());
    }

    [Fact]
    public void ApplyClipSkip_AfterLoras_SitsBetweenLastLoraAndEncoders()
    {
        var graph = GraphTransforms.ApplyClipSkip(GraphTransforms.ApplyLoras(Txt2Img(), TwoLoras), -2);

        var skip = Assert.Single(IdsOf(graph, "CLIPSetLastLayer"));
        Assert.Equal(new ComfyLink(IdsOf(graph, "LoraLoader")[1], 1), LinkOf(graph, skip, "clip"));
        Assert.Equal(new ComfyLink(skip, 0), LinkOf(graph, "6", "clip"));
        Assert.Equal(new ComfyLink(skip, 0), LinkOf(graph, "7", "clip"));
        Assert.Equal(-2, Literal<int>(graph, skip, "stop_at_clip_layer"));
    }

    [Fact]
    public void ApplyClipSkip_BeforeLoras_LorasGoBeforeTheSkip()
    {
        var graph = GraphTransforms.ApplyLoras(GraphTransforms.ApplyClipSkip(Txt2Img(), -2), TwoLoras);

        var skip = Assert.Single(IdsOf(graph, "CLIPSetLastLayer"));
        Assert.Equal(new ComfyLink(IdsOf(graph, "LoraLoader")[1], 1), LinkOf(graph, skip, "clip"));
        Assert.Equal(new ComfyLink(skip, 0), LinkOf(graph, "6", "clip"));
    }

    [Fact]
    public void ApplyClipSkip_Twice_UpdatesTheExistingNode()
    {
        var graph = GraphTransforms.ApplyClipSkip(GraphTransforms.ApplyClipSkip(Txt2Img(), -2), -3);
        var skip = Assert.Single(IdsOf(graph, "CLIPSetLastLayer"));
        Assert.Equal(-3, Literal<int>(graph, skip, "stop_at_clip_layer"));
    }

    [Fact]
    public void ApplyClipSkip_PositiveLayer_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => GraphTransforms.ApplyClipSkip(Txt2Img(), 1));

    [Fact]
    public void ApplyVae_RewiresEveryVaeConsumerToTheLoader()
    {
        var graph = GraphTransforms.ApplyVae(Txt2Img(), Vae);

        var loader = Assert.Single(IdsOf(graph, "VAELoader"));
        Assert.Equal(new ComfyLink(loader, 0), LinkOf(graph, "8", "vae"));
        Assert.Equal(Vae, Literal<string>(graph, loader, "vae_name"));
        Assert.Empty(GraphLinks.Consumers(graph, "4", 2));
    }

    [Fact]
    public void ApplyControlNets_TwoUnits_ChainConditioningIntoTheSampler()
    {
        var graph = GraphTransforms.ApplyControlNets(Txt2Img(), TwoUnits);

        var applies = IdsOf(graph, "ControlNetApplyAdvanced").OrderBy(int.Parse).ToList();
        Assert.Equal(2, applies.Count);
        var (first, second) = (applies[0], applies[1]);
        Assert.Equal(new ComfyLink("6", 0), LinkOf(graph, first, "positive"));
        Assert.Equal(new ComfyLink("7", 0), LinkOf(graph, first, "negative"));
        Assert.Equal(new ComfyLink(first, 0), LinkOf(graph, second, "positive"));
        Assert.Equal(new ComfyLink(first, 1), LinkOf(graph, second, "negative"));
        Assert.Equal(new ComfyLink(second, 0), LinkOf(graph, "3", "positive"));
        Assert.Equal(new ComfyLink(second, 1), LinkOf(graph, "3", "negative"));
        Assert.Equal(new ComfyLink("4", 2), LinkOf(graph, second, "vae"));
        var image = LinkOf(graph, second, "image");
        Assert.Equal("LoadImage", graph[image.SourceId].ClassType);
        Assert.Equal("depth.png", Literal<string>(graph, image.SourceId, "image"));
        Assert.Equal("ControlNetLoader", graph[LinkOf(graph, second, "control_net").SourceId].ClassType);
        Assert.Equal(0.6, Literal<double>(graph, second, "strength"));
        Assert.Equal(0.1, Literal<double>(graph, second, "start_percent"));
        Assert.Equal(0.8, Literal<double>(graph, second, "end_percent"));
    }

    [Fact]
    public void ApplyHiresFix_LatentMode_AddsUpscaleAndSecondPass()
    {
        var graph = GraphTransforms.ApplyHiresFix(Txt2Img(), new HiresFix(1.5, 12, 0.45, null, "bislerp", Sampler: "euler"));

        var upscale = Assert.Single(IdsOf(graph, "LatentUpscaleBy"));
        var second = IdsOf(graph, "KSampler").Single(id => id != "3");
        Assert.Equal(new ComfyLink("3", 0), LinkOf(graph, upscale, "samples"));
        Assert.Equal(1.5, Literal<double>(graph, upscale, "scale_by"));
        Assert.Equal("bislerp", Literal<string>(graph, upscale, "upscale_method"));
        Assert.Equal(new ComfyLink(upscale, 0), LinkOf(graph, second, "latent_image"));
        Assert.Equal(new ComfyLink(second, 0), LinkOf(graph, "8", "samples"));
        Assert.Equal(LinkOf(graph, "3", "model"), LinkOf(graph, second, "model"));
        Assert.Equal(LinkOf(graph, "3", "positive"), LinkOf(graph, second, "positive"));
        Assert.Equal(LinkOf(graph, "3", "negative"), LinkOf(graph, second, "negative"));
        Assert.Equal(42UL, Literal<ulong>(graph, second, "seed"));
        Assert.Equal(12, Literal<int>(graph, second, "steps"));
        Assert.Equal(0.45, Literal<double>(graph, second, "denoise"));
        Assert.Equal("euler", Literal<string>(graph, second, "sampler_name"));
        Assert.Equal("karras", Literal<string>(graph, second, "scheduler"));
    }

    [Fact]
    public void ApplyHiresFix_ModelMode_DecodesUpscalesToExactSizeAndEncodes()
    {
        var graph = GraphTransforms.ApplyHiresFix(Txt2Img(), new HiresFix(1.5, 12, 0.45, UpscaleModel));

        var decodes = IdsOf(graph, "VAEDecode");
        var firstDecode = Assert.Single(decodes, id => id != "8");
        Assert.Equal(new ComfyLink("3", 0), LinkOf(graph, firstDecode, "samples"));
        var upscaled = Assert.Single(IdsOf(graph, "ImageUpscaleWithModel"));
        Assert.Equal(new ComfyLink(firstDecode, 0), LinkOf(graph, upscaled, "image"));
        Assert.Equal(UpscaleModel, Literal<string>(graph, LinkOf(graph, upscaled, "upscale_model").SourceId, "model_name"));
        var scale = Assert.Single(IdsOf(graph, "ImageScale"));
        Assert.Equal((768, 1152), (Literal<int>(graph, scale, "width"), Literal<int>(graph, scale, "height")));
        var encode = Assert.Single(IdsOf(graph, "VAEEncode"));
        Assert.Equal(new ComfyLink(scale, 0), LinkOf(graph, encode, "pixels"));
        var second = IdsOf(graph, "KSampler").Single(id => id != "3");
        Assert.Equal(new ComfyLink(encode, 0), LinkOf(graph, second, "latent_image"));
        Assert.Equal(new ComfyLink(second, 0), LinkOf(graph, "8", "samples"));
    }

    public static TheoryData<string> Transforms => new() { "loras", "clipskip", "vae", "controlnet", "hires", "refiner", "tiled" };

    private static ComfyGraph ApplyOne(string transform, ComfyGraph graph) => transform switch
    {
        "loras" => GraphTransforms.ApplyLoras(graph, TwoLoras),
        "clipskip" => GraphTransforms.ApplyClipSkip(graph, -2),
        "vae" => GraphTransforms.ApplyVae(graph, Vae),
        "controlnet" => GraphTransforms.ApplyControlNets(graph, TwoUnits),
        "hires" => GraphTransforms.ApplyHiresFix(graph, new HiresFix(2, 10, 0.5, null)),
        "refiner" => GraphTransforms.ApplyRefiner(graph, new Refiner(RefinerCheckpoint, 0.8)),
        "tiled" => GraphTransforms.ApplyTiledDecode(graph, new TiledDecode(256, 32)),
        _ => throw new ArgumentOutOfRangeException(nameof(transform), transform, null),
    };

    [Theory]
    [MemberData(nameof(Transforms))]
    public void Apply_EmptyGraph_ThrowsFormatException(string transform) =>
        Assert.Throws<ComfyGraphFormatException>(() => ApplyOne(transform, new ComfyGraph()));

    [Theory]
    [MemberData(nameof(Transforms))]
    public void Apply_GraphWithoutAnchors_ThrowsFormatException(string transform)
    {
        var graph = Txt2Img();
        graph.Remove("8"); // no decoder: no sampler or checkpoint to find
        graph.Remove("6"); // no encoders for CLIP skip
        graph.Remove("7");
        var ex = Assert.Throws<ComfyGraphFormatException>(() => ApplyOne(transform, graph));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Theory]
    [InlineData("hires")]
    [InlineData("refiner")]
    public void Apply_AfterRefiner_ThrowsFormatException(string transform)
    {
        var graph = ApplyOne("refiner", Txt2Img());
        Assert.Throws<ComfyGraphFormatException>(() => ApplyOne(transform, graph));
    }

    public static TheoryData<string> Combinations => new()
    {
        "",
        "loras",
        "clipskip",
        "vae",
        "controlnet",
        "hires",
        "hires-model",
        "refiner",
        "loras+clipskip",
        "clipskip+loras",
        "loras+controlnet+hires",
        "hires+controlnet+loras",
        "loras+clipskip+vae+controlnet+hires",
        "loras+clipskip+controlnet+refiner",
        "tiled",
        "vae+tiled",
        "hires-model+tiled",
        "loras+clipskip+vae+controlnet+hires+tiled",
        "loras+clipskip+controlnet+refiner+tiled",
    };

    private static ComfyGraph ApplyStep(string step, ComfyGraph graph) => step switch
    {
        "hires-model" => GraphTransforms.ApplyHiresFix(graph, new HiresFix(1.5, 10, 0.4, UpscaleModel, Scheduler: "normal")),
        _ => ApplyOne(step, graph),
    };

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Apply_Combination_PassesComfyValidationWithNoDanglingOrOrphanNodes(string combination)
    {
        var graph = Txt2Img();
        foreach (var step in combination.Split('+', StringSplitOptions.RemoveEmptyEntries))
        {
            graph = ApplyStep(step, graph);
        }

        var result = PromptValidator.Validate(graph, Catalogue);
        Assert.True(result.IsValid, string.Join("; ", ValidationMessages.DescribeAll(result, Catalogue, graph)));
        Assert.Empty(result.NodeErrors);

        foreach (var (id, node) in graph.Nodes)
        {
            foreach (var (input, value) in node.Inputs)
            {
                if (ComfyLink.TryParse(value, out var link))
                {
                    Assert.True(graph.TryGetNode(link.SourceId, out var source), $"{id}.{input} links to missing node {link.SourceId}");
                    Assert.InRange(link.OutputIndex, 0, Catalogue.Nodes[source.ClassType].Outputs.Count - 1);
                }
            }
        }
        var reachable = new HashSet<string>(StringComparer.Ordinal) { "9" };
        var stack = new Stack<string>(["9"]);
        while (stack.Count > 0)
        {
            foreach (var value in graph[stack.Pop()].Inputs.Values)
            {
                if (ComfyLink.TryParse(value, out var link) && reachable.Add(link.SourceId))
                {
                    stack.Push(link.SourceId);
                }
            }
        }
        Assert.Empty(graph.Nodes.Keys.Except(reachable));
    }
}
