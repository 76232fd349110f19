using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Transforms;
using static DreamLayer.Web.Tests.Domain.AdvancedCatalogue;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>LoRA, ControlNet and Advanced-panel settings of a request, built into the txt2img graph and checked with ComfyUI's rules.</summary>
public sealed class AdvancedWorkflowTests
{
    private static readonly Guid Picture = Guid.Parse("0193a2b4-0000-7000-8000-000000000001");

    private static readonly WorkflowTemplate Template = WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "manifest.json")));

    public static GenerationRequest Base => new()
    {
        Prompt = "a castle on a hill",
        NegativePrompt = "lowres",
        Checkpoint = Checkpoint,
        Sampler = "dpmpp_2m",
        Scheduler = "karras",
        Width = 512,
        Height = 768,
        Steps = 30,
    };

    private static readonly ServerInputs Server = new()
    {
        UploadedImages = new Dictionary<Guid, string> { [Picture] = "dreamlayer/job1/pose.png" },
        Loras = Limits.Advanced.Loras,
    };

    public static ComfyGraph Build(GenerationRequest request) => WorkflowBuilder.Build(Template, request, 42, server: Server);

    /// <summary>The base request with the options whose bits are set in <paramref name="mask"/> (see <see cref="Combinations"/>).</summary>
    public static GenerationRequest Combination(int mask)
    {
        var request = Base;
        for (var i = 0; i < Options.Length; i++)
        {
            if ((mask & (1 << i)) != 0)
            {
                request = Options[i].Apply(request);
            }
        }
        return request;
    }

    private static ControlNetSetting Unit(string? preprocessor = null) => new()
    {
        Model = ControlNet,
        Image = Picture,
        Preprocessor = preprocessor,
        PreprocessorSettings = preprocessor == "Canny"
            ? new Dictionary<string, JsonNode?> { ["low_threshold"] = 0.3, ["high_threshold"] = 0.7 }
            : new Dictionary<string, JsonNode?>(),
        Strength = 0.8,
        StartPercent = 0.1,
        EndPercent = 0.9,
    };

    /// <summary>Each option on its own; combinations are every subset of these.</summary>
    private static readonly (string Name, Func<GenerationRequest, GenerationRequest> Apply)[] Options =
    [
        ("picker LoRAs", r => r with { Loras = [new(Lora1, 0.8, 0.6), new(Lora2, 1.2, 1.0)] }),
        ("prompt LoRA", r => r with { Prompt = r.Prompt + ", <lora:Style_Ink:0.7>" }),
        ("ControlNet image", r => r with { ControlNets = [.. r.ControlNets, Unit()] }),
        ("ControlNet canny", r => r with { ControlNets = [.. r.ControlNets, Unit("Canny")] }),
        ("ControlNet lineart", r => r with { ControlNets = [.. r.ControlNets, Unit("LineArtPreprocessor")] }),
        ("hires latent", r => r with { HiresFix = new HiresFixSetting { Scale = 1.5, Steps = 12, Denoise = 0.45, Sampler = "euler" } }),
        ("hires model", r => r with { HiresFix = new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = UpscaleModel, Scale = 2, Denoise = 0.3 } }),
        ("refiner", r => r with { Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) }),
        ("VAE", r => r with { Vae = "taesd" }),
        ("CLIP skip", r => r with { ClipSkip = 2 }),
    ];

    public static TheoryData<int> Combinations()
    {
        var data = new TheoryData<int>();
        for (var mask = 0; mask < 1 << Options.Length; mask++)
        {
            var hires = (mask >> 5) & 3;
            if (hires != 3) // latent and model hires fix are one choice
            {
                data.Add(mask);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Build_EveryCombination_PassesTheRequestValidatorAndComfyValidation(int mask)
    {
        var request = Base;
        var names = new List<string>();
        for (var i = 0; i < Options.Length; i++)
        {
            if ((mask & (1 << i)) != 0)
            {
                request = Options[i].Apply(request);
                names.Add(Options[i].Name);
            }
        }
        var what = names.Count == 0 ? "nothing" : string.Join(" + ", names);
        Assert.True(GenerationRequestValidator.Validate(request, Limits) is { Count: 0 } none, $"{what}: {string.Join(" ", GenerationRequestValidator.Validate(request, Limits).Select(e => e.Message))}");
        var graph = Build(request);
        var result = PromptValidator.Validate(graph, Catalogue);
        Assert.True(result.IsValid && result.NodeErrors.Count == 0, $"{what}: {string.Join(" ", ValidationMessages.DescribeAll(result, Catalogue, graph))}");
    }

    [Fact]
    public void Build_NoAdvancedSettings_LeavesTheTemplateGraph()
    {
        var graph = Build(Base);
        Assert.Equal(7, graph.Nodes.Count);
        Assert.Equal("a castle on a hill", Literal<string>(graph, "6", "text"));
    }

    [Fact]
    public void Build_PickerLoras_ChainsLoraLoadersBetweenCheckpointAndConsumers()
    {
        var graph = Build(Base with { Loras = [new(Lora1, 0.8, 0.6), new(Lora2, 1.2, 1.0)] });
        var loras = Ids(graph, "LoraLoader");
        Assert.Equal(2, loras.Count);
        var (first, second) = (graph[loras[0]], graph[loras[1]]);
        Assert.Equal((Lora1, 0.8, 0.6), (first.Inputs["lora_name"]!.GetValue<string>(), first.Inputs["strength_model"]!.GetValue<double>(), first.Inputs["strength_clip"]!.GetValue<double>()));
        Assert.Equal(new ComfyLink("4", 0), GraphLinks.LinkOf(graph, loras[0], "model"));
        Assert.Equal(new ComfyLink(loras[0], 0), GraphLinks.LinkOf(graph, loras[1], "model"));
        Assert.Equal(Lora2, second.Inputs["lora_name"]!.GetValue<string>());
        Assert.Equal(new ComfyLink(loras[1], 0), GraphLinks.LinkOf(graph, "3", "model"));
        Assert.Equal(new ComfyLink(loras[1], 1), GraphLinks.LinkOf(graph, "6", "clip"));
        Assert.Equal(new ComfyLink(loras[1], 1), GraphLinks.LinkOf(graph, "7", "clip"));
    }

    [Fact]
    public void Build_PromptLoraTags_AreTakenOutOfTheTextAndLoadedWithTheServersName()
    {
        var graph = Build(Base with { Prompt = "masterpiece, <lora:detail/add_detail:0.5>, a castle <lora:style_ink:0.9:0.4>" });
        Assert.Equal("masterpiece, a castle", Literal<string>(graph, "6", "text"));
        var loras = Ids(graph, "LoraLoader").Select(id => graph[id]).ToList();
        Assert.Equal([Lora1, Lora2], loras.Select(l => l.Inputs["lora_name"]!.GetValue<string>()));
        Assert.Equal((0.5, 0.5), (loras[0].Inputs["strength_model"]!.GetValue<double>(), loras[0].Inputs["strength_clip"]!.GetValue<double>()));
        Assert.Equal((0.4, 0.9), (loras[1].Inputs["strength_model"]!.GetValue<double>(), loras[1].Inputs["strength_clip"]!.GetValue<double>()));
    }

    [Fact]
    public void Build_SameLoraInPickerAndPrompt_LoadsItOnceWithThePromptsWeight()
    {
        var graph = Build(Base with { Prompt = "a castle <lora:detail\\add_detail:0.3>", Loras = [new(Lora1, 1.0, 1.0)] });
        var only = Assert.Single(Ids(graph, "LoraLoader"));
        Assert.Equal(0.3, Literal<double>(graph, only, "strength_model"));
    }

    [Fact]
    public void Build_ControlNetWithCanny_LoadsTheUploadedPictureThroughCannyIntoTheUnit()
    {
        var graph = Build(Base with { ControlNets = [Unit("Canny")] });
        var load = Assert.Single(Ids(graph, "LoadImage"));
        Assert.Equal("dreamlayer/job1/pose.png", Literal<string>(graph, load, "image"));
        var canny = Assert.Single(Ids(graph, "Canny"));
        Assert.Equal(new ComfyLink(load, 0), GraphLinks.LinkOf(graph, canny, "image"));
        Assert.Equal((0.3, 0.7), (Literal<double>(graph, canny, "low_threshold"), Literal<double>(graph, canny, "high_threshold")));
        var apply = Assert.Single(Ids(graph, "ControlNetApplyAdvanced"));
        Assert.Equal(new ComfyLink(canny, 0), GraphLinks.LinkOf(graph, apply, "image"));
        Assert.Equal((0.8, 0.1, 0.9), (Literal<double>(graph, apply, "strength"), Literal<double>(graph, apply, "start_percent"), Literal<double>(graph, apply, "end_percent")));
        Assert.Equal(ControlNet, Literal<string>(graph, Assert.Single(Ids(graph, "ControlNetLoader")), "control_net_name"));
        Assert.Equal(new ComfyLink(apply, 0), GraphLinks.LinkOf(graph, "3", "positive"));
        Assert.Equal(new ComfyLink(apply, 1), GraphLinks.LinkOf(graph, "3", "negative"));
    }

    [Fact]
    public void Build_TwoControlNetUnits_ChainInOrder()
    {
        var graph = Build(Base with { ControlNets = [Unit(), Unit("LineArtPreprocessor") with { Strength = 0.5 }] });
        var applies = Ids(graph, "ControlNetApplyAdvanced");
        Assert.Equal(2, applies.Count);
        Assert.Equal(new ComfyLink(applies[0], 0), GraphLinks.LinkOf(graph, applies[1], "positive"));
        Assert.Equal(new ComfyLink(applies[1], 0), GraphLinks.LinkOf(graph, "3", "positive"));
        Assert.Equal(0.5, Literal<double>(graph, applies[1], "strength"));
        Assert.Single(Ids(graph, "LineArtPreprocessor"));
    }

    [Theory]
    [InlineData(12, 12)]
    [InlineData(0, 30)]
    public void Build_LatentHiresFix_UpscalesTheLatentAndRunsASecondPass(int hiresSteps, int expectedSteps)
    {
        var graph = Build(Base with { HiresFix = new HiresFixSetting { Scale = 1.5, Steps = hiresSteps, Denoise = 0.45, Sampler = "euler", LatentMethod = "bislerp" } });
        var upscale = Assert.Single(Ids(graph, "LatentUpscaleBy"));
        Assert.Equal((1.5, "bislerp"), (Literal<double>(graph, upscale, "scale_by"), Literal<string>(graph, upscale, "upscale_method")));
        var second = Ids(graph, "KSampler").Single(id => id != "3");
        Assert.Equal(new ComfyLink(upscale, 0), GraphLinks.LinkOf(graph, second, "latent_image"));
        Assert.Equal((expectedSteps, 0.45, "euler"), (Literal<int>(graph, second, "steps"), Literal<double>(graph, second, "denoise"), Literal<string>(graph, second, "sampler_name")));
        Assert.Equal(new ComfyLink(second, 0), GraphLinks.LinkOf(graph, "8", "samples"));
    }

    [Fact]
    public void Build_ModelHiresFix_UpscalesThePictureWithTheModelToExactlyTheScaledSize()
    {
        var graph = Build(Base with { HiresFix = new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = UpscaleModel, Scale = 2, Denoise = 0.3 } });
        Assert.Equal(UpscaleModel, Literal<string>(graph, Assert.Single(Ids(graph, "UpscaleModelLoader")), "model_name"));
        var scale = Assert.Single(Ids(graph, "ImageScale"));
        Assert.Equal((1024, 1536), (Literal<int>(graph, scale, "width"), Literal<int>(graph, scale, "height")));
        Assert.Empty(Ids(graph, "LatentUpscaleBy"));
    }

    [Fact]
    public void Build_HiresFixAndRefiner_TheRefinerSplitsTheHiresPassKeepingItsDenoise()
    {
        var graph = Build(Base with { HiresFix = new HiresFixSetting { Scale = 1.5, Steps = 12, Denoise = 0.4 }, Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) });
        Assert.Equal(1.0, Literal<double>(graph, "3", "denoise"));
        var refiner = GraphLinks.LinkOf(graph, "8", "samples")!.Value.SourceId;
        var hiresBase = GraphLinks.LinkOf(graph, refiner, "latent_image")!.Value.SourceId;
        Assert.Equal("LatentUpscaleBy", graph[GraphLinks.LinkOf(graph, hiresBase, "latent_image")!.Value.SourceId].ClassType);
        // 12 steps at denoise 0.4 are the last 12 of a 30-step schedule: the hires base runs 18..28, the refiner 28..30.
        Assert.Equal((30, 18, 28), (Literal<int>(graph, hiresBase, "steps"), Literal<int>(graph, hiresBase, "start_at_step"), Literal<int>(graph, hiresBase, "end_at_step")));
        Assert.Equal((30, 28), (Literal<int>(graph, refiner, "steps"), Literal<int>(graph, refiner, "start_at_step")));
    }

    [Fact]
    public void Build_Refiner_SplitsTheStepsAtTheSwitchPoint()
    {
        var graph = Build(Base with { Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) });
        var samplers = Ids(graph, "KSamplerAdvanced");
        Assert.Equal(2, samplers.Count);
        Assert.Equal(24, Literal<int>(graph, "3", "end_at_step"));
        var refiner = samplers.Single(id => id != "3");
        Assert.Equal(24, Literal<int>(graph, refiner, "start_at_step"));
        var refinerCheckpoint = Ids(graph, "CheckpointLoaderSimple").Single(id => id != "4");
        Assert.Equal(AdvancedCatalogue.Refiner, Literal<string>(graph, refinerCheckpoint, "ckpt_name"));
        Assert.Equal(new ComfyLink(refinerCheckpoint, 2), GraphLinks.LinkOf(graph, "8", "vae"));
    }

    [Fact]
    public void Build_Vae_DecodesWithTheChosenVaeAlsoAfterTheRefiner()
    {
        var plain = Build(Base with { Vae = "taesd" });
        var loader = Assert.Single(Ids(plain, "VAELoader"));
        Assert.Equal("taesd", Literal<string>(plain, loader, "vae_name"));
        Assert.Equal(new ComfyLink(loader, 0), GraphLinks.LinkOf(plain, "8", "vae"));

        var refined = Build(Base with { Vae = "taesd", Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.75) });
        Assert.Equal(new ComfyLink(Assert.Single(Ids(refined, "VAELoader")), 0), GraphLinks.LinkOf(refined, "8", "vae"));
    }

    [Theory]
    [InlineData(1, null)]
    [InlineData(2, -2)]
    [InlineData(12, -12)]
    public void Build_ClipSkip_SetsTheLastClipLayerLikeA1111(int clipSkip, int? stopAt)
    {
        var graph = Build(Base with { ClipSkip = clipSkip });
        var layers = Ids(graph, "CLIPSetLastLayer");
        if (stopAt is null)
        {
            Assert.Empty(layers);
            return;
        }
        var node = Assert.Single(layers);
        Assert.Equal(stopAt, Literal<int>(graph, node, "stop_at_clip_layer"));
        Assert.Equal(new ComfyLink(node, 0), GraphLinks.LinkOf(graph, "6", "clip"));
    }

    [Fact]
    public void PreprocessorGraph_Canny_IsAValidPromptOfLoadImageCannyPreview()
    {
        var graph = PreprocessorGraph.Build("dreamlayer/preview/x.png", "Canny", new Dictionary<string, JsonNode?> { ["low_threshold"] = 0.4, ["high_threshold"] = 0.8 });
        Assert.Equal(["LoadImage", "Canny", "PreviewImage"], graph.Nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => n.Value.ClassType));
        var catalogue = CatalogueJson.Parse(JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!.ToJsonString());
        var result = PromptValidator.Validate(graph, catalogue);
        // The file itself is checked by the server when it loads it; the rest must pass.
        Assert.DoesNotContain(result.NodeErrors.Values.SelectMany(n => n.Errors), e => e.Type != "value_not_in_list");
    }

    private static List<string> Ids(ComfyGraph graph, string classType) =>
        graph.Nodes.Where(n => n.Value.ClassType == classType).Select(n => n.Key).Order(Comparer<string>.Create(ById)).ToList();

    private static int ById(string? a, string? b) =>
        int.TryParse(a, out var x) && int.TryParse(b, out var y) ? x.CompareTo(y) : string.CompareOrdinal(a, b);

    private static T Literal<T>(ComfyGraph graph, string nodeId, string input) => graph[nodeId].Inputs[input]!.GetValue<T>();
}
