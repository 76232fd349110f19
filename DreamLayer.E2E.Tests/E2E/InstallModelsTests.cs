using System.Text.RegularExpressions;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Installing models in a real browser: by address with live progress, then the model in the server's list; an upload
/// cancelled half-way; two admins installing the same file at once.
/// </summary>
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

    /// <summary>
    /// A 48 MB upload onto a slow disk (each write takes 200 ms, so at most 5 MB/s arrive): Cancel upload, pressed while
    /// it runs, stops it; the file and its partial file are gone and the list says it was cancelled.
    /// </summary>
    [Fact]
    public async Task Upload_CancelledMidway_LeavesNoFile_AndTheListSaysCancelled()
    {
        var models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
        var source = Path.Combine(Directory.CreateTempSubdirectory("dreamlayer-upload-").FullName, "big.safetensors");
        try
        {
            await File.WriteAllBytesAsync(source, SafetensorsFiles.WithData(48 * 1024 * 1024));
            var disk = new TestDisk { WriteDelay = TimeSpan.FromMilliseconds(200) };
            await using var app = await DreamLayerApp.StartAsync(settings: ModelInstallSettings(models), standInOptions: new StandInOptions { ModelsDirectory = models },
                services: s => s.AddSingleton<IPartFiles>(disk));
            await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
            var page = await OpenInstallPageAsync(context, app, app.Admin);

            await page.GetByRole(AriaRole.Tab, new() { Name = "Upload a file" }).ClickAsync();
            await page.Locator("#install-file").SetInputFilesAsync(source);
            await Expect(page.Locator("#install-upload-name")).ToHaveValueAsync("big.safetensors");
            await page.GetByTestId("install-upload").ClickAsync();
            var row = page.Locator("[data-testid=install-row][data-file='big.safetensors']");
            // Some of the file has arrived, not all of it.
            await Expect(row.GetByTestId("install-progress")).ToContainTextAsync(new Regex(@"^[\d.]+ (KB|MB) of 48\.0 MB"));
            Assert.Single(Directory.GetFiles(Path.Combine(models, "checkpoints"), ".big.safetensors.*.part"));

            await page.GetByTestId("upload-cancel").ClickAsync();

            await Expect(row).ToHaveAttributeAsync("data-state", "Cancelled");
            await Expect(row.GetByTestId("install-message")).ToContainTextAsync(new Regex(@"^The upload of big\.safetensors stopped after .+; the partial file was removed\.$"));
            await Expect(page.GetByTestId("install-error")).ToHaveTextAsync("Upload cancelled. Nothing was installed.");
            Assert.Empty(Directory.GetFiles(models, "*", SearchOption.AllDirectories));
            Assert.DoesNotContain("big.safetensors", app.Backend.Limits!.Checkpoints);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
            Directory.Delete(Path.GetDirectoryName(source)!, recursive: true);
        }
    }

    /// <summary>
    /// Two admins, each in their own browser, install the same file at once: the second is refused in words naming who
    /// installs it, and sees that install in the live list until it is done. The nav has one entry, Models, lit on this page.
    /// </summary>
    [Fact]
    public async Task TwoAdmins_InstallTheSameFileAtOnce_TheSecondIsRefusedInWords()
    {
        var models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
        try
        {
            await using var files = await ModelFileServer.StartAsync();
            files.Add("dreamshaper_8.safetensors", SafetensorsFiles.WithData(2 * 1024 * 1024));
            files.Hold = true;
            await using var app = await DreamLayerApp.StartAsync(settings: ModelInstallSettings(models), standInOptions: new StandInOptions { ModelsDirectory = models });
            var grace = await app.CreateUserAsync("grace", Roles.Admin);
            await using var firstContext = await browser.NewContextAsync(BrowserFixture.Desktop);
            await using var secondContext = await browser.NewContextAsync(BrowserFixture.Desktop);
            var first = await OpenInstallPageAsync(firstContext, app, app.Admin);
            var second = await OpenInstallPageAsync(secondContext, app, grace);
            var address = files.Url("files/dreamshaper_8.safetensors").ToString();

            await WorkflowsPageObject.FillAsync(first.GetByLabel("Address of the file"), address);
            await first.GetByTestId("install-download").ClickAsync();
            await files.HeldHalfway.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var secondRow = second.Locator("[data-testid=install-row][data-file='dreamshaper_8.safetensors']");
            await Expect(secondRow.GetByTestId("install-progress")).ToContainTextAsync("1.0 MB of 2.0 MB");
            await WorkflowsPageObject.FillAsync(second.GetByLabel("Address of the file"), address);
            await second.GetByTestId("install-download").ClickAsync();

            await Expect(second.GetByTestId("install-error")).ToHaveTextAsync(
                $"dreamshaper_8.safetensors is already being installed into checkpoints by {app.Admin.DisplayName}; wait for that install to finish or cancel it.");
            await Expect(second.Locator("[data-testid=install-row]")).ToHaveCountAsync(1);
            await Expect(second.GetByRole(AriaRole.Link, new() { Name = "Models", Exact = true })).ToHaveClassAsync(new Regex(@"\bactive\b"));
            await Expect(second.GetByRole(AriaRole.Link, new() { Name = "Install models" })).ToHaveCountAsync(0);

            files.Release();
            await Expect(secondRow).ToHaveAttributeAsync("data-state", "Done");
            await Expect(first.Locator("[data-testid=install-row][data-file='dreamshaper_8.safetensors']")).ToHaveAttributeAsync("data-state", "Done");
            Assert.True(File.Exists(Path.Combine(models, "checkpoints", "dreamshaper_8.safetensors")));
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    private static Dictionary<string, string?> ModelInstallSettings(string models) => new()
    {
        ["ComfyUi:ModelsDirectory"] = models,
        ["ModelInstall:AllowedPrivateNetworks:0"] = "127.0.0.0/8",
        ["ModelInstall:FreeSpaceMargin"] = "0",
    };

    /// <summary>Signs in as <paramref name="user"/> and opens the Install page with its circuit live.</summary>
    private static async Task<IPage> OpenInstallPageAsync(IBrowserContext context, DreamLayerApp app, TestUser user)
    {
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(user, "/models/install");
        await page.GotoAsync(new Uri(app.RootUri, "/models/install").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        return page;
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
