using System.Text;
using DreamLayer.Web.Tests.Domain;
using DreamLayer.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person reads the parameters of images from other tools and sends them to Txt2Img, in a real browser.</summary>
public sealed class PngInfoTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task SendToTxt2Img_A1111Png_FillsTheFormAndSaysTheCheckpointIsMissing()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new PngInfoPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync(PngBytes.Metadata("a1111.png"));

        await Expect(page.Tool).ToContainTextAsync("AUTOMATIC1111", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.FileSummary).ToContainTextAsync("a1111.png");
        await Expect(page.Prompt).ToHaveTextAsync("photo of a duck");
        await Expect(page.NegativePrompt).ToHaveTextAsync("monochrome");
        await Expect(page.Parameters).ToContainTextAsync("Model hash");
        await Expect(page.Parameters).ToContainTextAsync("c0d1994c73");
        await Expect(page.RawTexts).ToContainTextAsync("parameters · PNG tEXt");

        await page.SendToTxt2Img.ClickAsync();

        var txt2img = new Txt2ImgPageObject(page.Page, app.RootUri);
        await Expect(txt2img.Prompt).ToHaveValueAsync("photo of a duck");
        await Expect(txt2img.NegativePrompt).ToHaveValueAsync("monochrome");
        await Expect(txt2img.Steps).ToHaveValueAsync("15");
        await Expect(page.Page.GetByLabel("CFG scale", new() { Exact = true })).ToHaveValueAsync("5");
        await Expect(page.Page.GetByLabel("Seed", new() { Exact = true })).ToHaveValueAsync("235284042");
        await Expect(page.Page.GetByLabel("Width", new() { Exact = true })).ToHaveValueAsync("512");
        await Expect(page.Page.GetByLabel("Height", new() { Exact = true })).ToHaveValueAsync("400");
        await Expect(page.Page.GetByTestId("draft-notice")).ToContainTextAsync("Filled from a1111.png");
        await Expect(page.Page.GetByTestId("draft-note")).ToHaveTextAsync("The server has no checkpoint 'realistic_realisticVisionV20_v20'; the form offers a replacement.");

        // The image's checkpoint stays named in its field, with the replacement one click away.
        var missing = page.Page.GetByTestId("checkpoint-missing");
        await Expect(missing).ToContainTextAsync("No server has the checkpoint realistic_realisticVisionV20_v20, and its family is not known; the default checkpoint is ");
        await Expect(page.Page.Locator("#checkpoint")).ToHaveValueAsync("realistic_realisticVisionV20_v20");
        await missing.ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.ScreenshotAsync(page.Page, "checkpoint-offer");
        var use = page.Page.GetByTestId("checkpoint-use-instead");
        var title = (await use.TextContentAsync())!.Trim()["Use ".Length..^" instead".Length];
        await use.ClickAsync();
        await Expect(missing).ToHaveCountAsync(0);
        await Expect(page.Page.Locator("#checkpoint")).ToHaveValueAsync(title);
    }

    [Fact]
    public async Task Choose_ComfyUiFileAndBadFiles_ShowsParametersOrAPlainMessage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new PngInfoPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync(PngBytes.Fixture("comfyui-png", "lora.png"));
        await Expect(page.Tool).ToHaveTextAsync("ComfyUI (prompt and workflow)", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Prompt).ToHaveTextAsync("masterpiece best quality girl");
        await Expect(page.Parameters).ToContainTextAsync("epiNoiseoffset_v2.safetensors (model 1, clip 1)");

        await page.ChooseAsync(PngBytes.Metadata("bad_no_metadata.png"));
        await Expect(page.NoData).ToContainTextAsync("No generation data", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.RawTexts).ToContainTextAsync("date:create");
        await Expect(page.SendToTxt2Img).ToHaveCountAsync(0);

        await page.ChooseAsync(PngBytes.Metadata("bad_empty_file.png"));
        await Expect(page.FileError).ToHaveTextAsync("The file is empty.", new() { Timeout = BrowserFixture.GuardMs });

        await page.ChooseAsync("notes.png", Encoding.UTF8.GetBytes("these are my notes, not a picture"));
        await Expect(page.FileError).ToContainTextAsync("not an image", new() { Timeout = BrowserFixture.GuardMs });
    }

    [Fact]
    public async Task SendToTxt2Img_ComfyUiHiresFixGraph_ShowsEachOutputAndFillsTheHiresFix()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new PngInfoPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync(TestPaths.TestFile("metadata", "comfyui_hiresfix_latent_workflow.png"));

        await Expect(page.OutputTitles).ToHaveTextAsync(["SaveImage (node 9): one pass", "SaveImage (node 12): first pass, hires fix · sent to Txt2Img"]);
        await Expect(page.Parameters).ToContainTextAsync("Hires resize1152x1152");
        await Expect(page.Parameters).Not.ToContainTextAsync("Refiner");

        await page.SendToTxt2Img.ClickAsync();

        var txt2img = new Txt2ImgPageObject(page.Page, app.RootUri);
        await Expect(txt2img.Steps).ToHaveValueAsync("12");
        await page.Page.GetByText("Advanced: hires fix, refiner, VAE, CLIP skip, tiled decode").ClickAsync();
        await Expect(page.Page.Locator("#hires-scale")).ToHaveValueAsync("1.5");
        await Expect(page.Page.Locator("#hires-steps")).ToHaveValueAsync("14");
        await Expect(page.Page.Locator("#hires-denoise")).ToHaveValueAsync("0.5");
    }

    [Fact]
    public async Task Choose_FileOverTheLimit_IsRefusedBeforeReading()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Storage:MaxImageBytes"] = "2048" });
        await using var context = await browser.NewContextAsync();
        var page = new PngInfoPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync(PngBytes.Metadata("comfyui_img2img.png"));

        await Expect(page.FileError).ToHaveTextAsync("The file is 4.5 KB; the limit is 2 KB.", new() { Timeout = BrowserFixture.GuardMs });
    }
}
