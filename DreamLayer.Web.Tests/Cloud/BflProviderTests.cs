using CloudStandIn;
using DreamLayer.Web.Cloud;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// FLUX through BFL's asynchronous API, against the stand-in: the task's id and polling address come back before any
/// polling, polling backs off and ends in each of BFL's statuses, survives a restart, stops on cancel or timeout.
/// </summary>
public sealed class BflProviderTests(CloudStandInFixture cloud) : CloudClientTests(cloud, s => s["Cloud:PollTimeout"] = "00:00:20")
{
    private ICloudImageProvider Bfl => Clients.Provider(CloudProviderId.Bfl);

    private CloudKey Key => Cloud.Key(CloudProviderId.Bfl);

    private CloudFaults BflFaults => Faults(CloudProviderId.Bfl);

    /// <summary>Polls the stand-in answered so far (a test counts the difference).</summary>
    private int Polls() => Cloud.Server.Requests.Count(r => r.Path == "/v1/get_result");

    private async Task<CloudTaskHandle> SubmitAsync(string prompt, ICloudImageProvider? provider = null)
    {
        var request = new CloudImageRequest("flux-pro-1.1", prompt) { Size = "256x320", Seed = 77, Options = new Dictionary<string, string> { ["safety_tolerance"] = "2", ["prompt_upsampling"] = "false" } };
        return Assert.IsType<CloudAccepted>(await (provider ?? Bfl).SubmitAsync(request, Key, default)).Task;
    }

    [Fact]
    public async Task Submit_ReturnsTheTaskIdAndPollingAddress_BeforeAnyPoll()
    {
        var polls = Polls();

        var task = await SubmitAsync("handle first");

        var billed = Assert.Single(Cloud.Billed("handle first"));
        Assert.Equal(billed.Id, task.Id);
        Assert.Equal(new Uri(Cloud.Server.BaseAddress, "v1/get_result?id=" + task.Id).ToString(), task.PollingUrl);
        Assert.Equal(new CloudCost(4, "credits", "1 credit = 1 US cent"), task.Cost);
        Assert.Equal(polls, Polls());
    }

    [Fact]
    public async Task Resume_PendingThenReady_PollsWithAGrowingInterval_FetchesTheJpeg()
    {
        BflFaults.PendingPolls = 3;
        var task = await SubmitAsync("pending then ready");
        var before = Polls();

        var result = await Bfl.ResumeAsync(task, Key, default);

        var image = Assert.Single(result.Images);
        Assert.Equal("image/jpeg", image.MediaType);
        Assert.Equal((256, 320), (Image.Identify(image.Bytes).Width, Image.Identify(image.Bytes).Height));
        Assert.Equal(77, image.Seed);
        Assert.Equal("pending then ready", image.RevisedPrompt);
        Assert.Equal(task.Id, result.RequestId);
        Assert.Equal(task.Cost, result.Cost);
        Assert.Equal(4, Polls() - before);
        Assert.Equal([0.5, 0.75, 1.125, 1.688], Clients.Clock.Waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public async Task Resume_AfterAnAppRestart_FollowsTheStoredTask_NeverSubmitsAgain()
    {
        BflFaults.PendingPolls = 2;
        CloudTaskHandle task;
        using (var before = new CloudClients(Cloud.Server.BaseAddress))
        {
            task = await SubmitAsync("restart mid-poll", before.Provider(CloudProviderId.Bfl));
            using var stop = new CancellationTokenSource();
            before.Clock.OnWait = n => { if (n == 2) { stop.Cancel(); } };
            await Assert.ThrowsAsync<CloudCancelledException>(() => before.Provider(CloudProviderId.Bfl).ResumeAsync(task, Key, stop.Token));
        }

        using var after = new CloudClients(Cloud.Server.BaseAddress);
        var stored = task with { }; // as the queue would read it back
        var result = await after.Provider(CloudProviderId.Bfl).ResumeAsync(stored, Key, default);

        Assert.Single(result.Images);
        Assert.Single(Cloud.Billed("restart mid-poll"));
    }

    [Theory]
    [InlineData(BflStatus.Error, CloudFailure.ProviderError, "failed")]
    [InlineData(BflStatus.RequestModerated, CloudFailure.ContentRefused, "moderation refused the request")]
    [InlineData(BflStatus.ContentModerated, CloudFailure.ContentRefused, "moderation withheld the picture")]
    [InlineData(BflStatus.TaskNotFound, CloudFailure.TaskNotFound, "does not know FLUX task")]
    public async Task Resume_TaskEndsOtherwise_EachStatusInWords_Billed(string status, CloudFailure failure, string words)
    {
        BflFaults.PendingPolls = 1;
        BflFaults.EndIn = status;
        var task = await SubmitAsync("ends " + status);

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Bfl.ResumeAsync(task, Key, default));

        Assert.Equal(failure, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
        Assert.Contains(task.Id, error.Message, StringComparison.Ordinal);
        Assert.Single(Cloud.Billed("ends " + status));
    }

    [Fact]
    public async Task Resume_NeverReady_StopsAtTheTotalTimeout_PollsBounded()
    {
        BflFaults.PendingPolls = 100_000;
        var task = await SubmitAsync("never ready");
        var before = Polls();

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Bfl.ResumeAsync(task, Key, default));

        Assert.Equal(CloudFailure.TimedOut, error.Failure);
        Assert.Contains("was not ready after 0.3 minutes", error.Message, StringComparison.Ordinal);
        Assert.InRange(Polls() - before, 5, 12); // 0.5 s growing to 5 s between polls, within 20 s
        Assert.True(Clients.Clock.Waits.Sum(w => w.TotalSeconds) <= 20);
        Assert.Equal(5, Clients.Clock.Waits.Max().TotalSeconds);
    }

    [Fact]
    public async Task Resume_Cancelled_StopsPolling_SaysBflStillBills()
    {
        BflFaults.PendingPolls = 100_000;
        var task = await SubmitAsync("cancelled poll");
        var before = Polls();
        using var cancel = new CancellationTokenSource();
        Clients.Clock.OnWait = n => { if (n == 3) { cancel.Cancel(); } };

        var error = await Assert.ThrowsAsync<CloudCancelledException>(() => Bfl.ResumeAsync(task, Key, cancel.Token));

        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("BFL has no cancel", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, Polls() - before);
    }

    [Fact]
    public async Task Resume_SampleAddressExpired_ResultExpired()
    {
        BflFaults.UrlLifetimeSeconds = 0;
        var task = await SubmitAsync("expired sample");

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Bfl.ResumeAsync(task, Key, default));

        Assert.Equal(CloudFailure.ResultExpired, error.Failure);
    }

