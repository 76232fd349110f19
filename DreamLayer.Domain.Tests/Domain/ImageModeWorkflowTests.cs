using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Domain.Workflows.Transforms;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>Img2img and inpaint templates: every field lands where it should, and every variant passes ComfyUI's rules.</summary>
public sealed class ImageModeWorkflowTests
{
    private const string Checkpoint = "v1-5-pruned-emaonly.safetensors";
    private const string Uploaded = "dreamlayer/0123/source.png";

    private static readonly ObjectInfo Catalogue = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

    private static WorkflowTemplate Load(string mode) => WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, mode, "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, mode, "manifest.json")));

    private static readonly WorkflowTemplate Img2ImgTemplate = Load("img2img");
    private static readonly WorkflowTemplate InpaintTemplate = Load("inpaint");

    private static GenerationRequest Img2Img() => new()
    {
        Mode = GenerationMode.Img2Img,
        Prompt = "a red barn",
        NegativePrompt = "blurry",
        Checkpoint = Checkpoint,
        Sampler = "dpmpp_2m",
        Scheduler = "karras",
        Steps = 28,
        Cfg = 6.5,
        Width = 640,
        Height = 512,
        BatchSize = 2,
        Denoise = 0.42,
        SourceImage = Guid.NewGuid(),
        SourceWidth = 800,
        SourceHeight = 600,
    };

    private static GenerationRequest Inpaint(MaskedContent content = MaskedContent.Original, InpaintArea area = InpaintArea.WholePicture, int blur = 4, int batch = 1) =>
        Img2Img() with
        {
            Mode = GenerationMode.Inpaint,
            Width = 512,
            Height = 512,
            BatchSize = batch,
            Mask = new InpaintMask(Guid.NewGuid(), 800, 600, new PixelRect(300, 200, 100, 50)),
            Inpaint = new InpaintSettings { MaskedContent = content, Area = area, MaskBlur = blur, Padding = 20 },
        };

    private static ComfyGraph BuildValid(WorkflowTemplate template, GenerationRequest request, ulong seed = 77)
    {
        var graph = WorkflowBuilder.Build(template, request, seed, "DreamLayer/x", Uploaded);
        var result = PromptValidator.Validate(graph, Catalogue);
        Assert.True(result.IsValid, string.Join("; ", ValidationMessages.DescribeAll(result, Catalogue, graph)));
        Assert.Empty(result.NodeErrors);
        return graph;
    }

    private static T Input<T>(ComfyGraph graph, string node, string input) => graph[node].Inputs[input]!.GetValue<T>();

    private static ComfyLink LinkOf(ComfyGraph graph, string node, string input) =>
        GraphLinks.LinkOf(graph, node, input) ?? throw new Xunit.Sdk.XunitException($"{node}.{input} is not a link");

    private static string Single(ComfyGraph graph, string classType) => Assert.Single(graph.Nodes, n => n.Value.ClassType == classType).Key;

    private static bool Has(ComfyGraph graph, string classType) => graph.Nodes.Values.Any(n => n.ClassType == classType);

    [Fact]
    public void Build_Img2Img_EveryFieldReachesItsInput()
    {
        var graph = BuildValid(Img2ImgTemplate, Img2Img(), seed: 12345);
        Assert.Equal(Uploaded, Input<string>(graph, "10", "image"));
        Assert.Equal(0.42, Input<double>(graph, "3", "denoise"));
        Assert.Equal(12345UL, Input<ulong>(graph, "3", "seed"));
        Assert.Equal(28, Input<int>(graph, "3", "steps"));
        Assert.Equal(6.5, Input<double>(graph, "3", "cfg"));
        Assert.Equal("dpmpp_2m", Input<string>(graph, "3", "sampler_name"));
        Assert.Equal("karras", Input<string>(graph, "3", "scheduler"));
        Assert.Equal(Checkpoint, Input<string>(graph, "4", "ckpt_name"));
        Assert.Equal("a red barn", Input<string>(graph, "6", "text"));
        Assert.Equal("blurry", Input<string>(graph, "7", "text"));
        Assert.Equal(2, Input<int>(graph, "12", "amount"));
        Assert.Equal("DreamLayer/x", Input<string>(graph, "9", "filename_prefix"));
        // The sampler starts from the encoded source, not from an empty latent.
        Assert.Equal(new ComfyLink("12", 0), LinkOf(graph, "3", "latent_image"));
        Assert.Equal(new ComfyLink("11", 0), LinkOf(graph, "12", "samples"));
        Assert.Equal(new ComfyLink("10", 0), LinkOf(graph, "11", "pixels"));
        Assert.False(Has(graph, "EmptyLatentImage"));
    }

