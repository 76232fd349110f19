using System.Text.Json.Nodes;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Img2img and inpaint jobs through the real app against the stand-in: what reaches the server's input folder and graph.</summary>
public sealed class ImageModePipelineTests : IAsyncLifetime
{
    private readonly string _standInData = Path.Combine(Path.GetTempPath(), "dreamlayer-standin-" + Guid.NewGuid().ToString("N"));
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync() => _app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { DataDirectory = _standInData });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        if (Directory.Exists(_standInData))
        {
            Directory.Delete(_standInData, recursive: true);
        }
    }

    private async Task<UploadAccepted> StoreAsync(Image<Rgba32> image)
    {
        using (image)
        {
            using var png = new MemoryStream();
            await image.SaveAsPngAsync(png);
            png.Position = 0;
            return Assert.IsType<UploadAccepted>(await _app.Get<UploadStore>().SaveAsync(png, "x.png", default));
        }
    }

    private static GenerationRequest Base(GenerationMode mode, UploadAccepted source) => new()
    {
        Mode = mode,
        Prompt = "a boat",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = 2,
        SourceImage = source.Id,
        SourceWidth = source.Width,
        SourceHeight = source.Height,
        Denoise = 0.6,
    };

    private async Task<(Data.JobEntity Job, JsonObject Graph)> RunAsync(GenerationRequest request)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await _app.Get<JobQueue>().SubmitAsync(request, "tester", default));
        var jobId = Assert.Single(accepted.JobIds);
        var events = _app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");
        events.TryGet(jobId, out var done);
        Assert.True(done!.Status == JobStatus.Succeeded, done.Message);
        await using var db = _app.CreateDbContext();
        var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == jobId);
        return (job, JsonNode.Parse(job.GraphJson!)!.AsObject());
    }

    private string InputFile(Guid jobId, string name) => Path.Combine(_standInData, "input", "dreamlayer", jobId.ToString("N"), name);

    [Fact]
    public async Task Submit_Img2Img_SendsTheSourceFittedToTheSizeAndUsesTheDenoise()
    {
        var source = await StoreAsync(new Image<Rgba32>(96, 64, new Rgba32(10, 200, 30)));
        var (job, graph) = await RunAsync(Base(GenerationMode.Img2Img, source) with { Width = 128, Height = 128, ResizeMode = ResizeMode.CropAndResize });

        var sent = InputFile(job.Id, $"{source.Id:N}.png");
        var info = Image.Identify(sent);
        Assert.Equal((128, 128), (info.Width, info.Height));
        Assert.Equal($"dreamlayer/{job.Id:N}/{source.Id:N}.png", (string?)graph["10"]!["inputs"]!["image"]);
        Assert.Equal(0.6, (double)graph["3"]!["inputs"]!["denoise"]!);
        var image = Assert.Single(job.Images);
        Assert.Equal((128, 128), (image.Width, image.Height));
    }

    [Fact]
    public async Task Submit_Img2ImgWithHiresFix_ReturnsAnImageOfTheUpscaledSize()
    {
        var source = await StoreAsync(new Image<Rgba32>(96, 64, new Rgba32(10, 200, 30)));
        var request = Base(GenerationMode.Img2Img, source) with { Width = 96, Height = 64, HiresFix = new HiresFixSetting { Scale = 2, Steps = 2, Denoise = 0.4 } };

        var (job, graph) = await RunAsync(request);

        var second = graph.Single(n => (string?)n.Value!["class_type"] == "KSampler" && n.Key != "3");
        Assert.Equal(0.4, (double)second.Value!["inputs"]!["denoise"]!);
        Assert.Equal(0.6, (double)graph["3"]!["inputs"]!["denoise"]!);
        var image = Assert.Single(job.Images);
        Assert.Equal((192, 128), (image.Width, image.Height));
    }

    [Fact]
    public async Task Submit_Inpaint_SendsOneFileWhosePaintedAreaIsTransparent()
    {
        var source = await StoreAsync(new Image<Rgba32>(96, 64, new Rgba32(200, 80, 40)));
        var maskImage = new Image<Rgba32>(96, 64);
        for (var y = 10; y < 20; y++)
        {
            for (var x = 30; x < 50; x++)
            {
                maskImage[x, y] = new Rgba32(255, 255, 255, 255);
            }
        }
        var mask = await StoreAsync(maskImage);
        var painted = await _app.Get<UploadStore>().PaintedBoundsAsync(mask.Id, default);
        Assert.Equal(new PixelRect(30, 10, 20, 10), painted);
        var request = Base(GenerationMode.Inpaint, source) with
        {
            Width = 96,
            Height = 64,
            Mask = new InpaintMask(mask.Id, 96, 64, painted!.Value),
        };

        var (job, graph) = await RunAsync(request);

        var combined = InputFile(job.Id, $"{mask.Id:N}-mask.png");
        using (var sent = await Image.LoadAsync<Rgba32>(combined))
        {
            Assert.Equal(0, sent[35, 15].A);      // painted: ComfyUI's mask is 1 − alpha, so this is inpainted
            Assert.Equal(255, sent[5, 5].A);      // not painted: kept
            Assert.Equal(new Rgba32(200, 80, 40, 255), sent[5, 5]);
        }
        Assert.Equal($"dreamlayer/{job.Id:N}/{mask.Id:N}-mask.png", (string?)graph["10"]!["inputs"]!["image"]);
        Assert.Equal("SetLatentNoiseMask", (string?)graph["16"]!["class_type"]);
        var image = Assert.Single(job.Images);
        Assert.Equal((96, 64), (image.Width, image.Height));
    }

    [Fact]
    public async Task Submit_InpaintOnlyMasked_ReturnsAnImageOfTheSourceSize()
    {
        var source = await StoreAsync(new Image<Rgba32>(200, 120, new Rgba32(1, 2, 3)));
        var maskImage = new Image<Rgba32>(200, 120);
        maskImage[100, 60] = new Rgba32(255, 255, 255, 255);
        var mask = await StoreAsync(maskImage);
        var request = Base(GenerationMode.Inpaint, source) with
        {
            Width = 64,
            Height = 64,
            Mask = new InpaintMask(mask.Id, 200, 120, new PixelRect(100, 60, 1, 1)),
            Inpaint = new InpaintSettings { Area = InpaintArea.OnlyMasked, Padding = 8, MaskedContent = MaskedContent.LatentNoise },
        };

        var (job, graph) = await RunAsync(request);

        Assert.Contains(graph, n => (string?)n.Value!["class_type"] == "ImageCrop");
        var image = Assert.Single(job.Images);
        Assert.Equal((200, 120), (image.Width, image.Height));
    }
}
