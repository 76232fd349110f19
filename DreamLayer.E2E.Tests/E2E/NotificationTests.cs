using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// "Notify me when done": a job the person started that finishes while their tab is hidden brings a notification
/// and a sound; nothing while they are looking, and nothing unless they switched it on. The browser's notification
/// permission is granted; the tab is made hidden by overriding document.hidden/visibilityState, and Notification and
/// the sound's oscillators are wrapped so the test sees what was made.
/// </summary>
public sealed class NotificationTests(BrowserFixture browser, SharedApp shared) : IClassFixture<BrowserFixture>, IClassFixture<SharedApp>
{
    private const string Spies = """
        (() => {
            window.__notifications = [];
            window.__tones = [];
            let hidden = false;
            Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get() { return hidden; } });
            Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get() { return hidden ? 'hidden' : 'visible'; } });
            window.__setHidden = h => { hidden = h; document.dispatchEvent(new Event('visibilitychange')); };
            if ('Notification' in window) {
                const Real = window.Notification;
                window.Notification = class extends Real {
                    constructor(title, options) {
                        window.__notifications.push({ title, body: options?.body ?? null, icon: options?.icon ?? null });
                        super(title, options);
                    }
                };
            }
            const start = AudioScheduledSourceNode.prototype.start;
            AudioScheduledSourceNode.prototype.start = function (...args) {
                window.__tones.push(this.frequency ? this.frequency.value : 0);
                return start.apply(this, args);
            };
        })();
        """;

    /// <summary>A notification the page made, as the spy recorded it.</summary>
    private sealed class Shown
    {
        public string Title { get; set; } = "";
        public string? Body { get; set; }
        public string? Icon { get; set; }
    }

    private async Task<(IBrowserContext Context, Txt2ImgPageObject Page)> OpenAsync(string userName)
    {
        var app = shared.App;
        var user = await app.CreateUserAsync(userName, DreamLayer.Web.Accounts.Roles.Member);
        var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        await context.GrantPermissionsAsync(["notifications"], new() { Origin = app.RootUri.GetLeftPart(UriPartial.Authority) });
        await context.AddInitScriptAsync(Spies);
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(user);
        await page.OpenAsync();
        return (context, page);
    }

    private static ILocator Switch(IPage page) => page.GetByRole(AriaRole.Switch, new() { Name = "Notify me when done" });

    private static async Task GenerateAsync(Txt2ImgPageObject page, string prompt)
    {
        await page.FillAsync("Prompt", prompt);
        var before = await page.JobCards.CountAsync();
        await page.Generate.ClickAsync();
        await Expect(page.JobCards).ToHaveCountAsync(before + 1);
        await Expect(page.NewestCard.Root.GetByTestId("job-summary")).ToHaveTextAsync(prompt);
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
    }

    private static async Task<Shown[]> NotificationsAsync(IPage page) => await page.EvaluateAsync<Shown[]>("() => window.__notifications");

    [Fact]
    public async Task JobFinishing_WhileTheTabIsHidden_NotifiesAndSounds_ButNotWhileItIsSeen()
    {
        var (context, page) = await OpenAsync("nora");
        await using var _ = context;
        await Switch(page.Page).CheckAsync();
        await Expect(Switch(page.Page)).ToBeCheckedAsync();
        await Expect(page.Page.GetByTestId("notify-note")).ToHaveCountAsync(0); // permission granted: nothing to explain

        // Looking at the tab: the job's card says it is done, and that is all.
        await GenerateAsync(page, "a lantern seen finishing");

        // Hidden (another tab in front): the next job to finish is announced. Its call reaches the browser after the
        // first job's, so seeing only this one also shows the first one announced nothing.
        await page.Page.EvaluateAsync("() => window.__setHidden(true)");
        await GenerateAsync(page, "a lantern finishing unseen");
        await page.Page.WaitForFunctionAsync("() => window.__notifications.length > 0");

        var shown = Assert.Single(await NotificationsAsync(page.Page));
        Assert.Equal("Done: 1 image · DreamLayer", shown.Title);
        Assert.Equal("a lantern finishing unseen", shown.Body);
        var imageId = await page.NewestCard.ResultImage.EvaluateAsync<string>("img => new URL(img.src).pathname.split('/')[2]");
        Assert.Equal($"/images/{imageId}/thumb", shown.Icon);
        // The sound: two short tones.
        await page.Page.WaitForFunctionAsync("() => window.__tones.length >= 2");
        var tones = await page.Page.EvaluateAsync<double[]>("() => window.__tones");
        Assert.Equal([660.0, 880.0], tones);
    }

    [Fact]
    public async Task JobFinishing_WhileHiddenWithTheSwitchOff_SaysNothing_AndTheSwitchIsRemembered()
    {
        var (context, page) = await OpenAsync("otto");
        await using var _ = context;
        await Expect(Switch(page.Page)).Not.ToBeCheckedAsync();
        await page.Page.EvaluateAsync("() => window.__setHidden(true)");
        await GenerateAsync(page, "a kettle nobody asked about");

        await Switch(page.Page).CheckAsync();
        await Expect(Switch(page.Page)).ToBeCheckedAsync();
        await GenerateAsync(page, "a kettle someone asked about");
        await page.Page.WaitForFunctionAsync("() => window.__notifications.length > 0");
        Assert.Equal("a kettle someone asked about", Assert.Single(await NotificationsAsync(page.Page)).Body);

        // The choice stays with this browser: a new visit has the switch on.
        await page.OpenAsync();
        await Expect(Switch(page.Page)).ToBeCheckedAsync();
    }
}
