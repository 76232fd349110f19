using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;
using DreamLayer.Web.Cloud.Pricing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// Edits through each provider's client, against the stand-in: the picture is sent (the result is drawn over it), the
/// app's mask (painted = repainted) reaches each provider in its own convention, so the part the mask keeps comes back
/// unchanged; and what each model refuses before anything is sent.
/// </summary>
public sealed class CloudEditTests(CloudStandInFixture cloud) : CloudClientTests(cloud)
{
    private static readonly Rgba32 Orange = new(200, 100, 50, 255);

    /// <summary>A picture of one colour.</summary>
    internal static CloudPicture Picture(int width, int height, Rgba32 colour, bool jpeg = false)
    {
        using var image = new Image<Rgba32>(width, height, colour);
        using var ms = new MemoryStream();
        if (jpeg) { image.SaveAsJpeg(ms); } else { image.SaveAsPng(ms); }
        return CloudPicture.Read(ms.ToArray())!;
    }

    /// <summary>A mask in the app's convention: the left half painted (opaque white, repainted), the right half transparent (kept).</summary>
    internal static CloudPicture LeftHalfPainted(int width, int height)
    {
        using var image = new Image<Rgba32>(width, height, new Rgba32(0, 0, 0, 0));
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < width / 2; x++) { row[x] = new Rgba32(255, 255, 255, 255); }
            }
        });
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return CloudPicture.Read(ms.ToArray())!;
    }

    internal static Rgba32 PixelAt(byte[] picture, double x, double y)
    {
        using var image = Image.Load<Rgba32>(picture);
        return image[(int)(image.Width * x), (int)(image.Height * y)];
    }

    [Fact]
    public async Task OpenAi_EditWithTheAppsMask_RepaintsThePaintedHalf_KeepsTheOther()
    {
        var request = new CloudImageRequest("gpt-image-1", "a lake on the left")
        {
            Size = "1024x1024",
            InputImage = Picture(64, 64, Orange),
            Mask = LeftHalfPainted(64, 64),
            Options = new Dictionary<string, string> { ["quality"] = "low" },
        };

        var result = Assert.IsType<CloudFinished>(await Clients.Provider(CloudProviderId.OpenAi).SubmitAsync(request, Cloud.Key(CloudProviderId.OpenAi), default)).Result;

        var picture = Assert.Single(result.Images).Bytes;
        Assert.Equal(Orange, PixelAt(picture, 0.75, 0.5));
        Assert.NotEqual(Orange, PixelAt(picture, 0.25, 0.5));
        Assert.Equal("/v1/images/edits", Assert.Single(Cloud.Billed("a lake on the left")).Path);
        Assert.NotNull(result.Cost); // OpenAI reports the tokens of an edit too
    }

    [Fact]
    public async Task OpenAi_EditWithoutMask_SendsThePicture_TheResultIsDrawnOverIt()
    {
        async Task<byte[]> EditAsync(Rgba32 colour, string prompt)
        {
            var request = new CloudImageRequest("gpt-image-1", prompt) { Size = "1024x1024", InputImage = Picture(32, 32, colour) };
            var result = Assert.IsType<CloudFinished>(await Clients.Provider(CloudProviderId.OpenAi).SubmitAsync(request, Cloud.Key(CloudProviderId.OpenAi), default)).Result;
            return Assert.Single(result.Images).Bytes;
        }

        var onBlack = await EditAsync(new Rgba32(0, 0, 0, 255), "in winter (black)");
        var onWhite = await EditAsync(new Rgba32(255, 255, 255, 255), "in winter (white)");

        Assert.True(PixelAt(onBlack, 0.5, 0.5).R < 128); // half of the picture is the input's black
        Assert.True(PixelAt(onWhite, 0.5, 0.5).R >= 127); // half of it the input's white
    }

    [Fact]
    public async Task Ideogram_EditWithTheAppsMask_ReachesEditInIdeogramsBlackIsRepaintedConvention()
    {
        var request = new CloudImageRequest(IdeogramCatalog.ModelId, "a moon on the left") { InputImage = Picture(96, 64, Orange), Mask = LeftHalfPainted(96, 64) };

        var result = Assert.IsType<CloudFinished>(await Clients.Provider(CloudProviderId.Ideogram).SubmitAsync(request, Cloud.Key(CloudProviderId.Ideogram), default)).Result;

        var picture = Assert.Single(result.Images).Bytes;
        Assert.Equal((96, 64), (Image.Identify(picture).Width, Image.Identify(picture).Height)); // an edit keeps the picture's size
        Assert.Equal(Orange, PixelAt(picture, 0.75, 0.5));
        Assert.NotEqual(Orange, PixelAt(picture, 0.25, 0.5));
        Assert.Equal("/v1/ideogram-v3/edit", Assert.Single(Cloud.Billed("a moon on the left")).Path);
    }

    [Fact]
    public async Task Ideogram_RemixWithImageWeight100_FollowsThePictureWhole()
    {
        var request = new CloudImageRequest(IdeogramCatalog.ModelId, "the same, remixed") { InputImage = Picture(64, 64, Orange), ImageWeight = 100, AspectRatio = "1:1" };

        var result = Assert.IsType<CloudFinished>(await Clients.Provider(CloudProviderId.Ideogram).SubmitAsync(request, Cloud.Key(CloudProviderId.Ideogram), default)).Result;

        Assert.Equal(Orange, PixelAt(Assert.Single(result.Images).Bytes, 0.5, 0.5));
        Assert.Equal("/v1/ideogram-v3/remix", Assert.Single(Cloud.Billed("the same, remixed")).Path);
    }

    [Fact]
    public async Task Bfl_KontextWithAPicture_SubmitsThenResumes_ThePicturesRatioAtOneMegapixel()
    {
        var request = new CloudImageRequest("flux-kontext-pro", "make it night")
        {
            InputImage = Picture(64, 32, Orange),
            Seed = 5,
            Options = new Dictionary<string, string> { ["safety_tolerance"] = "2", ["output_format"] = "png" },
        };
        var bfl = Clients.Provider(CloudProviderId.Bfl);

        var task = Assert.IsType<CloudAccepted>(await bfl.SubmitAsync(request, Cloud.Key(CloudProviderId.Bfl), default)).Task;
        var result = await bfl.ResumeAsync(task, Cloud.Key(CloudProviderId.Bfl), default);

        Assert.Equal("flux-kontext-pro", task.Model);
        Assert.Equal(new CloudCost(4, "credits", "1 credit = 1 US cent"), task.Cost);
        var info = Image.Identify(Assert.Single(result.Images).Bytes);
        Assert.Equal((1440, 736), (info.Width, info.Height));
    }

    [Fact]
    public async Task Submit_ModelThatTakesNoPicture_RefusedNamingThePicture_NothingSent()
    {
        var request = new CloudImageRequest("flux-pro-1.1", "not an editor") { InputImage = Picture(32, 32, Orange) };

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Clients.Provider(CloudProviderId.Bfl).SubmitAsync(request, Cloud.Key(CloudProviderId.Bfl), default));

        Assert.Equal(CloudFailure.InvalidRequest, error.Failure);
        Assert.Equal(CloudRequestValidator.ImageField, Assert.Single(error.Fields!).Field);
        Assert.Empty(Cloud.Sent("not an editor"));
    }
}

