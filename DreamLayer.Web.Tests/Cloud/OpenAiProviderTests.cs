using CloudStandIn;
using DreamLayer.Web.Cloud;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>OpenAI Images through the official SDK, against the stand-in: the request as the model takes it, and what comes back.</summary>
public sealed class OpenAiProviderTests(CloudStandInFixture cloud) : CloudClientTests(cloud)
{
    private ICloudImageProvider OpenAi => Clients.Provider(CloudProviderId.OpenAi);

    private CloudKey Key => Cloud.Key(CloudProviderId.OpenAi);

    [Fact]
    public async Task Submit_GptImage1TwoPictures_PngBytesOfTheSize_RequestIdAndTokens()
    {
        var request = new CloudImageRequest("gpt-image-1", "a lighthouse with a legible sign") { Size = "1024x1536", Count = 2, Options = new Dictionary<string, string> { ["quality"] = "low" } };

        var result = Assert.IsType<CloudFinished>(await OpenAi.SubmitAsync(request, Key, default)).Result;

        Assert.Equal(2, result.Images.Count);
        Assert.All(result.Images, image =>
        {
            Assert.Equal("image/png", image.MediaType);
            var info = Image.Identify(image.Bytes);
            Assert.Equal((1024, 1536), (info.Width, info.Height));
            Assert.Null(image.Seed);
        });
        var billed = Assert.Single(Cloud.Billed(request.Prompt));
        Assert.Equal("gpt-image-1", billed.Model);
        Assert.Equal(billed.Id, result.RequestId);
        Assert.Equal("tokens", result.Cost!.Unit);
        Assert.Equal(2 * 408 + (request.Prompt.Length / 4), result.Cost.Amount); // 408 output tokens per low 1024x1536 picture
        Assert.Equal($"{request.Prompt.Length / 4} input, 816 output", result.Cost.Detail);
    }

    [Fact]
    public async Task Submit_GptImage1JpegTransparentOff_JpegBytes()
    {
        var request = new CloudImageRequest("gpt-image-1", "a jpeg fox")
        {
            Options = new Dictionary<string, string> { ["output_format"] = "jpeg", ["output_compression"] = "60", ["background"] = "opaque", ["moderation"] = "low" },
        };

        var result = Assert.IsType<CloudFinished>(await OpenAi.SubmitAsync(request, Key, default)).Result;

        Assert.Equal("image/jpeg", Assert.Single(result.Images).MediaType);
    }

    [Fact]
    public async Task Submit_DallE3_TheRevisedPromptComesBack()
    {
        var request = new CloudImageRequest("dall-e-3", "a fox in the snow") { Size = "1792x1024", Options = new Dictionary<string, string> { ["style"] = "natural", ["quality"] = "hd" } };

        var result = Assert.IsType<CloudFinished>(await OpenAi.SubmitAsync(request, Key, default)).Result;

        var image = Assert.Single(result.Images);
        Assert.StartsWith("a fox in the snow, ", image.RevisedPrompt, StringComparison.Ordinal);
        Assert.Equal(1792, Image.Identify(image.Bytes).Width);
        Assert.Null(result.Cost); // DALL·E reports no usage
    }

    [Fact]
    public async Task Resume_ASynchronousProvider_CannotFollowARequestAgain()
    {
        var error = await Assert.ThrowsAsync<CloudProviderException>(() =>
            OpenAi.ResumeAsync(new CloudTaskHandle(CloudProviderId.OpenAi, "dall-e-2", "req_1", "https://api.openai.com", null), Key, default));

        Assert.False(OpenAi.CanResume);
        Assert.Equal(CloudFailure.OutcomeUnknown, error.Failure);
        Assert.Contains("cannot be followed again", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_TheStandInSeesTheKeyOnce_AndOnlyForOpenAi()
    {
        await OpenAi.SubmitAsync(new CloudImageRequest("dall-e-2", "key carrier") { Size = "256x256" }, Key, default);

        var billed = Assert.Single(Cloud.Billed("key carrier"));
        Assert.Equal(CloudProvider.OpenAi, billed.Provider);
        Assert.Equal(Cloud.Options.Keys[CloudProvider.OpenAi], billed.Key);
    }
}
