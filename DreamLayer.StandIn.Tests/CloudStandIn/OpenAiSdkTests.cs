using System.ClientModel;
using System.ClientModel.Primitives;
using CloudStandIn;
using OpenAI;
using OpenAI.Images;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>
/// The official OpenAI .NET SDK (the one issue 18's OpenAI backend is to use) against the stand-in: it must understand
/// what the SDK sends, and the SDK's own retries are where a paid request can go out twice.
/// </summary>
public sealed class OpenAiSdkTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private ImageClient Client(string model, int? maxRetries = null)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(_cloud.Server.BaseAddress, "v1") };
        if (maxRetries is { } retries) { options.RetryPolicy = new ClientRetryPolicy(retries); }
        return new ImageClient(model, new ApiKeyCredential(_cloud.OpenAiKey), options);
    }

    [Fact]
    public async Task GenerateImage_GptImage1_ReturnsThePictureTheStandInDrew()
    {
        var result = await Client("gpt-image-1").GenerateImageAsync("a red fox", new ImageGenerationOptions { Size = GeneratedImageSize.W1024xH1024 });

        var info = Image.Identify(result.Value.ImageBytes.ToArray());
        Assert.Equal((1024, 1024), (info.Width, info.Height));
        Assert.Equal("a red fox", Assert.Single(_cloud.Server.Accepted).Prompt);
    }

    [Fact]
    public async Task GenerateImage_SizeNotTheModels_ClientResultException400WithOpenAisMessage()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            Client("dall-e-2").GenerateImageAsync("a fox", new ImageGenerationOptions { Size = GeneratedImageSize.W1792xH1024 }));

        Assert.Equal(400, error.Status);
        Assert.Contains("Supported values are: '256x256', '512x512', and '1024x1024'.", error.Message, StringComparison.Ordinal);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task DroppedConnection_TheSdksDefaultRetriesSendThePaidRequestAgain()
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).DropAfterAccept = true;

        await Client("dall-e-2").GenerateImageAsync("paid twice", new ImageGenerationOptions { Size = GeneratedImageSize.W256xH256 });

        Assert.Equal(2, _cloud.Server.Accepted.Count(a => a.Prompt == "paid twice")); // the trap a backend must close
    }

    [Fact]
    public async Task DroppedConnection_WithoutSdkRetries_FailsAndWasSentOnce()
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).DropAfterAccept = true;

        await Assert.ThrowsAnyAsync<Exception>(() =>
            Client("dall-e-2", maxRetries: 0).GenerateImageAsync("paid once", new ImageGenerationOptions { Size = GeneratedImageSize.W256xH256 }));

        Assert.Equal("paid once", Assert.Single(_cloud.Server.Accepted).Prompt);
    }
}