    public static TheoryData<MaskedContent, InpaintArea, int, int> AllInpaintVariants()
    {
        var data = new TheoryData<MaskedContent, InpaintArea, int, int>();
        foreach (var content in Enum.GetValues<MaskedContent>())
        {
            foreach (var area in Enum.GetValues<InpaintArea>())
            {
                foreach (var blur in new[] { 0, 4, InpaintSettings.MaxMaskBlur })
                {
                    foreach (var batch in new[] { 1, 3 })
                    {
                        data.Add(content, area, blur, batch);
                    }
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AllInpaintVariants))]
    public void Build_InpaintVariant_PassesComfyValidationAndKeepsTheRequest(MaskedContent content, InpaintArea area, int blur, int batch)
    {
        var graph = BuildValid(InpaintTemplate, Inpaint(content, area, blur, batch));
        Assert.Equal(Uploaded, Input<string>(graph, "10", "image"));
        Assert.Equal(0.42, Input<double>(graph, "3", "denoise"));
        Assert.Equal(batch, Input<int>(graph, "12", "amount"));
        Assert.Equal(batch, Input<int>(graph, "17", "amount"));
        // The result is always pasted onto the original through the (blurred) mask, so unmasked pixels stay exact.
        var composite = LinkOf(graph, "9", "images").SourceId;
        Assert.Equal("ImageCompositeMasked", graph[composite].ClassType);
        Assert.Equal(new ComfyLink("17", 0), LinkOf(graph, composite, "destination"));
        Assert.Equal(Has(graph, "ImageBlur"), blur > 0);
        Assert.Equal(content == MaskedContent.Fill, Has(graph, "VAEEncodeForInpaint"));
        Assert.Equal(content != MaskedContent.Fill, Has(graph, "SetLatentNoiseMask"));
        Assert.Equal(content == MaskedContent.LatentNoise, Has(graph, "AddNoise"));
        Assert.Equal(area == InpaintArea.OnlyMasked, Has(graph, "ImageCrop"));
        Assert.Equal(area == InpaintArea.OnlyMasked, Has(graph, "CropMask"));
    }

    [Fact]
    public void Build_InpaintMaskBlur_SetsSigmaAndAKernelOfThreeSigmas()
    {
        var graph = BuildValid(InpaintTemplate, Inpaint(blur: 5));
        Assert.Equal(5.0, Input<double>(graph, "14", "sigma"));
        Assert.Equal(15, Input<int>(graph, "14", "blur_radius"));
        Assert.Equal(new ComfyLink("10", 1), LinkOf(graph, "13", "mask"));
        Assert.Equal(new ComfyLink("15", 0), LinkOf(graph, "16", "mask"));
        Assert.Equal(new ComfyLink("15", 0), LinkOf(graph, "18", "mask"));
    }

    [Fact]
    public void Build_InpaintNoBlur_UsesTheLoadedMaskDirectly()
    {
        var graph = BuildValid(InpaintTemplate, Inpaint(blur: 0));
        Assert.False(graph.TryGetNode("13", out _));
        Assert.False(graph.TryGetNode("14", out _));
        Assert.False(graph.TryGetNode("15", out _));
        Assert.Equal(new ComfyLink("10", 1), LinkOf(graph, "16", "mask"));
        Assert.Equal(new ComfyLink("10", 1), LinkOf(graph, "18", "mask"));
    }

    [Fact]
    public void Build_InpaintOriginal_SamplesTheEncodedSourceUnderANoiseMask()
    {
        var graph = BuildValid(InpaintTemplate, Inpaint());
        Assert.Equal(new ComfyLink("16", 0), LinkOf(graph, "3", "latent_image"));
        Assert.Equal("SetLatentNoiseMask", graph["16"].ClassType);
        Assert.Equal(new ComfyLink("12", 0), LinkOf(graph, "16", "samples"));
        Assert.Equal("VAEEncode", graph["11"].ClassType);
    }

    [Fact]
    public void Build_InpaintFill_EncodesWithVaeEncodeForInpaintAndNoSeparateNoiseMask()
    {
        var graph = BuildValid(InpaintTemplate, Inpaint(MaskedContent.Fill));
        Assert.Equal("VAEEncodeForInpaint", graph["11"].ClassType);
        Assert.Equal(new ComfyLink("15", 0), LinkOf(graph, "11", "mask"));
        Assert.Equal(InpaintGraph.FillGrowMask, Input<int>(graph, "11", "grow_mask_by"));
        Assert.Equal(new ComfyLink("12", 0), LinkOf(graph, "3", "latent_image"));
        Assert.False(graph.TryGetNode("16", out _));
    }

    [Fact]
    public void Build_InpaintLatentNoise_PutsUnitNoiseFromTheJobSeedInTheMask()
    {
        var graph = BuildValid(InpaintTemplate, Inpaint(MaskedContent.LatentNoise, batch: 2), seed: 999);
        var composite = LinkOf(graph, "16", "samples").SourceId;
        Assert.Equal("LatentCompositeMasked", graph[composite].ClassType);
        Assert.Equal(new ComfyLink("12", 0), LinkOf(graph, composite, "destination"));
        Assert.Equal(new ComfyLink("15", 0), LinkOf(graph, composite, "mask"));
        var addNoise = LinkOf(graph, composite, "source").SourceId;
        Assert.Equal("AddNoise", graph[addNoise].ClassType);
        Assert.Equal(new ComfyLink("4", 0), LinkOf(graph, addNoise, "model"));
        var noise = LinkOf(graph, addNoise, "noise").SourceId;
        Assert.Equal(999UL, Input<ulong>(graph, noise, "noise_seed"));
        var sigmas = LinkOf(graph, addNoise, "sigmas").SourceId;
        Assert.Equal("KarrasScheduler", graph[sigmas].ClassType);
        Assert.Equal(1, Input<int>(graph, sigmas, "steps"));
        Assert.Equal(1.0, Input<double>(graph, sigmas, "sigma_max"));
        var empty = LinkOf(graph, addNoise, "latent_image").SourceId;
        Assert.Equal((512, 512, 2), (Input<int>(graph, empty, "width"), Input<int>(graph, empty, "height"), Input<int>(graph, empty, "batch_size")));
    }

    [Fact]
    public void Build_InpaintOnlyMasked_CropsScalesAndPastesBackAtTheCrop()
    {
        // Painted 300,200 100×50 in 800×600, padding 20 → 280,180 140×90, widened to square → 280,155 140×140.
        var graph = BuildValid(InpaintTemplate, Inpaint(area: InpaintArea.OnlyMasked));
        var crop = Single(graph, "ImageCrop");
        Assert.Equal(new ComfyLink("10", 0), LinkOf(graph, crop, "image"));
        Assert.Equal((280, 155, 140, 140), (Input<int>(graph, crop, "x"), Input<int>(graph, crop, "y"), Input<int>(graph, crop, "width"), Input<int>(graph, crop, "height")));
        var scaled = LinkOf(graph, "11", "pixels").SourceId;
        Assert.Equal(new ComfyLink(crop, 0), LinkOf(graph, scaled, "image"));
        Assert.Equal((512, 512), (Input<int>(graph, scaled, "width"), Input<int>(graph, scaled, "height")));

        var mask = Single(graph, "CropMask");
        Assert.Equal(new ComfyLink("15", 0), LinkOf(graph, mask, "mask"));
        Assert.Equal((280, 155, 140, 140), (Input<int>(graph, mask, "x"), Input<int>(graph, mask, "y"), Input<int>(graph, mask, "width"), Input<int>(graph, mask, "height")));
        Assert.Equal(new ComfyLink(mask, 0), LinkOf(graph, "16", "mask"));
        Assert.Equal(new ComfyLink(mask, 0), LinkOf(graph, "18", "mask"));

        var back = LinkOf(graph, "18", "source").SourceId;
        Assert.Equal(new ComfyLink("8", 0), LinkOf(graph, back, "image"));
        Assert.Equal((140, 140), (Input<int>(graph, back, "width"), Input<int>(graph, back, "height")));
        Assert.Equal((280, 155), (Input<int>(graph, "18", "x"), Input<int>(graph, "18", "y")));
    }

    [Theory]
    [InlineData(300, 200, 100, 50, 20, 800, 600, 512, 512, 280, 155, 140, 140)] // widened to the square target
    [InlineData(0, 0, 10, 10, 32, 800, 600, 512, 512, 0, 0, 42, 42)]            // clamped at the top-left corner
    [InlineData(790, 590, 10, 10, 32, 800, 600, 512, 512, 758, 558, 42, 42)]    // clamped at the bottom-right corner
    [InlineData(100, 100, 200, 10, 0, 800, 600, 512, 256, 100, 55, 200, 100)]   // 2:1 target: the crop gets taller
    [InlineData(0, 0, 800, 600, 0, 800, 600, 512, 512, 0, 0, 800, 600)]         // everything painted: the whole image
    public void CropRegion_PaddedAndFittedToTheTargetAspect(int x, int y, int w, int h, int padding, int iw, int ih, int tw, int th, int ex, int ey, int ew, int eh)
    {
        Assert.Equal(new PixelRect(ex, ey, ew, eh), InpaintGeometry.CropRegion(new PixelRect(x, y, w, h), padding, iw, ih, tw, th));
    }

    [Fact]
    public void ImageInputs_EachModeUploadsItsSourceFittedAsItNeeds()
    {
        var img2img = Img2Img();
        var input = Assert.Single(ImageInputs.For(img2img));
        Assert.Equal(new ImageInput(Parameters.Image, img2img.SourceImage!.Value, new ImageFit(640, 512, ResizeMode.JustResize)), input);

        var whole = Inpaint() with { ResizeMode = ResizeMode.CropAndResize };
        Assert.Equal(new ImageInput(Parameters.Image, whole.SourceImage!.Value, new ImageFit(512, 512, ResizeMode.CropAndResize), whole.Mask!.Upload),
            Assert.Single(ImageInputs.For(whole)));

        var onlyMasked = Inpaint(area: InpaintArea.OnlyMasked);
        Assert.Equal(new ImageInput(Parameters.Image, onlyMasked.SourceImage!.Value, null, onlyMasked.Mask!.Upload),
            Assert.Single(ImageInputs.For(onlyMasked)));

        Assert.Empty(ImageInputs.For(new GenerationRequest { Prompt = "x" }));
    }

    public static TheoryData<string, string, string> InvalidRequests() => new()
    {
        { "no image", nameof(GenerationRequest.SourceImage), "Choose an image to start from." },
        { "denoise above 1", nameof(GenerationRequest.Denoise), "Denoise strength must be between 0 and 1." },
        { "denoise below 0", nameof(GenerationRequest.Denoise), "Denoise strength must be between 0 and 1." },
        { "inpaint without image", nameof(GenerationRequest.SourceImage), "Choose an image to inpaint." },
        { "nothing painted", nameof(GenerationRequest.Mask), "Paint over the part of the image to change." },
        { "no mask", nameof(GenerationRequest.Mask), "Paint over the part of the image to change." },
        { "mask of another size", nameof(GenerationRequest.Mask), "The mask is 400×300 but the image is 800×600; paint the mask again on this image." },
        { "blur too large", nameof(InpaintSettings.MaskBlur), "Mask blur must be between 0 and 10 pixels." },
        { "negative padding", nameof(InpaintSettings.Padding), "Padding must be between 0 and 512 pixels." },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void Validate_BadImageInput_SaysWhatToFix(string problem, string field, string message)
    {
        var request = problem switch
        {
            "no image" => Img2Img() with { SourceImage = null },
            "denoise above 1" => Img2Img() with { Denoise = 1.2 },
            "denoise below 0" => Img2Img() with { Denoise = -0.1 },
            "inpaint without image" => Inpaint() with { SourceImage = null },
            "nothing painted" => Inpaint() with { Mask = Inpaint().Mask! with { Painted = default } },
            "no mask" => Inpaint() with { Mask = null },
            "mask of another size" => Inpaint() with { Mask = Inpaint().Mask! with { Width = 400, Height = 300 } },
            "blur too large" => Inpaint() with { Inpaint = new InpaintSettings { MaskBlur = 11 } },
            "negative padding" => Inpaint() with { Inpaint = new InpaintSettings { Padding = -1 } },
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        var errors = GenerationRequestValidator.Validate(request, GenerationLimits.From(Catalogue));
        Assert.Contains(new FieldError(field, message), errors);
    }

    [Fact]
    public void Validate_GoodImageRequests_HaveNoErrors()
    {
        var limits = GenerationLimits.From(Catalogue);
        Assert.Empty(GenerationRequestValidator.Validate(Img2Img(), limits));
        Assert.Empty(GenerationRequestValidator.Validate(Inpaint(), limits));
        Assert.Empty(GenerationRequestValidator.Validate(Img2Img() with { Denoise = 0 }, limits));
        Assert.Empty(GenerationRequestValidator.Validate(Img2Img() with { Denoise = 1 }, limits));
    }
}
