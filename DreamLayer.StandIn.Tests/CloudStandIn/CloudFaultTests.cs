using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CloudStandIn;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>The switches that make providers misbehave, and what every provider shares: recording, expiry, serving one.</summary>
public sealed class CloudFaultTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private static JsonObject DallE2(string prompt = "a fox") => new() { ["model"] = "dall-e-2", ["prompt"] = prompt, ["size"] = "256x256" };

    [Fact]
    public async Task DropAfterAccept_ClientGetsNoAnswerButTheRequestWasAcceptedOnce_AndTheFaultFiresOnce()
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).DropAfterAccept = true;

        await Assert.ThrowsAsync<HttpRequestException>(() => _cloud.OpenAiAsync("/v1/images/generations", DallE2("paid once")));
        using var next = await _cloud.OpenAiAsync("/v1/images/generations", DallE2("the next one"));

        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(["paid once", "the next one"], _cloud.Server.Accepted.Select(a => a.Prompt));
        Assert.Equal(0, _cloud.Server.Requests.Single(r => r.Prompt == "paid once").Status); // no answer left the server
    }

    [Fact]
    public async Task DropAfterAccept_BflTaskExistsAndIsPollableByItsRecordedId()
    {
        _cloud.Server.Faults(CloudProvider.Bfl).DropAfterAccept = true;

        await Assert.ThrowsAsync<HttpRequestException>(() => _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x", ["width"] = 256, ["height"] = 256 }));

        var id = Assert.Single(_cloud.Server.Accepted).Id!;
        var poll = await _cloud.PollAsync(new Uri(_cloud.Server.BaseAddress, "v1/get_result?id=" + id).ToString());
        Assert.Equal(BflStatus.Ready, poll["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task HoldAnswers_RequestIsAcceptedAndInFlightUntilReleased()
    {
        var faults = _cloud.Server.Faults(CloudProvider.Ideogram);
        faults.HoldAnswers = true;
        using var form = new MultipartFormDataContent { { new StringContent("held"), "prompt" } };

        var answer = _cloud.IdeogramAsync("generate", form);
        await _cloud.Server.WhenAcceptedAsync(1).WaitAsync(CloudHarness.Guard);
        Assert.False(answer.IsCompleted);
        faults.HoldAnswers = false;
        faults.ReleaseAnswers();
        using var response = await answer;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("held", Assert.Single(_cloud.Server.Accepted).Prompt);
    }

    [Fact]
    public async Task Delay_AClientThatGivesUpFirstLeavesTheRequestAcceptedAndBilled()
    {
        _cloud.Server.Faults(CloudProvider.Bfl).DelayMs = 60_000;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/flux-pro-1.1", UriKind.Relative))
        {
            Content = new StringContent("""{"prompt":"slow","width":256,"height":256}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-key", _cloud.BflKey);
        using var giveUp = new CancellationTokenSource();

        var sent = _cloud.Http.SendAsync(request, giveUp.Token);
        await _cloud.Server.WhenAcceptedAsync(1).WaitAsync(CloudHarness.Guard);
        await giveUp.CancelAsync(); // the client's own timeout, while the answer is still on its way

        await Assert.ThrowsAsync<TaskCanceledException>(() => sent);
        Assert.Equal("slow", Assert.Single(_cloud.Server.Accepted).Prompt); // given up on, yet the provider took it on
    }

    [Fact]
    public async Task RejectCount_RateLimitedOnceWithRetryAfter_ThenAccepted_SoOneRetryBillsOnce()
    {
        var faults = _cloud.Server.Faults(CloudProvider.OpenAi);
        faults.Reject = Rejection.RateLimited;
        faults.RejectCount = 1;
        faults.RetryAfterSeconds = 2;

        using var first = await _cloud.OpenAiAsync("/v1/images/generations", DallE2());
        using var retry = await _cloud.OpenAiAsync("/v1/images/generations", DallE2());

        Assert.Equal(HttpStatusCode.TooManyRequests, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), first.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Single(_cloud.Server.Accepted);
        Assert.Null(faults.Reject);
    }

    [Fact]
    public async Task Unauthorized_AlsoRefusesKeyChecksAndPolls_OtherRejectionsOnlyPaidCalls()
    {
        var faults = _cloud.Server.Faults(CloudProvider.Bfl);
        var url = (await CloudHarness.JsonOf(await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x", ["width"] = 256, ["height"] = 256 })))["polling_url"]!.GetValue<string>();
        faults.Reject = Rejection.ServerError;
        var pollDuringOutage = await _cloud.PollAsync(url);
        faults.Reject = Rejection.Unauthorized;
        using var poll = new HttpRequestMessage(HttpMethod.Get, new Uri(url));
        poll.Headers.Add("x-key", _cloud.BflKey);
        using var refused = await _cloud.Http.SendAsync(poll);

        Assert.Equal(BflStatus.Ready, pollDuringOutage["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task ResultUrls_ServeUntilTheirLifetimeThen403_ForEveryProvider()
    {
        using var openAi = await _cloud.OpenAiAsync("/v1/images/generations", DallE2());
        using var ideogram = await _cloud.IdeogramAsync("generate", new MultipartFormDataContent { { new StringContent("x"), "prompt" } });
        var task = await CloudHarness.JsonOf(await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x", ["width"] = 256, ["height"] = 256 }));
        var urls = new[]
        {
            (await CloudHarness.JsonOf(openAi))["data"]![0]!["url"]!.GetValue<string>(),
            (await CloudHarness.JsonOf(ideogram))["data"]![0]!["url"]!.GetValue<string>(),
            (await _cloud.PollAsync(task["polling_url"]!.GetValue<string>()))["result"]!["sample"]!.GetValue<string>(),
        };

        Assert.All(await StatusesAsync(urls), s => Assert.Equal(HttpStatusCode.OK, s));
        _cloud.Clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], await StatusesAsync(urls));
        _cloud.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], await StatusesAsync(urls)); // OpenAI's last 60 minutes
        _cloud.Clock.Advance(TimeSpan.FromMinutes(50));
        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden], await StatusesAsync(urls));
        using var expired = await _cloud.Http.GetAsync(new Uri(urls[0]));
        Assert.Contains("AuthenticationFailed", await expired.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UrlLifetimeFault_ZeroMakesUrlsExpiredAtOnce_AndATamperedSignatureIsRefused()
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).UrlLifetimeSeconds = 0;
        var expired = (await CloudHarness.JsonOf(await _cloud.OpenAiAsync("/v1/images/generations", DallE2())))["data"]![0]!["url"]!.GetValue<string>();
        _cloud.Server.Faults(CloudProvider.OpenAi).UrlLifetimeSeconds = null;
        var valid = (await CloudHarness.JsonOf(await _cloud.OpenAiAsync("/v1/images/generations", DallE2())))["data"]![0]!["url"]!.GetValue<string>();
        var tampered = valid.Replace("se=", "se=9", StringComparison.Ordinal);

        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.OK, HttpStatusCode.Forbidden], await StatusesAsync([expired, valid, tampered]));
    }

    [Fact]
    public async Task FaultsRoute_PostSwitchesAProvider_GetShowsIt_BadValueIs400InWords()
    {
        using var set = await _cloud.Http.PostAsync(new Uri("/__standin/faults/ideogram", UriKind.Relative),
            new StringContent("""{"reject":"no-credits","rejectCount":1}""", Encoding.UTF8, "application/json"));
        var all = JsonNode.Parse(await _cloud.Http.GetStringAsync(new Uri("/__standin/faults", UriKind.Relative)))!;
        using var refused = await _cloud.IdeogramAsync("generate", new MultipartFormDataContent { { new StringContent("x"), "prompt" } });
        using var bad = await _cloud.Http.PostAsync(new Uri("/__standin/faults/bfl", UriKind.Relative),
            new StringContent("""{"endIn":"Finished"}""", Encoding.UTF8, "application/json"));
        using var unknown = await _cloud.Http.GetAsync(new Uri("/__standin/faults/midjourney", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("no-credits", all["ideogram"]!["reject"]!.GetValue<string>());
        Assert.Null(all["openai"]!["reject"]);
        Assert.Equal(HttpStatusCode.PaymentRequired, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("'Finished' is not one of Ready, Error", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task KeyChecks_IdeogramAccountCall_AdminListsMember404Bad401_FaultsRefuseOrHang_NothingBilled()
    {
        async Task<HttpStatusCode> IdeogramKeysAsync(string key)
        {
            using var client = _cloud.NewClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/account/api-keys");
            request.Headers.Add("Api-Key", key);
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }

        using var admin = new HttpRequestMessage(HttpMethod.Get, "/v2/account/api-keys");
        admin.Headers.Add("Api-Key", _cloud.IdeogramKey);
        using var listed = await _cloud.Http.SendAsync(admin);
        var keys = (await CloudHarness.JsonOf(listed))["api_keys"]!.AsArray();
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal([_cloud.IdeogramKey[..4] + "…", _cloud.Options.IdeogramMemberKey[..4] + "…"], keys.Select(k => k!["redacted_api_key"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, await IdeogramKeysAsync(_cloud.Options.IdeogramMemberKey));
        Assert.Equal(HttpStatusCode.Unauthorized, await IdeogramKeysAsync("not-a-key"));

        using var set = await _cloud.Http.PostAsync(new Uri("/__standin/faults/ideogram", UriKind.Relative),
            new StringContent("""{"keyCheckReject":"rate-limited","retryAfterSeconds":7}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        using var limited = new HttpRequestMessage(HttpMethod.Get, "/v2/account/api-keys");
        limited.Headers.Add("Api-Key", _cloud.IdeogramKey);
        using var limitedAnswer = await _cloud.Http.SendAsync(limited);
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedAnswer.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limitedAnswer.Headers.RetryAfter?.Delta);
        using var paid = await _cloud.IdeogramAsync("generate", new MultipartFormDataContent { { new StringContent("still generates"), "prompt" } });
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode); // the key-check fault leaves paid requests alone

        _cloud.Server.Faults(CloudProvider.Ideogram).Reset();
        _cloud.Server.Faults(CloudProvider.Bfl).KeyCheckHang = true;
        using var hanging = _cloud.NewClient();
        hanging.Timeout = TimeSpan.FromMilliseconds(300);
        using var credits = new HttpRequestMessage(HttpMethod.Get, "/v1/credits");
        credits.Headers.Add("x-key", _cloud.BflKey);
        await Assert.ThrowsAsync<TaskCanceledException>(() => hanging.SendAsync(credits));
        _cloud.Server.Faults(CloudProvider.Bfl).Reset();

        Assert.Equal(["still generates"], _cloud.Server.Accepted.Select(a => a.Prompt)); // no key check was billed
    }

    [Fact]
    public async Task Only_ServesOneProvider_TheOthersPathsAre404()
    {
        await using var bflOnly = await CloudHarness.StartAsync(o => o.Only = CloudProvider.Bfl);

        using var openAi = await bflOnly.OpenAiAsync("/v1/images/generations", DallE2());
        using var bfl = await bflOnly.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x", ["width"] = 256, ["height"] = 256 });

        Assert.Equal(HttpStatusCode.NotFound, openAi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bfl.StatusCode);
    }

    [Fact]
    public async Task Upload_OverTheRequestLimit_RefusedInTheProvidersShapeWithoutBilling()
    {
        await using var small = await CloudHarness.StartAsync(o => o.MaxRequestBytes = 4096);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("edit"), "prompt" },
            { CloudHarness.File(new byte[64 * 1024]), "image", "big.png" },
        };

        using var response = await small.OpenAiFormAsync(form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than the 4096 bytes", (await CloudHarness.JsonOf(response))["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(small.Server.Accepted);
    }

    private async Task<HttpStatusCode[]> StatusesAsync(IEnumerable<string> urls)
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var url in urls)
        {
            using var response = await _cloud.Http.GetAsync(new Uri(url));
            statuses.Add(response.StatusCode);
        }
        return [.. statuses];
    }
}
