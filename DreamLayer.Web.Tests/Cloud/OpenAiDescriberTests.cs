using CloudStandIn;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.OpenAi;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// Img2Txt's OpenAI describer (Chat Completions with an image part, through the SDK) against the cloud stand-in: the
/// picture and the instructions reach the model, the description comes back, and every failure is said in the words
/// the image jobs use; the key is never logged.
/// </summary>
public sealed class OpenAiDescriberTests(CloudStandInFixture cloud) : CloudClientTests(cloud)
{
    private OpenAiDescriber Describer => Clients.Get<OpenAiDescriber>();

    private CloudKey Key => Cloud.Key(CloudProviderId.OpenAi);

    private static readonly byte[] Red = RedPng();

    private static byte[] RedPng()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(210, 30, 30));
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }

    private Task<CloudDescription> DescribeAsync(string? instructions = null, CloudKey? key = null) =>
        Describer.DescribeAsync(Red, "image/png", instructions, key ?? Key, default);

    [Fact]
    public async Task Describe_AsTags_TheModelFromConfigurationDescribesThePicture()
    {
        var description = await DescribeAsync("describe it as tags");

        Assert.StartsWith("square, red", description.Text, StringComparison.Ordinal);
        Assert.Equal("gpt-4.1-mini", description.Model);
        var billed = Assert.Single(Cloud.Server.Accepted, a => a.Prompt?.Contains("describe it as tags", StringComparison.Ordinal) == true);
        Assert.Equal("gpt-4.1-mini", billed.Model);
        Assert.StartsWith("[1 image(s)]", billed.Prompt, StringComparison.Ordinal);
        Assert.Equal(billed.Id, description.RequestId);
        Assert.True(description.InputTokens > 765);
    }

    [Fact]
    public async Task Describe_AnotherModelConfigured_ThatModelIsAsked()
    {
        using var clients = new CloudClients(Cloud.Server.BaseAddress, s => s["Cloud:OpenAIVisionModel"] = "gpt-4o");

        var description = await clients.Get<OpenAiDescriber>().DescribeAsync(Red, "image/png", "other model", Key, default);

        Assert.Equal("gpt-4o", description.Model);
    }

    [Fact]
    public async Task Describe_WrongKey_InWordsWithoutTheKey_NotLogged()
    {
        var wrong = new CloudKey("sk-wrongkey-0123456789-zq7x");

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => DescribeAsync(key: wrong));

        Assert.Equal(CloudFailure.InvalidKey, error.Failure);
        Assert.Contains("refused the API key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("zq7x", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Clients.Logs.Lines, l => l.Contains("zq7x", StringComparison.Ordinal) || l.Contains(Key.Value, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Rejection.NoCredits, CloudFailure.NoCredits, "quota or credit")]
    [InlineData(Rejection.Moderated, CloudFailure.ContentRefused, "safety system refused")]
    [InlineData(Rejection.ServerError, CloudFailure.ProviderError, "a server error")]
    [InlineData(Rejection.Unavailable, CloudFailure.ProviderError, "503")]
    public async Task Describe_Refused_SaidInWords_SentOnce(Rejection fault, CloudFailure failure, string words)
    {
        Faults(CloudProviderId.OpenAi).Reject = fault;
        var before = Cloud.Server.Requests.Count;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => DescribeAsync("refused " + fault));

        Assert.Equal(failure, error.Failure);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.Single(Cloud.Server.Requests.Skip(before));
    }

    [Fact]
    public async Task Describe_RateLimitedLongerThanTheAppWaits_SaysWhenToTryAgain()
    {
        Faults(CloudProviderId.OpenAi).Reject = Rejection.RateLimited;
        Faults(CloudProviderId.OpenAi).RetryAfterSeconds = 600;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => DescribeAsync("rate limited"));

        Assert.Equal(CloudFailure.RateLimited, error.Failure);
        Assert.Equal(TimeSpan.FromSeconds(600), error.RetryAfter);
        Assert.Contains("rate-limiting", error.Message, StringComparison.Ordinal);
        Assert.Contains("try again in 600 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_RateLimitedOnce_WaitsAndSendsAgain()
    {
        Faults(CloudProviderId.OpenAi).Reject = Rejection.RateLimited;
        Faults(CloudProviderId.OpenAi).RejectCount = 1;
        Faults(CloudProviderId.OpenAi).RetryAfterSeconds = 3;

        var description = await DescribeAsync("once limited");

        Assert.NotEmpty(description.Text);
        Assert.Contains(TimeSpan.FromSeconds(3), Clients.Clock.Waits);
    }

    [Fact]
    public async Task Describe_NoAnswerInTime_MayHaveBeenBilled_NotSentAgain()
    {
        Faults(CloudProviderId.OpenAi).HoldAnswers = true;
        using var clients = new CloudClients(Cloud.Server.BaseAddress, s => s["Cloud:RequestTimeout"] = "00:00:01");

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => clients.Get<OpenAiDescriber>().DescribeAsync(Red, "image/png", "held", Key, default));
        Faults(CloudProviderId.OpenAi).ReleaseAnswers();

        Assert.Equal(CloudFailure.OutcomeUnknown, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Single(Cloud.Server.Accepted, r => r.Prompt?.EndsWith("held", StringComparison.Ordinal) == true); // accepted once, never sent again
    }

    [Fact]
    public async Task Describe_TheModelDeclines_NoTextSaidAsItsRefusal()
    {
        Faults(CloudProviderId.OpenAi).ChatRefusal = "I can't help with that.";

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => DescribeAsync("declined"));

        Assert.Equal(CloudFailure.ContentRefused, error.Failure);
        Assert.Contains("declined to describe the picture: I can't help with that.", error.Message, StringComparison.Ordinal);
        Assert.True(error.MayHaveBeenBilled);
    }
}
