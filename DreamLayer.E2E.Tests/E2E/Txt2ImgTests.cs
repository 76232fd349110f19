using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person uses the Txt2Img page in a real browser against the app and the ComfyUI stand-in.</summary>
public sealed partial class Txt2ImgTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToHaveAttributeOptions Slow = new() { Timeout = BrowserFixture.GuardMs };

    /// <summary>Set DREAMLAYER_E2E_SCREENSHOTS to a folder to keep screenshots of the page mid-run and finished.</summary>
    private static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DREAMLAYER_E2E_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"e2e-{name}.png"), FullPage = true });
        }
    }

    [GeneratedRegex("^[0-9]$")]
    private static partial Regex EarlyStep();

    [GeneratedRegex(@"^/previews/[0-9a-f-]{36}\?v=[0-9]+$")]
    private static partial Regex PreviewAddress();

    [Fact]
    public async Task Generate_ManySteps_PreviewPictureFollowsTheFramesFetchedOverHttp()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(20));
        // The sampler stops after step 3 and then after step 6, so the test sees frames without racing the clock.
        app.StandIn!.Faults.HoldAfterStep = 3;
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Prompt", "a paper boat on a puddle");
        await page.FillAsync("Steps", "10");
        await page.Generate.ClickAsync();

        var card = page.NewestCard;
        await Expect(card.Preview).ToBeVisibleAsync(new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.Preview).ToHaveAttributeAsync("src", PreviewAddress());
        await Expect(card.Preview).ToHaveAttributeAsync("data-preview-sequence", new Regex("^[0-9]+$"));
        Assert.True(await card.Preview.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : 0") > 0, "the shown frame should be a loaded picture");
        var shown = await card.Preview.GetAttributeAsync("data-preview-sequence");
        // A later frame replaces it in the same picture, once loaded: the sequence it shows moves on.
        app.StandIn.Faults.HoldAfterStep = 6;
        app.StandIn.Faults.ReleaseHold();
        await Expect(card.Preview).Not.ToHaveAttributeAsync("data-preview-sequence", shown!, Slow);
        Assert.DoesNotContain("data:image", await card.Root.InnerHTMLAsync(), StringComparison.Ordinal);
        app.StandIn.Faults.HoldAfterStep = null;
        app.StandIn.Faults.ReleaseHold();
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.Preview).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Generate_Prompt_ShowsProgressPreviewAndImageWithItsParameters()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(150));
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Prompt", "a lighthouse on a cliff at dusk");
        await page.FillAsync("Negative prompt", "blurry");
        await page.FillAsync("Steps", "16");
        await page.Generate.ClickAsync();

        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Running", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.Progress).ToHaveAttributeAsync("aria-valuemax", "16");
        await Expect(card.Progress).ToHaveAttributeAsync("aria-valuenow", EarlyStep(), Slow);
        var first = await card.Progress.GetAttributeAsync("aria-valuenow");
        await Expect(card.Progress).Not.ToHaveAttributeAsync("aria-valuenow", first!, Slow);
        await Expect(card.ProgressText).ToContainTextAsync("KSampler");
        await Expect(card.Preview).ToBeVisibleAsync();
        await Expect(card.Preview).ToHaveAttributeAsync("src", PreviewAddress());
        await ScreenshotAsync(page.Page, "running");

        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToBeVisibleAsync();
        await Expect(card.Progress).ToHaveCountAsync(0);
        await Expect(card.Cancel).ToHaveCountAsync(0);
        var seed = SeedOf(await card.Root.InnerTextAsync());
        await ScreenshotAsync(page.Page, "finished");

        await card.ResultImage.ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.FullImage).ToBeVisibleAsync();
        await Expect(dialog.FullImage).ToHaveJSPropertyAsync("naturalWidth", 512);
        await Expect(dialog.Parameters).ToContainTextAsync("a lighthouse on a cliff at dusk");
        await Expect(dialog.Parameters).ToContainTextAsync("blurry");
        await Expect(dialog.Seed).ToHaveTextAsync(seed);
        await Expect(dialog.Infotext).ToContainTextAsync($"Seed: {seed}");
        await ScreenshotAsync(page.Page, "dialog");

        await page.Page.GotoAsync(new Uri(app.RootUri, "/history").ToString());
        var thumbs = page.Page.GetByTestId("gallery-image");
        await Expect(thumbs).ToHaveCountAsync(1);
        await Expect(thumbs).ToHaveAttributeAsync("alt", "a lighthouse on a cliff at dusk");
        await Expect(thumbs).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await thumbs.EvaluateAsync<int>("img => img.naturalWidth") > 0, "the gallery thumbnail should load");
    }

    private static string SeedOf(string cardText) =>
        SeedPattern().Match(cardText) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException($"No seed in '{cardText}'.");

    [GeneratedRegex(@"seed (\d+)")]
    private static partial Regex SeedPattern();

    [Fact]
    public async Task Cancel_RunningJob_ShowsCancelledAndEmptiesTheServerQueue()
    {
        await using var app = await DreamLayerApp.StartAsync();
        app.StandIn!.Faults.HangAtNode = "KSampler";
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Prompt", "a slow painting");
        await page.Generate.ClickAsync();
        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Running", new() { Timeout = BrowserFixture.GuardMs });
        await card.Cancel.ClickAsync();

        await Expect(card.Status).ToHaveTextAsync("Cancelled");
        await Expect(card.Cancel).ToHaveCountAsync(0);
        var queue = await ServerQueueAsync(app);
        Assert.Equal(0, queue.GetProperty("queue_running").GetArrayLength());
        Assert.Equal(0, queue.GetProperty("queue_pending").GetArrayLength());
        Assert.Equal(1, app.StandIn.PromptsAccepted);
    }

    [Fact]
    public async Task Skip_RunningJobOfABatch_TheNextStillCompletes()
    {
        await using var app = await DreamLayerApp.StartAsync();
        app.StandIn!.Faults.StepTime = TimeSpan.FromSeconds(1);
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Prompt", "two foxes");
        await page.FillAsync("Batch count", "2");
        await page.Generate.ClickAsync();
        await Expect(page.JobCards).ToHaveCountAsync(2);
        var running = page.CardWithStatus("Running");
        await Expect(running.Root).ToHaveCountAsync(1, new() { Timeout = BrowserFixture.GuardMs });
        var cancelledId = await running.Root.GetAttributeAsync("data-job-id");
        var cancelled = page.Card(cancelledId!);
        var other = page.CardOtherThan(cancelledId!);

        await cancelled.Skip.ClickAsync();
        await Expect(cancelled.Status).ToHaveTextAsync("Cancelled");
        app.StandIn.Faults.StepTime = TimeSpan.FromMilliseconds(20);

        await Expect(other.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(other.ResultImage).ToBeVisibleAsync();
        await Expect(cancelled.Status).ToHaveTextAsync("Cancelled");
        await Expect(cancelled.ResultImage).ToHaveCountAsync(0);
        var queue = await ServerQueueAsync(app);
        Assert.Equal(0, queue.GetProperty("queue_running").GetArrayLength());
        Assert.Equal(0, queue.GetProperty("queue_pending").GetArrayLength());
    }

    [Fact]
    public async Task CloseTab_MidRun_JobFinishesAndReopenedPageShowsItWithTheQueuePlace()
    {
        await using var app = await DreamLayerApp.StartAsync();
        app.StandIn!.Faults.StepTime = TimeSpan.FromSeconds(1);
        string jobId;
        await using (var context = await browser.NewContextAsync())
        {
            var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
            await page.SignInAsync(app.Alice);
            await page.OpenAsync();
            await page.FillAsync("Prompt", "a harbour at night");
            await page.FillAsync("Batch count", "2");
            await page.Generate.ClickAsync();
            await Expect(page.CardWithStatus("Running").Root).ToHaveCountAsync(1, new() { Timeout = BrowserFixture.GuardMs });
            // The second run waits behind the first: its card says where it stands.
            await Expect(page.Page.GetByTestId("queue-position")).ToHaveTextAsync("Place in queue: 2 (1 ahead)");
            jobId = (await page.CardWithStatus("Running").Root.GetAttributeAsync("data-job-id"))!;
        } // the tab closes, and with it the circuit

        app.StandIn.Faults.StepTime = TimeSpan.FromMilliseconds(10);
        await using var reopened = await browser.NewContextAsync();
        var again = new Txt2ImgPageObject(await reopened.NewPageAsync(), app.RootUri);
        await again.SignInAsync(app.Alice);
        await again.OpenAsync();

        await Expect(again.JobCards).ToHaveCountAsync(2);
        await Expect(again.Card(jobId).Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(again.Card(jobId).ResultImage).ToBeVisibleAsync();
        await Expect(again.CardOtherThan(jobId).Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        // The form reopens with the settings of the last job.
        await Expect(again.Prompt).ToHaveValueAsync("a harbour at night");
    }

    private static async Task<JsonElement> ServerQueueAsync(DreamLayerApp app)
    {
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        return await http.GetFromJsonAsync<JsonElement>("/queue");
    }

    [Fact]
    public async Task Open_NoServerReachable_ShowsBannerWithAddressAndTheForm()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var app = DreamLayerApp.StartWithoutServer($"http://127.0.0.1:{port}");
        await DreamLayerApp.WaitUntilAsync(() => app.Backend.State == DreamLayer.Web.Comfy.BackendState.Offline, "the backend to be marked offline");
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);

        // The address and how to start ComfyUI are for admins (a member is told to ask one: LayoutTests).
        await page.SignInAsync(app.Admin);

        await page.OpenAsync();

        await Expect(page.Banner).ToContainTextAsync("No ComfyUI server is reachable");
        await Expect(page.Banner).ToContainTextAsync($"127.0.0.1:{port}");
        await Expect(page.Prompt).ToBeEditableAsync();
        await Expect(page.Generate).ToBeEnabledAsync();
        await ScreenshotAsync(page.Page, "offline");
    }

    [Theory]
    [InlineData("Prompt")]
    [InlineData("Negative prompt")]
    [InlineData("Checkpoint")]
    [InlineData("Sampler")]
    [InlineData("Scheduler")]
    [InlineData("Steps")]
    [InlineData("CFG scale")]
    [InlineData("Width")]
    [InlineData("Height")]
    [InlineData("Seed")]
    [InlineData("Batch size")]
    [InlineData("Batch count")]
    public async Task Open_FormField_HasAccessibleName(string name)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        var field = page.Page.GetByLabel(name, new() { Exact = true });

        await Expect(field).ToHaveCountAsync(1);
        await Expect(field).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Open_GenerateButton_HasAccessibleName()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await Expect(page.Generate).ToBeVisibleAsync();
        await Expect(page.Generate).ToBeEnabledAsync();
    }
}
