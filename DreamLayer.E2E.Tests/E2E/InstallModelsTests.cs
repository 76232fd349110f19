using ComfyStandIn;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>An admin installs a model by address in a real browser: live progress, then the model in the server's list.</summary>
public sealed class InstallModelsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task InstallByUrl_ShowsProgress_ThenTheModelListedByTheServer(int width, int height)
    {
        var models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
        try
        {
            await using var files = await ModelFileServer.StartAsync();
            files.Add("dreamshaper_8.safetensors", SafetensorsFiles.WithData(2 * 1024 * 1024));
            files.Hold = true;
            await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
            {
                ["ComfyUi:ModelsDirectory"] = models,
                ["ModelInstall:AllowedPrivateNetworks:0"] = "127.0.0.0/8",
                ["ModelInstall:FreeSpaceMargin"] = "0",
            }, standInOptions: new StandInOptions { ModelsDirectory = models });
            await using var context = await browser.NewContextAsync((width, height));
            var page = await context.NewPageAsync();
            await new SignInPageObject(page, app.RootUri).SignInAsync(app.Admin, "/models/install");
            await page.GotoAsync(new Uri(app.RootUri, "/models/install").ToString());
            await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

            await WorkflowsPageObject.FillAsync(page.GetByLabel("Address of the file"), files.Url("files/dreamshaper_8.safetensors").ToString());
            await page.GetByTestId("install-download").ClickAsync();

            var row = page.Locator("[data-testid=install-row][data-file='dreamshaper_8.safetensors']");
            // The file server holds the download halfway: the row shows what has arrived, of the whole size.
            await Expect(row.GetByTestId("install-progress")).ToContainTextAsync("1.0 MB of 2.0 MB");
            await Expect(row.GetByRole(AriaRole.Progressbar)).ToHaveAttributeAsync("aria-valuenow", new System.Text.RegularExpressions.Regex(@"^(49|50)(\.|$)"));
            await row.ScrollIntoViewIfNeededAsync();
            await LayoutAssertions.ScreenshotAsync(page, $"install-models-progress-{width}x{height}");

            files.Release();
            await Expect(row.GetByTestId("install-message")).ToContainTextAsync("Installed dreamshaper_8.safetensors (2.0 MB");
            await Expect(row.GetByTestId("install-message")).ToContainTextAsync("standin listed it again.");
            var listed = page.Locator("[data-testid=model-file][data-file='dreamshaper_8.safetensors']");
            await Expect(listed.GetByTestId("model-file-listed")).ToHaveTextAsync("standin");
            await LayoutAssertions.NoHorizontalScrollAsync(page, "The Install page");
            await row.ScrollIntoViewIfNeededAsync();
            await LayoutAssertions.ScreenshotAsync(page, $"install-models-done-{width}x{height}");
            Assert.Contains("dreamshaper_8.safetensors", app.Backend.Limits!.Checkpoints);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task InstallPage_Member_GetsAccessDenied()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Alice);

        var response = await page.GotoAsync(new Uri(app.RootUri, "/models/install").ToString());

        Assert.Equal(403, response!.Status);
        await Expect(page.GetByText("Access denied")).ToBeVisibleAsync();
    }
}
