using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Tests.Domain;

public sealed class UpscaleWorkflowTests
{
    private const string Model = "4x-UltraSharp.pth";

    private static readonly WorkflowTemplate Template = WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "upscale", "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "upscale", "manifest.json")));

    /// <summary>The real object_info with one upscale model on the server.</summary>
    private static readonly ObjectInfo Catalogue = BuildCatalogue();

    private static ObjectInfo BuildCatalogue()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!;
        root["UpscaleModelLoader"]!["input"]!["required"]!["model_name"]![1]!["options"]!.AsArray().Add(Model);
        return CatalogueJson.Parse(root.ToJsonString());
    }

    private static GenerationRequest Request(UpscaleMethod method, double? scale, int width = 1000, int height = 700) => new()
    {
        Mode = GenerationMode.Upscale,
        SourceImage = Guid.NewGuid(),
        UpscaleMethod = method,
        UpscaleModel = method == UpscaleMethod.Model ? Model : string.Empty,
        ResizeFilter = "bicubic",
        Scale = scale,
        Width = width,
        Height = height,
    };

    private static ComfyGraph BuildValid(GenerationRequest request)
    {
        var graph = WorkflowBuilder.Build(Template, request, 1, "DreamLayer/x", "dreamlayer/abc/source.png");
        var result = PromptValidator.Validate(graph, Catalogue);
        Assert.True(result.IsValid, string.Join("; ", ValidationMessages.DescribeAll(result, Catalogue, graph)));
        Assert.Empty(result.NodeErrors);
        Assert.Equal("dreamlayer/abc/source.png", graph["1"].Inputs["image"]!.GetValue<string>());
        return graph;
    }

    private static string Chain(ComfyGraph graph)
    {
        // Walks back from the SaveImage along "image"/"images" links.
        var names = new List<string>();
        var id = "3";
        while (true)
        {
            var node = graph[id];
            names.Add(node.ClassType);
            var link = node.Inputs.TryGetValue("images", out var images) ? images : node.Inputs.GetValueOrDefault("image");
            if (!ComfyLink.TryParse(link, out var next))
            {
                break;
            }
            id = next.SourceId;
        }
        names.Reverse();
        return string.Join(" > ", names);
    }

    [Fact]
    public void Build_ResizeByFactor_ScalesWithTheChosenFilter()
    {
        var graph = BuildValid(Request(UpscaleMethod.Resize, 2.5));
        Assert.Equal("LoadImage > ImageScaleBy > SaveImage", Chain(graph));
        Assert.Equal(2.5, graph["2"].Inputs["scale_by"]!.GetValue<double>());
        Assert.Equal("bicubic", graph["2"].Inputs["upscale_method"]!.GetValue<string>());
    }

    [Fact]
    public void Build_ResizeToTargetSize_UsesImageScaleWithTheExactSize()
    {
        var graph = BuildValid(Request(UpscaleMethod.Resize, scale: null, 1000, 700));
        Assert.Equal("LoadImage > ImageScale > SaveImage", Chain(graph));
        Assert.Equal(1000, graph["2"].Inputs["width"]!.GetValue<int>());
        Assert.Equal(700, graph["2"].Inputs["height"]!.GetValue<int>());
        Assert.Equal("disabled", graph["2"].Inputs["crop"]!.GetValue<string>());
    }

    [Fact]
    public void Build_ModelByFactor_RunsTheModelThenScalesToTheFactor()
    {
        var graph = BuildValid(Request(UpscaleMethod.Model, 2));
        Assert.Equal("LoadImage > ImageUpscaleWithModel > ImageScaleBy > SaveImage", Chain(graph));
        Assert.Equal(0.5, graph["2"].Inputs["scale_by"]!.GetValue<double>());
        var loader = Assert.Single(graph.Nodes.Values, n => n.ClassType == "UpscaleModelLoader");
        Assert.Equal(Model, loader.Inputs["model_name"]!.GetValue<string>());
    }

    [Fact]
    public void Build_ModelByItsOwnFactor_HasNoExtraResize()
    {
        var graph = BuildValid(Request(UpscaleMethod.Model, 4));
        Assert.Equal("LoadImage > ImageUpscaleWithModel > SaveImage", Chain(graph));
        Assert.DoesNotContain(graph.Nodes.Values, n => n.ClassType == "ImageScaleBy");
    }

    [Fact]
    public void Build_ModelToTargetSize_RunsTheModelThenImageScale()
    {
        var graph = BuildValid(Request(UpscaleMethod.Model, scale: null, 3000, 2000));
        Assert.Equal("LoadImage > ImageUpscaleWithModel > ImageScale > SaveImage", Chain(graph));
        Assert.Equal(3000, graph["2"].Inputs["width"]!.GetValue<int>());
    }

    [Fact]
    public void Validate_UpscaleRequest_NeedsNoPromptButASource()
    {
        var errors = GenerationRequestValidator.Validate(Request(UpscaleMethod.Resize, 2) with { SourceImage = null }, null);
        var error = Assert.Single(errors);
        Assert.Equal(nameof(GenerationRequest.SourceImage), error.Field);
        Assert.Equal("Choose an image to upscale.", error.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(9)]
    public void Validate_ScaleOutOfRange_SaysTheServersRange(double scale)
    {
        var limits = GenerationLimits.From(Catalogue);
        var error = Assert.Single(GenerationRequestValidator.Validate(Request(UpscaleMethod.Resize, scale), limits));
        Assert.Equal("Scale factor must be between 1 and 8.", error.Message);
    }

    [Fact]
    public void Validate_ModelMethodWithoutModel_AsksForOne()
    {
        var error = Assert.Single(GenerationRequestValidator.Validate(Request(UpscaleMethod.Model, 2) with { UpscaleModel = "" }, GenerationLimits.From(Catalogue)));
        Assert.Equal("Pick an upscale model.", error.Message);
    }

    [Fact]
    public void Validate_ModelMethodOnServerWithoutModels_SaysWhereModelsGo()
    {
        var limits = GenerationLimits.From(CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson)));
        Assert.Empty(limits.UpscaleModels);
        var error = Assert.Single(GenerationRequestValidator.Validate(Request(UpscaleMethod.Model, 2), limits));
        Assert.Contains("models/upscale_models", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_Txt2ImgRequest_StillNeedsAPrompt()
    {
        var errors = GenerationRequestValidator.Validate(new GenerationRequest { Checkpoint = "a.safetensors" }, null);
        Assert.Contains(errors, e => e.Field == nameof(GenerationRequest.Prompt));
    }

    [Theory]
    [InlineData(2.0, "Upscale ×2 (bicubic)", "Postprocess upscale by: 2, Postprocess upscaler: bicubic")]
    [InlineData(null, "Upscale to 1000×700 (bicubic)", "Postprocess upscale to: 1000x700, Postprocess upscaler: bicubic")]
    public void Text_DescribesOnlyWhatWasApplied(double? scale, string summary, string infotext)
    {
        var request = Request(UpscaleMethod.Resize, scale);
        Assert.Equal(summary, UpscaleText.Summary(request));
        Assert.Equal(infotext, UpscaleText.Infotext(request));
    }
}
