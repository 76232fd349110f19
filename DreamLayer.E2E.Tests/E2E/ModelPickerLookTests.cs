using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Domain;
using DreamLayer.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// How a member sees models, at 1440×900 and on a phone: the checkpoint list with display names and family chips, and
/// the offer for a checkpoint no server has (screenshots under TestResults/screenshots).
/// </summary>
public sealed class ModelPickerLookTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Member_SeesDisplayNamesAndFamilies_AndTheOfferForAMissingCheckpoint(int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        var checkpoints = app.Get<BackendPool>().Limits!.Checkpoints;
        var admin = new SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);
        var settings = app.Get<ModelSettings>();
        Assert.Null(await settings.SaveAsync(admin, new ModelEdit(new ModelKey("checkpoints", checkpoints[^1]), "Juggernaut XL", null, ModelFamily.Sdxl,
            null, null, null, null, Hidden: false, ModelDefaults.None), default));
        Assert.Null(await settings.SetFamilyDefaultAsync(admin, new ModelKey("checkpoints", checkpoints[^1]), true, default));
        await using var context = await browser.NewContextAsync((width, height));

        var txt2img = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await txt2img.SignInAsync(app.Alice);
        await txt2img.OpenAsync();
        await txt2img.Page.Locator("#checkpoint").Locator("xpath=ancestor::div[contains(@class,'mud-input-control')][1]").ClickAsync();
        var juggernaut = txt2img.Page.Locator(".mud-popover-open [data-testid=model-option]", new() { HasText = "Juggernaut XL" });
        await Expect(juggernaut.GetByTestId("model-family")).ToHaveTextAsync("SDXL");
        await Expect(juggernaut.GetByTestId("model-file")).ToHaveTextAsync(checkpoints[^1]);
        await juggernaut.ScrollIntoViewIfNeededAsync();
        // The list fades in: the picture is taken once it is drawn whole.
        await txt2img.Page.WaitForFunctionAsync("() => [...document.querySelectorAll('.mud-popover-open')].every(p => getComputedStyle(p).opacity === '1')");
        await LayoutAssertions.ScreenshotAsync(txt2img.Page, $"model-picker-{width}");
        await txt2img.Page.Keyboard.PressAsync("Escape");

        // An image from another tool names a checkpoint no server has.
        var pngInfo = new PngInfoPageObject(txt2img.Page, app.RootUri);
        await txt2img.Page.GotoAsync(new Uri(app.RootUri, "/pnginfo").ToString()); // the phone's menu is folded away
        await Expect(txt2img.Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await txt2img.Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=file-input]')?._blazorInputFileNextFileId !== undefined");
        await pngInfo.ChooseAsync(PngBytes.Metadata("a1111.png"));
        await Expect(pngInfo.Tool).ToContainTextAsync("AUTOMATIC1111");
        await pngInfo.SendToTxt2Img.ClickAsync();
        var missing = txt2img.Page.GetByTestId("checkpoint-missing");
        await Expect(missing).ToContainTextAsync("No server has the checkpoint realistic_realisticVisionV20_v20");
        await txt2img.Page.Locator("#checkpoint").ScrollIntoViewIfNeededAsync();
        await Expect(txt2img.Page.Locator("#checkpoint")).ToHaveValueAsync("realistic_realisticVisionV20_v20");
        await LayoutAssertions.ScreenshotAsync(txt2img.Page, $"checkpoint-offer-{width}");
        await LayoutAssertions.NoHorizontalScrollAsync(txt2img.Page, "Txt2Img with the offer");
    }
}
