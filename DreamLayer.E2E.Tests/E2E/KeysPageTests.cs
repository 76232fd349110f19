using CloudStandIn;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Security;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The Test of the keys on /settings/keys in a real browser, against the providers' stand-ins: an admin saves a Hugging
/// Face token and tests it, tests a wrong OpenAI key, and sees a hint where no key is set and why Comfy.org has no Test.
/// </summary>
public sealed class KeysPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string HubToken = "hf_BrowserTestToken0123456789mnop";
    private const string WrongOpenAiKey = "sk-wrong-key-in-the-browser-test-qrst";

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task AdminSavesAndTestsKeys_SeesEachAnswerInWords_WithWhenItWasChecked(int width, int height)
    {
        await using var sites = await ModelSitesStandIn.StartAsync();
        sites.HubTokens[HubToken] = new HubToken("ada", "read");
        await using var cloud = await CloudStandInServer.StartAsync(new CloudStandInOptions { Port = 0 });
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["KeyChecks:BaseUrls:HuggingFace"] = sites.BaseAddress.ToString(),
            ["KeyChecks:BaseUrls:OpenAI"] = new Uri(cloud.BaseAddress, "v1/").ToString(),
        });
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.OpenAI, WrongOpenAiKey, default));
        await using var context = await browser.NewContextAsync((width, height));
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Admin, "/settings/keys");
        await page.GotoAsync(new Uri(app.RootUri, "/settings/keys").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

        var hub = Card(page, "HuggingFace");
        await Expect(hub.GetByTestId("key-test")).ToHaveCountAsync(0); // no key yet: a hint instead of the button
        await Expect(hub.GetByTestId("key-test-hint")).ToHaveTextAsync("Save a key to test it: the app asks Hugging Face with a call that bills nothing.");
        await WorkflowsPageObject.FillAsync(page.Locator("#key-HuggingFace"), HubToken);
        await hub.GetByTestId("key-save").ClickAsync();
        await Expect(hub.GetByTestId("key-status")).ToContainTextAsync("••••mnop");

        await hub.GetByTestId("key-test").ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.InViewportAsync(page, hub.GetByTestId("key-test"), "The Hugging Face Test button");
        await hub.GetByTestId("key-test").ClickAsync();
        await Expect(hub.GetByTestId("key-check-message")).ToHaveTextAsync("Valid: user ada (a read token).");
        await Expect(hub.GetByTestId("key-check")).ToContainTextAsync("Checked ");
        await Expect(hub.GetByTestId("key-check")).ToContainTextAsync("(key ••••mnop)");
        Assert.Equal("Bearer " + HubToken, sites.Authorizations.Last());
        await hub.GetByTestId("key-check").ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.InViewportAsync(page, hub.GetByTestId("key-check"), "The Hugging Face check's answer");
        await LayoutAssertions.ScreenshotAsync(page, $"keys-test-valid-{width}x{height}");

        var openAi = Card(page, "OpenAI");
        await openAi.GetByTestId("key-test").ClickAsync();
        await Expect(openAi.GetByTestId("key-check-message")).ToHaveTextAsync("Refused: OpenAI says the key is incorrect or was revoked (401).");
        await Expect(openAi.GetByTestId("key-check")).ToHaveAttributeAsync("data-outcome", "Refused");
        await openAi.GetByTestId("key-check").ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.InViewportAsync(page, openAi.GetByTestId("key-check"), "The OpenAI check's answer");
        await LayoutAssertions.ScreenshotAsync(page, $"keys-test-refused-{width}x{height}");

        await Expect(Card(page, "ComfyOrg").GetByTestId("key-test")).ToHaveCountAsync(0);
        await Expect(Card(page, "ComfyOrg").GetByTestId("key-test-hint")).ToContainTextAsync("the key is checked on first use");
        await Expect(Card(page, "Civitai").GetByTestId("key-test-hint")).ToContainTextAsync("Save a key to test it");
        await LayoutAssertions.NoHorizontalScrollAsync(page, "The Keys page");
        var html = await page.ContentAsync();
        Assert.DoesNotContain(HubToken, html, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongOpenAiKey, html, StringComparison.Ordinal);
    }

    private static ILocator Card(IPage page, string provider) => page.Locator($"[data-testid=key-provider][data-provider={provider}]");
}
