using CloudStandIn;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Ideogram;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// What each provider's client does when things go wrong, against the cloud stand-in's faults: every refusal in words,
/// a paid request sent again only when the provider cannot have accepted it, never when the outcome is unknown.
/// </summary>
public sealed class CloudFailureTests(CloudStandInFixture cloud) : CloudClientTests(cloud)
{
    /// <summary>A small request each provider takes, with a prompt of its own so the stand-in's record can be searched.</summary>
    internal static CloudImageRequest Plain(CloudProviderId provider, string prompt) => provider switch
    {
        CloudProviderId.OpenAi => new("dall-e-2", prompt) { Size = "256x256" },
        CloudProviderId.Ideogram => new(IdeogramCatalog.ModelId, prompt) { Size = "512x1536" },
        _ => new("flux-pro-1.1", prompt) { Size = "256x256" },
    };

    /// <summary>Submits, and follows an accepted task to its end: what the queue will do.</summary>
    internal static async Task<CloudResult> RunAsync(ICloudImageProvider provider, CloudImageRequest request, CloudKey key, CancellationToken ct = default) =>
        await provider.SubmitAsync(request, key, ct) switch
        {
            CloudFinished finished => finished.Result,
            CloudAccepted accepted => await provider.ResumeAsync(accepted.Task, key, ct),
            var other => throw new InvalidOperationException($"Unexpected {other}"),
        };

