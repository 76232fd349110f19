using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>One headless Chromium per test class; each test opens its own context.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <summary>Failure guards only (every wait is on a condition); generous because the test machine is shared.</summary>
    public const float GuardMs = 60_000;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(GuardMs);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    /// <summary>
    /// A fresh context at a desktop size, with Playwright's own waits as failure guards. Dispose it before the
    /// app it shows stops (declare it after the app), or its page keeps trying to reconnect its circuit.
    /// </summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1400, Height = 1000 },
            ColorScheme = ColorScheme.Dark,
        });
        context.SetDefaultTimeout(GuardMs);
        return context;
    }

    /// <summary>The sizes the layout tests look at: a laptop, and a phone (touch, mobile viewport).</summary>
    public static readonly (int Width, int Height) Desktop = (1440, 900), Phone = (390, 844);

    /// <summary>A fresh context of this viewport size; narrower than 600 px it is a phone (touch, mobile viewport rules).</summary>
    public async Task<IBrowserContext> NewContextAsync((int Width, int Height) size)
    {
        var phone = size.Width < 600;
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = size.Width, Height = size.Height },
            ColorScheme = ColorScheme.Dark,
            IsMobile = phone,
            HasTouch = phone,
            DeviceScaleFactor = 1,
        });
        context.SetDefaultTimeout(GuardMs);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        _playwright?.Dispose();
    }
}
