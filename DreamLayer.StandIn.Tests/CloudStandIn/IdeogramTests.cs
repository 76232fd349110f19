using System.Net;
using CloudStandIn;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>Ideogram 3.0 as its API reference documents it: multipart forms, the Api-Key header, expiring URLs.</summary>
public sealed class IdeogramTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private static MultipartFormDataContent Form(params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields) { form.Add(new StringContent(value), name); }
        return form;
    }

    [Fact]
    public async Task Generate_AspectRatio_AnswersTheDocumentedShapeWithPicturesOfThatResolution()
    {
        using var form = Form(("prompt", "a poster saying HELLO"), ("aspect_ratio", "16x9"), ("num_images", "2"), ("seed", "12345"), ("style_type", "DESIGN"), ("rendering_speed", "TURBO"));

        using var response = await _cloud.IdeogramAsync("generate", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await CloudHarness.JsonOf(response);
        Assert.True(DateTimeOffset.TryParse(body["created"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        var data = body["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        foreach (var item in data)
        {
            Assert.Equal("a poster saying HELLO", item!["prompt"]!.GetValue<string>());
            Assert.Equal("1312x736", item["resolution"]!.GetValue<string>());
            Assert.True(item["is_image_safe"]!.GetValue<bool>());
            Assert.Equal(12345, item["seed"]!.GetValue<long>());
            Assert.Equal("DESIGN", item["style_type"]!.GetValue<string>());
            var info = Image.Identify(await _cloud.Http.GetByteArrayAsync(new Uri(item["url"]!.GetValue<string>())));
            Assert.Equal((1312, 736), (info.Width, info.Height));
        }
        var accepted = Assert.Single(_cloud.Server.Accepted);
        Assert.Equal((CloudProvider.Ideogram, _cloud.IdeogramKey), (accepted.Provider, accepted.Key));
    }

    [Fact]
    public async Task Generate_Resolution_DrawsThatSizeAndMagicPromptOnRewritesThePrompt()
    {
        using var form = Form(("prompt", "a cat"), ("resolution", "832x1248"), ("magic_prompt", "ON"));

        using var response = await _cloud.IdeogramAsync("generate", form);

        var item = (await CloudHarness.JsonOf(response))["data"]![0]!;
        Assert.Equal("832x1248", item["resolution"]!.GetValue<string>());
        Assert.StartsWith("a cat", item["prompt"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual("a cat", item["prompt"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("aspect_ratio", "16:9", "aspect_ratio")]
    [InlineData("resolution", "1000x1000", "resolution")]
    [InlineData("rendering_speed", "FAST", "rendering_speed")]
    [InlineData("num_images", "9", "num_images")]
    [InlineData("seed", "-1", "seed")]
    [InlineData("style_type", "ANIME", "style_type")]
    public async Task Generate_ValueNotInTheReference_400NamingIt(string field, string value, string named)
    {
        using var form = Form(("prompt", "x"), (field, value));

        using var response = await _cloud.IdeogramAsync("generate", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(named, (await CloudHarness.JsonOf(response))["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task Generate_ResolutionAndAspectRatioTogether_400()
    {
        using var form = Form(("prompt", "x"), ("resolution", "1024x1024"), ("aspect_ratio", "1x1"));

        using var response = await _cloud.IdeogramAsync("generate", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("cannot be used together", (await CloudHarness.JsonOf(response))["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_BadKey401_GoodKeyWithEmptyForm400_NeitherBilled()
    {
        using var bad = await _cloud.IdeogramAsync("generate", Form(("prompt", "x")), key: "nope");
        using var check = await _cloud.IdeogramAsync("generate", Form(("magic_prompt", "OFF")));

        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, check.StatusCode); // the key passed; the missing prompt stops it unbilled
        Assert.Contains("prompt is required", (await CloudHarness.JsonOf(check))["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_cloud.Server.Accepted);
    }

    private static readonly Rgba32 Black = new(0, 0, 0, 255), White = new(255, 255, 255, 255), Orange = new(200, 100, 50, 255);

    [Fact]
    public async Task Edit_ImageAndMaskBlackOnTheLeft_PictureOfTheImagesSize_RepaintedOnTheLeftKeptOnTheRight()
    {
        using var form = Form(("prompt", "add a moon"), ("rendering_speed", "QUALITY"));
        form.Add(CloudHarness.File(CloudHarness.Halves(96, 64, Orange, Orange)), "image", "i.png");
        form.Add(CloudHarness.File(CloudHarness.Halves(96, 64, Black, White)), "mask", "m.png");

        using var response = await _cloud.IdeogramAsync("edit", form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var item = (await CloudHarness.JsonOf(response))["data"]![0]!;
        Assert.Equal("96x64", item["resolution"]!.GetValue<string>());
        var picture = await _cloud.Http.GetByteArrayAsync(new Uri(item["url"]!.GetValue<string>()));
        Assert.Equal(Orange, CloudHarness.PixelAt(picture, 0.75, 0.5)); // white in the mask: kept
        Assert.NotEqual(Orange, CloudHarness.PixelAt(picture, 0.25, 0.5)); // black in the mask: repainted
    }

    [Theory]
    [InlineData("grey", "black and white")]
    [InlineData("aspect_ratio", "aspect_ratio is not a parameter of edit")]
    [InlineData("negative_prompt", "negative_prompt is not a parameter of edit")]
    public async Task Edit_MaskNotBlackAndWhite_OrASizingParameter_400(string what, string message)
    {
        using var form = Form(("prompt", "add a moon"));
        form.Add(CloudHarness.File(CloudHarness.Png(96, 64)), "image", "i.png");
        form.Add(CloudHarness.File(what == "grey" ? CloudHarness.Halves(96, 64, new Rgba32(128, 128, 128, 255), White) : CloudHarness.Halves(96, 64, Black, White)), "mask", "m.png");
        if (what != "grey") { form.Add(new StringContent(what == "aspect_ratio" ? "16x9" : "blur"), what); }

        using var response = await _cloud.IdeogramAsync("edit", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await CloudHarness.JsonOf(response))["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task Remix_ImageWeight100_ThePictureIsTheInput_Weight1_ItIsMostlyDrawn()
    {
        async Task<byte[]> RemixAsync(string weight)
        {
            using var form = Form(("prompt", "as a watercolour"), ("image_weight", weight), ("aspect_ratio", "1x1"));
            form.Add(CloudHarness.File(CloudHarness.Halves(64, 64, Orange, Orange)), "image", "i.png");
            using var response = await _cloud.IdeogramAsync("remix", form);
            return await _cloud.Http.GetByteArrayAsync(new Uri((await CloudHarness.JsonOf(response))["data"]![0]!["url"]!.GetValue<string>()));
        }

        var followed = await RemixAsync("100");
        var loose = await RemixAsync("1");

        Assert.Equal(Orange, CloudHarness.PixelAt(followed, 0.5, 0.5));
        Assert.NotEqual(Orange, CloudHarness.PixelAt(loose, 0.5, 0.5));
    }

    [Theory]
    [InlineData(false, 96, "mask is required")]
    [InlineData(true, 95, "same dimensions")]
    public async Task Edit_MaskMissingOrOtherSize_400(bool withMask, int maskWidth, string message)
    {
        using var form = Form(("prompt", "add a moon"));
        form.Add(CloudHarness.File(CloudHarness.Png(96, 64)), "image", "i.png");
        if (withMask) { form.Add(CloudHarness.File(CloudHarness.Png(maskWidth, 64)), "mask", "m.png"); }

        using var response = await _cloud.IdeogramAsync("edit", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, (await CloudHarness.JsonOf(response))["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remix_ImageWithWeight_AnswersTheAskedAspectRatio_AndRefusesAFileThatIsNoPicture()
    {
        using var form = Form(("prompt", "as a watercolour"), ("image_weight", "70"), ("aspect_ratio", "3x4"));
        form.Add(CloudHarness.File(CloudHarness.Png(64, 64)), "image", "i.png");
        using var notPicture = Form(("prompt", "as a watercolour"));
        notPicture.Add(CloudHarness.File("not a picture"u8.ToArray()), "image", "i.png");

        using var response = await _cloud.IdeogramAsync("remix", form);
        using var refused = await _cloud.IdeogramAsync("remix", notPicture);

        Assert.Equal("864x1152", (await CloudHarness.JsonOf(response))["data"]![0]!["resolution"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("JPEG, PNG or WebP", (await CloudHarness.JsonOf(refused))["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Rejection.Unauthorized, 401)]
    [InlineData(Rejection.NoCredits, 402)]
    [InlineData(Rejection.RateLimited, 429)]
    [InlineData(Rejection.Moderated, 422)]
    [InlineData(Rejection.ServerError, 500)]
    [InlineData(Rejection.Unavailable, 503)]
    public async Task Faults_Reject_AnswersIdeogramsStatusWithAnErrorAndBillsNothing(Rejection kind, int status)
    {
        _cloud.Server.Faults(CloudProvider.Ideogram).Reject = kind;

        using var response = await _cloud.IdeogramAsync("generate", Form(("prompt", "x")));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await CloudHarness.JsonOf(response))["error"]!.GetValue<string>()));
        Assert.Empty(_cloud.Server.Accepted);
    }
}
