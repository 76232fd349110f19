using AngleSharp.Dom;
using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Txt2Img;
using Microsoft.AspNetCore.Components;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// The cloud models in the generation form: grouped after the checkpoints with their price, each showing only the fields
/// its <see cref="CloudModel"/> says it takes, the request it builds, the price of the submit and the budget left, the
/// queue's refusals on the fields and in words, and the local fields back as they were after switching back.
/// </summary>
public sealed class CloudFormTests() : MudComponentTest(GenerationFormTests.AddFormServices)
{
    private const string Checkpoint = "v1-5-pruned-emaonly.safetensors";

    private static readonly GenerationLimits Limits = new()
    {
        Checkpoints = [Checkpoint, "sdxl/sd_xl_base_1.0.safetensors"],
        Samplers = ["euler", "dpmpp_2m"],
        Schedulers = ["normal", "karras"],
    };

    private static readonly CloudOffer Everything = new(CloudCatalog.All, CloudPriceList.Prices, null);

    private readonly List<GenerationRequest> _submitted = [];

    private static CloudModel ModelOf(string id) => CloudCatalog.All.Single(m => m.Id == id);

    private static Txt2ImgFormModel NewModel() => new() { Prompt = "a lighthouse at dusk", Checkpoint = Checkpoint, Steps = 31, Cfg = 5.5, Sampler = "dpmpp_2m" };

    private IRenderedComponent<GenerationForm> RenderForm(Txt2ImgFormModel model, CloudOffer? offer = null, IReadOnlyList<FieldError>? external = null,
        GenerationMode mode = GenerationMode.Txt2Img, Func<GenerationRequest, Task<GenerationRequest>>? complete = null) =>
        Render<GenerationForm>(p => p
            .Add(f => f.Model, model)
            .Add(f => f.Limits, Limits)
            .Add(f => f.Cloud, offer ?? Everything)
            .Add(f => f.Mode, mode)
            .Add(f => f.Complete, complete)
            .Add(f => f.ExternalErrors, external ?? [])
            .Add(f => f.OnSubmit, EventCallback.Factory.Create<IReadOnlyList<GenerationRequest>>(this, _submitted.AddRange)));

    private static void Generate(IRenderedComponent<GenerationForm> form) =>
        form.FindAll("button").Single(b => b.GetAttribute("aria-label") == "Generate").Click();

    private IReadOnlyList<IElement> OpenPicker(IRenderedComponent<GenerationForm> form)
    {
        (form.Find("#checkpoint").Closest(".mud-input-control") ?? throw new InvalidOperationException("No picker.")).MouseDown();
        return Popovers.FindAll(".mud-popover-open .mud-list-item, .mud-popover-open .mud-list-subheader");
    }

    private void Choose(IRenderedComponent<GenerationForm> form, string title)
    {
        OpenPicker(form).Single(i => i.QuerySelector("[data-testid=model-option-title]")?.TextContent.Trim() == title).Click();
        form.WaitForAssertion(() => Assert.Contains(title, form.Find("#checkpoint").GetAttribute("value"), StringComparison.Ordinal));
    }

