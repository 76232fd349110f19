using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The dashboard in a real browser: an admin sees the team's figures and each person's, a member the team's only; the
/// charts are drawn, the slow server is marked, the cards do not overlap and nothing scrolls sideways, at both sizes.
/// </summary>
public sealed class DashboardPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly string[] Cards = ["days", "people", "failures", "models", "servers", "speed", "hours"];

    private static async Task SeedAsync(DreamLayerApp app)
    {
        var now = app.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        var random = new Random(5);
        await using var db = app.CreateDbContext();
        (string Server, double Speed)[] servers = [("gpu-1", 5.2), ("gpu-2", 4.9), ("gpu-3", 1.4)];
        string[] models = ["sd_xl_base_1.0.safetensors", "juggernautXL_v9.safetensors", "flux1-dev-fp8.safetensors"];
        for (var i = 0; i < 120; i++)
        {
            var id = Guid.NewGuid();
            var (server, speed) = servers[i % 3];
            var failed = i % 17 == 0;
            var at = now.AddDays(-random.Next(20)).AddHours(-random.Next(24));
            db.Jobs.Add(new JobEntity
            {
                Id = id,
                BatchId = id,
                Owner = (i % 4 == 0 ? app.Bob : app.Alice).Id,
                Mode = "Txt2Img",
                Status = failed ? JobStatus.Failed : JobStatus.Succeeded,
                StatusMessage = failed ? (i % 2 == 0 ? "Out of memory on the server" : "The server went away") : null,
                Checkpoint = models[i % models.Length],
                Backend = server,
                CreatedAt = at,
                FinishedAt = at,
                QueueWaitMs = failed ? null : 100 + random.Next(3000),
                ExecutionMs = failed ? null : 20 / speed * 1000,
                StepsPerSecond = failed ? null : speed,
            });
        }
        await db.SaveChangesAsync();
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task AnAdminSeesEveryChart_AMemberTheTeamsOnly(int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await SeedAsync(app);

        await using var context = await browser.NewContextAsync((width, height));
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Admin, "/dashboard");
        await page.GotoAsync(new Uri(app.RootUri, "/dashboard").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(page.GetByTestId("dashboard-jobs")).ToHaveTextAsync("120");
        await Expect(page.GetByTestId("dashboard-failed")).ToHaveTextAsync("8");
        foreach (var card in Cards)
        {
            await Expect(page.GetByTestId($"dashboard-{card}")).ToBeVisibleAsync();
        }
        foreach (var card in new[] { "days", "people", "models", "servers", "speed", "hours" })
        {
            await Expect(page.GetByTestId($"dashboard-{card}").Locator("svg").First).ToBeVisibleAsync();
        }
        await Expect(page.GetByTestId("dashboard-speed-row").First).ToContainTextAsync("gpu-3");
        await Expect(page.GetByTestId("dashboard-slow")).ToHaveCountAsync(1);
        await Expect(page.GetByTestId("dashboard-people-table")).ToContainTextAsync(app.Bob.DisplayName);
        await Expect(page.GetByTestId("dashboard-failures-table")).ToContainTextAsync("Out of memory on the server");
        var export = await page.GetByTestId("dashboard-days-csv").GetAttributeAsync("href");
        Assert.Matches(@"^/dashboard/export/days\.csv\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}", export);
        await LayoutAssertions.InViewportAsync(page, page.GetByTestId("dashboard-jobs"), "The jobs total");
        await LayoutAssertions.NoHorizontalScrollAsync(page, "The dashboard");
        await AssertCardsApartAsync(page);
        await LayoutAssertions.ScreenshotAsync(page, $"dashboard-admin-{width}x{height}");
        await page.ScreenshotAsync(new() { Path = Path.Combine(LayoutAssertions.ScreenshotFolder, $"dashboard-admin-{width}x{height}-full.png"), FullPage = true });

        await using var memberContext = await browser.NewContextAsync((width, height));
        var member = await memberContext.NewPageAsync();
        await new SignInPageObject(member, app.RootUri).SignInAsync(app.Alice, "/dashboard");
        await member.GotoAsync(new Uri(app.RootUri, "/dashboard").ToString());
        await Expect(member.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(member.GetByTestId("dashboard-jobs")).ToHaveTextAsync("120");
        await Expect(member.GetByTestId("dashboard-models")).ToBeVisibleAsync();
        await Expect(member.GetByTestId("dashboard-people")).ToHaveCountAsync(0);
        await Expect(member.GetByText(app.Bob.DisplayName, new() { Exact = false })).ToHaveCountAsync(0);
        await LayoutAssertions.NoHorizontalScrollAsync(member, "The dashboard for a member");
        await LayoutAssertions.ScreenshotAsync(member, $"dashboard-member-{width}x{height}");
    }

    /// <summary>No two chart cards overlap, none is wider than the viewport, and no table sticks out of its card.</summary>
    private static async Task AssertCardsApartAsync(IPage page)
    {
        var sticking = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.dl-dashboard-card')].flatMap(card => {
                const edge = card.getBoundingClientRect().right;
                return [...card.querySelectorAll('table')].filter(t => t.getBoundingClientRect().right > edge + 1).map(() => card.dataset.testid);
            })
            """);
        Assert.True(sticking.Length == 0, $"A table is wider than its card in: {string.Join(", ", sticking)}.");
        var boxes = new List<(string Card, LocatorBoundingBoxResult Box)>();
        foreach (var card in Cards)
        {
            boxes.Add((card, (await page.GetByTestId($"dashboard-{card}").BoundingBoxAsync())!));
        }
        var viewport = page.ViewportSize!;
        foreach (var (card, box) in boxes)
        {
            Assert.True(box.X >= 0 && box.X + box.Width <= viewport.Width + 0.5, $"The {card} card is cut off: x {box.X:0}–{box.X + box.Width:0}.");
        }
        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count; j++)
            {
                var (a, b) = (boxes[i].Box, boxes[j].Box);
                var overlap = a.X < b.X + b.Width - 1 && b.X < a.X + a.Width - 1 && a.Y < b.Y + b.Height - 1 && b.Y < a.Y + a.Height - 1;
                Assert.False(overlap, $"The {boxes[i].Card} and {boxes[j].Card} cards overlap.");
            }
        }
    }
}
