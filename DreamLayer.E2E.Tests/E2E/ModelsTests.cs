using ComfyStandIn;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Model management in a real browser: an admin names a checkpoint, gives it defaults and hides another; a member's
/// Txt2Img then lists the named one (never the hidden one) and picking it changes the size; a member gets 403 on
/// /models.
/// </summary>
public sealed class ModelsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string Sd15 = "v1-5.safetensors";
    private const string Sdxl = "sdxl/base.safetensors";
    private const string Secret = "secret.safetensors";

    private readonly string _models = Path.Combine(Path.GetTempPath(), "dl-e2e-models-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        SafetensorsFiles.Write(_models, "checkpoints", Sd15, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "checkpoints", Sdxl, SafetensorsFiles.SdxlCheckpoint);
        SafetensorsFiles.Write(_models, "checkpoints", Secret, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "loras", "style.safetensors", SafetensorsFiles.Sd15Lora);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_models, recursive: true);
        return Task.CompletedTask;
    }

    private Task<DreamLayerApp> StartAsync() => DreamLayerApp.StartAsync(
        settings: new Dictionary<string, string?> { ["ComfyUi:ModelsDirectory"] = _models },
        standInOptions: new StandInOptions { ModelsDirectory = _models, Previews = false, VramTotal = 24L << 30, VramFree = 18L << 30, RamTotal = 64L << 30, RamFree = 40L << 30 });

    [Fact]
    public async Task AdminSetsDefaultsAndVisibility_MemberPicksTheCheckpointAndTheSizeChanges()
    {
        await using var app = await StartAsync();
        await using (var adminContext = await browser.NewContextAsync(BrowserFixture.Desktop))
        {
            var admin = new ModelsPageObject(await adminContext.NewPageAsync(), app.RootUri);
            await new SignInPageObject(admin.Page, app.RootUri).SignInAsync(app.Admin, "/models");
            await admin.OpenAsync();
            await Expect(admin.Family(Sdxl)).ToHaveTextAsync("SDXL (read from the file)");
            await Expect(admin.Family(Sd15)).ToHaveTextAsync("SD 1.5 (read from the file)");

            await admin.EditAsync(Sdxl);
            await admin.FillAsync("Display name", "Base XL");
            await admin.FillAsync("Width", "896");
            await admin.FillAsync("Height", "1152");
            await admin.FillAsync("Steps", "30");
            await LayoutAssertions.ScreenshotAsync(admin.Page, "models-editor-1440x900");
            await admin.Save.ClickAsync();
            await Expect(admin.Editor).ToHaveCountAsync(0);
            await Expect(admin.Title(Sdxl)).ToHaveTextAsync("Base XL");

            await admin.EditAsync(Secret);
            await admin.VisibleToMembers.UncheckAsync();
            await admin.Save.ClickAsync();
            await Expect(admin.Visibility(Secret)).ToHaveTextAsync("hidden");
            await Expect(admin.Visibility(Sdxl)).ToHaveTextAsync("visible");
            // Every row's last action is on the screen, not cut off at the table's right edge.
            foreach (var delete in await admin.Page.GetByTestId("model-file-delete").AllAsync())
            {
                await LayoutAssertions.InViewportAsync(admin.Page, delete, "a row's Delete");
            }
            await LayoutAssertions.ScreenshotAsync(admin.Page, "models-page-1440x900");
        }

        await using var memberContext = await browser.NewContextAsync(BrowserFixture.Desktop);
        var member = new Txt2ImgPageObject(await memberContext.NewPageAsync(), app.RootUri);
        await member.SignInAsync(app.Alice);
        await member.OpenAsync();
        var page = member.Page;
        await page.GetByLabel("Checkpoint", new() { Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Option, new() { Name = "Base XL" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Option, new() { Name = Secret })).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Option, new() { Name = Sd15 }).ClickAsync();
        await Expect(page.GetByLabel("Width", new() { Exact = true })).ToHaveValueAsync("512");

        await page.GetByLabel("Checkpoint", new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Base XL" }).ClickAsync();

        await Expect(page.GetByLabel("Width", new() { Exact = true })).ToHaveValueAsync("896");
        await Expect(page.GetByLabel("Height", new() { Exact = true })).ToHaveValueAsync("1152");
        await Expect(member.Steps).ToHaveValueAsync("30");
        await Expect(page.GetByTestId("checkpoint-defaults")).ToHaveTextAsync("Base XL defaults: 896×1152, 30 steps.");
        await Expect(page.Locator("input#checkpoint")).ToHaveValueAsync("Base XL");
    }

    [Fact]
    public async Task ModelsPage_OnAPhone_FitsTheScreen()
    {
        await using var app = await StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Phone);
        var models = new ModelsPageObject(await context.NewPageAsync(), app.RootUri);
        await new SignInPageObject(models.Page, app.RootUri).SignInAsync(app.Admin, "/models");
        await models.OpenAsync();
        await Expect(models.Family(Sdxl)).ToHaveTextAsync("SDXL (read from the file)");

        await LayoutAssertions.NoHorizontalScrollAsync(models.Page, "the Models page");
        await LayoutAssertions.ScreenshotAsync(models.Page, "models-page-390x844");
        await models.EditAsync(Sdxl);
        await LayoutAssertions.NoHorizontalScrollAsync(models.Page, "the Models page with the editor open");
        await models.Editor.ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.ScreenshotAsync(models.Page, "models-editor-390x844");
    }

    [Fact]
    public async Task ModelsPage_Member_SeesAccessDeniedAndNoModelsLink()
    {
        await using var app = await StartAsync();
        await using var context = await browser.NewContextAsync();
        var models = new ModelsPageObject(await context.NewPageAsync(), app.RootUri);
        await new SignInPageObject(models.Page, app.RootUri).SignInAsync(app.Bob);
        await Expect(models.Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(models.Page.GetByRole(AriaRole.Link, new() { Name = "Models" })).ToHaveCountAsync(0);

        await models.OpenAsync();

        await Expect(models.AccessDenied).ToHaveTextAsync("Access denied");
        await Expect(models.Heading).ToHaveCountAsync(0);
        await Expect(models.Page.GetByTestId("model-row")).ToHaveCountAsync(0);
    }
}
