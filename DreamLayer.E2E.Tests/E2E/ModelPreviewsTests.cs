using ComfyStandIn;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Model previews in a real browser, at the desktop's and a phone's size: an admin uploads one and picks one from the
/// gallery in a model's editor; the Models page's rows and a member's checkpoint picker show them. Also the editor's
/// "default of its family" switch.
/// </summary>
public sealed class ModelPreviewsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string Sd15 = "v1-5.safetensors";
    private const string Sdxl = "sdxl/base.safetensors";

    private readonly string _models = Path.Combine(Path.GetTempPath(), "dl-e2e-previews-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        SafetensorsFiles.Write(_models, "checkpoints", Sd15, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "checkpoints", Sdxl, SafetensorsFiles.SdxlCheckpoint);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_models, recursive: true);
        return Task.CompletedTask;
    }

    private Task<DreamLayerApp> StartAsync() => DreamLayerApp.StartAsync(
        settings: new Dictionary<string, string?> { ["ComfyUi:ModelsDirectory"] = _models },
        standInOptions: new StandInOptions { ModelsDirectory = _models, Previews = false });

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Previews_UploadedAndPickedFromTheGallery_ShownOnTheRowsAndInAMembersPicker(int width, int height)
    {
        await using var app = await StartAsync();
        await GalleryImages.MakeAsync(app, app.Alice, "a red lighthouse at dusk", Sd15);
        await using (var adminContext = await browser.NewContextAsync((width, height)))
        {
            var admin = new ModelsPageObject(await adminContext.NewPageAsync(), app.RootUri);
            await new SignInPageObject(admin.Page, app.RootUri).SignInAsync(app.Admin, "/models");
            await admin.OpenAsync();

            await admin.EditAsync(Sd15);
            await Expect(admin.Editor.GetByTestId("model-preview-none")).ToBeVisibleAsync();
            await admin.Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=model-preview-upload]')?._blazorInputFileNextFileId !== undefined");
            await admin.Editor.GetByTestId("model-preview-upload").SetInputFilesAsync(new FilePayload { Name = "preview.png", MimeType = "image/png", Buffer = TestImages.Png(640, 480) });
            await ExpectLoadedAsync(admin.Editor.GetByTestId("model-preview-image"));
            await ExpectLoadedAsync(admin.Row(Sd15).GetByTestId("model-preview-thumb"));
            await admin.Editor.GetByTestId("model-preview").ScrollIntoViewIfNeededAsync();
            await LayoutAssertions.NoHorizontalScrollAsync(admin.Page, "the model editor with a preview");
            await ExpectApartAsync(admin.Editor.GetByTestId("model-preview-image"), admin.Editor.GetByTestId("model-preview-pick"), "the preview and Pick from gallery");
            await LayoutAssertions.InViewportAsync(admin.Page, admin.Editor.GetByTestId("model-preview-remove"), "the preview's Remove");
            await LayoutAssertions.ScreenshotAsync(admin.Page, $"model-preview-editor-{width}x{height}");
            await admin.Editor.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();

            await admin.EditAsync(Sdxl);
            await admin.Editor.GetByTestId("model-preview-pick").ClickAsync();
            var picker = admin.Page.GetByTestId("preview-picker");
            var first = picker.GetByTestId("preview-picker-image").First;
            await ExpectLoadedAsync(first.Locator("img"));
            await LayoutAssertions.InViewportAsync(admin.Page, first, "the gallery's first image in the chooser");
            await LayoutAssertions.ScreenshotAsync(admin.Page, $"model-preview-chooser-{width}x{height}");
            await first.ClickAsync();
            await Expect(picker).ToHaveCountAsync(0);
            await ExpectLoadedAsync(admin.Editor.GetByTestId("model-preview-image"));
            await admin.Editor.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
            await Expect(admin.Editor).ToHaveCountAsync(0);

            await ExpectLoadedAsync(admin.Row(Sdxl).GetByTestId("model-preview-thumb"));
            await ExpectApartAsync(admin.Row(Sdxl).GetByTestId("model-preview-thumb"), admin.Title(Sdxl), "a row's preview and its title");
            await LayoutAssertions.NoHorizontalScrollAsync(admin.Page, "the Models page with previews");
            await LayoutAssertions.ScreenshotAsync(admin.Page, $"models-previews-{width}x{height}");
        }

        await using var memberContext = await browser.NewContextAsync((width, height));
        var member = new Txt2ImgPageObject(await memberContext.NewPageAsync(), app.RootUri);
        await member.SignInAsync(app.Alice);
        await member.OpenAsync();
        await member.Page.Locator("#checkpoint").Locator("xpath=ancestor::div[contains(@class,'mud-input-control')][1]").ClickAsync();
        var option = member.Page.Locator($".mud-popover-open [data-testid=model-option][data-model='{Sdxl}']");
        await ExpectLoadedAsync(option.GetByTestId("model-option-preview"));
        await ExpectApartAsync(option.GetByTestId("model-option-preview"), option.GetByTestId("model-option-title"), "a picker's preview and the model's name");
        await member.Page.WaitForFunctionAsync("() => [...document.querySelectorAll('.mud-popover-open')].every(p => getComputedStyle(p).opacity === '1')");
        await LayoutAssertions.InViewportAsync(member.Page, option, "the model with a preview in the picker");
        await LayoutAssertions.ScreenshotAsync(member.Page, $"model-preview-picker-{width}x{height}");
    }

    /// <summary>The editor's switch makes a checkpoint its family's default, shows it on again, and turns it off.</summary>
    [Fact]
    public async Task FamilyDefaultSwitch_SavedFromTheEditor_ShownOnWhenOpenedAgain_AndTurnedOff()
    {
        await using var app = await StartAsync();
        var settings = app.Get<ModelSettings>();
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var admin = new ModelsPageObject(await context.NewPageAsync(), app.RootUri);
        await new SignInPageObject(admin.Page, app.RootUri).SignInAsync(app.Admin, "/models");
        await admin.OpenAsync();
        await Expect(admin.Family(Sdxl)).ToHaveTextAsync("SDXL (read from the file)");

        await admin.EditAsync(Sdxl);
        var familyDefault = admin.Editor.GetByLabel("Default SDXL checkpoint", new() { Exact = true });
        await Expect(familyDefault).Not.ToBeCheckedAsync();
        await familyDefault.CheckAsync();
        await admin.Save.ClickAsync();
        await Expect(admin.Editor).ToHaveCountAsync(0);
        Assert.Equal(Sdxl, settings.FamilyDefaults[ModelFamily.Sdxl]);

        await admin.EditAsync(Sdxl);
        await Expect(familyDefault).ToBeCheckedAsync();
        await familyDefault.UncheckAsync();
        await admin.Save.ClickAsync();
        await Expect(admin.Editor).ToHaveCountAsync(0);
        Assert.False(settings.FamilyDefaults.ContainsKey(ModelFamily.Sdxl));

        // A checkpoint whose family is not known cannot be one; the switch says why and the server refuses it too.
        await admin.EditAsync(Sd15);
        await admin.Editor.GetByLabel("Family", new() { Exact = true }).Locator("xpath=ancestor::div[contains(@class,'mud-input-control')][1]").ClickAsync();
        await admin.Page.GetByRole(AriaRole.Option, new() { Name = "Other", Exact = true }).ClickAsync();
        var noFamily = admin.Editor.GetByLabel("Default of its family (set its family first)", new() { Exact = true });
        await noFamily.CheckAsync();
        await admin.Save.ClickAsync();
        await Expect(admin.Editor.GetByTestId("model-editor-error")).ToHaveTextAsync("Set the checkpoint's family first: a default is the default of one family.");
        Assert.Empty(settings.FamilyDefaults);
    }

    /// <summary>The element has loaded its picture (a broken or missing one has no natural width).</summary>
    private static async Task ExpectLoadedAsync(ILocator image)
    {
        await Expect(image).ToBeVisibleAsync();
        await image.EvaluateAsync("img => img.complete && img.naturalWidth > 0 ? true : new Promise((ok, fail) => { img.onload = () => ok(true); img.onerror = () => fail(new Error('broken picture ' + img.src)); })");
        Assert.True(await image.EvaluateAsync<bool>("img => img.naturalWidth > 0"), "the picture is broken");
    }

    private static async Task ExpectApartAsync(ILocator first, ILocator second, string what)
    {
        var a = await first.BoundingBoxAsync() ?? throw new InvalidOperationException($"{what}: the first is not drawn.");
        var b = await second.BoundingBoxAsync() ?? throw new InvalidOperationException($"{what}: the second is not drawn.");
        var overlap = a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;
        Assert.False(overlap, $"{what} overlap: ({a.X}, {a.Y}, {a.Width}×{a.Height}) and ({b.X}, {b.Y}, {b.Width}×{b.Height}).");
    }
}
