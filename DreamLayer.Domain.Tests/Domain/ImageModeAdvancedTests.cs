using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>LoRAs, ControlNet, VAE, CLIP skip, hires fix and the refiner on the img2img and inpaint graphs; hires fix refused on inpaint.</summary>
public sealed class ImageModeAdvancedTests
{
    private const string Source = "dreamlayer/job1/source.png";
    private static readonly Guid ControlPicture = Guid.Parse("0193a2b4-0000-7000-8000-0000000000c1");
    private const string ControlUploaded = "dreamlayer/job1/pose.png";

    private static readonly ServerInputs Server = new()
    {
        UploadedImages = new Dictionary<Guid, string> { [ControlPicture] = ControlUploaded },
        Loras = AdvancedCatalogue.Limits.Advanced.Loras,
    };

    private static WorkflowTemplate Load(string mode) => WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, mode, "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, mode, "manifest.json")));

    private static readonly Dictionary<string, WorkflowTemplate> Templates = new()
    {
        ["img2img"] = Load("img2img"),
        ["inpaint"] = Load("inpaint"),
    };

    private static GenerationRequest Img2Img => AdvancedWorkflowTests.Base with
    {
        Mode = GenerationMode.Img2Img,
        Width = 512,
        Height = 512,
        Denoise = 0.5,
        SourceImage = Guid.NewGuid(),
        SourceWidth = 800,
        SourceHeight = 600,
    };

    private static GenerationRequest Inpaint(InpaintArea area, MaskedContent content) => Img2Img with
    {
        Mode = GenerationMode.Inpaint,
        Mask = new InpaintMask(Guid.NewGuid(), 800, 600, new PixelRect(300, 200, 100, 50)),
        Inpaint = new InpaintSettings { Area = area, MaskedContent = content },
    };

    /// <summary>Each mode variant: its template and request.</summary>
    private static readonly Dictionary<string, (string Template, GenerationRequest Request)> Variants = new()
    {
        ["img2img"] = ("img2img", Img2Img),
        ["inpaint whole"] = ("inpaint", Inpaint(InpaintArea.WholePicture, MaskedContent.Original)),
        ["inpaint whole fill"] = ("inpaint", Inpaint(InpaintArea.WholePicture, MaskedContent.Fill)),
        ["inpaint only masked"] = ("inpaint", Inpaint(InpaintArea.OnlyMasked, MaskedContent.Original)),
        ["inpaint only masked noise"] = ("inpaint", Inpaint(InpaintArea.OnlyMasked, MaskedContent.LatentNoise)),
    };

    private static ControlNetSetting Unit => new()
    {
        Model = AdvancedCatalogue.ControlNet,
        Image = ControlPicture,
        Strength = 0.7,
        StartPercent = 0,
        EndPercent = 0.8,
    };