/// <summary>What each model takes with a picture, checked before anything is sent.</summary>
public sealed class CloudEditValidatorTests
{
    private static readonly Rgba32 Grey = new(90, 90, 90, 255);

    private static IReadOnlyList<CloudFieldError> Validate(CloudImageRequest request) =>
        CloudRequestValidator.Validate(request, CloudCatalog.All.Where(m => m.Id == request.Model).ToList(), CloudCatalog.NameOf(CloudCatalog.All.First(m => m.Id == request.Model).Provider));

    [Fact]
    public void Validate_EditingModelsWithAPicture_AndMaskModelsWithAMask_NoErrors()
    {
        foreach (var model in CloudCatalog.All.Where(m => m.Edits != CloudEdits.None))
        {
            Assert.Empty(Validate(new CloudImageRequest(model.Id, "edit") { InputImage = CloudEditTests.Picture(64, 64, Grey) }));
            if (model.Edits.HasFlag(CloudEdits.Mask))
            {
                Assert.Empty(Validate(new CloudImageRequest(model.Id, "edit") { InputImage = CloudEditTests.Picture(64, 64, Grey), Mask = CloudEditTests.LeftHalfPainted(64, 64) }));
            }
        }
    }

    [Fact]
    public void Validate_EachModelThatEdits_IsDescribedWithWhatItTakes()
    {
        Assert.Equal(["gpt-image-1", "V_3", "flux-kontext-pro", "flux-kontext-max"], CloudCatalog.All.Where(m => m.Edits.HasFlag(CloudEdits.Image)).Select(m => m.Id));
        Assert.Equal(["gpt-image-1", "V_3"], CloudCatalog.All.Where(m => m.Edits.HasFlag(CloudEdits.Mask)).Select(m => m.Id));
        Assert.All(CloudCatalog.All, m => Assert.Equal(m.Edits != CloudEdits.None, m.EditInput is not null));
    }

