using System.Text.Json.Nodes;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Comfy;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>"Reuse parameters" on an image opens the page of its mode filled with everything the job had, and Generate makes the same graph.</summary>
public sealed class ReuseParametersTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Lora = "detail/add_detail.safetensors";
    private const string ControlNetModel = "controlnet-depth-sdxl-1.0.safetensors";

    private static async Task<UploadAccepted> StoreAsync(DreamLayerApp app, byte[] png)
    {
        using var stream = new MemoryStream(png);
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(stream, "picture.png", default));
    }

    private static byte[] Png(int width, int height, Rgba32 colour)
    {
        using var image = new Image<Rgba32>(width, height, colour);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    private static async Task<Guid> RunAsync(DreamLayerApp app, GenerationRequest request, string owner)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, owner, default));
        var jobId = Assert.Single(accepted.JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");
        events.TryGet(jobId, out var done);
        Assert.True(done!.Status == JobStatus.Succeeded, done.Message);
        return jobId;
    }

    /// <summary>The graph a job sent, with its own id (the uploads' folder on the server) replaced, so two jobs' graphs compare.</summary>
    private static async Task<JsonNode> GraphAsync(DreamLayerApp app, Guid jobId)
    {
        await using var db = app.CreateDbContext();
        var json = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.GraphJson).SingleAsync();
        return JsonNode.Parse(json!.Replace(jobId.ToString("N"), "JOB", StringComparison.Ordinal))!;
    }

    /// <summary>A 96×64 img2img or inpaint job on <paramref name="source"/> with a fixed seed and 3 steps.</summary>
    private static GenerationRequest Request(GenerationMode mode, string prompt, ulong seed, UploadAccepted source, double denoise) => new()
    {
        Mode = mode,
        Prompt = prompt,
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = 3,
        Width = 96,
        Height = 64,
        SeedMode = SeedMode.Fixed,
        Seed = seed,
        SourceImage = source.Id,
        SourceWidth = source.Width,
        SourceHeight = source.Height,
        Denoise = denoise,
    };

    /// <summary>Signs in as Alice, opens her image in the gallery and presses Reuse parameters; returns the page it opened.</summary>
    private async Task<(IBrowserContext Context, ImageModePageObject Page)> ReuseAsync(DreamLayerApp app, string prompt, string path)
    {
        var context = await browser.NewContextAsync();
        var gallery = new GalleryPageObject(await context.NewPageAsync(), app.RootUri);
        await gallery.SignInAsync(app.Alice);
        await gallery.OpenAsync();
        await gallery.Thumb(prompt).ClickAsync();
        await new ImageDialogObject(gallery.Page).Root.GetByRole(AriaRole.Button, new() { Name = "Reuse parameters" }).ClickAsync();
        var page = new ImageModePageObject(gallery.Page, app.RootUri, path);
        await Expect(page.Page).ToHaveURLAsync(new Uri(app.RootUri, path).ToString());
        await Expect(page.Page.GetByTestId("draft-notice")).ToContainTextAsync("an image from the gallery");
        return (context, page);
    }

    /// <summary>Presses Generate on a page that lists the earlier job, and returns the new job once it is done.</summary>
    private static async Task<Guid> GenerateAgainAsync(ImageModePageObject page)
    {
        // The page lists the person's earlier job of this mode; the new one comes first.
        await Expect(page.JobCards).ToHaveCountAsync(1);
        await Expect(page.Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await page.Generate.ClickAsync();
        await Expect(page.JobCards).ToHaveCountAsync(2);
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        return Guid.Parse((await page.NewestCard.Root.GetAttributeAsync("data-job-id"))!);
    }

    [Fact]
    public async Task ReuseParameters_Img2ImgWithLoraAndControlNet_OpensImg2ImgFilledAndGenerateSendsTheSameGraph()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { Loras = [Lora] });
        var source = await StoreAsync(app, Png(96, 64, new Rgba32(10, 200, 30)));
        var control = await StoreAsync(app, ControlImages.SquarePng());
        var original = await RunAsync(app, Request(GenerationMode.Img2Img, "a boat on a green lake", 777, source, 0.55) with
        {
            ResizeMode = ResizeMode.CropAndResize,
            Loras = [new LoraSetting(Lora, 0.7, 0.4)],
            ControlNets = [new ControlNetSetting { Model = ControlNetModel, Image = control.Id, Strength = 0.6, StartPercent = 0.1, EndPercent = 0.9 }],
        }, app.Alice.Id);

        var (context, page) = await ReuseAsync(app, "a boat on a green lake", "/img2img");
        await using var _ = context;
        var advanced = new AdvancedSectionsObject(page.Page);
        await Expect(page.Prompt).ToHaveValueAsync("a boat on a green lake");
        await Expect(page.Page.GetByTestId("source-image")).ToHaveAttributeAsync("src", $"/uploads/{source.Id}");
        await Expect(page.Page.GetByLabel("Denoise", new() { Exact = true })).ToHaveValueAsync("0.55");
        await Expect(page.Page.GetByLabel("Seed", new() { Exact = true })).ToHaveValueAsync("777");
        await Expect(page.Page.GetByTestId("lora-row")).ToHaveAttributeAsync("data-name", Lora);
        await Expect(advanced.ControlNetUnits).ToHaveCountAsync(1);
        await Expect(advanced.ControlImageName(1)).ToContainTextAsync("128×96");

        var again = await GenerateAgainAsync(page);

        Assert.NotEqual(original, again);
        var (before, after) = (await GraphAsync(app, original), await GraphAsync(app, again));
        Assert.True(JsonNode.DeepEquals(before, after), $"The graphs differ:\n{before.ToJsonString()}\n{after.ToJsonString()}");
        Assert.Contains("\"LoraLoader\"", after.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("\"ControlNetApplyAdvanced\"", after.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReuseParameters_Inpaint_OpensInpaintWithTheSourceAndTheMaskPaintedAndGenerateSendsTheSameGraph()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var source = await StoreAsync(app, Png(96, 64, new Rgba32(200, 80, 40)));
        byte[] maskPng;
        using (var maskImage = new Image<Rgba32>(96, 64))
        {
            for (var y = 10; y < 30; y++)
            {
                for (var x = 20; x < 60; x++)
                {
                    maskImage[x, y] = new Rgba32(255, 0, 0, 255);
                }
            }
            using var png = new MemoryStream();
            await maskImage.SaveAsPngAsync(png);
            maskPng = png.ToArray();
        }
        var mask = await StoreAsync(app, maskPng);
        var painted = (await app.Get<UploadStore>().PaintedBoundsAsync(mask.Id, default))!.Value;
        var original = await RunAsync(app, Request(GenerationMode.Inpaint, "a red door", 31, source, 0.8) with
        {
            Mask = new InpaintMask(mask.Id, 96, 64, painted),
            Inpaint = new InpaintSettings { MaskedContent = MaskedContent.LatentNoise, MaskBlur = 2 },
        }, app.Alice.Id);

        var (context, page) = await ReuseAsync(app, "a red door", "/inpaint");
        await using var _ = context;
        await Expect(page.Prompt).ToHaveValueAsync("a red door");
        await Expect(page.Page.GetByTestId("inpaint-image")).ToHaveAttributeAsync("src", $"/uploads/{source.Id}");
        await Expect(page.MaskCanvas).ToHaveAttributeAsync("data-ready", "true");
        await Expect(page.Page.GetByLabel("Mask blur", new() { Exact = true })).ToHaveValueAsync("2");

        var again = await GenerateAgainAsync(page);

        // The mask painted from the stored one covers the same pixels: a new upload, with the same painted area.
        await using var db = app.CreateDbContext();
        var request = (await db.Jobs.SingleAsync(j => j.Id == again)).ReadRequest();
        Assert.NotEqual(mask.Id, request.Mask!.Upload);
        Assert.Equal(painted, request.Mask.Painted);
        var before = (await GraphAsync(app, original)).ToJsonString().Replace(mask.Id.ToString("N"), "MASK", StringComparison.Ordinal);
        var after = (await GraphAsync(app, again)).ToJsonString().Replace(request.Mask.Upload.ToString("N"), "MASK", StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(before), JsonNode.Parse(after)), $"The graphs differ:\n{before}\n{after}");
    }

    [Fact]
    public async Task ImageDialog_ExtrasImage_OffersNoReuse()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(),
            new SignedInUser(app.Alice.Id, app.Alice.UserName, app.Alice.DisplayName, false), "an upscaled photo", new DateTime(2026, 5, 1, 9, 0, 0, DateTimeKind.Utc), mode: "Upscale");
        await using var context = await browser.NewContextAsync();
        var gallery = new GalleryPageObject(await context.NewPageAsync(), app.RootUri);
        await gallery.SignInAsync(app.Alice);
        await gallery.OpenAsync();
        await gallery.Thumb("an upscaled photo").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Send to Extras" })).ToBeVisibleAsync();
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Reuse parameters" })).ToHaveCountAsync(0);
    }
}
