using System.Net;
using System.Net.Http.Headers;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// A person makes an API token on their Preferences page, copies it, uses it from a script (HttpClient, as curl would),
/// and revokes it; the tokens section and the API reference are looked at on a desktop and on a phone.
/// </summary>
public sealed class ApiTokensTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Preferences_CreateCopyUseAndRevokeAToken()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        await context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = app.RootUri.GetLeftPart(UriPartial.Authority) });
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Alice, "/preferences");
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        var section = page.GetByTestId("api-tokens");
        await Expect(section.GetByTestId("api-tokens-empty")).ToBeVisibleAsync();

        await section.GetByLabel("Token name").FillAsync("render script");
        await section.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var shown = section.GetByTestId("api-token-value");
        await Expect(shown).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^dl_[A-Za-z0-9_-]{43}$"));
        await Expect(section.GetByTestId("api-token-row")).ToHaveCountAsync(1);
        await LayoutAssertions.InViewportAsync(page, section.GetByRole(AriaRole.Button, new() { Name = "Copy" }), "the Copy button");
        await LayoutAssertions.NoHorizontalScrollAsync(page, "the preferences page with a new token");
        await LayoutAssertions.ScreenshotAsync(page, "api-tokens-1440x900");

        await section.GetByRole(AriaRole.Button, new() { Name = "Copy" }).ClickAsync();
        await Expect(page.GetByText("Token copied.")).ToBeVisibleAsync();
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(await shown.TextContentAsync(), copied);

        // The copied token works from a script, and shows as used once the page is opened again.
        using var script = app.CreateAnonymousClient();
        script.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", copied);
        using (var jobs = await script.GetAsync(new Uri("/api/v1/jobs", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, jobs.StatusCode);
        }
        await page.ReloadAsync();
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(section.GetByTestId("api-token-value")).ToHaveCountAsync(0);
        await Expect(section.GetByTestId("api-token-last-used")).Not.ToHaveTextAsync("Never");

        await section.GetByRole(AriaRole.Button, new() { Name = "Revoke: render script" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(section.GetByTestId("api-tokens-empty")).ToBeVisibleAsync();
        using var refused = await script.GetAsync(new Uri("/api/v1/jobs", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Preferences_OnAPhone_TheTokenSectionFitsAndItsButtonsAreInReach()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Phone);
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Alice, "/preferences");
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        var section = page.GetByTestId("api-tokens");

        await section.GetByLabel("Token name").FillAsync("phone");
        var create = section.GetByRole(AriaRole.Button, new() { Name = "Create token" });
        await create.ScrollIntoViewIfNeededAsync();
        await create.ClickAsync();
        var copy = section.GetByRole(AriaRole.Button, new() { Name = "Copy" });
        await copy.ScrollIntoViewIfNeededAsync();

        await LayoutAssertions.InViewportAsync(page, copy, "the Copy button");
        await LayoutAssertions.InViewportAsync(page, section.GetByTestId("api-token-value"), "the new token");
        await LayoutAssertions.NoHorizontalScrollAsync(page, "the preferences page on a phone");
        await LayoutAssertions.ScreenshotAsync(page, "api-tokens-390x844");
    }

    [Fact]
    public async Task ApiDocs_ShowTheReference_WithEveryRoute()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = await context.NewPageAsync();
        var blocked = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                blocked.Add(message.Text);
            }
        };
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Alice);
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

        await page.GotoAsync(new Uri(app.RootUri, "/api/docs").ToString());

        await Expect(page.GetByText("DreamLayer API").First).ToBeVisibleAsync();
        await Expect(page.GetByText("One job's state: place in the queue, progress, step, server").First).ToBeAttachedAsync();
        await LayoutAssertions.ScreenshotAsync(page, "api-docs-1440x900");
        Assert.Empty(blocked);
    }
}