    /// <summary>Each supported option: how it changes the request, and what it must change in the graph.</summary>
    private static readonly Dictionary<string, (Func<GenerationRequest, GenerationRequest> Apply, Action<ComfyGraph> Check)> Supported = new()
    {
        ["picker LoRA"] = (r => r with { Loras = [new(AdvancedCatalogue.Lora1, 0.8, 0.6)] }, g => AssertLora(g, AdvancedCatalogue.Lora1, 0.8)),
        ["prompt LoRA"] = (r => r with { Prompt = r.Prompt + ", <lora:Style_Ink:0.7>" }, g => AssertLora(g, AdvancedCatalogue.Lora2, 0.7)),
        ["VAE"] = (r => r with { Vae = "taesd" }, AssertVae),
        ["CLIP skip"] = (r => r with { ClipSkip = 2 }, AssertClipSkip),
        ["ControlNet"] = (r => r with { ControlNets = [Unit] }, AssertControlNet),
        ["hires fix"] = (r => r with { HiresFix = Hires }, g => AssertHires(g, "LatentUpscaleBy")),
        ["hires fix model"] = (r => r with { HiresFix = HiresModel }, g => AssertHires(g, "ImageUpscaleWithModel")),
        ["refiner"] = (r => r with { Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) }, AssertRefiner),
        ["tiled VAE"] = (r => r with { TiledVae = new TiledVaeSetting(256) }, AssertTiledDecode),
    };

    private static HiresFixSetting Hires => new() { Scale = 1.5, Steps = 12, Denoise = 0.4 };

    private static HiresFixSetting HiresModel => new() { Upscaler = HiresUpscaler.Model, UpscaleModel = AdvancedCatalogue.UpscaleModel, Scale = 2, Denoise = 0.3 };

    /// <summary>Each refused option: how it changes the request, the field and the message.</summary>
    private static readonly Dictionary<string, (Func<GenerationRequest, GenerationRequest> Apply, string Field, Func<GenerationRequest, string?> Message)> Refused = new()
    {
        ["hires fix"] = (r => r with { HiresFix = Hires }, nameof(GenerationRequest.HiresFix), r => AdvancedValidator.HiresFixRefusal(r.Mode)),
        ["hires fix model"] = (r => r with { HiresFix = HiresModel }, nameof(GenerationRequest.HiresFix), r => AdvancedValidator.HiresFixRefusal(r.Mode)),
        ["ControlNet"] = (r => r with { ControlNets = [Unit] }, nameof(GenerationRequest.ControlNets), r => AdvancedValidator.ControlNetRefusal(r.Mode, r.Inpaint.Area)),
    };

    /// <summary>ControlNet is refused on only-masked inpainting, hires fix on every inpaint; everything else is supported.</summary>
    private static bool IsRefused(string variant, string option) => option switch
    {
        "ControlNet" => variant.StartsWith("inpaint only masked", StringComparison.Ordinal),
        "hires fix" or "hires fix model" => variant.StartsWith("inpaint", StringComparison.Ordinal),
        _ => false,
    };

    public static TheoryData<string, string> SupportedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in Variants.Keys)
        {
            foreach (var option in Supported.Keys.Where(o => !IsRefused(variant, o)))
            {
                data.Add(variant, option);
            }
        }
        return data;
    }

    public static TheoryData<string, string> RefusedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in Variants.Keys)
        {
            foreach (var option in Refused.Keys.Where(o => IsRefused(variant, o)))
            {
                data.Add(variant, option);
            }
        }
        return data;
    }

    /// <summary>The graph of one mode variant with one supported option.</summary>
    public static ComfyGraph BuildSupported(string variant, string option)
    {
        var (template, baseRequest) = Variants[variant];
        return WorkflowBuilder.Build(Templates[template], Supported[option].Apply(baseRequest), 42, sourceImage: Source, server: Server);
    }

    [Theory]
    [MemberData(nameof(SupportedCases))]
    public void Build_SupportedOption_IsValidForComfyAndChangesTheGraph(string variant, string option)
    {
        var (template, baseRequest) = Variants[variant];
        var (apply, check) = Supported[option];
        var request = apply(baseRequest);
        Assert.Empty(GenerationRequestValidator.Validate(request, AdvancedCatalogue.Limits));

        var before = WorkflowBuilder.Build(Templates[template], baseRequest, 42, sourceImage: Source, server: Server);
        var graph = WorkflowBuilder.Build(Templates[template], request, 42, sourceImage: Source, server: Server);
        var result = PromptValidator.Validate(graph, AdvancedCatalogue.Catalogue);
        Assert.True(result.IsValid && result.NodeErrors.Count == 0, string.Join("; ", ValidationMessages.DescribeAll(result, AdvancedCatalogue.Catalogue, graph)));
        Assert.True(graph.Nodes.Count > before.Nodes.Count || option is "CLIP skip" or "tiled VAE" && graph.Nodes.Count >= before.Nodes.Count);
        if (variant.StartsWith("inpaint", StringComparison.Ordinal))
        {
            AssertStillComposited(graph);
        }
        check(graph);
        // The picture is still what gets encoded and sampled from.
        Assert.Contains(graph.Nodes.Values, n => n.ClassType == "LoadImage" && n.Inputs["image"]!.GetValue<string>() == Source);
    }

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public void Validate_RefusedOption_SaysWhyOnItsField(string variant, string option)
    {
        var (_, baseRequest) = Variants[variant];
        var (apply, field, message) = Refused[option];
        var request = apply(baseRequest);
        var expected = message(request);
        Assert.NotNull(expected);
        var errors = GenerationRequestValidator.Validate(request, AdvancedCatalogue.Limits);
        Assert.Contains(errors, e => e.Field == field && e.Message == expected);
        // Also refused before any server has been read.
        Assert.Contains(GenerationRequestValidator.Validate(request, null), e => e.Field == field && e.Message == expected);
    }

    /// <summary>Combinations on the picture modes, each checked by the request validator and by ComfyUI's rules.</summary>
    private static readonly Dictionary<string, (string Variant, string[] Options)> Combinations = new()
    {
        ["img2img + hires latent + refiner"] = ("img2img", ["hires fix", "refiner"]),
        ["img2img + hires model + refiner + VAE"] = ("img2img", ["hires fix model", "refiner", "VAE"]),
        ["img2img + hires latent + LoRA + ControlNet"] = ("img2img", ["hires fix", "picker LoRA", "ControlNet"]),
        ["img2img + hires model + LoRA + ControlNet + CLIP skip"] = ("img2img", ["hires fix model", "prompt LoRA", "ControlNet", "CLIP skip"]),
        ["img2img + refiner + LoRA + ControlNet"] = ("img2img", ["refiner", "picker LoRA", "ControlNet"]),
        ["inpaint whole + refiner + LoRA + ControlNet + VAE"] = ("inpaint whole", ["refiner", "picker LoRA", "ControlNet", "VAE"]),
        ["inpaint whole fill + refiner"] = ("inpaint whole fill", ["refiner"]),
        ["inpaint only masked noise + refiner + LoRA"] = ("inpaint only masked noise", ["refiner", "picker LoRA"]),
    };

    public static TheoryData<string> CombinationCases() => new(Combinations.Keys);

    [Theory]
    [MemberData(nameof(CombinationCases))]
    public void Build_Combination_IsValidForComfyAndEachOptionIsWired(string name)
    {
        var (variant, options) = Combinations[name];
        var (template, request) = Variants[variant];
        request = options.Aggregate(request, (r, o) => Supported[o].Apply(r));
        Assert.Empty(GenerationRequestValidator.Validate(request, AdvancedCatalogue.Limits));
        var graph = WorkflowBuilder.Build(Templates[template], request, 42, sourceImage: Source, server: Server);
        var result = PromptValidator.Validate(graph, AdvancedCatalogue.Catalogue);
        Assert.True(result.IsValid && result.NodeErrors.Count == 0, string.Join("; ", ValidationMessages.DescribeAll(result, AdvancedCatalogue.Catalogue, graph)));
        if (template == "inpaint")
        {
            AssertStillComposited(graph);
        }
        if (options.Contains("refiner") && options.Any(o => o.StartsWith("hires", StringComparison.Ordinal)))
        {
            AssertHiresThenRefiner(graph, options.Contains("hires fix") ? "LatentUpscaleBy" : "ImageUpscaleWithModel");
        }
        else
        {
            foreach (var option in options)
            {
                Supported[option].Check(graph);
            }
        }
    }

    [Fact]
    public void Build_Img2ImgLatentHires_SamplesTheUpscaledImg2ImgResult()
    {
        var graph = WorkflowBuilder.Build(Templates["img2img"], Img2Img with { HiresFix = Hires with { Sampler = "euler" } }, 42, sourceImage: Source, server: Server);
        // Template: 3 KSampler (img2img, denoise 0.5) ← 12 RepeatLatentBatch ← 11 VAEEncode ← 10 LoadImage; 8 decodes.
        var upscale = Assert.Single(graph.Nodes, n => n.Value.ClassType == "LatentUpscaleBy").Key;
        Assert.Equal(new ComfyLink("3", 0), GraphLinks.LinkOf(graph, upscale, "samples"));
        Assert.Equal(1.5, graph[upscale].Inputs["scale_by"]!.GetValue<double>());
        var second = graph.Nodes.Single(n => n.Value.ClassType == "KSampler" && n.Key != "3").Key;
        Assert.Equal(new ComfyLink(upscale, 0), GraphLinks.LinkOf(graph, second, "latent_image"));
        Assert.Equal((12, 0.4, "euler"), (graph[second].Inputs["steps"]!.GetValue<int>(), graph[second].Inputs["denoise"]!.GetValue<double>(), graph[second].Inputs["sampler_name"]!.GetValue<string>()));
        Assert.Equal((30, 0.5), (graph["3"].Inputs["steps"]!.GetValue<int>(), graph["3"].Inputs["denoise"]!.GetValue<double>()));
        Assert.Equal(new ComfyLink("12", 0), GraphLinks.LinkOf(graph, "3", "latent_image"));
        Assert.Equal(new ComfyLink(second, 0), GraphLinks.LinkOf(graph, "8", "samples"));
        Assert.Equal(graph["3"].Inputs["seed"]!.ToJsonString(), graph[second].Inputs["seed"]!.ToJsonString());
    }

    [Fact]
    public void Build_Img2ImgModelHires_ScalesTheDecodedImg2ImgResultToTheRequestSizeTimesTheScale()
    {
        var graph = WorkflowBuilder.Build(Templates["img2img"], Img2Img with { Width = 512, Height = 768, HiresFix = HiresModel }, 42, sourceImage: Source, server: Server);
        var scale = Assert.Single(graph.Nodes, n => n.Value.ClassType == "ImageScale");
        Assert.Equal((1024, 1536), (scale.Value.Inputs["width"]!.GetValue<int>(), scale.Value.Inputs["height"]!.GetValue<int>()));
        var upscaled = Assert.Single(graph.Nodes, n => n.Value.ClassType == "ImageUpscaleWithModel").Key;
        var decoded = GraphLinks.LinkOf(graph, upscaled, "image")!.Value.SourceId;
        Assert.Equal(new ComfyLink("3", 0), GraphLinks.LinkOf(graph, decoded, "samples"));
        var encode = graph.Nodes.Single(n => n.Value.ClassType == "VAEEncode" && n.Key != "11").Key;
        Assert.Equal(new ComfyLink(scale.Key, 0), GraphLinks.LinkOf(graph, encode, "pixels"));
        var second = graph.Nodes.Single(n => n.Value.ClassType == "KSampler" && n.Key != "3").Key;
        Assert.Equal(new ComfyLink(encode, 0), GraphLinks.LinkOf(graph, second, "latent_image"));
        Assert.Equal((30, 0.3), (graph[second].Inputs["steps"]!.GetValue<int>(), graph[second].Inputs["denoise"]!.GetValue<double>()));
    }

    [Theory]
    [InlineData(0.5, 30, 0.8, 60, 30, 54)]
    [InlineData(0.3, 20, 0.8, 66, 46, 62)]
    [InlineData(0.75, 20, 0.5, 26, 6, 16)]
    [InlineData(1.0, 30, 0.8, 30, 0, 24)]
    public void Build_Img2ImgRefiner_SplitsTheStepsThatImg2ImgRunsAtTheSwitchPoint(double denoise, int steps, double switchAt, int schedule, int start, int switchStep)
    {
        var request = Img2Img with { Denoise = denoise, Steps = steps, Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, switchAt) };
        Assert.Empty(GenerationRequestValidator.Validate(request, AdvancedCatalogue.Limits));
        var graph = WorkflowBuilder.Build(Templates["img2img"], request, 42, sourceImage: Source, server: Server);
        Assert.Equal("KSamplerAdvanced", graph["3"].ClassType);
        Assert.Equal((schedule, start, switchStep, "enable", "enable"), (graph["3"].Inputs["steps"]!.GetValue<int>(), graph["3"].Inputs["start_at_step"]!.GetValue<int>(),
            graph["3"].Inputs["end_at_step"]!.GetValue<int>(), graph["3"].Inputs["add_noise"]!.GetValue<string>(), graph["3"].Inputs["return_with_leftover_noise"]!.GetValue<string>()));
        Assert.Equal(new ComfyLink("12", 0), GraphLinks.LinkOf(graph, "3", "latent_image"));
        var refiner = GraphLinks.LinkOf(graph, "8", "samples")!.Value.SourceId;
        Assert.Equal((schedule, switchStep, "disable"), (graph[refiner].Inputs["steps"]!.GetValue<int>(), graph[refiner].Inputs["start_at_step"]!.GetValue<int>(), graph[refiner].Inputs["add_noise"]!.GetValue<string>()));
        Assert.Equal(new ComfyLink("3", 0), GraphLinks.LinkOf(graph, refiner, "latent_image"));
        // The refiner's checkpoint decodes; the base's VAE still encodes the picture.
        var refinerCheckpoint = GraphLinks.LinkOf(graph, refiner, "model")!.Value.SourceId;
        Assert.Equal(new ComfyLink(refinerCheckpoint, 2), GraphLinks.LinkOf(graph, "8", "vae"));
        Assert.Equal(new ComfyLink("4", 2), GraphLinks.LinkOf(graph, "11", "vae"));
    }

    [Theory]
    [InlineData(0.0, "nothing is sampled")]
    [InlineData(0.001, "schedule of over")]
    public void Validate_Img2ImgRefinerWithoutASchedule_IsRefusedWithTheReason(double denoise, string expected)
    {
        var request = Img2Img with { Denoise = denoise, Steps = 20, Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) };
        Assert.Contains(GenerationRequestValidator.Validate(request, AdvancedCatalogue.Limits),
            e => e.Field == nameof(GenerationRequest.Refiner) && e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_InpaintFillWithRefiner_TheBaseTakesTheInpaintEncodingAndTheRefinerTheBasesLatent()
    {
        var (_, request) = Variants["inpaint whole fill"];
        var graph = WorkflowBuilder.Build(Templates["inpaint"], request with { Refiner = new RefinerSetting(AdvancedCatalogue.Refiner, 0.8) }, 42, sourceImage: Source, server: Server);
        Assert.DoesNotContain(graph.Nodes, n => n.Value.ClassType == "SetLatentNoiseMask");
        var repeat = GraphLinks.LinkOf(graph, "3", "latent_image")!.Value.SourceId;
        Assert.Equal("RepeatLatentBatch", graph[repeat].ClassType);
        Assert.Equal("VAEEncodeForInpaint", graph[GraphLinks.LinkOf(graph, repeat, "samples")!.Value.SourceId].ClassType);
        AssertRefiner(graph);
        AssertStillComposited(graph);
    }

    /// <summary>Hires fix then the refiner: the refiner splits the hires pass, keeping its denoise (0.4 or 0.3 of its 12 or 30 steps).</summary>
    private static void AssertHiresThenRefiner(ComfyGraph graph, string upscaler)
    {
        var refiner = SamplerOf(graph);
        var hiresBase = GraphLinks.LinkOf(graph, refiner, "latent_image")!.Value.SourceId;
        Assert.Equal("KSamplerAdvanced", graph[hiresBase].ClassType);
        Assert.Equal(upscaler, graph[GraphLinks.FindUpstream(graph, GraphLinks.LinkOf(graph, hiresBase, "latent_image")!.Value.SourceId, upscaler)!].ClassType);
        var (steps, start, end) = (graph[hiresBase].Inputs["steps"]!.GetValue<int>(), graph[hiresBase].Inputs["start_at_step"]!.GetValue<int>(), graph[hiresBase].Inputs["end_at_step"]!.GetValue<int>());
        Assert.Equal(upscaler == "LatentUpscaleBy" ? (30, 18, 28) : (100, 70, 94), (steps, start, end));
        var first = Assert.Single(graph.Nodes, n => n.Value.ClassType == "KSampler");
        Assert.Equal(0.5, first.Value.Inputs["denoise"]!.GetValue<double>());
    }

    [Fact]
    public void ForMode_MarksRefusedOptionsUnavailableWithTheReason()
    {
        var a = AdvancedCatalogue.Limits.Advanced;
        Assert.Null(a.ForMode(GenerationMode.Txt2Img, InpaintArea.WholePicture).HiresLatentUnavailable);
        var img = a.ForMode(GenerationMode.Img2Img, InpaintArea.WholePicture);
        Assert.Null(img.HiresLatentUnavailable);
        Assert.Null(img.HiresModelUnavailable);
        Assert.Null(img.RefinerUnavailable);
        Assert.Null(img.ControlNetUnavailable);
        var inpaint = a.ForMode(GenerationMode.Inpaint, InpaintArea.WholePicture);
        Assert.Equal(AdvancedValidator.HiresFixRefusal(GenerationMode.Inpaint), inpaint.HiresLatentUnavailable);
        Assert.Equal(AdvancedValidator.HiresFixRefusal(GenerationMode.Inpaint), inpaint.HiresModelUnavailable);
        Assert.Null(inpaint.RefinerUnavailable);
        Assert.Equal(AdvancedValidator.ControlNetRefusal(GenerationMode.Inpaint, InpaintArea.OnlyMasked),
            a.ForMode(GenerationMode.Inpaint, InpaintArea.OnlyMasked).ControlNetUnavailable);
    }

    private static string SamplerOf(ComfyGraph graph) => GraphTransforms.Sampler(graph);

    /// <summary>The sampler the LoRAs and ControlNet units reach: the last one, or with the refiner its base (the refiner has its own checkpoint and prompts).</summary>
    private static string BaseSamplerOf(ComfyGraph graph)
    {
        var sampler = SamplerOf(graph);
        var previous = GraphLinks.LinkOf(graph, sampler, "latent_image")!.Value.SourceId;
        return graph[sampler].ClassType == "KSamplerAdvanced" && graph[previous].ClassType == "KSamplerAdvanced" ? previous : sampler;
    }

    /// <summary>The decoded result still reaches SaveImage only through ImageCompositeMasked onto the loaded picture.</summary>
    private static void AssertStillComposited(ComfyGraph graph)
    {
        var save = Assert.Single(graph.Nodes, n => n.Value.ClassType == "SaveImage");
        var composite = GraphLinks.LinkOf(graph, save.Key, "images")!.Value.SourceId;
        Assert.Equal("ImageCompositeMasked", graph[composite].ClassType);
        Assert.Equal(Source, graph[GraphLinks.FindUpstream(graph, GraphLinks.LinkOf(graph, composite, "destination")!.Value.SourceId, "LoadImage")!].Inputs["image"]!.GetValue<string>());
        Assert.NotNull(GraphLinks.LinkOf(graph, composite, "mask"));
    }

    /// <summary>Hires fix on img2img: the img2img pass keeps its denoise; the second pass samples its upscaled result and feeds the decoder.</summary>
    private static void AssertHires(ComfyGraph graph, string upscaler)
    {
        var samplers = graph.Nodes.Where(n => n.Value.ClassType == "KSampler").Select(n => n.Key).ToList();
        Assert.Equal(2, samplers.Count);
        var second = SamplerOf(graph);
        var first = samplers.Single(id => id != second);
        Assert.Equal(0.5, graph[first].Inputs["denoise"]!.GetValue<double>());
        Assert.Equal("RepeatLatentBatch", graph[GraphLinks.LinkOf(graph, first, "latent_image")!.Value.SourceId].ClassType);
        var upscale = Assert.Single(graph.Nodes, n => n.Value.ClassType == upscaler).Key;
        Assert.Equal(upscale, GraphLinks.FindUpstream(graph, GraphLinks.LinkOf(graph, second, "latent_image")!.Value.SourceId, upscaler));
        Assert.Equal(first, GraphLinks.FindUpstream(graph, upscale, "KSampler"));
        Assert.NotEqual(0.5, graph[second].Inputs["denoise"]!.GetValue<double>());
    }

    /// <summary>The refiner on img2img/inpaint: the base starts where img2img's denoise starts and takes the encoded picture.</summary>
    private static void AssertRefiner(ComfyGraph graph)
    {
        var refiner = SamplerOf(graph);
        var baseSampler = GraphLinks.LinkOf(graph, refiner, "latent_image")!.Value.SourceId;
        Assert.Equal("KSamplerAdvanced", graph[baseSampler].ClassType);
        // 30 steps at denoise 0.5: a 60-step schedule, the base runs 30..54, the refiner 54..60.
        Assert.Equal((60, 30, 54), (graph[baseSampler].Inputs["steps"]!.GetValue<int>(), graph[baseSampler].Inputs["start_at_step"]!.GetValue<int>(), graph[baseSampler].Inputs["end_at_step"]!.GetValue<int>()));
        Assert.Equal((60, 54), (graph[refiner].Inputs["steps"]!.GetValue<int>(), graph[refiner].Inputs["start_at_step"]!.GetValue<int>()));
        var latent = graph[GraphLinks.LinkOf(graph, baseSampler, "latent_image")!.Value.SourceId].ClassType;
        Assert.True(latent is "RepeatLatentBatch" or "SetLatentNoiseMask", latent);
    }

    private static void AssertLora(ComfyGraph graph, string name, double strength)
    {
        var lora = Assert.Single(graph.Nodes, n => n.Value.ClassType == "LoraLoader" && n.Value.Inputs["lora_name"]!.GetValue<string>() == name);
        Assert.Equal(strength, lora.Value.Inputs["strength_model"]!.GetValue<double>());
        var model = GraphLinks.LinkOf(graph, BaseSamplerOf(graph), "model")!;
        Assert.Equal(lora.Key, GraphLinks.FindUpstream(graph, model.Value.SourceId, "LoraLoader"));
        foreach (var encoder in graph.Nodes.Where(n => n.Value.ClassType == "CLIPTextEncode" && GraphLinks.FindUpstream(graph, n.Key, "CheckpointLoaderSimple") == "4"))
        {
            Assert.Equal(lora.Key, GraphLinks.FindUpstream(graph, GraphLinks.LinkOf(graph, encoder.Key, "clip")!.Value.SourceId, "LoraLoader"));
            Assert.DoesNotContain("<lora:", encoder.Value.Inputs["text"]!.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    private static void AssertVae(ComfyGraph graph)
    {
        var loader = Assert.Single(graph.Nodes, n => n.Value.ClassType == "VAELoader");
        Assert.Equal("taesd", loader.Value.Inputs["vae_name"]!.GetValue<string>());
        var users = graph.Nodes.Where(n => n.Value.ClassType is "VAEEncode" or "VAEEncodeForInpaint" or "VAEDecode").ToList();
        Assert.Equal(2, users.Count); // the picture's encoder and the output decoder
        Assert.All(users, n => Assert.Equal(loader.Key, GraphLinks.LinkOf(graph, n.Key, "vae")!.Value.SourceId));
    }

    private static void AssertTiledDecode(ComfyGraph graph)
    {
        Assert.DoesNotContain(graph.Nodes.Values, n => n.ClassType == "VAEDecode");
        var tiled = Assert.Single(graph.Nodes, n => n.Value.ClassType == "VAEDecodeTiled");
        Assert.Equal(256, tiled.Value.Inputs["tile_size"]!.GetValue<int>());
        // What it decodes still reaches the saved image (through the inpaint composite where there is one).
        Assert.Contains(graph.Nodes.Values, n => n.Inputs.Values.Any(v => ComfyLink.TryParse(v, out var link) && link.SourceId == tiled.Key));
    }

    private static void AssertClipSkip(ComfyGraph graph)
    {
        var skip = Assert.Single(graph.Nodes, n => n.Value.ClassType == "CLIPSetLastLayer");
        Assert.Equal(-2, skip.Value.Inputs["stop_at_clip_layer"]!.GetValue<int>());
        Assert.All(graph.Nodes.Where(n => n.Value.ClassType == "CLIPTextEncode"),
            e => Assert.Equal(skip.Key, GraphLinks.LinkOf(graph, e.Key, "clip")!.Value.SourceId));
    }

    private static void AssertControlNet(ComfyGraph graph)
    {
        var apply = Assert.Single(graph.Nodes, n => n.Value.ClassType == "ControlNetApplyAdvanced");
        var sampler = BaseSamplerOf(graph);
        Assert.Equal(new ComfyLink(apply.Key, 0), GraphLinks.LinkOf(graph, sampler, "positive"));
        Assert.Equal(new ComfyLink(apply.Key, 1), GraphLinks.LinkOf(graph, sampler, "negative"));
        var image = GraphLinks.LinkOf(graph, apply.Key, "image")!;
        Assert.Equal(ControlUploaded, graph[image.Value.SourceId].Inputs["image"]!.GetValue<string>());
        Assert.Equal(0.7, apply.Value.Inputs["strength"]!.GetValue<double>());
    }
}