    private void PickIn(IRenderedComponent<GenerationForm> form, string inputId, string value)
    {
        (form.Find($"#{inputId}").Closest(".mud-input-control") ?? throw new InvalidOperationException($"No select #{inputId}.")).MouseDown();
        Popovers.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == value).Click();
        form.WaitForAssertion(() => Assert.Equal(value, form.Find($"#{inputId}").GetAttribute("value")));
    }

    private static bool Shows(IRenderedComponent<GenerationForm> form, string id) => form.FindAll($"#{id}").Count > 0;

    [Fact]
    public void Picker_ListsEachProvidersModelsAfterTheCheckpoints_AsPaidCloudModelsWithTheirPrice()
    {
        var form = RenderForm(NewModel());
        // Closed, the picker shows its choice alone: no heading of its list stands in the form.
        Assert.Empty(form.FindAll("[data-testid=model-group]"));

        var texts = OpenPicker(form).Select(i => string.Join(" ", i.TextContent.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries))).ToList();

        Assert.Equal(
        [
            "Checkpoints", Checkpoint, "sdxl/sd_xl_base_1.0.safetensors",
            "OpenAI · cloud, paid per picture", "OpenAI: gpt-image-1 from $0.011 a picture", "OpenAI: DALL·E 3 from $0.04 a picture", "OpenAI: DALL·E 2 from $0.016 a picture",
            "Ideogram · cloud, paid per picture", "Ideogram: Ideogram 3.0 from $0.03 a picture",
            "Black Forest Labs (FLUX) · cloud, paid per picture", "Black Forest Labs (FLUX): FLUX 1.1 [pro] $0.04 a picture", "Black Forest Labs (FLUX): FLUX 1.1 [pro] Ultra $0.06 a picture",
            "Black Forest Labs (FLUX): FLUX.1 Kontext [pro] $0.04 a picture", "Black Forest Labs (FLUX): FLUX.1 Kontext [max] $0.08 a picture",
        ], texts);
        Assert.Equal("Model", form.Find("label[for=checkpoint]").TextContent.Trim());
        Assert.All(Popovers.FindAll(".mud-popover-open .mud-list-item").Where(i => i.QuerySelector("[data-testid=model-group]") is not null),
            heading => Assert.Contains("disabled", heading.ClassName ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void Picker_WithoutAnyProviderKey_ListsTheCheckpointsOnly()
    {
        var form = RenderForm(NewModel(), CloudOffer.None);

        Assert.Equal([Checkpoint, "sdxl/sd_xl_base_1.0.safetensors"], OpenPicker(form).Select(i => i.TextContent.Trim()).ToList());
        Assert.Equal("Checkpoint", form.Find("label[for=checkpoint]").TextContent.Trim());
    }

    [Fact]
    public void FluxPro_ShowsFreeSizeSeedAndItsOptions_HidesTheCheckpointsParts_AndSubmitsACloudRequest()
    {
        var model = NewModel();
        model.SeedMode = SeedMode.Fixed;
        model.SeedText = "1234";
        var form = RenderForm(model);

        Choose(form, "Black Forest Labs (FLUX): FLUX 1.1 [pro]");

        foreach (var hidden in new[] { "sampler", "scheduler", "steps", "cfg", "size-preset", "width", "height", "batch-size", "batch-count", "negative-prompt", "cloud-size", "cloud-aspect", "cloud-count" })
        {
            Assert.False(Shows(form, hidden), $"#{hidden} is shown for FLUX 1.1 [pro]");
        }
        Assert.Empty(form.FindAll("[data-testid=advanced-panel]"));
        Assert.Equal("1024", form.Find("#cloud-width").GetAttribute("value"));
        Assert.Equal("1024", form.Find("#cloud-height").GetAttribute("value"));
        Assert.Contains("Each side from 256 to 1440 pixels in steps of 32.", form.Find("[data-testid=cloud-size-help]").TextContent, StringComparison.Ordinal);
        Assert.True(Shows(form, "seed"));
        Assert.True(Shows(form, "cloud-option-safety_tolerance"));
        Assert.True(Shows(form, "cloud-option-output_format"));
        Assert.Equal("png (the app's default)", form.Find("#cloud-option-output_format").GetAttribute("value")); // not BFL's JPEG
        Assert.Single(form.FindAll("[data-testid=cloud-option-prompt_upsampling]"));
        Assert.Contains("This costs $0.04 (1 picture × $0.04, every picture).", Text(form.Find("[data-testid=cloud-price]")), StringComparison.Ordinal);

        form.Find("#cloud-width").Change("1440");
        form.Find("#cloud-height").Change("768");
        form.Find("#cloud-option-safety_tolerance").Change("4");
        Generate(form);

        form.WaitForAssertion(() => Assert.Single(_submitted));
        var request = _submitted[0];
        Assert.Equal(("Bfl", "flux-pro-1.1", "1440x768", (string?)null), (request.Cloud!.Provider, request.Cloud.Model, request.Cloud.Size, request.Cloud.AspectRatio));
        Assert.Equal(new Dictionary<string, string> { ["safety_tolerance"] = "4" }, request.Cloud!.Options);
        Assert.Equal((SeedMode.Fixed, (ulong?)1234UL, 1, 1), (request.SeedMode, request.Seed, request.BatchCount, request.BatchSize));
        Assert.Equal(("a lighthouse at dusk", string.Empty), (request.Prompt, request.NegativePrompt));
        Assert.Empty(request.Loras);
    }

    [Fact]
    public void FluxUltra_TakesAFreeAspectRatio_AndRawAsASwitch()
    {
        var form = RenderForm(NewModel());

        Choose(form, "Black Forest Labs (FLUX): FLUX 1.1 [pro] Ultra");

        Assert.False(Shows(form, "cloud-width"));
        Assert.Contains("at most 2.33 times as wide as tall", form.Markup, StringComparison.Ordinal);
        form.Find("#cloud-aspect").Change("21:9");
        var raw = form.Find("[data-testid=cloud-option-raw]");
        (raw.TagName == "INPUT" ? raw : raw.QuerySelector("input")!).Change(true);
        Generate(form);

        form.WaitForAssertion(() => Assert.Single(_submitted));
        var cloud = _submitted[0].Cloud!;
        Assert.Equal(("flux-pro-1.1-ultra", (string?)null, "21:9"), (cloud.Model, cloud.Size, cloud.AspectRatio));
        Assert.Equal(new Dictionary<string, string> { ["raw"] = "true" }, cloud.Options);
    }

    [Fact]
    public void GptImage1_ShowsItsSizesOptionsAndCount_NoSeedNoNegative_AndPricesWhatIsAsked()
    {
        var model = NewModel();
        model.NegativePrompt = "blurry";
        model.SeedMode = SeedMode.Fixed;
        model.SeedText = "99";
        var form = RenderForm(model, Everything with { Budget = new CloudBudgetLeft(1.5m, "$1.50 left of your $2.00 cloud budget for December 2026.") });

        Choose(form, "OpenAI: gpt-image-1");

        Assert.False(Shows(form, "seed"));
        Assert.False(Shows(form, "negative-prompt"));
        Assert.Equal("The provider's default", form.Find("#cloud-size").GetAttribute("value"));
        Assert.Equal("The provider's default", form.Find("#cloud-option-quality").GetAttribute("value"));
        Assert.True(Shows(form, "cloud-option-output_compression"));
        Assert.Contains("highest the provider may choose", Text(form.Find("[data-testid=cloud-price]")), StringComparison.Ordinal);
        Assert.Equal("$1.50 left of your $2.00 cloud budget for December 2026.", Text(form.Find("[data-testid=cloud-budget]")));

        // Each change in the fields prices the submit again, as the person makes it.
        PickIn(form, "cloud-size", "1536x1024");
        form.WaitForAssertion(() => Assert.Contains("1536x1024 (the highest", Text(form.Find("[data-testid=cloud-price]")), StringComparison.Ordinal));
        PickIn(form, "cloud-option-quality", "medium");
        form.WaitForAssertion(() => Assert.Equal("This costs $0.063 (1 picture × $0.063, medium, 1536x1024).", Text(form.Find("[data-testid=cloud-price]"))));
        form.Find("#cloud-count").Change("3");
        form.WaitForAssertion(() => Assert.Equal("This costs $0.189 (3 pictures × $0.063, medium, 1536x1024).", Text(form.Find("[data-testid=cloud-price]"))));

        Generate(form);

        form.WaitForAssertion(() => Assert.Single(_submitted));
        var request = _submitted[0];
        Assert.Equal(("gpt-image-1", "1536x1024", 3), (request.Cloud!.Model, request.Cloud.Size, request.Cloud.Count));
        Assert.Equal(new Dictionary<string, string> { ["quality"] = "medium" }, request.Cloud.Options);
        Assert.Equal((SeedMode.Random, (ulong?)null, string.Empty), (request.SeedMode, request.Seed, request.NegativePrompt));
    }

    [Fact]
    public void Ideogram_TakesASizeOrAnAspectRatio_NegativePromptAndUpToEightPictures()
    {
        var model = NewModel();
        model.NegativePrompt = "text artifacts";
        var form = RenderForm(model);

        Choose(form, "Ideogram: Ideogram 3.0");

        Assert.True(Shows(form, "negative-prompt"));
        Assert.True(Shows(form, "cloud-size"));
        Assert.False(Shows(form, "cloud-aspect"));
        Assert.Equal("8", form.Find("#cloud-count").GetAttribute("max"));
        Assert.True(Shows(form, "cloud-option-rendering_speed"));
        Assert.True(Shows(form, "cloud-option-magic_prompt"));
        Assert.True(Shows(form, "cloud-option-style_type"));

        form.FindAll("[data-testid=cloud-sizing] input[type=radio]")[1].Click();
        form.WaitForAssertion(() => Assert.True(Shows(form, "cloud-aspect")));
        Assert.False(Shows(form, "cloud-size"));
        model.Cloud.Size = "1024x1024"; // set while sized by size: not sent once an aspect ratio is chosen
        model.Cloud.AspectRatio = "16:9";
        Generate(form);

        form.WaitForAssertion(() => Assert.Single(_submitted));
        var request = _submitted[0];
        Assert.Equal(("V_3", (string?)null, "16:9"), (request.Cloud!.Model, request.Cloud.Size, request.Cloud.AspectRatio));
        Assert.Equal("text artifacts", request.NegativePrompt);
    }

    [Fact]
    public void QueueRefusals_ShowOnTheirFields_AndABudgetRefusalInWordsBesideGenerate_WithThePromptKept()
    {
        var model = NewModel();
        model.Cloud.Choose(ModelOf("gpt-image-1"));
        const string overBudget = "This would cost $0.25, which is over your cloud budget for December 2026: $0.10, of which $0.00 is spent or held by jobs not finished ($0.10 left). An admin can raise it under Cloud prices.";
        var form = RenderForm(model, external:
        [
            new FieldError(CloudRequestValidator.ModelField, overBudget),
            new FieldError("Background", "Background: a transparent background needs the png or webp format; JPEG has no transparency."),
            new FieldError(CloudRequestValidator.CountField, "gpt-image-1 makes 1 to 10 pictures per request, not 11."),
        ]);

        Assert.Equal($"Not generated: {overBudget}", Text(form.Find("[data-testid=form-problem]")));
        Assert.Contains("JPEG has no transparency", Text(form.Find("#cloud-option-background").Closest(".mud-input-control")!), StringComparison.Ordinal);
        Assert.Contains("not 11", Text(form.Find("#cloud-count").Closest(".mud-input-control")!), StringComparison.Ordinal);
        Assert.Equal("a lighthouse at dusk", form.Find("#prompt").GetAttribute("value") ?? form.Find("#prompt").TextContent);
        Assert.Equal("OpenAI: gpt-image-1", form.Find("#checkpoint").GetAttribute("value"));
    }

    [Fact]
    public void SwitchingBackToTheCheckpoint_RestoresTheLocalFieldsAsTheyWere()
    {
        var model = NewModel();
        model.NegativePrompt = "blurry";
        var form = RenderForm(model);
        Choose(form, "OpenAI: gpt-image-1");

        Choose(form, Checkpoint);

        Assert.False(model.Cloud.IsChosen);
        Assert.Equal(("31", "dpmpp_2m", "blurry"), (form.Find("#steps").GetAttribute("value"), form.Find("#sampler").GetAttribute("value"), form.Find("#negative-prompt").GetAttribute("value") ?? form.Find("#negative-prompt").TextContent));
        Assert.Empty(form.FindAll("[data-testid=cloud-fields]"));
        Generate(form);
        form.WaitForAssertion(() => Assert.Single(_submitted));
        Assert.Null(_submitted[0].Cloud);
        Assert.Equal((Checkpoint, 31, 5.5), (_submitted[0].Checkpoint, _submitted[0].Steps, _submitted[0].Cfg));
    }

    [Fact]
    public void ACloudRequest_ReopensWithTheSameChoices_AsTheLastJobOrAReusedImage()
    {
        var stored = new GenerationRequest
        {
            Prompt = "a poster that says HELLO",
            Checkpoint = Checkpoint,
            Steps = 31,
            Cloud = new CloudSetting("Ideogram", "V_3") { AspectRatio = "3:2", Count = 4, Options = new Dictionary<string, string> { ["rendering_speed"] = "TURBO" } },
        };
        var model = new Txt2ImgFormModel();
        model.CopyFrom(stored);
        var form = RenderForm(model);

        Assert.Equal("Ideogram: Ideogram 3.0", form.Find("#checkpoint").GetAttribute("value"));
        Assert.Equal("3:2", form.Find("#cloud-aspect").GetAttribute("value"));
        Assert.Equal("4", form.Find("#cloud-count").GetAttribute("value"));
        Assert.Equal("TURBO", form.Find("#cloud-option-rendering_speed").GetAttribute("value"));
        Assert.Equal("This costs $0.12 (4 pictures × $0.03, TURBO).", Text(form.Find("[data-testid=cloud-price]")));

        Choose(form, Checkpoint);
        Assert.Equal("31", form.Find("#steps").GetAttribute("value"));
    }

    [Fact]
    public void AChoiceThePageNoLongerOffers_FallsBackToTheCheckpoint()
    {
        var model = new Txt2ImgFormModel { Checkpoint = Checkpoint };
        model.CopyFrom(new GenerationRequest { Checkpoint = Checkpoint, Cloud = new CloudSetting("Bfl", "flux-pro-1.1") { Size = "512x512" } });
        Assert.True(model.Cloud.IsChosen);

        new CloudOffer([ModelOf("gpt-image-1")], CloudPriceList.Prices, null).Fit(model.Cloud);

        Assert.False(model.Cloud.IsChosen);
        Assert.Equal(Checkpoint, model.Picked.Checkpoint);
    }

    [Theory]
    [InlineData(GenerationMode.Txt2Img, new[] { "gpt-image-1", "dall-e-3", "dall-e-2", "V_3", "flux-pro-1.1", "flux-pro-1.1-ultra", "flux-kontext-pro", "flux-kontext-max" })]
    [InlineData(GenerationMode.Img2Img, new[] { "gpt-image-1", "V_3", "flux-kontext-pro", "flux-kontext-max" })]
    [InlineData(GenerationMode.Inpaint, new[] { "gpt-image-1", "V_3" })]
    public void EachPage_OffersTheModelsThatDoWhatItDoes(GenerationMode mode, string[] expected) =>
        Assert.Equal(expected, CloudCatalog.All.Where(m => CloudOffer.Fits(m, mode)).Select(m => m.Id).ToArray());

    [Fact]
    public void Img2Img_SubmitsItsUsualRequest_WithTheSourceImage_AndTheCloudModel()
    {
        var source = Guid.NewGuid();
        var edits = new CloudOffer([.. CloudCatalog.All.Where(m => CloudOffer.Fits(m, GenerationMode.Img2Img))], CloudPriceList.Prices, null);
        var form = RenderForm(NewModel(), edits, mode: GenerationMode.Img2Img,
            complete: r => Task.FromResult(r with { Mode = GenerationMode.Img2Img, SourceImage = source, SourceWidth = 640, SourceHeight = 480, Denoise = 0.6 }));

        var titles = OpenPicker(form).Select(i => i.QuerySelector("[data-testid=model-option-title]")?.TextContent.Trim()).OfType<string>().ToList();
        Assert.Equal([Checkpoint, "sdxl/sd_xl_base_1.0.safetensors", "OpenAI: gpt-image-1", "Ideogram: Ideogram 3.0",
            "Black Forest Labs (FLUX): FLUX.1 Kontext [pro]", "Black Forest Labs (FLUX): FLUX.1 Kontext [max]"], titles);
        Popovers.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Contains("OpenAI: gpt-image-1", StringComparison.Ordinal)).Click();
        form.WaitForAssertion(() => Assert.True(Shows(form, "cloud-size")));
        Generate(form);

        form.WaitForAssertion(() => Assert.Single(_submitted));
        var request = _submitted[0];
        Assert.Equal((GenerationMode.Img2Img, (Guid?)source, 640, 480), (request.Mode, request.SourceImage, request.SourceWidth, request.SourceHeight));
        Assert.Equal(("OpenAi", "gpt-image-1", (string?)null, 1), (request.Cloud!.Provider, request.Cloud.Model, request.Cloud.Size, request.Cloud.Count));
        Assert.Empty(request.Cloud.Options);
    }

    private static string Text(IElement element) => string.Join(" ", element.TextContent.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
}
