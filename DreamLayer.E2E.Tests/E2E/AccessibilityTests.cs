using System.Text.Json;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Every control on every page has a name a screen reader can say (Chromium's own accessibility tree is asked), the
/// keyboard meets the generation page's prompt bar in the order it is laid out, and the Ctrl+Enter hint shows only
/// where there is a keyboard.
/// </summary>
public sealed class AccessibilityTests(BrowserFixture browser, SharedApp shared) : IClassFixture<BrowserFixture>, IClassFixture<SharedApp>
{
    private DreamLayerApp App => shared.App;

    /// <summary>Roles a person operates: each needs a name.</summary>
    private static readonly HashSet<string> Controls =
    [
        "button", "link", "textbox", "searchbox", "checkbox", "radio", "switch", "combobox", "listbox", "slider", "spinbutton",
        "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "option",
    ];

    private static readonly string[] Pages =
    [
        "/", "/img2img", "/inpaint", "/extras", "/gallery", "/trash", "/queue", "/pnginfo", "/img2txt", "/workflows", "/preferences",
        "/users", "/backends", "/account/password",
    ];

    [Fact]
    public async Task EveryControl_OnEveryPage_HasAnAccessibleName()
    {
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = await context.NewPageAsync();
        var cdp = await context.NewCDPSessionAsync(page);
        var nameless = new List<string>();

        await new SignInPageObject(page, App.RootUri).OpenAsync();
        nameless.AddRange(await NamelessAsync(cdp, "/account/sign-in"));
        await new SignInPageObject(page, App.RootUri).SignInAsync(App.Admin);
        foreach (var path in Pages)
        {
            await page.GotoAsync(new Uri(App.RootUri, path).ToString());
            if (!path.StartsWith("/account/", StringComparison.Ordinal))
            {
                await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
            }
            nameless.AddRange(await NamelessAsync(cdp, path));
        }

        // A result and its dialog, as opened from a job card.
        await page.GotoAsync(new Uri(App.RootUri, "/").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        var form = new Txt2ImgPageObject(page, App.RootUri);
        await form.FillAsync("Prompt", "a named thing");
        await form.Generate.ClickAsync();
        await Expect(form.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        nameless.AddRange(await NamelessAsync(cdp, "/ with a finished job"));
        await form.NewestCard.ResultImage.ClickAsync();
        await Expect(new ImageDialogObject(page).FullImage).ToBeVisibleAsync();
        nameless.AddRange(await NamelessAsync(cdp, "the image dialog"));

        Assert.True(nameless.Count == 0, "Controls without an accessible name:\n" + string.Join("\n", nameless));
        Assert.True(_controlsSeen > 100, $"the walk should have looked at the controls of every page, it saw {_controlsSeen}");
    }

    private int _controlsSeen;

    /// <summary>Each control in the page's accessibility tree whose computed name is empty, with where it is and its markup.</summary>
    private async Task<List<string>> NamelessAsync(ICDPSession cdp, string where)
    {
        var tree = await cdp.SendAsync("Accessibility.getFullAXTree") ?? throw new InvalidOperationException("No accessibility tree.");
        var found = new List<string>();
        await cdp.SendAsync("DOM.getDocument", new Dictionary<string, object> { ["depth"] = 0 });
        foreach (var node in tree.GetProperty("nodes").EnumerateArray())
        {
            if (node.TryGetProperty("ignored", out var ignored) && ignored.GetBoolean())
            {
                continue;
            }
            var role = node.TryGetProperty("role", out var r) && r.TryGetProperty("value", out var rv) ? rv.GetString() : null;
            if (role is null || !Controls.Contains(role))
            {
                continue;
            }
            _controlsSeen++;
            var name = node.TryGetProperty("name", out var n) && n.TryGetProperty("value", out var nv) && nv.ValueKind == JsonValueKind.String ? nv.GetString() : null;
            if (!string.IsNullOrWhiteSpace(name))
            {
                continue;
            }
            var markup = "(no element)";
            if (node.TryGetProperty("backendDOMNodeId", out var id))
            {
                var html = await cdp.SendAsync("DOM.getOuterHTML", new Dictionary<string, object> { ["backendNodeId"] = id.GetInt32() });
                markup = html?.GetProperty("outerHTML").GetString() ?? markup;
                markup = markup.Length > 200 ? markup[..200] + "…" : markup;
            }
            found.Add($"{where}: {role} {markup}");
        }
        return found;
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/img2img")]
    [InlineData("/inpaint")]
    public async Task Tab_FromThePrompt_ReachesTheNegativePromptThenGenerateBeforeTheSettings(string path)
    {
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new ImageModePageObject(await context.NewPageAsync(), App.RootUri, path);
        await page.SignInAsync(App.Alice);
        await page.OpenAsyncAnyMode();
        await page.Prompt.FocusAsync();

        var stops = new List<string>();
        for (var i = 0; i < 12 && !stops.Contains("generate"); i++)
        {
            await page.Page.Keyboard.PressAsync("Tab");
            stops.Add(await page.Page.EvaluateAsync<string>(
                """
                () => {
                    const e = document.activeElement;
                    if (e.id === 'negative-prompt') return 'negative';
                    if (e.getAttribute('aria-label') === 'Generate') return 'generate';
                    const area = e.closest('[data-testid]');
                    return (area?.closest('[data-testid=parameters-panel]') ? 'settings: ' : 'other: ') + (e.getAttribute('aria-label') ?? e.id ?? e.tagName);
                }
                """));
        }
        Assert.True(stops.Count >= 2 && stops[0] == "negative" && stops[^1] == "generate" && !stops.Any(s => s.StartsWith("settings", StringComparison.Ordinal)),
            $"Tab from the prompt should reach the negative prompt, then Generate, before the settings; it went: {string.Join(" → ", stops)}");
    }

    [Fact]
    public async Task CtrlEnterHint_ShowsWithAKeyboard_NotOnAPhoneOrATablet()
    {
        await using (var desktop = await browser.NewContextAsync(BrowserFixture.Desktop))
        {
            var page = new Txt2ImgPageObject(await desktop.NewPageAsync(), App.RootUri);
            await page.SignInAsync(App.Alice);
            await page.OpenAsync();
            await Expect(page.Page.GetByText("Ctrl+Enter generates")).ToBeVisibleAsync();
        }
        await using (var phone = await browser.NewContextAsync(BrowserFixture.Phone))
        {
            var page = new Txt2ImgPageObject(await phone.NewPageAsync(), App.RootUri);
            await page.SignInAsync(App.Alice);
            await page.OpenAsync();
            await Expect(page.Prompt).ToBeVisibleAsync();
            await Expect(page.Page.GetByText("Ctrl+Enter generates")).ToBeHiddenAsync();
        }
        // A tablet held sideways: as wide as a small laptop, but touch only.
        await using var tablet = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1024, Height = 768 },
            IsMobile = true,
            HasTouch = true,
        });
        tablet.SetDefaultTimeout(BrowserFixture.GuardMs);
        var onTablet = new Txt2ImgPageObject(await tablet.NewPageAsync(), App.RootUri);
        await onTablet.SignInAsync(App.Alice);
        await onTablet.OpenAsync();
        Assert.True(await onTablet.Page.EvaluateAsync<bool>("() => matchMedia('(hover: none) and (pointer: coarse)').matches"), "the tablet should be touch only");
        await Expect(onTablet.Prompt).ToBeVisibleAsync();
        await Expect(onTablet.Page.GetByText("Ctrl+Enter generates")).ToBeHiddenAsync();
    }
}
