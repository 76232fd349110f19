using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>LoRAs, ControlNet, VAE and CLIP skip on the img2img and inpaint graphs; hires fix and the refiner refused there.</summary>
public sealed class ImageModeAdvancedTests
{
    private const string Source = "dreamlayer/job1/source.png";
    private static readonly Guid ControlPicture = Guid.Parse("0193a2b4-0000-7000-8000-0000000000c1");
    private const string ControlUploaded = "dreamlayer/job1/pose.png";

    private static readonly ServerInputs Server = new()
    {
        UploadedImages = new Dictionary<Guid, string> { [ControlPicture] = ControlUploaded },
        Loras = AdvancedWorkflowTests.Limits.Advanced.Loras,
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
        Model = AdvancedWorkflowTests.ControlNet,
        Image = ControlPicture,
        Strength = 0.7,
        StartPercent = 0,
        EndPercent = 0.8,
    };

    /// <summary>Each supported option: how it changes the request, and what it must change in the graph.</summary>
    private static readonly Dictionary<string, (Func<GenerationRequest, GenerationRequest> Apply, Action<ComfyGraph> Check)> Supported = new()
    {
        ["picker LoRA"] = (r => r with { Loras = [new(AdvancedWorkflowTests.Lora1, 0.8, 0.6)] }, g => AssertLora(g, AdvancedWorkflowTests.Lora1, 0.8)),
        ["prompt LoRA"] = (r => r with { Prompt = r.Prompt + ", <lora:Style_Ink:0.7>" }, g => AssertLora(g, AdvancedWorkflowTests.Lora2, 0.7)),
        ["VAE"] = (r => r with { Vae = "taesd" }, AssertVae),
        ["CLIP skip"] = (r => r with { ClipSkip = 2 }, AssertClipSkip),
        ["ControlNet"] = (r => r with { ControlNets = [Unit] }, AssertControlNet),
        ["tiled VAE"] = (r => r with { TiledVae = new TiledVaeSetting(256) }, AssertTiledDecode),
    };

    /// <summary>Each refused option: how it changes the request, the field and the message.</summary>
    private static readonly Dictionary<string, (Func<GenerationRequest, GenerationRequest> Apply, string Field, Func<GenerationRequest, string?> Message)> Refused = new()
    {
        ["hires fix"] = (r => r with { HiresFix = new HiresFixSetting { Scale = 1.5, Denoise = 0.4 } }, nameof(GenerationRequest.HiresFix), r => AdvancedValidator.HiresFixRefusal(r.Mode)),
        ["hires fix model"] = (r => r with { HiresFix = new HiresFixSetting { Upscaler = HiresUpscaler.Model, UpscaleModel = AdvancedWorkflowTests.UpscaleModel, Scale = 2, Denoise = 0.3 } },
            nameof(GenerationRequest.HiresFix), r => AdvancedValidator.HiresFixRefusal(r.Mode)),
        ["refiner"] = (r => r with { Refiner = new RefinerSetting(AdvancedWorkflowTests.Refiner, 0.8) }, nameof(GenerationRequest.Refiner), r => AdvancedValidator.RefinerRefusal(r.Mode)),
        ["ControlNet"] = (r => r with { ControlNets = [Unit] }, nameof(GenerationRequest.ControlNets), r => AdvancedValidator.ControlNetRefusal(r.Mode, r.Inpaint.Area)),
    };

    private static bool IsRefused(string variant, string option) =>
        option != "ControlNet" || variant.StartsWith("inpaint only masked", StringComparison.Ordinal);