    [Theory]
    [InlineData("dall-e-3", false, "SourceImage", "makes pictures from a prompt only")]
    [InlineData("flux-pro-1.1-ultra", false, "SourceImage", "makes pictures from a prompt only")]
    [InlineData("flux-kontext-pro", true, "Mask", "changes the whole picture; it does not repaint a masked part")]
    public void Validate_PictureOrMaskTheModelDoesNotTake_FieldError(string model, bool mask, string field, string words)
    {
        var request = new CloudImageRequest(model, "edit") { InputImage = CloudEditTests.Picture(64, 64, Grey), Mask = mask ? CloudEditTests.LeftHalfPainted(64, 64) : null };

        var error = Assert.Single(Validate(request));

        Assert.Equal(field, error.Field);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaskOfAnotherSize_OrWithoutPicture_FieldErrorsOnTheMask()
    {
        var otherSize = Validate(new CloudImageRequest("gpt-image-1", "edit") { InputImage = CloudEditTests.Picture(64, 64, Grey), Mask = CloudEditTests.LeftHalfPainted(64, 48) });
        var alone = Validate(new CloudImageRequest("gpt-image-1", "edit") { Mask = CloudEditTests.LeftHalfPainted(64, 48) });

        Assert.Equal("The mask (64x48) must be the size of the picture (64x64).", Assert.Single(otherSize).Message);
        Assert.Contains(alone, e => e.Field == CloudRequestValidator.MaskField && e.Message.Contains("needs the picture", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_PictureLargerThanTheProviderTakes_SaysTheSizes()
    {
        var big = new CloudPicture(new byte[12 * 1024 * 1024], "image/png", 64, 64);

        var error = Assert.Single(Validate(new CloudImageRequest(IdeogramCatalog.ModelId, "edit") { InputImage = big }));

        Assert.Equal(CloudRequestValidator.ImageField, error.Field);
        Assert.Equal("The picture is 12 MB; Ideogram takes at most 10 MB.", error.Message);
    }

    [Fact]
    public void Validate_AFormatTheProviderDoesNotTake_NamesTheFormats()
    {
        var gif = new CloudPicture([0x47, 0x49, 0x46], "image/gif", 64, 64);

        var error = Assert.Single(Validate(new CloudImageRequest("flux-kontext-max", "edit") { InputImage = gif }));

        Assert.Equal("Black Forest Labs (FLUX) takes the picture as PNG, JPEG or WebP, not image/gif.", error.Message);
    }

    [Fact]
    public void Validate_EditOptions_GptImageTakesNoModeration_KontextSafetyTwoAtMost_IdeogramEditKeepsTheSize()
    {
        var picture = CloudEditTests.Picture(64, 64, Grey);
        var moderation = Validate(new CloudImageRequest("gpt-image-1", "edit") { InputImage = picture, Options = new Dictionary<string, string> { ["moderation"] = "low" } });
        var safety = Validate(new CloudImageRequest("flux-kontext-pro", "edit") { InputImage = picture, Options = new Dictionary<string, string> { ["safety_tolerance"] = "3" } });
        var safetyWithoutPicture = Validate(new CloudImageRequest("flux-kontext-pro", "make") { Options = new Dictionary<string, string> { ["safety_tolerance"] = "6" } });
        var sized = Validate(new CloudImageRequest(IdeogramCatalog.ModelId, "edit") { InputImage = picture, Mask = CloudEditTests.LeftHalfPainted(64, 64), AspectRatio = "16:9", NegativePrompt = "blur" });
        var weighted = Validate(new CloudImageRequest(IdeogramCatalog.ModelId, "edit") { InputImage = picture, Mask = CloudEditTests.LeftHalfPainted(64, 64), ImageWeight = 40 });

        Assert.Contains("has no option 'moderation' with a picture", Assert.Single(moderation).Message, StringComparison.Ordinal);
        Assert.Equal("Safety tolerance: FLUX.1 Kontext [pro] takes a whole number from 0 to 2 with a picture, not '3'.", Assert.Single(safety).Message);
        Assert.Empty(safetyWithoutPicture);
        Assert.Equal([CloudRequestValidator.NegativeField, CloudRequestValidator.SizeField], sized.Select(e => e.Field));
        Assert.Equal(CloudRequestValidator.DenoiseField, Assert.Single(weighted).Field);
    }

    [Fact]
    public void Pricing_KontextListPrices_AndAGptImageEditAddsItsInputPicture()
    {
        var picture = CloudEditTests.Picture(64, 64, Grey);

        var pro = CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest("flux-kontext-pro", "x") { InputImage = picture })!;
        var max = CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest("flux-kontext-max", "x"))!;
        var generate = CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest("gpt-image-1", "x") { Size = "1024x1024", Count = 2, Options = new Dictionary<string, string> { ["quality"] = "low" } })!;
        var edit = CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest("gpt-image-1", "x") { Size = "1024x1024", Count = 2, Edit = CloudEdits.Image, Options = new Dictionary<string, string> { ["quality"] = "low" } })!;
        var remix = CloudPricing.Estimate(CloudPriceList.Prices, new CloudImageRequest(IdeogramCatalog.ModelId, "x") { Edit = CloudEdits.Image, Options = new Dictionary<string, string> { ["rendering_speed"] = "TURBO" } })!;

        Assert.Equal(0.04m, pro.Usd);
        Assert.Equal(0.08m, max.Usd);
        Assert.Equal(0.022m, generate.Usd);
        Assert.Equal(0.032m, edit.Usd);
        Assert.Equal(0.03m, remix.Usd);
    }
}
