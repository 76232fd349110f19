using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Cloud prices, budgets and usage in a real browser: an admin sets the team's budget, a person's own and a price; a
/// member reads their own usage against their budget; at both sizes, with nothing cut off.
/// </summary>
public sealed class CloudUsagePagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task AdminSetsBudgetsAndAPrice_MemberSeesTheirUsageAgainstTheirBudget(int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        var now = app.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await using (var db = app.CreateDbContext())
        {
            foreach (var (owner, model, usd) in new[] { (app.Alice.Id, "FLUX 1.1 [pro]", 0.04m), (app.Alice.Id, "FLUX 1.1 [pro]", 0.04m), (app.Alice.Id, "gpt-image-1", 0.25m), (app.Bob.Id, "Ideogram 3.0", 0.06m) })
            {
                var id = Guid.NewGuid();
                db.Jobs.Add(new JobEntity { Id = id, BatchId = id, Owner = owner, Mode = "Txt2Img", Status = JobStatus.Succeeded, Checkpoint = model, CreatedAt = now, CostUsd = usd });
            }
            await db.SaveChangesAsync();
        }
        await using var context = await browser.NewContextAsync((width, height));
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Admin, "/settings/cloud");
        await page.GotoAsync(new Uri(app.RootUri, "/settings/cloud").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

        await WorkflowsPageObject.FillAsync(page.Locator("#budget-team"), "20.00");
        await WorkflowsPageObject.FillAsync(page.Locator("#budget-person"), "5.00");
        await LayoutAssertions.InViewportAsync(page, page.GetByTestId("budgets-save"), "Save budgets");
        await page.GetByTestId("budgets-save").ClickAsync();
        await Expect(page.GetByText("Budgets saved.")).ToBeVisibleAsync();

        var flux = page.Locator("[data-testid=price-row][data-price-key='Bfl/flux-pro-1.1//']");
        await WorkflowsPageObject.FillAsync(flux.Locator("input"), "0.05");
        await flux.GetByTestId("price-save").ClickAsync();
        await Expect(flux.GetByTestId("price-reset")).ToBeVisibleAsync();
        await LayoutAssertions.NoHorizontalScrollAsync(page, "The cloud prices page");
        await LayoutAssertions.ScreenshotAsync(page, $"cloud-prices-{width}x{height}");

        var budgets = await app.Get<CloudBudgets>().CurrentAsync(default);
        Assert.Equal((20m, 5m), (budgets.Team, budgets.PerPerson));
        Assert.Equal(0.05m, (await app.Get<CloudPrices>().CurrentAsync(default)).Single(p => p.List.Model == "flux-pro-1.1").Set);

        await using var memberContext = await browser.NewContextAsync((width, height));
        var member = await memberContext.NewPageAsync();
        await new SignInPageObject(member, app.RootUri).SignInAsync(app.Alice, "/usage");
        await member.GotoAsync(new Uri(app.RootUri, "/usage").ToString());
        await Expect(member.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(member.GetByTestId("usage-spent")).ToHaveTextAsync("$0.33");
        await Expect(member.GetByTestId("usage-limit")).ToHaveTextAsync("$5.00");
        await Expect(member.GetByTestId("usage-row")).ToHaveCountAsync(2);
        await Expect(member.GetByTestId("usage-total")).ToHaveTextAsync("$0.33");
        await Expect(member.GetByText("Bob", new() { Exact = false })).ToHaveCountAsync(0);
        await LayoutAssertions.InViewportAsync(member, member.GetByTestId("usage-export"), "Export CSV");
        await LayoutAssertions.NoHorizontalScrollAsync(member, "The usage page");
        await LayoutAssertions.ScreenshotAsync(member, $"usage-member-{width}x{height}");

        await page.GotoAsync(new Uri(app.RootUri, "/usage/team").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(page.GetByTestId("usage-row")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("usage-spent")).ToHaveTextAsync("$0.39");
        await Expect(page.GetByTestId("usage-limit")).ToHaveTextAsync("$20.00");
        await LayoutAssertions.NoHorizontalScrollAsync(page, "The team's usage page");
        await LayoutAssertions.ScreenshotAsync(page, $"usage-team-{width}x{height}");
    }
}
