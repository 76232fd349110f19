using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>Where things are on the screen: boxes inside the viewport, the page no wider than it, and screenshots kept as test artifacts.</summary>
public static class LayoutAssertions
{
    /// <summary>The folder the layout tests keep their screenshots in: TestResults/screenshots in the test project.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(TestPaths.RepoRoot, "DreamLayer.Web.Tests", "TestResults", "screenshots");

    /// <summary>Asserts the element's whole box is inside the viewport as the page stands now (no scrolling done).</summary>
    public static async Task InViewportAsync(IPage page, ILocator element, string what)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(element);
        await Assertions.Expect(element).ToBeVisibleAsync();
        var box = await element.BoundingBoxAsync() ?? throw new InvalidOperationException($"{what} has no box.");
        var viewport = page.ViewportSize!;
        Assert.True(box.X >= -0.5 && box.Y >= -0.5 && box.X + box.Width <= viewport.Width + 0.5 && box.Y + box.Height <= viewport.Height + 0.5,
            $"{what} should be inside the {viewport.Width}×{viewport.Height} viewport without scrolling, but its box is " +
            $"x {box.X:0}–{box.X + box.Width:0}, y {box.Y:0}–{box.Y + box.Height:0}.");
    }

    /// <summary>Asserts the page cannot scroll sideways: nothing is wider than the viewport.</summary>
    public static async Task NoHorizontalScrollAsync(IPage page, string what)
    {
        ArgumentNullException.ThrowIfNull(page);
        var widths = await page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        var (scroll, client) = (widths[0], widths[1]);
        Assert.True(scroll <= client, $"{what} is {scroll} px wide in a {client} px viewport: it scrolls sideways.");
    }

    /// <summary>Keeps a screenshot of the viewport (what a person sees without scrolling) under <see cref="ScreenshotFolder"/>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        ArgumentNullException.ThrowIfNull(page);
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotFolder, $"{name}.png") });
    }
}
