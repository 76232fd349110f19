using AngleSharp.Dom;
using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Txt2Img;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace DreamLayer.Web.Tests.Features;

public sealed class GenerationFormTests() : MudComponentTest(AddFormServices)
{
    /// <summary>The ControlNet units store uploads and run previews; nothing here reaches a server.</summary>
    internal static void AddFormServices(IServiceCollection services)
    {
        var storage = new StorageOptions { DataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-bunit-" + Guid.NewGuid().ToString("N")) };
        services.AddSingleton(Options.Create(storage));
        services.AddSingleton(StoragePaths.Resolve(storage, Path.GetTempPath()));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ImageGate(sp.GetRequiredService<IOptions<StorageOptions>>()));
        services.AddSingleton<UploadStore>();
        services.AddHttpClient();
        services.AddSingleton(Options.Create(new ComfyUiOptions { Servers = [new ComfyServerOptions { Name = "none", Url = "http://127.0.0.1:9" }] }));
        services.AddSingleton<BackendPool>();
        services.AddSingleton<ControlMapPreview>();
    }

    private static readonly GenerationLimits ServerLike = new()
    {
        Checkpoints = ["v1-5-pruned-emaonly.safetensors", "sdxl/sd_xl_base_1.0.safetensors"],
        Samplers = ["euler", "euler_ancestral", "dpmpp_2m"],
        Schedulers = ["normal", "karras", "simple"],
    };

    private readonly List<GenerationRequest> _submitted = [];


    private static Txt2ImgFormModel ValidModel() => new()
    {
        Prompt = "a lighthouse at dusk",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
    };

    private IRenderedComponent<GenerationForm> RenderForm(Txt2ImgFormModel model, GenerationLimits? limits = null, bool busy = false) =>
        Render<GenerationForm>(p => p
            .Add(f => f.Model, model)
            .Add(f => f.Limits, limits)
            .Add(f => f.Busy, busy)
            .Add(f => f.OnSubmit, EventCallback.Factory.Create<IReadOnlyList<GenerationRequest>>(this, _submitted.AddRange)));

    private static IElement GenerateButton(IRenderedComponent<GenerationForm> form) =>
        form.FindAll("button").Single(b => b.GetAttribute("aria-label") == "Generate");

    private static void Generate(IRenderedComponent<GenerationForm> form) => GenerateButton(form).Click();

    private static IElement SelectAround(IRenderedComponent<GenerationForm> form, string inputId) =>
        form.Find($"#{inputId}").Closest(".mud-input-control") ?? throw new InvalidOperationException($"No select around #{inputId}.");

    private List<string> OpenSelectItems(IRenderedComponent<GenerationForm> form, string inputId)
    {
        SelectAround(form, inputId).MouseDown();
        return Popovers.FindAll(".mud-popover-open .mud-list-item").Select(i => i.TextContent.Trim()).ToList();
    }

    [Fact]
    public void Submit_EmptyPrompt_ShowsPromptErrorAndRaisesNothing()
    {
        var form = RenderForm(ValidModel(), ServerLike);
        form.Instance.Model.Prompt = "   ";

        Generate(form);

        Assert.Contains("Write a prompt", form.Markup, StringComparison.Ordinal);
        Assert.Empty(_submitted);
    }

    [Fact]
    public void Submit_WidthNotMultipleOfEight_ShowsErrorNamingTheMultiple()
    {
        var model = ValidModel();
        model.Width = 500;
        var form = RenderForm(model, ServerLike);

        Generate(form);

        Assert.Contains("Width must be a multiple of 8", form.Markup, StringComparison.Ordinal);
        Assert.Empty(_submitted);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("18446744073709551616")]
    [InlineData("-1")]
    public void Submit_FixedSeedNotAnUnsignedLong_ShowsSeedError(string seed)
    {
        var model = ValidModel();
        model.SeedMode = SeedMode.Fixed;
        model.SeedText = seed;
        var form = RenderForm(model, ServerLike);

        Generate(form);

        // The submit handler is asynchronous: its refusal renders when it has run.
        form.WaitForAssertion(() => Assert.Contains("A seed is a whole number from 0 to 18446744073709551615", form.Markup, StringComparison.Ordinal));
        Assert.Empty(_submitted);
    }

    [Fact]
    public void Submit_LargestSeed_PassesThroughExactly()
    {
        var model = ValidModel();
        model.SeedMode = SeedMode.Fixed;
        model.SeedText = "18446744073709551615";
        var form = RenderForm(model, ServerLike);

        Generate(form);

        var request = Assert.Single(_submitted);
        Assert.Equal(SeedMode.Fixed, request.SeedMode);
        Assert.Equal(18446744073709551615UL, request.Seed);
        Assert.Equal("a lighthouse at dusk", request.Prompt);
    }

    [Fact]
    public void Render_NoLimits_DisablesServerLists()
    {
        var form = RenderForm(ValidModel(), limits: null);

        foreach (var id in new[] { "checkpoint", "sampler", "scheduler" })
        {
            Assert.True(form.Find($"#{id}").HasAttribute("disabled"), $"{id} should be disabled");
        }
        Assert.False(form.Find("#size-preset").HasAttribute("disabled"));
    }

    [Fact]
    public void Render_WithLimits_EnablesServerLists()
    {
        var form = RenderForm(ValidModel(), ServerLike);

        foreach (var id in new[] { "checkpoint", "sampler", "scheduler" })
        {
            Assert.False(form.Find($"#{id}").HasAttribute("disabled"), $"{id} should be enabled");
        }
    }

    [Fact]
    public void Render_ServerLikeLimits_ListsTheServersChoices()
    {
        var form = RenderForm(ValidModel(), ServerLike);

        Assert.Equal(ServerLike.Checkpoints, OpenSelectItems(form, "checkpoint"));
    }