    public static TheoryData<string, string> SupportedCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in Variants.Keys)
        {
            foreach (var option in Supported.Keys.Where(o => !(o == "ControlNet" && IsRefused(variant, o))))
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

    [Theory]
    [MemberData(nameof(SupportedCases))]
    public void Build_SupportedOption_IsValidForComfyAndChangesTheGraph(string variant, string option)
    {
        var (template, baseRequest) = Variants[variant];
        var (apply, check) = Supported[option];
        var request = apply(baseRequest);
        Assert.Empty(GenerationRequestValidator.Validate(request, AdvancedWorkflowTests.Limits));

        var before = WorkflowBuilder.Build(Templates[template], baseRequest, 42, sourceImage: Source, server: Server);
        var graph = WorkflowBuilder.Build(Templates[template], request, 42, sourceImage: Source, server: Server);
        var result = PromptValidator.Validate(graph, AdvancedWorkflowTests.Catalogue);
        Assert.True(result.IsValid && result.NodeErrors.Count == 0, string.Join("; ", ValidationMessages.DescribeAll(result, AdvancedWorkflowTests.Catalogue, graph)));
        Assert.True(graph.Nodes.Count > before.Nodes.Count || option is "CLIP skip" or "tiled VAE" && graph.Nodes.Count >= before.Nodes.Count);
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
        var errors = GenerationRequestValidator.Validate(request, AdvancedWorkflowTests.Limits);
        Assert.Contains(errors, e => e.Field == field && e.Message == expected);
        // Also refused before any server has been read.
        Assert.Contains(GenerationRequestValidator.Validate(request, null), e => e.Field == field && e.Message == expected);
    }

    [Fact]
    public void ForMode_MarksRefusedOptionsUnavailableWithTheReason()
    {
        var a = AdvancedWorkflowTests.Limits.Advanced;
        Assert.Null(a.ForMode(GenerationMode.Txt2Img, InpaintArea.WholePicture).HiresLatentUnavailable);
        var img = a.ForMode(GenerationMode.Img2Img, InpaintArea.WholePicture);
        Assert.Equal(AdvancedValidator.HiresFixRefusal(GenerationMode.Img2Img), img.HiresLatentUnavailable);
        Assert.Equal(AdvancedValidator.HiresFixRefusal(GenerationMode.Img2Img), img.HiresModelUnavailable);
        Assert.Equal(AdvancedValidator.RefinerRefusal(GenerationMode.Img2Img), img.RefinerUnavailable);
        Assert.Null(img.ControlNetUnavailable);
        Assert.Equal(AdvancedValidator.ControlNetRefusal(GenerationMode.Inpaint, InpaintArea.OnlyMasked),
            a.ForMode(GenerationMode.Inpaint, InpaintArea.OnlyMasked).ControlNetUnavailable);
    }

    private static string SamplerOf(ComfyGraph graph) => GraphTransforms.Sampler(graph);

    private static void AssertLora(ComfyGraph graph, string name, double strength)
    {
        var lora = Assert.Single(graph.Nodes, n => n.Value.ClassType == "LoraLoader" && n.Value.Inputs["lora_name"]!.GetValue<string>() == name);
        Assert.Equal(strength, lora.Value.Inputs["strength_model"]!.GetValue<double>());
        var model = GraphLinks.LinkOf(graph, SamplerOf(graph), "model")!;
        Assert.Equal(lora.Key, GraphLinks.FindUpstream(graph, model.Value.SourceId, "LoraLoader"));
        foreach (var encoder in graph.Nodes.Where(n => n.Value.ClassType == "CLIPTextEncode"))
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
        var sampler = SamplerOf(graph);
        Assert.Equal(new ComfyLink(apply.Key, 0), GraphLinks.LinkOf(graph, sampler, "positive"));
        Assert.Equal(new ComfyLink(apply.Key, 1), GraphLinks.LinkOf(graph, sampler, "negative"));
        var image = GraphLinks.LinkOf(graph, apply.Key, "image")!;
        Assert.Equal(ControlUploaded, graph[image.Value.SourceId].Inputs["image"]!.GetValue<string>());
        Assert.Equal(0.7, apply.Value.Inputs["strength"]!.GetValue<double>());
    }
}
