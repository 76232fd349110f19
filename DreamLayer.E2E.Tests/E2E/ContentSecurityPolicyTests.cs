using System.Text.RegularExpressions;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The Content-Security-Policy blocks nothing the app itself needs: every page is opened in a real browser, a job is
/// generated with live previews, images are opened and used as sources, and the browser reports no violation.
/// </summary>
public sealed class ContentSecurityPolicyTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>Reports every violation the browser sees to the console, where the test collects it.</summary>
    private const string ViolationReporter = """
        document.addEventListener('securitypolicyviolation', e =>
            console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
        """;

    [Fact]
    public async Task EveryPage_AndGeneratingAndOpeningImages_RunWithoutAnyPolicyViolation()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(60));
        var admin = new SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);
        // Made with a checkpoint the server has: Txt2Img starts from the last job's settings, and a checkpoint no server has
        // would (rightly) hold Generate back with an offer of a replacement.
        var seeded = await GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), admin, "a seeded fox",
            TimeProvider.System.GetUtcNow().UtcDateTime, model: "v1-5-pruned-emaonly.safetensors");
        await using var context = await browser.NewContextAsync();
        await context.AddInitScriptAsync(ViolationReporter);
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, m) => console.Add($"{m.Type}: {m.Text}");
        var violations = () => console.Where(m => m.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || m.Contains("CSP violation", StringComparison.Ordinal)).ToList();

        var signIn = new SignInPageObject(page, app.RootUri);
        await signIn.OpenAsync();
        await signIn.SubmitAsync(app.Admin.UserName, app.Admin.Password);
        await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/account/sign-in", StringComparison.Ordinal));

        // The policy is really there and enforced: an injected inline script is refused and reported.
        var response = await page.GotoAsync(new Uri(app.RootUri, "/").ToString());
        Assert.Contains("script-src 'self'", (await response!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await page.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__inlineRan = true'; document.head.appendChild(s); }");
        await DreamLayerApp.WaitUntilAsync(() => violations().Count > 0, "the injected inline script to be reported");
        Assert.Null(await page.EvaluateAsync<bool?>("() => window.__inlineRan"));
        console.Clear();

        // Generate: progress, live previews (fetched from /previews by the job list's module), the finished image, its dialog (a JS module).
        var txt2img = new Txt2ImgPageObject(page, app.RootUri);
        await txt2img.FillAsync("Prompt", "a lighthouse under a policy");
        await txt2img.FillAsync("Steps", "12");
        app.StandIn!.Faults.HoldAfterStep = 2; // the job waits with a preview shown until the test has seen it
        await txt2img.Generate.ClickAsync();
        var card = txt2img.NewestCard;
        await Expect(card.Preview).ToHaveAttributeAsync("src", new Regex(@"^/previews/[0-9a-f-]{36}\?v=[0-9]+$"));
        await Expect(card.Preview).ToHaveAttributeAsync("data-preview-sequence", new Regex("^[0-9]+$"));
        app.StandIn.Faults.HoldAfterStep = null;
        app.StandIn.Faults.ReleaseHold();
        await Expect(card.Status).ToHaveTextAsync("Done");
        await card.ResultImage.ClickAsync();
        await Expect(new ImageDialogObject(page).FullImage).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");

        foreach (var path in new[] { "/img2img", "/extras", "/pnginfo", "/img2txt", "/workflows", "/gallery", "/trash", "/queue", "/backends", "/users" })
        {
            await page.GotoAsync(new Uri(app.RootUri, path).ToString());
            await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        }

        // An image sent to Img2Img is shown from the uploads; on Inpaint it is drawn into the mask canvas.
        await page.GotoAsync(new Uri(app.RootUri, $"/img2img?from={seeded.Id}").ToString());
        var source = page.GetByTestId("source-image");
        await Expect(source).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-testid=source-image]'); return i && i.complete && i.naturalWidth > 0; }");
        await page.GotoAsync(new Uri(app.RootUri, $"/inpaint?from={seeded.Id}").ToString());
        await Expect(page.Locator("canvas").First).ToBeAttachedAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // The gallery's grid and image dialog.
        await page.GotoAsync(new Uri(app.RootUri, "/gallery").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await page.Locator($"[data-image-id='{seeded.Id}'] img").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // The static account pages.
        await page.GotoAsync(new Uri(app.RootUri, AccountPaths.ChangePassword).ToString());
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.True(violations().Count == 0, "Blocked by the policy:\n" + string.Join("\n", violations()));
    }
}
