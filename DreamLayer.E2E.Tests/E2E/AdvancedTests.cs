using System.Text;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Tests.Comfy;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person uses ControlNet and batch prompts on the Txt2Img page in a real browser against the stand-in.</summary>
public sealed class AdvancedTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ControlNet_CannyPreviewThenGenerate_ShowsTheMapAndSendsTheUnit()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        var advanced = new AdvancedSectionsObject(page.Page);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Prompt", "a lighthouse drawn from edges");
        await Expect(advanced.LoraUnavailable).ToContainTextAsync("models/loras");
        await advanced.AddControlNetUnit.ClickAsync();
        await Expect(advanced.ControlNetUnits).ToHaveCountAsync(1);
        await Expect(advanced.AuxUnavailable).ToContainTextAsync("this server has no ControlNet preprocessor nodes", new() { IgnoreCase = true });
        await advanced.ChooseFileAsync("controlnet-image-1", new FilePayload { Name = "square.png", MimeType = "image/png", Buffer = ControlImages.SquarePng() });
        await Expect(advanced.ControlImageName(1)).ToContainTextAsync("128×96");

        await advanced.Preview(1).ClickAsync();
        await Expect(advanced.ControlMap(1)).ToBeVisibleAsync();
        await Expect(advanced.ControlMap(1)).ToHaveJSPropertyAsync("naturalWidth", 128);
        if (Environment.GetEnvironmentVariable("DREAMLAYER_E2E_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.Page.ScreenshotAsync(new() { Path = Path.Combine(folder, "e2e-controlnet-preview.png"), FullPage = true });
        }

        await page.Generate.ClickAsync();
        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        var jobId = Guid.Parse((await card.Root.GetAttributeAsync("data-job-id"))!);

        await using var db = app.CreateDbContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Contains("\"ControlNetApplyAdvanced\"", job.GraphJson, StringComparison.Ordinal);
        Assert.Contains("\"Canny\"", job.GraphJson, StringComparison.Ordinal);
        Assert.Contains($"dreamlayer/{jobId:N}/", job.GraphJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchPrompts_FromATextFile_QueuesOneJobPerLine()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        var advanced = new AdvancedSectionsObject(page.Page);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.FillAsync("Steps", "3");
        await advanced.BatchSwitch.CheckAsync();
        var file = "# team page\na lighthouse at dusk\n\na red fox in the snow\n# skipped\na castle on a hill\n";
        await advanced.ChooseFileAsync("batch-file", new FilePayload { Name = "prompts.txt", MimeType = "text/plain", Buffer = Encoding.UTF8.GetBytes(file) });
        await Expect(advanced.BatchSummary).ToHaveTextAsync("3 prompts: 3 jobs will be queued.");
        await Expect(advanced.BatchText).ToHaveValueAsync("a lighthouse at dusk\na red fox in the snow\na castle on a hill");

        await page.Generate.ClickAsync();

        await Expect(page.JobCards).ToHaveCountAsync(3, new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.CardWithStatus("Succeeded").Root).ToHaveCountAsync(3, new() { Timeout = BrowserFixture.GuardMs });
        await using var db = app.CreateDbContext();
        var prompts = await db.Jobs.OrderBy(j => j.CreatedAt).Select(j => j.Prompt).ToListAsync();
        Assert.Equal(["a lighthouse at dusk", "a red fox in the snow", "a castle on a hill"], prompts);
    }
}
