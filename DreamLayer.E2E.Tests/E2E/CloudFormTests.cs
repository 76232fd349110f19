using CloudStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// A member makes cloud pictures from the Txt2Img form in a real browser, against the ComfyUI stand-in and the cloud
/// stand-in: FLUX 1.1 [pro] and gpt-image-1 (a quality changed) through the job card's states to the gallery with their
/// cost; a submit over the budget refused in words with nothing queued; no cloud models without keys. The form with each
/// provider chosen, at both sizes, with Generate and the fields in view and nothing overlapping.
/// </summary>
public sealed class CloudFormTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string BflKey = "bfl-form-test-key-0123456789";

    private CloudStandInServer _cloud = null!;

    private readonly CloudStandInOptions _options = new() { Port = 0 };

    public async Task InitializeAsync()
    {
        _options.Keys[CloudProvider.Bfl] = BflKey;
        _cloud = await CloudStandInServer.StartAsync(_options);
    }

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    /// <summary>An app with every provider at the stand-in and enabled (BFL's key stored, the others from configuration), polling fast.</summary>
    private async Task<DreamLayerApp> StartAppAsync()
    {
        var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Cloud:OpenAI:BaseUrl"] = new Uri(_cloud.BaseAddress, "v1").ToString(),
            ["Cloud:Ideogram:BaseUrl"] = _cloud.BaseAddress.ToString(),
            ["Cloud:Bfl:BaseUrl"] = _cloud.BaseAddress.ToString(),
            ["Cloud:FirstPollInterval"] = "00:00:00.050",
            ["Cloud:MaxPollInterval"] = "00:00:00.200",
            ["Cloud:RequestTimeout"] = "00:00:30",
            ["Keys:OpenAI"] = _options.Keys[CloudProvider.OpenAi],
            ["Keys:Ideogram"] = _options.Keys[CloudProvider.Ideogram],
        });
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, BflKey, default));
        return app;
    }

    private static ILocator Picker(IPage page) => page.Locator("#checkpoint");

    private static async Task ChooseModelAsync(IPage page, string modelId)
    {
        await Picker(page).ClickAsync();
        await page.Locator($".mud-popover-open [data-testid=cloud-model-option][data-model='{modelId}']").ClickAsync();
        await Expect(page.Locator($"[data-testid=cloud-fields][data-model='{modelId}']")).ToBeVisibleAsync();
    }

    private static async Task ChooseAsync(IPage page, string inputId, string option)
    {
        await page.Locator($"#{inputId}").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
        await Expect(page.Locator($"#{inputId}")).ToHaveValueAsync(option);
    }

    /// <summary>Generate in view as the page opens; the cloud fields in view once scrolled to; no sideways scrolling; the picker and the fields apart.</summary>
    private static async Task AssertLayoutAsync(IPage page, string name)
    {
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await LayoutAssertions.InViewportAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }), "Generate");
        var fields = page.GetByTestId("cloud-fields");
        await page.GetByTestId("cloud-cost").ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.InViewportAsync(page, page.GetByTestId("cloud-cost"), "The price of the submit");
        await LayoutAssertions.NoHorizontalScrollAsync(page, $"The Txt2Img form with {name}");
        var picker = await Picker(page).Locator("xpath=ancestor::div[contains(@class,'mud-input-control')][1]").BoundingBoxAsync() ?? throw new InvalidOperationException("The picker has no box.");
        var box = await fields.BoundingBoxAsync() ?? throw new InvalidOperationException("The cloud fields have no box.");
        Assert.True(picker.Y + picker.Height <= box.Y + 0.5 || box.Y + box.Height <= picker.Y + 0.5,
            $"The picker (y {picker.Y:0}–{picker.Y + picker.Height:0}) and the cloud fields (y {box.Y:0}–{box.Y + box.Height:0}) overlap.");
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await fields.EvaluateAsync("e => e.closest('[data-testid=parameters-panel]').scrollTop = 0");
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task MemberGeneratesWithFluxAndWithGptImage_SeesTheCardsStates_AndEachPictureWithItsCostInTheGallery(int width, int height)
    {
        await using var app = await StartAppAsync();
        await using var context = await browser.NewContextAsync((width, height));
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        // Each provider's group follows the checkpoints, each model with its price.
        await Picker(page.Page).ClickAsync();
        await Expect(page.Page.Locator(".mud-popover-open [data-testid=model-group]")).ToHaveTextAsync(
            ["Checkpoints", "OpenAI · cloud, paid per picture", "Ideogram · cloud, paid per picture", "Black Forest Labs (FLUX) · cloud, paid per picture"]);
        await Expect(page.Page.Locator(".mud-popover-open [data-model='flux-pro-1.1'] [data-testid=cloud-model-price]")).ToHaveTextAsync("$0.04 a picture");
        await page.Page.Keyboard.PressAsync("Escape");

        foreach (var (id, name) in new[] { ("gpt-image-1", "openai"), ("V_3", "ideogram"), ("flux-pro-1.1-ultra", "flux-ultra"), ("flux-pro-1.1", "flux") })
        {
            await ChooseModelAsync(page.Page, id);
            await AssertLayoutAsync(page.Page, id);
            await LayoutAssertions.ScreenshotAsync(page.Page, $"cloud-form-{name}-{width}x{height}");
        }
        foreach (var hidden in new[] { "Sampler", "Steps", "CFG scale", "Batch size", "Negative prompt" })
        {
            await Expect(page.Page.GetByLabel(hidden, new() { Exact = true })).ToHaveCountAsync(0);
        }

        // FLUX 1.1 [pro]: a free size; the job is Sent while the provider holds the answer, then Done.
        var flux = _cloud.Faults(CloudProvider.Bfl);
        flux.HoldAnswers = true;
        await page.FillAsync("Prompt", "a lighthouse in fog, from the cloud");
        await page.FillAsync("Width", "512");
        await page.FillAsync("Height", "384");
        await Expect(page.Page.GetByTestId("cloud-price")).ToContainTextAsync("This costs $0.04");
        await page.Generate.ClickAsync();
        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Sent", new() { Timeout = BrowserFixture.GuardMs });
        flux.HoldAnswers = false;
        flux.ReleaseAnswers();
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToBeVisibleAsync();

        // gpt-image-1 with a higher quality: Generating while OpenAI holds the answer, then Done.
        await ChooseModelAsync(page.Page, "gpt-image-1");
        await ChooseAsync(page.Page, "cloud-option-quality", "high");
        await ChooseAsync(page.Page, "cloud-size", "1024x1024");
        await Expect(page.Page.GetByTestId("cloud-price")).ToHaveTextAsync("This costs $0.167 (1 picture × $0.167, high, 1024x1024).");
        var openAi = _cloud.Faults(CloudProvider.OpenAi);
        openAi.HoldAnswers = true;
        await page.FillAsync("Prompt", "a red bicycle, from the cloud");
        await page.Generate.ClickAsync();
        var second = page.JobCards.Filter(new() { HasText = "a red bicycle, from the cloud" });
        await Expect(second.GetByTestId("job-status")).ToHaveTextAsync("Generating", new() { Timeout = BrowserFixture.GuardMs });
        openAi.HoldAnswers = false;
        openAi.ReleaseAnswers();
        await Expect(second.GetByTestId("job-status")).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });

        // The gallery: each picture with its model, its cost and its settings.
        var gallery = new GalleryPageObject(page.Page, app.RootUri);
        await gallery.OpenAsync();
        await gallery.Thumb("a lighthouse in fog, from the cloud").ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.Parameters).ToContainTextAsync("flux-pro-1.1");
        await Expect(dialog.Root.GetByTestId("cloud-cost")).ToContainTextAsync("$0.04");
        await Expect(dialog.Infotext).ToContainTextAsync("Size: 512x384");
        await gallery.OpenAsync();
        await gallery.Thumb("a red bicycle, from the cloud").ClickAsync();
        await Expect(dialog.Root.GetByTestId("cloud-cost")).ToContainTextAsync("$0.167");
        await Expect(dialog.Infotext).ToContainTextAsync("Quality: high");
        await LayoutAssertions.ScreenshotAsync(page.Page, $"cloud-gallery-details-{width}x{height}");

        // The form reopens with the last job's cloud model and its choices.
        await page.OpenAsync();
        await Expect(Picker(page.Page)).ToHaveValueAsync("OpenAI: gpt-image-1");
        await Expect(page.Page.Locator("#cloud-option-quality")).ToHaveValueAsync("high");
    }

    [Fact]
    public async Task OverBudget_TheSubmitIsRefusedInWordsWithTheAmounts_AndNothingIsQueued()
    {
        await using var app = await StartAppAsync();
        var admin = new SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);
        Assert.Null(await app.Get<CloudBudgets>().SetForPersonAsync(admin, app.Alice.Id, 0.10m, default));
        await using var context = await browser.NewContextAsync((390, 844));
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await ChooseModelAsync(page.Page, "gpt-image-1");
        await ChooseAsync(page.Page, "cloud-option-quality", "high");
        await Expect(page.Page.GetByTestId("cloud-budget")).ToContainTextAsync("$0.10 left of your $0.10 cloud budget for");
        await page.FillAsync("Prompt", "too dear a picture");
        await page.Generate.ClickAsync();

        var problem = page.Page.GetByTestId("form-problem");
        await Expect(problem).ToContainTextAsync("Not generated: This would cost $0.25, which is over your cloud budget for");
        await Expect(problem).ToContainTextAsync("$0.10, of which $0.00 is spent or held by jobs not finished ($0.10 left).");
        await LayoutAssertions.InViewportAsync(page.Page, problem, "The refusal beside Generate");
        await Expect(page.Prompt).ToHaveValueAsync("too dear a picture");
        await Expect(page.JobCards).ToHaveCountAsync(0);
        await using (var db = app.CreateDbContext())
        {
            Assert.Equal(0, await db.Jobs.CountAsync());
        }
        Assert.Empty(_cloud.Accepted);
        await LayoutAssertions.ScreenshotAsync(page.Page, "cloud-form-over-budget-390x844");
    }

    [Fact]
    public async Task WithoutKeys_AMemberSeesNoCloudModels()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync((1440, 900));
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await Picker(page.Page).ClickAsync();
        await Expect(page.Page.Locator(".mud-popover-open .mud-list-item").First).ToBeVisibleAsync();
        await Expect(page.Page.Locator(".mud-popover-open [data-testid=cloud-model-option]")).ToHaveCountAsync(0);
        await Expect(page.Page.Locator(".mud-popover-open [data-testid=model-group]")).ToHaveCountAsync(0);
        await Expect(page.Page.GetByLabel("Checkpoint", new() { Exact = true })).ToHaveCountAsync(1);
    }

    [Theory]
    [InlineData("/img2img", new[] { "gpt-image-1", "V_3", "flux-kontext-pro", "flux-kontext-max" }, true)]
    [InlineData("/inpaint", new[] { "gpt-image-1", "V_3" }, false)]
    public async Task ImagePages_OfferOnlyTheModelsThatEditAPicture_WithTheSameFields(string path, string[] models, bool remixWeighsByDenoise)
    {
        await using var app = await StartAppAsync();
        await using var context = await browser.NewContextAsync((1440, 900));
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Alice, path);
        await page.GotoAsync(new Uri(app.RootUri, path).ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

        await Picker(page).ClickAsync();
        await Expect(page.Locator(".mud-popover-open [data-testid=cloud-model-option]")).ToHaveCountAsync(models.Length);
        Assert.Equal(models, await page.Locator(".mud-popover-open [data-testid=cloud-model-option]").EvaluateAllAsync<string[]>("es => es.map(e => e.dataset.model)"));
        await page.Keyboard.PressAsync("Escape");
        await ChooseModelAsync(page, "V_3");
        // Ideogram's remix keeps 1 - denoise of the picture, so Img2Img keeps the denoise for it; its edit (Inpaint) takes none.
        await Expect(page.Locator("#denoise")).ToHaveCountAsync(remixWeighsByDenoise ? 1 : 0);
        await Expect(page.Locator("#resize-mode")).ToHaveCountAsync(0);
        await Expect(page.Locator("#cloud-option-rendering_speed")).ToBeVisibleAsync();
        await LayoutAssertions.NoHorizontalScrollAsync(page, path);
        await LayoutAssertions.ScreenshotAsync(page, $"cloud-form{path.Replace('/', '-')}-1440x900");
    }

    [Fact]
    public async Task AMemberEditsAPictureWithFluxKontext_AndRepaintsAPartWithGptImage_EachToTheGallery()
    {
        await using var app = await StartAppAsync();
        await using var context = await browser.NewContextAsync((1440, 900));

        var img2img = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/img2img");
        await img2img.SignInAsync(app.Alice);
        await img2img.OpenAsync();
        await img2img.ChooseAsync("street.png", TestImages.Png(96, 64));
        await Expect(img2img.SourceInfo).ToContainTextAsync("96×64");
        await ChooseModelAsync(img2img.Page, "flux-kontext-pro");
        await img2img.FillAsync("Prompt", "the same street at night");
        await img2img.Generate.ClickAsync();
        var edited = img2img.NewestCard;
        await Expect(edited.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(edited.ResultImage).ToBeVisibleAsync();
        Assert.Contains(_cloud.Accepted, r => r.Provider == CloudProvider.Bfl && r.Model == "flux-kontext-pro" && r.Prompt == "the same street at night");

        var inpaint = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/inpaint");
        await inpaint.OpenAsync();
        await inpaint.ChooseAsync("wall.png", TestImages.Png(128, 96));
        await Expect(inpaint.SourceInfo).ToContainTextAsync("128×96");
        await ChooseModelAsync(inpaint.Page, "gpt-image-1");
        await inpaint.FillAsync("Prompt", "a red door");
        await inpaint.PaintAsync((0.3f, 0.5f), (0.7f, 0.5f));
        await inpaint.Generate.ClickAsync();
        var repainted = inpaint.NewestCard;
        await Expect(repainted.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(repainted.ResultImage).ToBeVisibleAsync();
        Assert.Contains(_cloud.Accepted, r => r.Provider == CloudProvider.OpenAi && r.Path.EndsWith("/images/edits", StringComparison.Ordinal) && r.Prompt == "a red door");

        await using var db = app.CreateDbContext();
        var modes = await db.Jobs.Where(j => j.CloudProvider != null).OrderBy(j => j.CreatedAt).Select(j => j.Mode).ToListAsync();
        Assert.Equal(["Img2Img", "Inpaint"], modes);
        await LayoutAssertions.ScreenshotAsync(inpaint.Page, "cloud-inpaint-done-1440x900");
    }
}
