using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Api;
using DreamLayer.Web.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>Img2Img and Inpaint with a cloud model through the queue: the stored upload and mask are sent, the gallery says it was an edit.</summary>
public sealed partial class CloudQueueTests
{
    private static readonly Rgba32 Orange = new(200, 100, 50, 255);

    private static async Task<UploadAccepted> StoreAsync(DreamLayerApp app, CloudPicture picture) =>
        Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(new MemoryStream(picture.Bytes), "picture.png", ImagePurpose.Source, default));

    private static GenerationRequest Edit(GenerationMode mode, string prompt, UploadAccepted source, CloudSetting cloud, UploadAccepted? mask = null, double denoise = 0.75) => new()
    {
        Mode = mode,
        Prompt = prompt,
        SourceImage = source.Id,
        SourceWidth = source.Width,
        SourceHeight = source.Height,
        Width = source.Width,
        Height = source.Height,
        Denoise = denoise,
        Mask = mask is null ? null : new InpaintMask(mask.Id, mask.Width, mask.Height, new PixelRect(0, 0, mask.Width / 2, mask.Height)),
        SeedMode = CloudBackends.SeedMax(cloud) is null ? SeedMode.Random : SeedMode.Fixed, // gpt-image-1 takes no seed
        Seed = 9,
        Cloud = cloud,
    };

    private static CloudSetting Kontext => new("Bfl", "flux-kontext-pro") { Options = new Dictionary<string, string> { ["output_format"] = "png" } };

    [Fact]
    public async Task Kontext_Img2Img_SendsTheStoredPicture_TheGalleryAndPngSayItWasAnEdit_OfWhichPicture()
    {
        await using var app = await StartAppAsync();
        var source = await StoreAsync(app, CloudEditTests.Picture(64, 32, Orange));

        var jobId = await SubmitAsync(app, Edit(GenerationMode.Img2Img, "make it night", source, Kontext));
        var done = await EndAsync(app, jobId);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        var (job, images) = await RowsAsync(app, jobId);
        Assert.Equal(nameof(GenerationMode.Img2Img), job.Mode);
        Assert.Equal(source.Id, job.SourceImage);
        Assert.Equal(0.04m, job.CostUsd);
        var image = Assert.Single(images);
        Assert.Equal((1440, 736), (image.Width, image.Height)); // the input's 2:1: the stand-in saw the picture
        var infotext = A1111Infotext.Read(image.Parameters!);
        Assert.Equal("img2img (picture)", infotext["Cloud edit"]);
        Assert.Equal(source.Id.ToString("N"), infotext["Source image"]);
        Assert.Null(infotext["Image weight"]); // Kontext takes no weight: the denoise is not claimed
        Assert.Equal(1, Accepted("make it night"));
    }

    [Fact]
    public async Task GptImage_Inpaint_SendsThePictureAndMask_OnlyThePaintedHalfIsRepainted_PricedAsAnEdit()
    {
        await using var app = await StartAppAsync();
        var source = await StoreAsync(app, CloudEditTests.Picture(64, 64, Orange));
        var mask = await StoreAsync(app, CloudEditTests.LeftHalfPainted(64, 64));
        var cloud = new CloudSetting("OpenAi", "gpt-image-1") { Size = "1024x1024", Options = new Dictionary<string, string> { ["quality"] = "low" } };

        var jobId = await SubmitAsync(app, Edit(GenerationMode.Inpaint, "a lake on the left", source, cloud, mask));
        var done = await EndAsync(app, jobId);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        var (job, images) = await RowsAsync(app, jobId);
        Assert.Equal(0.011m + 0.01m, job.CostUsd); // the low square picture and the input picture's tokens
        var image = Assert.Single(images);
        var file = await File.ReadAllBytesAsync(Path.Combine(app.DataDirectory, "images", image.RelativePath));
        Assert.Equal(Orange, CloudEditTests.PixelAt(file, 0.75, 0.5));
        Assert.NotEqual(Orange, CloudEditTests.PixelAt(file, 0.25, 0.5));
        Assert.Equal("inpaint (picture and mask)", A1111Infotext.Read(image.Parameters!)["Cloud edit"]);
    }

    [Fact]
    public async Task Ideogram_Img2Img_TheDenoiseIsSentAsTheImageWeight()
    {
        await using var app = await StartAppAsync();
        var source = await StoreAsync(app, CloudEditTests.Picture(64, 64, Orange));

        var jobId = await SubmitAsync(app, Edit(GenerationMode.Img2Img, "keep it all", source, new CloudSetting("Ideogram", "V_3") { AspectRatio = "1:1" }, denoise: 0));
        var done = await EndAsync(app, jobId);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        var image = Assert.Single((await RowsAsync(app, jobId)).Images);
        var file = await File.ReadAllBytesAsync(Path.Combine(app.DataDirectory, "images", image.RelativePath));
        Assert.Equal(Orange, CloudEditTests.PixelAt(file, 0.5, 0.5)); // denoise 0: weight 100, the picture whole
        var infotext = A1111Infotext.Read(image.Parameters!);
        Assert.Equal("100", infotext["Image weight"]);
        Assert.Equal("0", infotext["Denoising strength"]);
    }

    [Fact]
    public async Task Rest_UploadsThenCloudImg2ImgAndInpaint_AsAScriptDoes_AndAModelThatCannotEditIsRefusedOnItsField()
    {
        await using var app = await StartAppAsync();
        using var alice = ApiTokenTests.Bearer(app, (await ApiTokenTests.MakeTokenAsync(app, app.Alice)).Token);
        var source = await ApiClient.UploadIdAsync(alice, CloudEditTests.Picture(64, 64, Orange).Bytes);
        var mask = await ApiClient.UploadIdAsync(alice, CloudEditTests.LeftHalfPainted(64, 64).Bytes);

        object Img2Img(string prompt, string model) => new { mode = "img2img", prompt, sourceImage = source, width = 64, height = 64, cloud = new { provider = "Bfl", model } };
        var kontext = Assert.Single(await ApiClient.SubmitAsync(alice, Img2Img("night over the harbour", "flux-kontext-pro")));
        var inpaint = Assert.Single(await ApiClient.SubmitAsync(alice, new
        {
            mode = "inpaint",
            prompt = "a lake on the left",
            sourceImage = source,
            mask,
            width = 64,
            height = 64,
            cloud = new { provider = "OpenAi", model = "gpt-image-1", size = "1024x1024", options = new { quality = "low" } },
        }));

        foreach (var (jobId, edit) in new[] { (kontext, "img2img (picture)"), (inpaint, "inpaint (picture and mask)") })
        {
            var done = await ApiClient.WaitEndedAsync(alice, jobId);
            Assert.True(done.GetProperty("status").GetString() == "Succeeded", done.ToString());
            var image = Assert.Single((await RowsAsync(app, jobId)).Images);
            var infotext = A1111Infotext.Read(image.Parameters!);
            Assert.Equal(edit, infotext["Cloud edit"]);
            Assert.Equal(source.ToString("N"), infotext["Source image"]);
        }
        Assert.Equal(1, Accepted("night over the harbour"));
        Assert.Equal(1, Accepted("a lake on the left"));

        // A model that only makes pictures from a prompt: a problem naming the body's field, nothing sent.
        using var refused = await ApiClient.PostJsonAsync(alice, "/api/v1/jobs", Img2Img("refused over REST", "flux-pro-1.1"));
        var errors = (await ApiClient.ProblemAsync(refused, System.Net.HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("on Img2Img choose a model that changes a picture", errors.GetProperty("cloud.model")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(0, Accepted("refused over REST"));
    }

    [Theory]
    [InlineData(GenerationMode.Img2Img, "OpenAi", "dall-e-3", false, false, "Model", "on Img2Img choose a model that changes a picture")]
    [InlineData(GenerationMode.Inpaint, "Bfl", "flux-kontext-pro", true, false, "Model", "on Inpaint choose a model that does")]
    [InlineData(GenerationMode.Upscale, "Bfl", "flux-kontext-pro", false, false, "Model", "not Upscale")]
    [InlineData(GenerationMode.Inpaint, "Ideogram", "V_3", false, false, "Mask", "Paint the part of the picture to repaint.")]
    [InlineData(GenerationMode.Inpaint, "Ideogram", "V_3", true, true, "Mask", "must be the size of the picture")]
    public async Task Submit_AnEditTheModelOrRequestCannotMake_RefusedOnItsField_NothingQueued(GenerationMode mode, string provider, string model, bool withMask, bool maskOfAnotherSize, string field, string words)
    {
        await using var app = await StartAppAsync();
        var source = await StoreAsync(app, CloudEditTests.Picture(64, 64, Orange));
        var mask = withMask ? await StoreAsync(app, CloudEditTests.LeftHalfPainted(maskOfAnotherSize ? 32 : 64, 64)) : null;

        var result = await app.Get<JobQueue>().SubmitAsync(Edit(mode, "refused", source, new CloudSetting(provider, model), mask), app.Alice.Id, default);

        var error = Assert.Single(Assert.IsType<SubmitInvalid>(result).Errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.Empty(_cloud.Requests);
    }

    [Fact]
    public async Task Kontext_AppRestartMidPoll_FollowsTheStoredTask_TheEditIsNotSentAgain()
    {
        var data = NewDataFolder();
        Guid jobId;
        await using (var first = await DreamLayerApp.StartAgainstAsync(await ComfyAsync(), data, Settings(firstPoll: "00:10:00")))
        {
            Assert.Null(await first.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, BflKey, default));
            var source = await StoreAsync(first, CloudEditTests.Picture(64, 32, Orange));
            jobId = await SubmitAsync(first, Edit(GenerationMode.Img2Img, "kontext survives a restart", source, Kontext));
            await DreamLayerApp.WaitUntilAsync(() => first.Get<JobEvents>().TryGet(jobId, out var p) && p.Status == JobStatus.Running, "the Kontext task to be accepted");
        }

        await using var second = await DreamLayerApp.StartAgainstAsync(_comfy!, data, Settings());
        var done = await EndAsync(second, jobId);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        var image = Assert.Single((await RowsAsync(second, jobId)).Images);
        Assert.Equal((1440, 736), (image.Width, image.Height));
        Assert.Equal(1, Accepted("kontext survives a restart"));
    }
}
