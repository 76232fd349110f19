using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Ideogram;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>Ideogram 3.0 through its typed client, against the stand-in: the form as the API takes it, the pictures fetched from their addresses.</summary>
public sealed class IdeogramProviderTests(CloudStandInFixture cloud) : CloudClientTests(cloud)
{
    private ICloudImageProvider Ideogram => Clients.Provider(CloudProviderId.Ideogram);

    private CloudKey Key => Cloud.Key(CloudProviderId.Ideogram);

    [Fact]
    public async Task Submit_AspectRatioSeedAndMagicPrompt_PicturesOfThatRatio_WithSeedAndRewrittenPrompt()
    {
        var request = new CloudImageRequest(IdeogramCatalog.ModelId, "a shop sign that reads OPEN")
        {
            AspectRatio = "16:9",
            Seed = 42,
            Count = 2,
            NegativePrompt = "blurry letters",
            Options = new Dictionary<string, string> { ["magic_prompt"] = "ON", ["style_type"] = "DESIGN", ["rendering_speed"] = "TURBO" },
        };

        var result = Assert.IsType<CloudFinished>(await Ideogram.SubmitAsync(request, Key, default)).Result;

        Assert.Equal(2, result.Images.Count);
        Assert.All(result.Images, image =>
        {
            Assert.Equal("image/png", image.MediaType);
            var info = Image.Identify(image.Bytes);
            Assert.Equal((1312, 736), (info.Width, info.Height)); // Ideogram's 16x9
            Assert.Equal(42, image.Seed);
            Assert.StartsWith("a shop sign that reads OPEN. ", image.RevisedPrompt, StringComparison.Ordinal);
        });
        Assert.Equal("V_3", Assert.Single(Cloud.Billed(request.Prompt)).Model);
        Assert.Null(result.Cost);
    }

    [Fact]
    public async Task Submit_ResolutionWithoutMagicPrompt_NoRevisedPrompt_AStableSeedReported()
    {
        var request = new CloudImageRequest(IdeogramCatalog.ModelId, "a plain label") { Size = "1280x800", Options = new Dictionary<string, string> { ["magic_prompt"] = "OFF" } };

        var image = Assert.Single(Assert.IsType<CloudFinished>(await Ideogram.SubmitAsync(request, Key, default)).Result.Images);

        Assert.Null(image.RevisedPrompt);
        Assert.NotNull(image.Seed);
        Assert.Equal(1280, Image.Identify(image.Bytes).Width);
    }

    [Fact]
    public async Task Submit_PictureAddressExpiredBeforeTheFetch_ResultExpired_Billed()
    {
        Cloud.Server.Faults(CloudStandIn.CloudProvider.Ideogram).UrlLifetimeSeconds = 0;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() =>
            Ideogram.SubmitAsync(new CloudImageRequest(IdeogramCatalog.ModelId, "expired at once"), Key, default));

        Assert.Equal(CloudFailure.ResultExpired, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("had expired (it answered 403)", error.Message, StringComparison.Ordinal);
        Assert.Single(Cloud.Billed("expired at once"));
    }
}