    [Theory]
    [InlineData("sampler")]
    [InlineData("scheduler")]
    public void Render_ServerLikeLimits_ListsSamplersAndSchedulers(string inputId)
    {
        var form = RenderForm(ValidModel(), ServerLike);

        var expected = inputId == "sampler" ? ServerLike.Samplers : ServerLike.Schedulers;
        Assert.Equal(expected, OpenSelectItems(form, inputId));
    }

    [Fact]
    public void Submit_UnusualCheckpointName_PassesThroughExactly()
    {
        const string odd = "sub\\model.safetensors";
        var limits = new GenerationLimits { Checkpoints = ["ünïcode ✨.ckpt", odd], Samplers = ["lcm"], Schedulers = ["beta"] };
        var model = ValidModel();
        model.FitTo(limits);
        model.Checkpoint = odd;
        var form = RenderForm(model, limits);

        Assert.Equal(limits.Checkpoints, OpenSelectItems(form, "checkpoint"));
        Generate(form);

        // The open list closes asynchronously (MudSelect), and the submit runs after it: wait for it, as a person would.
        form.WaitForAssertion(() => Assert.Single(_submitted));
        var request = Assert.Single(_submitted);
        Assert.Equal(odd, request.Checkpoint);
        Assert.Equal("lcm", request.Sampler);
        Assert.Equal("beta", request.Scheduler);
    }

    [Fact]
    public void SizePreset_Chosen_SetsWidthAndHeight()
    {
        var model = ValidModel();
        var form = RenderForm(model, ServerLike);
        var preset = Txt2ImgFormModel.Presets.Single(p => p.Width == 832 && p.Height == 1216);

        OpenSelectItems(form, "size-preset");
        Popovers.FindAll(".mud-popover-open .mud-list-item").Single(i => i.TextContent.Trim() == preset.Label).Click();

        // MudSelect applies the chosen value on its own render pass, after the click returns: wait for it.
        form.WaitForAssertion(() => Assert.Equal((832, 1216), (model.Width, model.Height)));
        form.WaitForAssertion(() => Assert.Equal("832", form.Find("#width").GetAttribute("value")));
        Assert.Equal("1216", form.Find("#height").GetAttribute("value"));
    }

    private IRenderedComponent<GenerationForm> RenderModeForm(GenerationMode mode, InpaintArea area) =>
        Render<GenerationForm>(p => p
            .Add(f => f.Model, ValidModel())
            .Add(f => f.Limits, Domain.AdvancedCatalogue.Limits)
            .Add(f => f.Mode, mode)
            .Add(f => f.InpaintArea, area)
            .Add(f => f.OnSubmit, EventCallback.Factory.Create<IReadOnlyList<GenerationRequest>>(this, _submitted.AddRange)));

    [Fact]
    public void Render_Img2Img_OffersLorasControlNetHiresFixAndRefinerButNotBatchPrompts()
    {
        var form = RenderModeForm(GenerationMode.Img2Img, InpaintArea.WholePicture);

        Assert.Empty(form.FindAll("[data-testid=batch-prompts]"));
        Assert.False(form.FindAll("button").Single(b => b.TextContent.Contains("Add ControlNet unit", StringComparison.Ordinal)).HasAttribute("disabled"));
        Assert.Empty(form.FindAll("[data-testid=controlnet-unavailable]"));
        Assert.Empty(form.FindAll("[data-testid=lora-unavailable]"));
        Assert.False(form.Find("#lora-search").HasAttribute("disabled"));
        form.Find("[data-testid=advanced-panel] .mud-expand-panel-header").Click();
        Assert.False(form.Find("[data-testid=hires-fix] input").HasAttribute("disabled"));
        Assert.False(form.Find("[data-testid=refiner] input").HasAttribute("disabled"));
    }

    [Fact]
    public void Render_Inpaint_DisablesHiresFixAndSaysWhyButOffersTheRefiner()
    {
        var form = RenderModeForm(GenerationMode.Inpaint, InpaintArea.WholePicture);

        form.Find("[data-testid=advanced-panel] .mud-expand-panel-header").Click();
        var hires = form.Find("[data-testid=hires-fix]");
        Assert.Contains(AdvancedValidator.HiresFixRefusal(GenerationMode.Inpaint)!, hires.TextContent, StringComparison.Ordinal);
        Assert.True(hires.QuerySelector("input")!.HasAttribute("disabled"));
        Assert.False(form.Find("[data-testid=refiner] input").HasAttribute("disabled"));
    }

    [Fact]
    public void Render_InpaintOnlyMasked_DisablesControlNetAndSaysWhy()
    {
        var form = RenderModeForm(GenerationMode.Inpaint, InpaintArea.OnlyMasked);

        Assert.True(form.FindAll("button").Single(b => b.TextContent.Contains("Add ControlNet unit", StringComparison.Ordinal)).HasAttribute("disabled"));
        Assert.Equal(AdvancedValidator.ControlNetRefusal(GenerationMode.Inpaint, InpaintArea.OnlyMasked), form.Find("[data-testid=controlnet-unavailable]").TextContent);
    }

    [Fact]
    public void Render_Busy_DisablesGenerate()
    {
        var form = RenderForm(ValidModel(), ServerLike, busy: true);

        Assert.True(GenerateButton(form).HasAttribute("disabled"));
    }

    [Fact]
    public void Render_NotBusy_EnablesGenerate()
    {
        var form = RenderForm(ValidModel(), ServerLike, busy: false);

        Assert.False(GenerateButton(form).HasAttribute("disabled"));
    }
}
