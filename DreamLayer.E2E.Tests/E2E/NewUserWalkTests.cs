using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static DreamLayer.Web.Tests.E2E.LayoutAssertions;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// What the "done when" asks of a new user at 1440×900 and on a 390×844 phone, kept as regressions: a
/// gallery of a thousand images is a grid that scrolls to its last image. (Generating, watching, opening the result
/// and painting a mask at both sizes are <see cref="WorkspaceLayoutTests"/>.)
/// </summary>
public sealed class NewUserWalkTests(BrowserFixture browser, SharedApp shared) : IClassFixture<BrowserFixture>, IClassFixture<SharedApp>
{
    private const int Images = 1000;
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static readonly DateTime First = new(2025, 1, 1, 9, 0, 0, DateTimeKind.Utc);

    private DreamLayerApp App => shared.App;

    /// <summary>A thousand images by Bob, a minute apart, put straight into the app's database and image store (once per app).</summary>
    private async Task SeedThousandAsync()
    {
        await Seeding.WaitAsync();
        try
        {
            await using (var db = App.CreateDbContext())
            {
                if (await db.Images.CountAsync() >= Images)
                {
                    return;
                }
            }
            var bob = new SignedInUser(App.Bob.Id, App.Bob.UserName, App.Bob.DisplayName, IsAdmin: false);
            await GalleryDatabase.AddImagesAsync(App.Get<IDbContextFactory<DreamLayerDbContext>>(), App.Get<ImageStore>(), bob,
                Enumerable.Range(1, Images).Select(i => ($"gallery picture number {i}", First.AddMinutes(i))));
        }
        finally
        {
            Seeding.Release();
        }
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Gallery_OfAThousandImages_IsAGridThatScrollsToItsOldestImage(int width, int height)
    {
        await SeedThousandAsync();
        await using var context = await browser.NewContextAsync((width, height));
        var gallery = new GalleryPageObject(await context.NewPageAsync(), App.RootUri);
        await gallery.SignInAsync(App.Alice);
        await gallery.OpenAsync();
        await Expect(gallery.Count).ToHaveTextAsync("1,000 images");
        await Expect(gallery.Thumb($"gallery picture number {Images}")).ToBeVisibleAsync();
        await NoHorizontalScrollAsync(gallery.Page, $"the gallery at {width}×{height}");
        await ScreenshotAsync(gallery.Page, $"gallery-1000-{width}x{height}-top");

        // The first rows: several cells side by side, none over another, each with its own checkbox in reach.
        var boxes = await gallery.Items.EvaluateAllAsync<Box[]>("cells => cells.slice(0, 12).map(c => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })");
        var firstRow = boxes.Where(b => Math.Abs(b.Y - boxes[0].Y) < 1).ToList();
        Assert.True(firstRow.Count >= (width < 600 ? 2 : 5), $"the first row should hold several images at {width}×{height}, it holds {firstRow.Count}");
        foreach (var (a, i) in boxes.Select((b, i) => (b, i)))
        {
            foreach (var b in boxes.Skip(i + 1))
            {
                Assert.False(a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height, "two gallery cells overlap");
            }
            Assert.True(a.X >= 0 && a.X + a.Width <= width, "a gallery cell sticks out of the window");
        }
        await gallery.Items.Nth(1).GetByRole(AriaRole.Checkbox).CheckAsync();
        await Expect(gallery.SelectionBar).ToBeVisibleAsync();
        await gallery.Items.Nth(1).GetByRole(AriaRole.Checkbox).UncheckAsync();

        // Scrolling down a screen at a time reaches the oldest image; the rows load as they come into view.
        var oldest = gallery.Thumb("gallery picture number 1");
        await gallery.Page.Mouse.MoveAsync(width / 2f, height * 0.75f);
        for (var screens = 0; screens < 400 && await oldest.CountAsync() == 0; screens++)
        {
            var at = await gallery.Page.EvaluateAsync<double[]>("() => [window.scrollY, document.documentElement.scrollHeight]");
            await gallery.Page.Mouse.WheelAsync(0, height * 2);
            // Moved, or (at the bottom) the grid grew by the next rows, or the end is in.
            await gallery.Page.WaitForFunctionAsync(
                "([y, h]) => window.scrollY !== y || document.documentElement.scrollHeight !== h || document.querySelector('[aria-label=\"Open image: gallery picture number 1\"]')",
                at);
        }
        await oldest.ScrollIntoViewIfNeededAsync();
        await Expect(oldest).ToBeVisibleAsync();
        await NoHorizontalScrollAsync(gallery.Page, $"the gallery scrolled to its end at {width}×{height}");
        await ScreenshotAsync(gallery.Page, $"gallery-1000-{width}x{height}-end");
    }

    /// <summary>A cell's box on the screen.</summary>
    private sealed class Box
    {
        public double X { get; set; }
        public double Y { get; set; }
        public double Width { get; set; }
        public double Height { get; set; }
    }
}
