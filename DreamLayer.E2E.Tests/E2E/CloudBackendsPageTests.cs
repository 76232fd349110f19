using DreamLayer.Web.Cloud;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The cloud providers on the Backends page: which take jobs (those with a key), how many at once (an admin changes
/// it), how many run now, and the last error with its time, which appears while the page is open.
/// </summary>
public sealed class CloudBackendsPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task AdminSeesEachProvider_SetsItsJobsAtOnce_AndSeesItsLastErrorArrive(int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, "bfl-backends-page-key-0123", default));
        await using var context = await browser.NewContextAsync((width, height));
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Admin, "/backends");
        await page.GotoAsync(new Uri(app.RootUri, "/backends").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();

        var flux = page.Locator("[data-testid=cloud-backend-row][data-provider=Bfl]");
        var openAi = page.Locator("[data-testid=cloud-backend-row][data-provider=OpenAi]");
        await Expect(flux.GetByTestId("cloud-backend-state")).ToHaveTextAsync("Takes jobs");
        await Expect(openAi.GetByTestId("cloud-backend-state")).ToHaveTextAsync("No key: takes no jobs");
        await Expect(flux.GetByTestId("cloud-backend-in-flight")).ToHaveTextAsync("0 / 2");

        await WorkflowsPageObject.FillAsync(page.Locator("#cloud-cap-Bfl"), "3");
        await flux.GetByTestId("cloud-cap-save").EvaluateAsync("e => e.scrollIntoView({ block: 'center' })");
        await LayoutAssertions.InViewportAsync(page, flux.GetByTestId("cloud-cap-save"), "The FLUX row's Save");
        await flux.GetByTestId("cloud-cap-save").ClickAsync();
        await Expect(flux.GetByTestId("cloud-backend-in-flight")).ToHaveTextAsync("0 / 3");
        Assert.Equal(3, (await app.Get<CloudBackends>().CapsAsync(default))[CloudProviderId.Bfl]);

        // An error recorded while the page is open shows without a reload.
        app.Get<CloudBackends>().RecordError(CloudProviderId.Bfl, "BFL refused the API key (it is wrong or revoked).");
        await Expect(flux.GetByTestId("cloud-backend-error")).ToContainTextAsync("BFL refused the API key");
        await Expect(openAi.GetByTestId("cloud-backend-error")).ToHaveTextAsync("None");

        await LayoutAssertions.NoHorizontalScrollAsync(page, "The Backends page");
        await flux.ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.ScreenshotAsync(page, $"backends-cloud-{width}x{height}");
    }
}
