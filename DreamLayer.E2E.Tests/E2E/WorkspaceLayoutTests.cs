using System.Text.RegularExpressions;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.E2E.LayoutAssertions;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The generation pages as a person sees them at 1440×900 and on a 390×844 phone: Generate and the current job are in
/// view without scrolling, the page never scrolls sideways, and what is painted lands where the picture is.
/// Screenshots of each page at both sizes are kept under TestResults/screenshots.
/// </summary>
public sealed partial class WorkspaceLayoutTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    public static TheoryData<string, int, int> PagesAndSizes()
    {
        var data = new TheoryData<string, int, int>();
        foreach (var path in new[] { "/", "/img2img", "/inpaint" })
        {
            data.Add(path, BrowserFixture.Desktop.Width, BrowserFixture.Desktop.Height);
            data.Add(path, BrowserFixture.Phone.Width, BrowserFixture.Phone.Height);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PagesAndSizes))]
    public async Task Generate_AtThisSize_GenerateAndTheResultStayInViewWithoutScrolling(string path, int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync((width, height));
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, path);
        await page.SignInAsync(app.Alice);
        await page.OpenAsyncAnyMode();
        var name = $"{(path == "/" ? "txt2img" : path.TrimStart('/'))}-{width}x{height}";

        await InViewportAsync(page.Page, page.Generate, "Generate");
        await NoHorizontalScrollAsync(page.Page, $"{path} at {width}×{height}");
        await ScreenshotAsync(page.Page, $"{name}-open");

        await page.FillAsync("Prompt", "a lighthouse on a cliff at dusk");
        if (path != "/")
        {
            await page.ChooseAsync("photo.png", TestImages.Png(640, 480));
            await Expect(page.SourceInfo).ToContainTextAsync("640×480");
            if (path == "/inpaint")
            {
                await page.PaintAsync((0.4f, 0.5f), (0.6f, 0.5f));
            }
            await InViewportAsync(page.Page, page.Generate, "Generate with a source image chosen");
            await NoHorizontalScrollAsync(page.Page, $"{path} at {width}×{height} with a source image");
        }
        await page.Generate.ClickAsync();

        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToHaveJSPropertyAsync("complete", true);
        await InViewportAsync(page.Page, card.ResultImage, "The finished image");
        await InViewportAsync(page.Page, page.Generate, "Generate after the job");
        await NoHorizontalScrollAsync(page.Page, $"{path} at {width}×{height} with a result");
        await ScreenshotAsync(page.Page, $"{name}-result");

        await card.ResultImage.ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.FullImage).ToBeVisibleAsync();
        await NoHorizontalScrollAsync(page.Page, $"the image dialog at {width}×{height}");
        await ScreenshotAsync(page.Page, $"{name}-dialog");
    }

    [Theory]
    [InlineData("/", 1440, 900)]
    [InlineData("/inpaint", 390, 844)]
    public async Task CtrlEnter_InThePrompt_QueuesAJob(string path, int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync((width, height));
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, path);
        await page.SignInAsync(app.Alice);
        await page.OpenAsyncAnyMode();
        if (path == "/inpaint")
        {
            await page.ChooseAsync("wall.png", TestImages.Png(128, 96));
            await page.PaintAsync((0.3f, 0.5f), (0.7f, 0.5f));
        }

        await page.Prompt.FillAsync("a fox typed and sent from the keyboard");
        await page.Prompt.PressAsync("Control+Enter");

        await Expect(page.JobCards).ToHaveCountAsync(1);
        await Expect(page.NewestCard.Root.GetByTestId("job-summary")).ToHaveTextAsync("a fox typed and sent from the keyboard");
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        // A newline was not typed into the prompt.
        await Expect(page.Prompt).ToHaveValueAsync("a fox typed and sent from the keyboard");
    }

    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task Inpaint_MaskCanvas_LiesExactlyOverThePictureAndItsCentreReachesTheServer(int width, int height)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync((width, height));
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/inpaint");
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a round window");
        // Larger than the pane at either size: the painter must scale it down to fit.
        await page.ChooseAsync("wall.png", TestImages.Png(1600, 1200));
        await Expect(page.MaskCanvas).ToHaveAttributeAsync("data-ready", "true");

        var picture = page.Page.GetByTestId("inpaint-image");
        await Expect(picture).ToHaveJSPropertyAsync("complete", true);
        var pictureBox = (await picture.BoundingBoxAsync())!;
        var canvasBox = (await page.MaskCanvas.BoundingBoxAsync())!;
        Assert.Equal((pictureBox.X, pictureBox.Y, pictureBox.Width, pictureBox.Height), (canvasBox.X, canvasBox.Y, canvasBox.Width, canvasBox.Height));
        Assert.True(pictureBox.Width <= width && pictureBox.Height <= height, $"the picture ({pictureBox.Width:0}×{pictureBox.Height:0}) should be scaled to fit the {width}×{height} window");
        Assert.Equal(4.0 / 3.0, pictureBox.Width / pictureBox.Height, 2);
        await NoHorizontalScrollAsync(page.Page, $"/inpaint at {width}×{height} with a large picture");

        // One dab of the brush at the centre of the picture as it is shown (on a phone, scrolled to it first).
        await picture.ScrollIntoViewIfNeededAsync();
        pictureBox = (await picture.BoundingBoxAsync())!;
        await page.Page.Mouse.ClickAsync(pictureBox.X + pictureBox.Width / 2, pictureBox.Y + pictureBox.Height / 2);
        await page.Generate.ClickAsync();
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });

        var graph = await ReceivedGraph.OnlyAsync(app);
        var loaded = ReceivedGraph.NodeOfClass(graph, "LoadImage").GetProperty("image").GetString()!;
        using var sent = await InputFileAsync(app, loaded);
        // Sent at the generation size the picture was fitted to, same proportions.
        Assert.Equal(4.0 / 3.0, sent.Width / (double)sent.Height, 2);
        Assert.Equal(0, sent[sent.Width / 2, sent.Height / 2].A);  // the centre was painted: ComfyUI's mask is 1 there
        Assert.Equal(255, sent[sent.Width / 16, sent.Height / 16].A); // the corners were not
        Assert.Equal(255, sent[sent.Width * 15 / 16, sent.Height * 15 / 16].A);
    }

    [Fact]
    public async Task Inpaint_ZoomedIn_CanvasStaysOverThePictureAndAFingerPaintsWhereItTouches()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Phone);
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/inpaint");
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a small bird");
        await page.ChooseAsync("wall.png", TestImages.Png(400, 300));
        await Expect(page.MaskCanvas).ToHaveAttributeAsync("data-ready", "true");
        var picture = page.Page.GetByTestId("inpaint-image");
        var fitted = (await picture.BoundingBoxAsync())!;

        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Zoom in" }).ClickAsync();
        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Zoom in" }).ClickAsync();
        await Expect(page.Page.Locator(".dl-mask-stage[data-zoom]")).ToHaveAttributeAsync("data-zoom", "1.5625");
        var zoomed = (await picture.BoundingBoxAsync())!;
        var canvas = (await page.MaskCanvas.BoundingBoxAsync())!;
        Assert.Equal(fitted.Width * 1.5625, zoomed.Width, 0);
        Assert.Equal((zoomed.X, zoomed.Y, zoomed.Width, zoomed.Height), (canvas.X, canvas.Y, canvas.Width, canvas.Height));
        await NoHorizontalScrollAsync(page.Page, "/inpaint zoomed in on a phone");

        // A finger (touch pointer events) paints at the top left quarter of the picture as shown, wherever zoom put it.
        await page.MaskCanvas.ScrollIntoViewIfNeededAsync();
        canvas = (await page.MaskCanvas.BoundingBoxAsync())!;
        var (x, y) = (canvas.X + canvas.Width * 0.25, canvas.Y + canvas.Height * 0.25);
        await page.MaskCanvas.EvaluateAsync(
            @"(c, p) => {
                const o = { pointerId: 7, pointerType: 'touch', isPrimary: true, button: 0, buttons: 1, bubbles: true, cancelable: true, clientX: p.x, clientY: p.y };
                c.dispatchEvent(new PointerEvent('pointerdown', o));
                c.dispatchEvent(new PointerEvent('pointermove', { ...o, clientX: p.x + 4 }));
                c.dispatchEvent(new PointerEvent('pointerup', { ...o, buttons: 0 }));
            }", new { x, y });
        await page.Generate.ClickAsync();
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });

        var graph = await ReceivedGraph.OnlyAsync(app);
        using var sent = await InputFileAsync(app, ReceivedGraph.NodeOfClass(graph, "LoadImage").GetProperty("image").GetString()!);
        Assert.Equal(0, sent[sent.Width / 4, sent.Height / 4].A);   // where the finger was
        Assert.Equal(255, sent[sent.Width * 3 / 4, sent.Height * 3 / 4].A); // the opposite quarter
    }

    [Fact]
    public async Task Img2Img_ImageDroppedOnThePageOrPasted_IsCheckedLikeAChosenFile()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/img2img");
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a boat at sea");

        // Dropped on the results pane, far from the picker.
        await DropAsync(page.Page.GetByTestId("results-pane"), "boat.png", "image/png", TestImages.Png(96, 64));
        await Expect(page.SourceInfo).ToContainTextAsync("boat.png · 96×64");

        // Pasted: a file that is not a picture is refused with the picker's own words, and the source stays.
        await PasteAsync(page.Page, "notes.png", "image/png", System.Text.Encoding.UTF8.GetBytes("not a picture"));
        await Expect(page.SourceError).ToContainTextAsync("not an image");
        await Expect(page.SourceInfo).ToContainTextAsync("boat.png · 96×64");

        await PasteAsync(page.Page, "clipboard.png", "image/png", TestImages.Png(120, 80));
        await Expect(page.SourceInfo).ToContainTextAsync("120×80");
        await Expect(page.SourceError).ToHaveCountAsync(0);
        await Expect(page.Prompt).ToHaveValueAsync("a boat at sea");
    }

    private static async Task DropAsync(ILocator target, string name, string type, byte[] bytes) =>
        await target.EvaluateAsync(
            @"(el, f) => {
                const t = new DataTransfer();
                t.items.add(new File([Uint8Array.from(atob(f.data), c => c.charCodeAt(0))], f.name, { type: f.type }));
                for (const kind of ['dragenter', 'dragover', 'drop']) {
                    el.dispatchEvent(new DragEvent(kind, { dataTransfer: t, bubbles: true, cancelable: true }));
                }
            }", new { name, type, data = Convert.ToBase64String(bytes) });

    private static async Task PasteAsync(IPage page, string name, string type, byte[] bytes) =>
        await page.EvaluateAsync(
            @"f => {
                const t = new DataTransfer();
                t.items.add(new File([Uint8Array.from(atob(f.data), c => c.charCodeAt(0))], f.name, { type: f.type }));
                document.body.dispatchEvent(new ClipboardEvent('paste', { clipboardData: t, bubbles: true, cancelable: true }));
            }", new { name, type, data = Convert.ToBase64String(bytes) });

    [Fact]
    public async Task Batch_ResultsOfTheCurrentJob_StandSideBySideInAGrid()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "three boats");
        await page.FillAsync("Batch size", "3");
        await page.Generate.ClickAsync();
        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToHaveCountAsync(3);
        // A batch is a grid: three images side by side in one row, none over another.
        var boxes = new List<LocatorBoundingBoxResult>();
        for (var i = 0; i < 3; i++)
        {
            boxes.Add((await card.ResultImage.Nth(i).BoundingBoxAsync())!);
        }
        Assert.All(boxes, b => Assert.Equal(boxes[0].Y, b.Y, 1));
        Assert.True(boxes[0].X + boxes[0].Width <= boxes[1].X && boxes[1].X + boxes[1].Width <= boxes[2].X, "the batch's images should stand side by side without overlapping");

        await InViewportAsync(page.Page, card.ResultImage.Nth(2), "The last image of the batch");

        // The image dialog walks through the batch with the arrow keys and its buttons.
        await card.ResultImage.Nth(0).ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        var position = dialog.Root.GetByTestId("image-position");
        await Expect(position).ToHaveTextAsync("1 of 3");
        await Expect(position).ToHaveAttributeAsync("data-keys", "ready"); // the arrow keys are listened to from here on
        var first = await dialog.FullImage.GetAttributeAsync("src");

        await page.Page.Keyboard.PressAsync("ArrowRight");
        await Expect(position).ToHaveTextAsync("2 of 3");
        await Expect(dialog.FullImage).Not.ToHaveAttributeAsync("src", first!);
        await page.Page.Keyboard.PressAsync("ArrowRight");
        await Expect(position).ToHaveTextAsync("3 of 3");
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Next image" })).ToBeDisabledAsync();
        await page.Page.Keyboard.PressAsync("ArrowLeft");
        await Expect(position).ToHaveTextAsync("2 of 3");
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Previous image" }).ClickAsync();
        await Expect(position).ToHaveTextAsync("1 of 3");
        await Expect(dialog.FullImage).ToHaveAttributeAsync("src", first!);
    }

    [Fact]
    public async Task TabTitle_WhileAJobRuns_ShowsItsStepThenThePageName()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(150));
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await Expect(page.Page).ToHaveTitleAsync("Txt2Img · DreamLayer");

        await page.FillAsync("Prompt", "a slow sunrise");
        await page.FillAsync("Steps", "20");
        await page.Generate.ClickAsync();

        await Expect(page.Page).ToHaveTitleAsync(RunningTitle());
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Page).ToHaveTitleAsync("Txt2Img · DreamLayer");
    }

    [GeneratedRegex(@"^\[([1-9]|1[0-9])/20\] Txt2Img · DreamLayer$")]
    private static partial Regex RunningTitle();

    /// <summary>A file in the stand-in's input folder, fetched the way ComfyUI serves it.</summary>
    private static async Task<Image<Rgba32>> InputFileAsync(DreamLayerApp app, string graphValue)
    {
        var slash = graphValue.LastIndexOf('/');
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var bytes = await http.GetByteArrayAsync(
            $"/view?type=input&subfolder={Uri.EscapeDataString(graphValue[..slash])}&filename={Uri.EscapeDataString(graphValue[(slash + 1)..])}");
        return Image.Load<Rgba32>(bytes);
    }
}
