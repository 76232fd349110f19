using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Domain;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Images;

/// <summary>A saved image keeps what ComfyUI wrote and gains the A1111 parameters; PNG Info checks uploads without storing them.</summary>
public sealed class ImageStoreMetadataTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-metadata-" + Guid.NewGuid().ToString("N"));

    private (ImageStore Images, UploadStore Uploads) Stores()
    {
        var options = new StorageOptions { DataDirectory = _dataDirectory };
        var paths = StoragePaths.Resolve(options, Path.GetTempPath());
        return (new ImageStore(paths, Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System), new UploadStore(paths, Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System));
    }

    [Fact]
    public async Task SaveAsync_ComfyPngWithWorkflow_KeepsPromptAndWorkflowAndAddsParameters()
    {
        var source = await File.ReadAllBytesAsync(PngBytes.Fixture("comfyui-png", "lora.png"));
        var images = Stores().Images;
        const string infotext = "masterpiece best quality girl\nNegative prompt: bad hands\nSteps: 20, Sampler: Euler, Schedule type: Normal, CFG scale: 8, Seed: 851616030078638, Size: 512x512, Model: v1-5-pruned-emaonly, Version: DreamLayer";

        var row = await images.SaveAsync(new JobEntity { Id = Guid.NewGuid() }, 0, source, infotext, CancellationToken.None);

        var saved = await File.ReadAllBytesAsync(images.Locate(row)!);
        var before = PngTextChunks.Read(source);
        var after = PngTextChunks.Read(saved);
        Assert.Equal(before.Single(c => c.Keyword == "prompt"), after.Single(c => c.Keyword == "prompt"));
        Assert.Equal(before.Single(c => c.Keyword == "workflow"), after.Single(c => c.Keyword == "workflow"));
        var read = ImageMetadataReader.Read(saved);
        Assert.Equal(["prompt", "workflow", "parameters"], read.Texts.Select(t => t.Key));
        Assert.Equal((MetadataTool.DreamLayer, "masterpiece best quality girl", 851616030078638UL), (read.Generation?.Tool, read.Generation?.Prompt, read.Generation?.Seed));
    }

    [Theory]
    [InlineData("a1111.png", "PNG")]
    [InlineData("a1111.jpg", "JPEG")]
    [InlineData("comfyui_img2img.png", "PNG")]
    [InlineData("invokeai_metadata.png", "PNG")]
    [InlineData("text_after_idat_ztxt.png", "PNG")]
    [InlineData("bad_no_metadata.png", "PNG")]
    [InlineData("bad_no_metadata.jpg", "JPEG")]
    public async Task CheckAsync_Fixture_ReturnsItsBytesWithoutStoringAnything(string file, string format)
    {
        var bytes = await File.ReadAllBytesAsync(PngBytes.Metadata(file));
        using var stream = new MemoryStream(bytes);

        var inspected = Assert.IsType<UploadInspected>(await Stores().Uploads.CheckAsync(stream, CancellationToken.None));

        Assert.Equal(format, inspected.Format);
        Assert.Equal(bytes, inspected.Bytes);
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "uploads")));
    }

    [Fact]
    public async Task CheckAsync_EmptyFile_IsRefused()
    {
        using var stream = new MemoryStream();

        var rejected = Assert.IsType<UploadRejected>(await Stores().Uploads.CheckAsync(stream, CancellationToken.None));

        Assert.Equal("The file is empty.", rejected.Message);
    }

    [Fact]
    public async Task WarmUpAsync_LeavesNothingInTheImagesFolder()
    {
        var options = new StorageOptions { DataDirectory = _dataDirectory };
        var paths = StoragePaths.Resolve(options, Path.GetTempPath());

        await new ImageStore(paths, Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System).WarmUpAsync(CancellationToken.None);

        Assert.True(Directory.Exists(paths.ImagesDirectory));
        Assert.Empty(Directory.EnumerateFileSystemEntries(paths.ImagesDirectory));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
