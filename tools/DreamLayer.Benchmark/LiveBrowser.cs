using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace DreamLayer.Benchmark;

/// <summary>A preview frame a page painted: the job's card, the frame's number (drawn in its corner by the stand-in), when.</summary>
internal sealed record PaintedFrame(Guid JobId, int Frame, double LoadedAtMs, double PaintedAtMs);

/// <summary>What a tab shows: the person's own Txt2Img page, the gallery or the Queue page.</summary>
internal enum TabKind
{
    Txt2Img,
    Gallery,
    Queue,
}

/// <summary>
/// Headless Chromium (Debian's, <c>/usr/bin/chromium</c>) with one signed-in person and any number of tabs. An init
/// script in every page records each preview frame it paints: it watches every <c>img[data-testid=preview]</c> (added
/// or with a new <c>src</c>, whether a <c>data:</c> URL or a <c>/previews/…</c> URL), and at its <c>load</c> event reads
/// the frame's number from its corner and the wall-clock time of the next animation frame (the one that paints it).
/// </summary>
internal sealed class LiveBrowser : IAsyncDisposable
{
    private const float GuardMs = 120_000;

    /// <summary>Runs in every page before its own scripts; keeps what it saw in <c>window.__dlPaints</c>.</summary>
    private const string PaintWatcher = """
        (() => {
          if (window.__dlPaints) return;
          const paints = [];
          window.__dlPaints = paints;
          let ctx = null;
          const frameNumber = img => {
            const w = img.naturalWidth, h = img.naturalHeight;
            if (!w || !h) return -1;
            if (!ctx) {
              const canvas = document.createElement('canvas');
              canvas.width = 128; canvas.height = 16;
              ctx = canvas.getContext('2d', { willReadFrequently: true });
            }
            ctx.drawImage(img, 0, 0, 128 * w / 512, 16 * h / 512, 0, 0, 128, 16);
            const d = ctx.getImageData(0, 0, 128, 16).data;
            let n = 0;
            for (let bit = 0; bit < 8; bit++) if (d[(8 * 128 + bit * 16 + 8) * 4 + 1] > 127) n |= 1 << bit;
            return n;
          };
          const jobOf = img => {
            const card = img.closest('[data-job-id]');
            if (card) return card.getAttribute('data-job-id');
            const m = /\/previews\/([0-9a-fA-F-]{36})/.exec(img.getAttribute('src') || '');
            return m ? m[1] : null;
          };
          const watch = img => {
            if (img.__dlWatched) return;
            img.__dlWatched = true;
            img.addEventListener('load', () => {
              const loadedAt = performance.timeOrigin + performance.now();
              const job = jobOf(img), frame = frameNumber(img);
              requestAnimationFrame(() => paints.push([job, frame, loadedAt, performance.timeOrigin + performance.now()]));
            });
          };
          const scan = node => {
            if (node.nodeType !== 1) return;
            if (node.matches('img[data-testid=preview]')) watch(node);
            node.querySelectorAll('img[data-testid=preview]').forEach(watch);
          };
          new MutationObserver(records => { for (const r of records) r.addedNodes.forEach(scan); })
            .observe(document, { childList: true, subtree: true });
        })();
        """;

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;
    private readonly Uri _root;
    private readonly List<(IPage Page, TabKind Kind)> _tabs = [];

    private LiveBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, Uri root)
    {
        _playwright = playwright;
        _browser = browser;
        _context = context;
        _root = root;
    }

    public int TabCount => _tabs.Count;

    /// <summary>The first tab: the person's Txt2Img page, from which every job is submitted.</summary>
    public IPage Submitter => _tabs[0].Page;

    public static async Task<LiveBrowser> StartAsync(Uri root, string userName, string password)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(GuardMs);
        await context.AddInitScriptAsync(PaintWatcher);
        var live = new LiveBrowser(playwright, browser, context, root);
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(root, "/account/sign-in?returnUrl=%2F").ToString());
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync(userName);
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await page.WaitForURLAsync(url => !new Uri(url).AbsolutePath.StartsWith("/account/sign-in", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
        await WaitInteractiveAsync(page);
        live._tabs.Add((page, TabKind.Txt2Img));
        return live;
    }

    /// <summary>The kind of the <paramref name="i"/>-th tab: the person's Txt2Img page, the gallery and the Queue page in turn.</summary>
    public static TabKind KindOf(int i) => (TabKind)(i % 3);

    /// <summary>Opens or closes tabs (the newest first) until <paramref name="count"/> are open, each live.</summary>
    public async Task SetTabsAsync(int count)
    {
        while (_tabs.Count > count)
        {
            var (page, _) = _tabs[^1];
            _tabs.RemoveAt(_tabs.Count - 1);
            await page.CloseAsync(new() { RunBeforeUnload = false });
        }
        while (_tabs.Count < count)
        {
            var kind = KindOf(_tabs.Count);
            var page = await _context.NewPageAsync();
            await page.GotoAsync(new Uri(_root, kind switch { TabKind.Gallery => "/gallery", TabKind.Queue => "/queue", _ => "/" }).ToString());
            await WaitInteractiveAsync(page);
            _tabs.Add((page, kind));
        }
    }

    private static async Task WaitInteractiveAsync(IPage page) =>
        await page.Locator("[data-interactive]").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = GuardMs });

    /// <summary>Sets a field of the submitter's form as a person does (type, then leave it).</summary>
    public async Task FillAsync(string label, string value)
    {
        var field = Submitter.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    public async Task GenerateAsync() =>
        await Submitter.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true }).ClickAsync();

    /// <summary>
    /// The most a tab's clock (<c>performance.timeOrigin + now()</c>) was off the system's wall clock (<c>Date.now()</c>), in
    /// ms, at the last <see cref="TakePaintsAsync"/>: a check that the two sides of a latency are read on one clock.
    /// </summary>
    public double ClockSkewMs { get; private set; }

    /// <summary>Takes (and forgets) what every Txt2Img tab painted so far.</summary>
    public async Task<List<PaintedFrame>> TakePaintsAsync()
    {
        var all = new List<PaintedFrame>();
        ClockSkewMs = 0;
        foreach (var (page, kind) in _tabs.Where(t => t.Kind == TabKind.Txt2Img))
        {
            var skew = await page.EvaluateAsync<double>("() => Date.now() - (performance.timeOrigin + performance.now())");
            ClockSkewMs = Math.Max(ClockSkewMs, Math.Abs(skew));
            var json = await page.EvaluateAsync<JsonElement>("() => window.__dlPaints.splice(0)");
            var seen = new HashSet<(Guid, int)>();
            foreach (var p in json.EnumerateArray())
            {
                if (p[0].ValueKind != JsonValueKind.String || !Guid.TryParse(p[0].GetString(), CultureInfo.InvariantCulture, out var job))
                {
                    continue;
                }
                var frame = p[1].GetInt32();
                // A frame painted again (its card drawn anew with the same picture) is not a new frame.
                if (seen.Add((job, frame)))
                {
                    all.Add(new PaintedFrame(job, frame, p[2].GetDouble(), p[3].GetDouble()));
                }
            }
        }
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
