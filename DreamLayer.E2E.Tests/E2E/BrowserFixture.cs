using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The headless Chromium of the whole test run: the first test class to start launches it, every class shares it
/// (classes still run in parallel), and it closes when the test process ends. Each test opens its own context, so
/// nothing but the browser process is shared.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly Lazy<Task<IBrowser>> Shared = new(LaunchAsync);

    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser is not started.");

    /// <summary>Failure guards only (every wait is on a condition); generous because the test machine is shared.</summary>
    public const float GuardMs = 60_000;

    public async Task InitializeAsync() => _browser = await Shared.Value;

    private static async Task<IBrowser> LaunchAsync()
    {
        Assertions.SetDefaultExpectTimeout(GuardMs);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                browser.CloseAsync().GetAwaiter().GetResult();
            }
            catch (PlaywrightException)
            {
                // The driver already went with the test host; it closes the browsers it launched.
            }
            playwright.Dispose();
        };
        return browser;
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

    /// <summary>The shared browser outlives each class; it closes when the test process ends.</summary>
    public Task DisposeAsync() => Task.CompletedTask;
}