    [Fact]
    public async Task Resume_AnIdBflDoesNotKnow_TaskNotFound()
    {
        var task = new CloudTaskHandle(CloudProviderId.Bfl, "flux-pro-1.1", "no-such-task", new Uri(Cloud.Server.BaseAddress, "v1/get_result?id=no-such-task").ToString(), null);

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Bfl.ResumeAsync(task, Key, default));

        Assert.Equal(CloudFailure.TaskNotFound, error.Failure);
    }

    [Theory]
    [InlineData("https://evil.example/v1/get_result?id=t1")]
    [InlineData("not an address")]
    public async Task Resume_PollingAddressNotOnBflsHost_RefusedWithoutSendingTheKey(string pollingUrl)
    {
        var before = Cloud.Server.Requests.Count;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() =>
            Bfl.ResumeAsync(new CloudTaskHandle(CloudProviderId.Bfl, "flux-pro-1.1", "t1", pollingUrl, null), Key, default));

        Assert.Equal(CloudFailure.InvalidResponse, error.Failure);
        Assert.Equal(before, Cloud.Server.Requests.Count);
        Assert.Empty(Clients.Clock.Waits);
    }

    [Fact]
    public async Task Submit_UltraByAspectRatioRaw_TheRatiosPicture()
    {
        var request = new CloudImageRequest("flux-pro-1.1-ultra", "a wide valley") { AspectRatio = "21:9", Options = new Dictionary<string, string> { ["raw"] = "true", ["output_format"] = "png" } };

        var task = Assert.IsType<CloudAccepted>(await Bfl.SubmitAsync(request, Key, default)).Task;
        var image = Assert.Single((await Bfl.ResumeAsync(task, Key, default)).Images);

        Assert.Equal("image/png", image.MediaType);
        var info = Image.Identify(image.Bytes);
        Assert.True(info.Width > 2 * info.Height, $"{info.Width}x{info.Height} is not 21:9");
        Assert.Equal(new CloudCost(6, "credits", "1 credit = 1 US cent"), task.Cost);
    }

    [Fact]
    public async Task Resume_PollsThatFailOnTheWay_PolledAgain_HonouringRetryAfter()
    {
        await using var flaky = await HostileProvider.StartAsync(Hostility.FlakyPolls);
        using var clients = new CloudClients(flaky.BaseAddress);
        var bfl = clients.Provider(CloudProviderId.Bfl);

        var task = Assert.IsType<CloudAccepted>(await bfl.SubmitAsync(new CloudImageRequest("flux-pro-1.1", "flaky"), Key, default)).Task;
        var result = await bfl.ResumeAsync(task, Key, default);

        Assert.Equal("image/png", Assert.Single(result.Images).MediaType);
        Assert.Equal([0.5, 3, 4.5], clients.Clock.Waits.Select(w => w.TotalSeconds)); // 503 said 3 s; after the cut, the back-off goes on
    }

    [Fact]
    public async Task Resume_KeyRevokedWhileFollowing_InvalidKey_SaysTheTaskWasBilled()
    {
        BflFaults.PendingPolls = 2;
        var task = await SubmitAsync("revoked while polling");
        BflFaults.Reject = Rejection.Unauthorized;

        var error = await Assert.ThrowsAsync<CloudProviderException>(() => Bfl.ResumeAsync(task, Key, default));

        Assert.Equal(CloudFailure.InvalidKey, error.Failure);
        Assert.True(error.MayHaveBeenBilled);
        Assert.Contains("accepted and billed", error.Message, StringComparison.Ordinal);
    }
}
