using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Domain;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// A model an admin hid stays out of a member's hands on the pages that pick models outside the generation forms:
/// Extras' upscale-model list, and PNG Info's "Send to Txt2Img", which matches the image's checkpoint against the
/// member's own list.
/// </summary>
public sealed class HiddenModelPickersTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private const string Visible = "4x-ultrasharp.pth";
    private const string Hidden = "4x-secret.pth";

    /// <summary>The checkpoint named by the A1111 test image (<c>TestData/metadata/a1111.png</c>).</summary>
    private const string A1111Checkpoint = "realistic_realisticVisionV20_v20.safetensors";

    private readonly string _models = Path.Combine(Path.GetTempPath(), "dl-e2e-hidden-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync()
    {
        SafetensorsFiles.Write(_models, "checkpoints", "v1-5.safetensors", SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "checkpoints", A1111Checkpoint, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "upscale_models", Visible, ["x.weight"]);
        SafetensorsFiles.Write(_models, "upscale_models", Hidden, ["x.weight"]);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_models, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<DreamLayerApp> StartHidingAsync(string folder, string name)
    {
        var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?> { ["ComfyUi:ModelsDirectory"] = _models },
            standInOptions: new StandInOptions { ModelsDirectory = _models, Previews = false });
        var admin = new SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);
        Assert.Null(await app.Get<ModelSettings>().BulkAsync(admin, [new ModelKey(folder, name)], BulkModelAction.Hide, null, null, default));
        return app;
    }

    [Fact]
    public async Task Extras_UpscaleModelList_LeavesOutAHiddenModelForAMember_NotForAnAdmin()
    {
        await using var app = await StartHidingAsync("upscale_models", Hidden);
        foreach (var (user, seesHidden) in new[] { (app.Alice, false), (app.Admin, true) })
        {
            await using var context = await browser.NewContextAsync();
            var page = new ExtrasPageObject(await context.NewPageAsync(), app.RootUri);
            await page.SignInAsync(user);
            await page.OpenAsync();
            await page.Page.GetByRole(AriaRole.Radio, new() { Name = "Upscale model" }).CheckAsync();
            await page.Page.Locator("#upscale-model").Locator("xpath=ancestor::div[contains(@class,'mud-input-control')][1]").ClickAsync();
            await Expect(page.Page.Locator($".mud-popover-open [data-testid=model-option][data-model='{Visible}']")).ToHaveCountAsync(1);
            await Expect(page.Page.Locator($".mud-popover-open [data-testid=model-option][data-model='{Hidden}']")).ToHaveCountAsync(seesHidden ? 1 : 0);
        }
    }

    [Fact]
    public async Task PngInfo_SendToTxt2Img_DoesNotHandAMemberAHiddenCheckpoint()
    {
        await using var app = await StartHidingAsync("checkpoints", A1111Checkpoint);
        await using var context = await browser.NewContextAsync();
        var page = new PngInfoPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.ChooseAsync(PngBytes.Metadata("a1111.png"));
        await Expect(page.Tool).ToContainTextAsync("AUTOMATIC1111");

        await page.SendToTxt2Img.ClickAsync();

        // Matched against the member's own list, the image's checkpoint is one the member does not have: it stays named
        // as the image names it (never as the hidden file), with a visible one offered instead.
        var txt2img = new Txt2ImgPageObject(page.Page, app.RootUri);
        await Expect(txt2img.Prompt).ToHaveValueAsync("photo of a duck");
        await Expect(page.Page.GetByTestId("draft-note")).ToHaveTextAsync("The server has no checkpoint 'realistic_realisticVisionV20_v20'; the form offers a replacement.");
        await Expect(page.Page.Locator("#checkpoint")).ToHaveValueAsync("realistic_realisticVisionV20_v20");
        await Expect(page.Page.GetByTestId("checkpoint-use-instead")).ToContainTextAsync("v1-5.safetensors");
    }
}
