using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>An upscale job goes through the real app against the ComfyUI stand-in, source upload included.</summary>
public sealed class UpscalePipelineTests
{
    private static async Task<UploadAccepted> UploadPngAsync(DreamLayerApp app, int width, int height)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(200, 80, 40));
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png);
        png.Position = 0;
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "photo.png", default));
    }

    [Fact]
    public async Task Submit_ResizeByTwo_SavesAnImageTwiceTheSourceSize()
    {
        var standInData = Path.Combine(Path.GetTempPath(), "dreamlayer-standin-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { DataDirectory = standInData });
            var source = await UploadPngAsync(app, 96, 64);
            var request = new GenerationRequest { Mode = GenerationMode.Upscale, SourceImage = source.Id, Scale = 2, ResizeFilter = "lanczos" };

            var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default));
            var jobId = Assert.Single(accepted.JobIds);
            var events = app.Get<JobEvents>();
            await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the upscale job to finish");
            events.TryGet(jobId, out var done);

            Assert.Equal(JobStatus.Succeeded, done!.Status);
            Assert.Equal("Upscale ×2 (lanczos)", done.Summary);
            await using var db = app.CreateDbContext();
            var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == jobId);
            Assert.Equal(source.Id, job.SourceImage);
            var image = Assert.Single(job.Images);
            Assert.Equal((192, 128), (image.Width, image.Height));
            var bytes = await File.ReadAllBytesAsync(app.Get<ImageStore>().Locate(image)!);
            var info = Image.Identify(bytes);
            Assert.Equal((192, 128), (info.Width, info.Height));
            var infotext = Assert.Single(PngTextChunks.Read(bytes), c => c.Keyword == "parameters").Text;
            Assert.Equal("Postprocess upscale by: 2, Postprocess upscaler: lanczos", infotext);

            var sent = Path.Combine(standInData, "input", "dreamlayer", jobId.ToString("N"));
            Assert.True(File.Exists(Path.Combine(sent, $"{source.Id:N}.png")), $"the source should be in {sent}");
            Assert.Contains($"dreamlayer/{jobId:N}/{source.Id:N}.png", job.GraphJson, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(standInData))
            {
                Directory.Delete(standInData, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Submit_SourceNoLongerStored_FailsWithAClearMessage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var request = new GenerationRequest { Mode = GenerationMode.Upscale, SourceImage = Guid.NewGuid(), Scale = 2 };
        var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default)).JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to fail");
        events.TryGet(jobId, out var done);
        Assert.Equal(JobStatus.Failed, done!.Status);
        Assert.Contains("upload it again", done.Message, StringComparison.Ordinal);
    }
}
