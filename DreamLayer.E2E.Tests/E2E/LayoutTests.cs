using System.Text.RegularExpressions;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Tests that look at the page: where things are on the screen at a desktop size and on a phone, whether the
/// stylesheets load and apply, and what each person is told. Every page they visit is saved as a screenshot under
/// TestResults/screenshots/ (name-width.png).
/// </summary>
public sealed class LayoutTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly ViewportSize Desktop = new() { Width = 1440, Height = 900 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private static DateTime _clock = new(2026, 5, 1, 9, 0, 0, DateTimeKind.Utc);

    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    private static Task<ImageEntity> SeedAsync(DreamLayerApp app, TestUser owner, string prompt) =>
        GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), As(owner), prompt, _clock = _clock.AddMinutes(1));

    private async Task<IBrowserContext> ContextAsync(ViewportSize size, string? timeZone = null, string? locale = null)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = size,
            ColorScheme = ColorScheme.Dark,
            TimezoneId = timeZone,
            Locale = locale,
        });
        context.SetDefaultTimeout(BrowserFixture.GuardMs);
        return context;
    }

    private async Task<(IBrowserContext Context, IPage Page)> SignedInAsync(DreamLayerApp app, TestUser user, ViewportSize size, string? timeZone = null, string? locale = null)
    {
        var context = await ContextAsync(size, timeZone, locale);
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(user, "/gallery");
        return (context, page);
    }

    /// <summary>Opens an interactive page of the app and waits until its circuit is live and its heading shows.</summary>
    private static async Task OpenAsync(DreamLayerApp app, IPage page, string path)
    {
        await page.GotoAsync(new Uri(app.RootUri, path).ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(page.Locator("h1").First).ToBeVisibleAsync();
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(TestPaths.RepoRoot, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}-{page.ViewportSize!.Width}.png") });
    }

    /// <summary>
    /// How far the page scrolls sideways: the document past the window, or any element that scrolls its content
    /// sideways (a wide table in a scroller is cut off on a phone too); 0 when nothing does.
    /// </summary>
    private static Task<int> OverflowAsync(IPage page) => page.EvaluateAsync<int>("""
        () => Math.max(
            Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth,
            ...[...document.querySelectorAll('body *')]
                .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.clientWidth > 0)
                .map(e => e.scrollWidth - e.clientWidth))
        """);

    [Fact]
    public async Task Gallery_CellsFormAGrid_AndTheSecondRowsCheckboxIsClickable()
    {
        await using var app = await DreamLayerApp.StartAsync();
        for (var i = 0; i < 14; i++)
        {
            await SeedAsync(app, app.Alice, $"picture {i:00}");
        }
        var (context, page) = await SignedInAsync(app, app.Alice, Desktop);
        await using var _ = context;
        var gallery = new GalleryPageObject(page, app.RootUri);
        await gallery.OpenAsync();
        await Expect(gallery.Items).ToHaveCountAsync(14);
        await Expect(gallery.Count).ToHaveTextAsync("14 images");
        await Expect(gallery.Items.Last.Locator("img")).ToHaveJSPropertyAsync("complete", true);

        var boxes = new List<LocatorBoundingBoxResult>();
        foreach (var item in await gallery.Items.AllAsync())
        {
            boxes.Add(await item.BoundingBoxAsync() ?? throw new InvalidOperationException("A gallery cell has no box."));
        }
        for (var a = 0; a < boxes.Count; a++)
        {
            for (var b = a + 1; b < boxes.Count; b++)
            {
                var overlap = boxes[a].X < boxes[b].X + boxes[b].Width && boxes[b].X < boxes[a].X + boxes[a].Width
                    && boxes[a].Y < boxes[b].Y + boxes[b].Height && boxes[b].Y < boxes[a].Y + boxes[a].Height;
                Assert.False(overlap, $"cells {a} and {b} overlap: ({boxes[a].X},{boxes[a].Y}) and ({boxes[b].X},{boxes[b].Y})");
            }
        }
        var rows = boxes.GroupBy(b => Math.Round(b.Y)).OrderBy(g => g.Key).ToList();
        Assert.True(rows.Count >= 2, $"{rows.Count} row(s) of cells");
        Assert.True(rows[0].Count() >= 4, $"the first row has {rows[0].Count()} cells at 1440 px");
        await ScreenshotAsync(page, "gallery");

        // The first cell of the second row: its checkbox is not under another cell, so a click reaches it.
        var firstOfSecondRow = boxes.IndexOf(rows[1].OrderBy(b => b.X).First());
        await gallery.Items.Nth(firstOfSecondRow).GetByRole(AriaRole.Checkbox).CheckAsync();
        await Expect(gallery.SelectionBar).ToContainTextAsync("1 selected");
        await Expect(gallery.Items.Nth(firstOfSecondRow)).ToHaveClassAsync(new Regex("dl-selected"));
    }

    [Fact]
    public async Task Gallery_OfAThousandImages_HoldsOnlyTheRowsInView_AndScrollsToTheOldest()
    {
        await using var app = await DreamLayerApp.StartAsync();
        for (var i = 0; i < 1000; i++)
        {
            await SeedAsync(app, app.Alice, $"image {i:0000}");
        }
        var (context, page) = await SignedInAsync(app, app.Alice, Desktop);
        await using var _ = context;
        var gallery = new GalleryPageObject(page, app.RootUri);
        await gallery.OpenAsync();
        await Expect(gallery.Count).ToHaveTextAsync("1,000 images");
        await Expect(gallery.Thumb("image 0999")).ToBeVisibleAsync();
        Assert.True(await gallery.Items.CountAsync() < 200, $"{await gallery.Items.CountAsync()} cells are in the page at once");

        // Scroll to the bottom as a person would, again whenever the next page of thumbnails has come in (the pager
        // reads 100 at a time, so the grid grows as it is scrolled), until the oldest image is there.
        // The last cell's id and picture are read in one step in the page: read apart, the next page of thumbnails can
        // arrive in between, and the loop would wait for a change after the oldest image is already there.
        for (var turn = 0; turn < 40; turn++)
        {
            var last = await page.EvaluateAsync<string[]>(
                "() => { const c = [...document.querySelectorAll('[data-testid=gallery-item]')].at(-1); " +
                "return [c.dataset.imageId, c.querySelector('img')?.alt ?? '']; }");
            if (last[1] == "image 0000")
            {
                break;
            }
            await page.EvaluateAsync("() => window.scrollTo(0, document.documentElement.scrollHeight)");
            await Expect(gallery.Items.Last).Not.ToHaveAttributeAsync("data-image-id", last[0]);
        }
        await Expect(gallery.Thumb("image 0000")).ToBeVisibleAsync();
        Assert.True(await gallery.Items.CountAsync() < 200, $"{await gallery.Items.CountAsync()} cells are in the page at the end");
        await Expect(gallery.Thumb("image 0999")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task EveryPageOfTheWorkspace_FitsAPhone_AndIsPhotographedAtBothSizes()
    {
        await using var app = await DreamLayerApp.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await SeedAsync(app, app.Alice, $"a long prompt about a lighthouse on a cliff above a stormy sea, number {i}");
        }
        var board = await app.Get<BoardService>().CreateAsync(As(app.Admin), "Team picks", shared: true);
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(new GenerationRequest
        {
            Prompt = "a very long prompt that a phone has to wrap: a lighthouse on a cliff above a stormy sea at dusk, oil painting",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Steps = 12,
            Width = 256,
            Height = 256,
            BatchCount = 2,
        }, app.Alice.Id, default));
        string[] pages = ["/gallery", $"/boards/{board.Id}", "/trash", "/queue", "/backends", "/users", "/extras", "/workflows", "/pnginfo", "/img2txt", "/preferences"];

        foreach (var size in new[] { Desktop, Phone })
        {
            var (context, page) = await SignedInAsync(app, app.Admin, size);
            await using var _ = context;
            foreach (var path in pages)
            {
                await OpenAsync(app, page, path);
                var name = path.Trim('/').Split('/')[0];
                await ScreenshotAsync(page, name);
                if (size == Phone)
                {
                    Assert.True(await OverflowAsync(page) <= 0, $"{path} scrolls {await OverflowAsync(page)} px sideways on a phone");
                    // The app bar fits: its last button is inside the window, and the menu is folded away.
                    var signOut = await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).BoundingBoxAsync();
                    Assert.NotNull(signOut);
                    Assert.True(signOut.X + signOut.Width <= Phone.Width, $"the sign-out button ends at {signOut.X + signOut.Width} px on {path}");
                    await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Txt2Img" })).Not.ToBeInViewportAsync();
                }
            }

            // The servers' actions stay inside the servers table: none runs past its edge, to be scrolled to or cut off.
            await OpenAsync(app, page, "/backends");
            var servers = await page.GetByTestId("backends-table").BoundingBoxAsync();
            var reload = await page.GetByTestId("backend-refresh").First.BoundingBoxAsync();
            Assert.NotNull(servers);
            Assert.NotNull(reload);
            Assert.True(reload.X >= servers.X && reload.X + reload.Width <= servers.X + servers.Width,
                $"Reload models spans {reload.X}..{reload.X + reload.Width} px, the servers table {servers.X}..{servers.X + servers.Width} px");

            // The queue shows each job's prompt; on a phone as a list of cards, not a table cut off at the right.
            await OpenAsync(app, page, "/queue");
            var row = page.GetByTestId("queue-row").First;
            await Expect(row.GetByTestId("queue-prompt")).ToContainTextAsync("a very long prompt that a phone has to wrap");
            await Expect(row.GetByTestId("queue-status")).ToHaveTextAsync("Waiting");
            var header = page.GetByTestId("queue-table").Locator("thead");
            if (size == Phone)
            {
                await Expect(header).ToBeHiddenAsync();
                var box = await row.BoundingBoxAsync();
                Assert.NotNull(box);
                Assert.True(box.X >= 0 && box.X + box.Width <= Phone.Width, $"a queue row spans {box.X}..{box.X + box.Width} px");
            }
            else
            {
                await Expect(header).ToBeVisibleAsync();
            }

            // The gallery's filters fold away on a phone; the search stays.
            await OpenAsync(app, page, "/gallery");
            var person = page.GetByLabel("Person", new() { Exact = true });
            await Expect(page.GetByLabel("Search prompts")).ToBeVisibleAsync();
            if (size == Phone)
            {
                await Expect(person).ToBeHiddenAsync();
                // Two columns of cells, each inside the window.
                await Expect(page.GetByTestId("gallery-item")).ToHaveCountAsync(5);
                var cells = new List<LocatorBoundingBoxResult>();
                foreach (var cell in await page.GetByTestId("gallery-item").AllAsync())
                {
                    cells.Add((await cell.BoundingBoxAsync())!);
                }
                Assert.All(cells, c => Assert.True(c.X >= 0 && c.X + c.Width <= Phone.Width, $"a cell spans {c.X}..{c.X + c.Width} px"));
                Assert.Equal(2, cells.Count(c => Math.Abs(c.Y - cells[0].Y) < 1));
                await page.GetByRole(AriaRole.Button, new() { Name = "Filters" }).ClickAsync();
                await Expect(person).ToBeVisibleAsync();
                Assert.True(await OverflowAsync(page) <= 0, "the open filters are wider than the phone");
                await ScreenshotAsync(page, "gallery-filters");
            }
            else
            {
                await Expect(person).ToBeVisibleAsync();
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Filters" })).ToBeHiddenAsync();
            }

            // The static account page (its own layout) fits too.
            await page.GotoAsync(new Uri(app.RootUri, "/account/password").ToString());
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Change your password" })).ToBeVisibleAsync();
            await ScreenshotAsync(page, "account-password");
            Assert.True(await OverflowAsync(page) <= 0, "the password page is wider than the window");

            await using var anonymous = await ContextAsync(size);
            var signIn = await anonymous.NewPageAsync();
            await signIn.GotoAsync(new Uri(app.RootUri, "/account/sign-in").ToString());
            await Expect(signIn.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
            await ScreenshotAsync(signIn, "sign-in");
            Assert.True(await OverflowAsync(signIn) <= 0, "the sign-in page is wider than the window");
        }
    }

    [Fact]
    public async Task Setup_FitsAPhone()
    {
        await using var app = await DreamLayerApp.StartAsync(seedUsers: false);
        foreach (var size in new[] { Desktop, Phone })
        {
            await using var context = await ContextAsync(size);
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(app.RootUri, "/setup").ToString());
            await Expect(page.Locator("h1")).ToBeVisibleAsync();
            await ScreenshotAsync(page, "setup");
            Assert.True(await OverflowAsync(page) <= 0, "the setup page is wider than the window");
        }
    }

    [Fact]
    public async Task Stylesheets_EachLinkedOneLoads_AndItsRulesApply()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await SeedAsync(app, app.Alice, "a red car");
        var (context, page) = await SignedInAsync(app, app.Alice, Desktop);
        await using var _ = context;

        foreach (var path in new[] { "/img2img", "/gallery", "/pnginfo" })
        {
            await OpenAsync(app, page, path);
            var links = await page.Locator("link[rel=stylesheet]").EvaluateAllAsync<string[]>("links => links.map(l => l.href)");
            Assert.Contains(links, l => l.Contains("app", StringComparison.Ordinal));
            Assert.Contains(links, l => new Uri(l).AbsolutePath.StartsWith("/DreamLayer.Web.", StringComparison.Ordinal) && l.EndsWith(".styles.css", StringComparison.Ordinal));
            foreach (var href in links)
            {
                var response = await context.APIRequest.GetAsync(href);
                Assert.Equal(200, response.Status);
            }
            if (path == "/img2img")
            {
                // Every linked sheet (not the theme's inline one) has a rule that matches something on the page (the component sheet: the drop zone).
                var unused = await page.EvaluateAsync<string[]>("""
                    () => [...document.styleSheets].filter(sheet => sheet.href).filter(sheet => {
                        const matches = rules => [...rules].some(rule =>
                            rule.cssRules && !rule.selectorText ? matches(rule.cssRules)
                            : (() => { try { return !!document.querySelector(rule.selectorText); } catch { return false; } })());
                        return !matches(sheet.cssRules);
                    }).map(sheet => sheet.href)
                    """);
                Assert.Empty(unused);
                await Expect(page.Locator(".dl-source-drop").First).ToHaveCSSAsync("border-top-style", "dashed");
            }
        }

        // The rules after the place where app.css once had an unclosed block apply: the gallery grid and the PNG Info drop zone.
        await OpenAsync(app, page, "/gallery");
        await Expect(page.Locator(".dl-gallery-row").First).ToHaveCSSAsync("display", "flex");
        await Expect(page.Locator(".dl-cell").First).ToHaveCSSAsync("width", "180px");
        await OpenAsync(app, page, "/pnginfo");
        await Expect(page.Locator(".pnginfo-drop")).ToHaveCSSAsync("border-top-style", "dashed");
        await ScreenshotAsync(page, "pnginfo-styled");

        // The app's own icon.
        var icon = await page.Locator("link[rel=icon]").GetAttributeAsync("href");
        Assert.NotNull(icon);
        var iconResponse = await context.APIRequest.GetAsync(new Uri(app.RootUri, icon).ToString());
        Assert.Equal(200, iconResponse.Status);
        Assert.StartsWith("image/svg+xml", iconResponse.Headers["content-type"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoServerBanner_TellsAMemberToAskAnAdmin_AndAnAdminHowToStartComfyUi()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var app = DreamLayerApp.StartWithoutServer($"http://127.0.0.1:{port}");
        await DreamLayerApp.WaitUntilAsync(() => app.Backend.State == DreamLayer.Web.Comfy.BackendState.Offline, "the backend to be marked offline");

        foreach (var size in new[] { Desktop, Phone })
        {
            var (memberContext, member) = await SignedInAsync(app, app.Alice, size);
            await using (memberContext)
            {
                await OpenAsync(app, member, "/extras");
                var banner = member.GetByTestId("backend-banner");
                await Expect(banner).ToContainTextAsync("Ask an admin to start it.");
                await Expect(banner).Not.ToContainTextAsync("--listen");
                await Expect(banner).Not.ToContainTextAsync("stand-in");
                await Expect(banner).Not.ToContainTextAsync("dotnet");
                await Expect(banner).Not.ToContainTextAsync($"{port}");
                await ScreenshotAsync(member, "banner-member");
            }

            var (adminContext, admin) = await SignedInAsync(app, app.Admin, size);
            await using (adminContext)
            {
                await OpenAsync(app, admin, "/extras");
                var banner = admin.GetByTestId("backend-banner");
                await Expect(banner).ToContainTextAsync("python main.py --listen 0.0.0.0");
                await Expect(banner).ToContainTextAsync($"127.0.0.1:{port}");
                await Expect(banner).Not.ToContainTextAsync("stand-in");
                await Expect(banner).Not.ToContainTextAsync("dotnet");
                await ScreenshotAsync(admin, "banner-admin");
            }
        }
    }

    [Fact]
    public async Task Times_AreWrittenInTheViewersTimeZoneAndLocale()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var image = await GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), As(app.Alice),
            "a harbour at night", new DateTime(2026, 5, 1, 9, 1, 0, DateTimeKind.Utc));
        Assert.NotNull(image);

        var (berlinContext, tokyo) = await SignedInAsync(app, app.Alice, Desktop, "Asia/Tokyo", "de-DE");
        await using (berlinContext)
        {
            var gallery = new GalleryPageObject(tokyo, app.RootUri);
            await gallery.OpenAsync();
            await Expect(gallery.Thumb("a harbour at night")).ToHaveAttributeAsync("title", new Regex(@"01\.05\.2026, 18:01$"));
        }

        var (yorkContext, newYork) = await SignedInAsync(app, app.Alice, Desktop, "America/New_York", "en-US");
        await using (yorkContext)
        {
            var gallery = new GalleryPageObject(newYork, app.RootUri);
            await gallery.OpenAsync();
            await Expect(gallery.Thumb("a harbour at night")).ToHaveAttributeAsync("title", new Regex(@"05/01/2026, 05:01 AM$"));
        }
    }

    [Fact]
    public async Task Preferences_ThemeAndDefaults_AreKeptInTheAccount_AndANewVisitStartsAtBatchCountOne()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var checkpoint = app.Backend.Limits!.Checkpoints[^1];
        var (context, page) = await SignedInAsync(app, app.Alice, Desktop);
        await using var _ = context;

        await OpenAsync(app, page, "/preferences");
        await Expect(page.Locator("[data-theme=dark]")).ToBeAttachedAsync();
        await page.GetByLabel("Dark theme").ClickAsync();
        await page.GetByLabel("Default checkpoint", new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = checkpoint, Exact = true }).ClickAsync();
        await page.GetByLabel("Default size", new() { Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "768 × 768", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Your preferences are saved.")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-theme=light]")).ToBeAttachedAsync();
        await ScreenshotAsync(page, "preferences-light");

        // Another visit (a new circuit) reads them from the account; a generation page with no earlier job starts with them.
        var txt2img = new Txt2ImgPageObject(page, app.RootUri);
        await txt2img.OpenAsync();
        await Expect(page.Locator("[data-theme=light]")).ToBeAttachedAsync();
        // A MudSelect keeps its value in a hidden input with the select's id.
        await Expect(page.Locator("input#checkpoint")).ToHaveValueAsync(checkpoint);
        await Expect(page.GetByLabel("Width", new() { Exact = true })).ToHaveValueAsync("768");
        await Expect(page.GetByLabel("Height", new() { Exact = true })).ToHaveValueAsync("768");

        // After a job, the page keeps its settings, but a large batch is never repeated by itself.
        app.Get<JobQueue>().SetDispatchPaused(true);
        Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(new GenerationRequest
        {
            Prompt = "twelve lighthouses",
            Checkpoint = checkpoint,
            Steps = 17,
            Width = 512,
            Height = 640,
            BatchCount = 12,
        }, app.Alice.Id, default));
        await txt2img.OpenAsync();
        await Expect(txt2img.Prompt).ToHaveValueAsync("twelve lighthouses");
        await Expect(txt2img.Steps).ToHaveValueAsync("17");
        await Expect(page.GetByLabel("Height", new() { Exact = true })).ToHaveValueAsync("640");
        await Expect(txt2img.BatchCount).ToHaveValueAsync("1");

        // The same wording on the job's card as on the Queue page.
        await Expect(txt2img.JobCards.First.GetByTestId("job-status")).ToHaveTextAsync("Waiting");
    }
}