    private async Task<(CloudProviderException Error, IReadOnlyList<CloudRequest> Paid)> FailAsync(CloudProviderId provider, string prompt, CloudKey? key = null)
    {
        var before = Cloud.Server.Requests.Count;
        var error = await Assert.ThrowsAsync<CloudProviderException>(() => RunAsync(Clients.Provider(provider), Plain(provider, prompt), key ?? Cloud.Key(provider)));
        var paid = Cloud.Server.Requests.Skip(before).Where(r => r.Method == "POST").ToList();
        Assert.Equal(provider, error.Provider);
        return (error, paid);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_WrongKey_InvalidKeyInWordsWithoutTheKey_NothingBilled(CloudProviderId provider)
    {
        var wrong = new CloudKey("sk-wrongkey-0123456789-zq7x");

        var (error, paid) = await FailAsync(provider, "wrong key " + provider, wrong);

        Assert.Equal(CloudFailure.InvalidKey, error.Failure);
        Assert.False(error.MayHaveBeenBilled);
        Assert.Contains("refused the API key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("zq7x", error.Message, StringComparison.Ordinal); // OpenAI's own message shows the key's last four
        Assert.Single(paid);
        Assert.Empty(Cloud.Billed("wrong key " + provider));
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi, "quota or credit")]
    [InlineData(CloudProviderId.Ideogram, "no credit left")]
    [InlineData(CloudProviderId.Bfl, "no credits left")]
    public async Task Submit_NoCredits_SaidInWords_NotSentAgain(CloudProviderId provider, string words)
    {
        Faults(provider).Reject = Rejection.NoCredits;

        var (error, paid) = await FailAsync(provider, "no credits " + provider);

        Assert.Equal(CloudFailure.NoCredits, error.Failure);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.Single(paid); // OpenAI's no-quota is a 429 too: told apart from a rate limit, not retried
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_RateLimitedOnce_WaitsTheRetryAfterAndSendsAgain_BilledOnce(CloudProviderId provider)
    {
        Faults(provider).Reject = Rejection.RateLimited;
        Faults(provider).RejectCount = 1;
        Faults(provider).RetryAfterSeconds = 7;
        var before = Cloud.Server.Requests.Count;

        var result = await RunAsync(Clients.Provider(provider), Plain(provider, "rate limited once " + provider), Cloud.Key(provider));

        Assert.Single(result.Images);
        Assert.Equal(TimeSpan.FromSeconds(7), Clients.Clock.Waits[0]);
        Assert.Equal([429, 200], Cloud.Server.Requests.Skip(before).Where(r => r.Method == "POST").Select(r => r.Status));
        Assert.Single(Cloud.Billed("rate limited once " + provider));
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_RateLimitedEveryTime_StopsAfterTheRetries_SaysWhenToTryAgain(CloudProviderId provider)
    {
        Faults(provider).Reject = Rejection.RateLimited;
        Faults(provider).RetryAfterSeconds = 3;

        var (error, paid) = await FailAsync(provider, "rate limited " + provider);

        Assert.Equal(CloudFailure.RateLimited, error.Failure);
        Assert.Equal(TimeSpan.FromSeconds(3), error.RetryAfter);
        Assert.Contains("try again in 3 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, paid.Count); // the first try and MaxRetries (2) more
    }

    [Fact]
    public async Task Submit_RetryAfterLongerThanTheLongestWait_NotWaitedFor_SaysWhen()
    {
        Faults(CloudProviderId.OpenAi).Reject = Rejection.RateLimited;
        Faults(CloudProviderId.OpenAi).RetryAfterSeconds = 600;

        var (error, paid) = await FailAsync(CloudProviderId.OpenAi, "long wait");

        Assert.Contains("try again in 600 s", error.Message, StringComparison.Ordinal);
        Assert.Single(paid);
        Assert.Empty(Clients.Clock.Waits);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi, "OpenAI's safety system refused")]
    [InlineData(CloudProviderId.Ideogram, "Ideogram's safety check refused")]
    [InlineData(CloudProviderId.Bfl, "BFL's moderation refused")]
    public async Task Submit_Moderated_ContentRefusedAsTheProvidersDecision_WithItsReason(CloudProviderId provider, string words)
    {
        Faults(provider).Reject = Rejection.Moderated;

        var (error, paid) = await FailAsync(provider, "moderated " + provider);

        Assert.Equal(CloudFailure.ContentRefused, error.Failure);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.ProviderReason));
        Assert.Single(paid);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi, Rejection.ServerError)]
    [InlineData(CloudProviderId.Ideogram, Rejection.ServerError)]
    [InlineData(CloudProviderId.Bfl, Rejection.ServerError)]
    [InlineData(CloudProviderId.OpenAi, Rejection.Unavailable)]
    [InlineData(CloudProviderId.Bfl, Rejection.Unavailable)]
    public async Task Submit_ServerError_MayHaveBeenBilled_SentOnce(CloudProviderId provider, Rejection rejection)
    {
        Faults(provider).Reject = rejection;

        var (error, paid) = await FailAsync(provider, "server error " + provider);

        Assert.Equal(CloudFailure.ProviderError, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("was not sent again", error.Message, StringComparison.Ordinal);
        Assert.Single(paid);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_ConnectionDroppedAfterAcceptance_UnknownMayHaveBeenBilled_NeverSentTwice(CloudProviderId provider)
    {
        Faults(provider).DropAfterAccept = true;

        var (error, paid) = await FailAsync(provider, "dropped " + provider);

        Assert.Equal(CloudFailure.OutcomeUnknown, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("may have made and billed it; it was not sent again", error.Message, StringComparison.Ordinal);
        Assert.Single(paid);
        Assert.Single(Cloud.Billed("dropped " + provider));
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_NoAnswerWithinTheTimeout_UnknownMayHaveBeenBilled_NotSentAgain(CloudProviderId provider)
    {
        Faults(provider).HoldAnswers = true;
        using var clients = new CloudClients(Cloud.Server.BaseAddress, s => s["Cloud:RequestTimeout"] = "00:00:01");
        var prompt = "timed out " + provider;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => RunAsync(clients.Provider(provider), Plain(provider, prompt), Cloud.Key(provider)));
        Faults(provider).Reset();

        Assert.Equal(CloudFailure.OutcomeUnknown, error.Failure);
        Assert.Contains("No answer from", error.Message, StringComparison.Ordinal);
        Assert.Single(Cloud.Billed(prompt));
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_CancelledWhileTheProviderWorks_StopsWaiting_SaysItMayStillBill(CloudProviderId provider)
    {
        Faults(provider).HoldAnswers = true;
        var accepted = Cloud.Server.Accepted.Count;
        using var cancel = new CancellationTokenSource();
        var prompt = "cancelled " + provider;

        var submit = Clients.Provider(provider).SubmitAsync(Plain(provider, prompt), Cloud.Key(provider), cancel.Token);
        await Cloud.Server.WhenAcceptedAsync(accepted + 1).WaitAsync(TimeSpan.FromSeconds(30));
        await cancel.CancelAsync();
        var error = await Assert.ThrowsAsync<CloudCancelledException>(() => submit);
        Faults(provider).Reset();

        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("may still make and bill the pictures", error.Message, StringComparison.Ordinal);
        Assert.Single(Cloud.Billed(prompt));
    }

    [Fact]
    public async Task Submit_CancelledBeforeSending_NothingSent_NothingBilled()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        var before = Cloud.Server.Requests.Count;

        var error = await Assert.ThrowsAsync<CloudCancelledException>(() =>
            Clients.Provider(CloudProviderId.OpenAi).SubmitAsync(Plain(CloudProviderId.OpenAi, "never sent"), Cloud.Key(CloudProviderId.OpenAi), cancel.Token));

        Assert.False(error.MayHaveBeenBilled);
        Assert.Equal(before, Cloud.Server.Requests.Count);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_InvalidRequest_RefusedBeforeSending_NamingTheField(CloudProviderId provider)
    {
        var before = Cloud.Server.Requests.Count;
        var request = Plain(provider, "bad size") with { Size = "100x100" };

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Clients.Provider(provider).SubmitAsync(request, Cloud.Key(provider), default));

        Assert.Equal(CloudFailure.InvalidRequest, error.Failure);
        Assert.Equal(CloudRequestValidator.SizeField, Assert.Single(error.Fields).Field);
        Assert.Contains("not 100x100", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Cloud.Server.Requests.Count);
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task Submit_ConnectionRefused_NothingSent_TriedAgainABoundedNumberOfTimes(CloudProviderId provider)
    {
        using var clients = new CloudClients(ClosedPort.Address());

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => clients.Provider(provider).SubmitAsync(Plain(provider, "refused"), Cloud.Key(provider), default));

        Assert.Equal(CloudFailure.Unreachable, error.Failure);
        Assert.False(error.MayHaveBeenBilled);
        Assert.Contains("refused the connection: nothing was sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, clients.Clock.Waits.Count); // waited before each of the 2 retries, then gave up
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi)]
    [InlineData(CloudProviderId.Ideogram)]
    [InlineData(CloudProviderId.Bfl)]
    public async Task AnyCall_TheKeyIsNeverInALogLineOrAMessage(CloudProviderId provider)
    {
        var key = Cloud.Key(provider);
        var secret = Cloud.Options.Keys[CloudStandInFixture.StandIn(provider)];
        var messages = new List<string>();

        await RunAsync(Clients.Provider(provider), Plain(provider, "logged " + provider), key);
        Faults(provider).Reject = Rejection.RateLimited;
        Faults(provider).RetryAfterSeconds = 1;
        messages.Add((await Assert.ThrowsAsync<CloudProviderException>(() => RunAsync(Clients.Provider(provider), Plain(provider, "logged 2"), key))).ToString());
        Faults(provider).Reset();
        Faults(provider).DropAfterAccept = true;
        messages.Add((await Assert.ThrowsAsync<CloudProviderException>(() => RunAsync(Clients.Provider(provider), Plain(provider, "logged 3"), key))).ToString());

        Assert.NotEmpty(Clients.Logs.Lines);
        Assert.Contains(Clients.Logs.Lines, l => l.Contains("sending it again", StringComparison.Ordinal));
        Assert.DoesNotContain(Clients.Logs.Lines, l => l.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(messages, m => m.Contains(secret, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(CloudProviderId.OpenAi, Hostility.EndlessAnswer)]
    [InlineData(CloudProviderId.Ideogram, Hostility.EndlessAnswer)]
    [InlineData(CloudProviderId.Bfl, Hostility.EndlessAnswer)]
    [InlineData(CloudProviderId.OpenAi, Hostility.TwoGigabytes)]
    [InlineData(CloudProviderId.Bfl, Hostility.TwoGigabytes)]
    [InlineData(CloudProviderId.Bfl, Hostility.EndlessPicture)]
    public async Task AnyCall_AnAnswerThatNeverEnds_CutOffAtTheLimit_WithAMessage(CloudProviderId provider, Hostility hostility)
    {
        await using var hostile = await HostileProvider.StartAsync(hostility);
        using var clients = new CloudClients(hostile.BaseAddress, s =>
        {
            s["Cloud:MaxResponseBytes"] = "1048576";
            s["Cloud:MaxImageBytes"] = "1048576";
        });

        // The body never ends: the call can only end because the client stopped reading at the limit (the wait is a guard).
        var error = await Assert.ThrowsAsync<CloudProviderException>(() =>
            RunAsync(clients.Provider(provider), Plain(provider, "endless"), Cloud.Key(provider)).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(CloudFailure.ResponseTooLarge, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("larger than 1 MB", error.Message, StringComparison.Ordinal);
    }
}
