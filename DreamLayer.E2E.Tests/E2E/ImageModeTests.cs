using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.E2E.ReceivedGraph;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person works from an uploaded image on the Img2Img and Inpaint pages, end to end against the stand-in.</summary>
public sealed class ImageModeTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>A file in the stand-in's input folder, fetched the way ComfyUI serves it.</summary>
    private static async Task<Image<Rgba32>> InputFileAsync(DreamLayerApp app, string graphValue)
    {
        var slash = graphValue.LastIndexOf('/');
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var bytes = await http.GetByteArrayAsync(
            $"/view?type=input&subfolder={Uri.EscapeDataString(graphValue[..slash])}&filename={Uri.EscapeDataString(graphValue[(slash + 1)..])}");
        return Image.Load<Rgba32>(bytes);
    }

    [Fact]
    public async Task Img2Img_UploadAnImage_SendsItWithTheDenoiseAndShowsTheResult()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/img2img");
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a boat at sea");

        await page.ChooseAsync("notes.png", Encoding.UTF8.GetBytes("not a picture"));
        await Expect(page.SourceError).ToContainTextAsync("not an image");
        await Expect(page.Prompt).ToHaveValueAsync("a boat at sea");

        await page.ChooseAsync("photo.png", TestImages.Png(96, 64));
        await Expect(page.SourceInfo).ToContainTextAsync("96×64");
        await Expect(page.SourceError).ToHaveCountAsync(0);
        await Expect(page.Page.GetByTestId("source-image")).ToBeVisibleAsync();
        await page.FillAsync("Denoise", "0.4");
        await page.Generate.ClickAsync();

        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToBeVisibleAsync();
        var jobId = await card.Root.GetAttributeAsync("data-job-id");
        await card.ResultImage.ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.FullImage).ToHaveJSPropertyAsync("naturalWidth", 96);

        var graph = await ReceivedGraph.OnlyAsync(app);
        Assert.Equal(0.4, NodeOfClass(graph, "KSampler").GetProperty("denoise").GetDouble());
        var source = NodeOfClass(graph, "LoadImage").GetProperty("image").GetString()!;
        Assert.StartsWith($"dreamlayer/{Guid.Parse(jobId!):N}/", source, StringComparison.Ordinal);
        using var sent = await InputFileAsync(app, source);
        Assert.Equal((96, 64), (sent.Width, sent.Height));
        Assert.Equal(TestImages.Colour, sent[10, 10]);
    }

    [Fact]
    public async Task Inpaint_MaskPaintedWithTheMouse_ReachesTheServerAsTheTransparentArea()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/inpaint");
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a red door");
        await page.ChooseAsync("wall.png", TestImages.Png(128, 96));
        await Expect(page.SourceInfo).ToContainTextAsync("128×96");

        // Nothing painted yet: a clear message, and the form keeps what was typed.
        await Expect(page.MaskCanvas).ToHaveAttributeAsync("data-ready", "true");
        await page.Generate.ClickAsync();
        await Expect(page.MaskError).ToHaveTextAsync("Paint over the part of the image to change.");
        await Expect(page.Prompt).ToHaveValueAsync("a red door");
        await Expect(page.JobCards).ToHaveCountAsync(0);

        await page.PaintAsync((0.3f, 0.5f), (0.7f, 0.5f));
        await page.Generate.ClickAsync();

        var card = page.NewestCard;
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(card.ResultImage).ToBeVisibleAsync();
        await card.ResultImage.ClickAsync();
        await Expect(new ImageDialogObject(page.Page).FullImage).ToHaveJSPropertyAsync("naturalWidth", 128);

        var graph = await ReceivedGraph.OnlyAsync(app);
        var loaded = NodeOfClass(graph, "LoadImage").GetProperty("image").GetString()!;
        Assert.EndsWith("-mask.png", loaded, StringComparison.Ordinal);
        var noiseMask = NodeOfClass(graph, "SetLatentNoiseMask");
        Assert.Equal(JsonValueKind.Array, noiseMask.GetProperty("mask").ValueKind);
        using var sent = await InputFileAsync(app, loaded);
        Assert.Equal((128, 96), (sent.Width, sent.Height));
        Assert.Equal(0, sent[64, 48].A);    // under the stroke: transparent, so ComfyUI's mask is 1 there
        Assert.Equal(255, sent[5, 5].A);    // far from it: kept
        Assert.Equal(TestImages.Colour, sent[5, 5]);
    }
}
