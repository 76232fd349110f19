using System.Text;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person upscales images on the Extras page in a real browser against the app and the ComfyUI stand-in.</summary>
public sealed class ExtrasTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Upscale_OneGoodAndOneBadFile_ShowsTheErrorAndUpscalesTheImage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new ExtrasPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await Expect(page.NoModels).ToContainTextAsync("models/upscale_models");
        await Expect(page.Page.GetByRole(AriaRole.Radio, new() { Name = "Upscale model" })).ToBeDisabledAsync();

        await page.Files.SetInputFilesAsync(new FilePayload[]
        {
            new() { Name = "photo.png", MimeType = "image/png", Buffer = TestImages.Png(96, 64) },
            new() { Name = "notes.png", MimeType = "image/png", Buffer = Encoding.UTF8.GetBytes("these are my notes, not a picture") },
        });

        await Expect(page.FileItems).ToHaveCountAsync(2, new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.FileItem("photo.png")).ToContainTextAsync("96×64");
        await Expect(page.FileItem("photo.png").GetByTestId("file-error")).ToHaveCountAsync(0);
        await Expect(page.FileItem("notes.png").GetByTestId("file-error")).ToContainTextAsync("not an image");

        await page.Upscale.ClickAsync();

        await Expect(page.JobCards).ToHaveCountAsync(1, new() { Timeout = BrowserFixture.GuardMs });
        var card = page.NewestCard;
        await Expect(card.Root.GetByTestId("job-summary")).ToHaveTextAsync("Upscale ×2 (lanczos)");
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToBeVisibleAsync();

        await card.ResultImage.ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.FullImage).ToBeVisibleAsync();
        await Expect(dialog.FullImage).ToHaveJSPropertyAsync("naturalWidth", 192);
        await Expect(dialog.Infotext).ToHaveTextAsync("Postprocess upscale by: 2, Postprocess upscaler: lanczos");
        await Expect(dialog.Parameters).ToContainTextAsync("Upscale ×2 (lanczos)");
        await Expect(dialog.Parameters).Not.ToContainTextAsync("Steps");
    }
}
