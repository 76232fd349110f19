using System.Net;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Features.Users;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Jobs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// The live job events hub (<c>/hubs/jobs</c>) through the real app against the stand-in, driven by SignalR's own .NET
/// client as a script would: the order of a job's events, a failure's reason, previews only when asked for, who may
/// connect and follow what, and the token kept out of the log.
/// </summary>
public sealed class JobsHubTests(SharedApp shared) : IClassFixture<SharedApp>
{
    private DreamLayerApp App => shared.App;

    private async Task<Guid> SubmitAsync(TestUser owner, string prompt, int steps = 4)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await App.Get<JobQueue>().SubmitAsync(LiveAppFixture.Txt2Img(prompt, steps), owner.Id, default));
        return Assert.Single(accepted.JobIds);
    }

    private static int IndexOf(IReadOnlyList<(string Name, System.Text.Json.JsonElement Payload)> events, string name) =>
        events.ToList().FindIndex(e => e.Name == name);

    [Fact]
    public async Task Token_JobSubmitted_SeesQueuedStartedProgressFinishedInOrder_WithImageAddresses()
    {
        var token = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        await using var hub = await HubClient.WithTokenAsync(App, token);

        Guid jobId;
        // Held after step 2 until the client has it: a step is latest-wins, so a client behind could skip any one.
        App.StandIn!.Faults.HoldAfterStep = 2;
        try
        {
            jobId = await SubmitAsync(App.Alice, "a lighthouse at dusk");
            await hub.WaitForAsync(jobId, JobHubEvents.Progress, p => p.GetProperty("step").ValueKind == System.Text.Json.JsonValueKind.Number && p.GetProperty("step").GetInt32() == 2);
        }
        finally
        {
            App.StandIn.Faults.HoldAfterStep = null;
            App.StandIn.Faults.ReleaseHold();
        }
        var finished = await hub.WaitForAsync(jobId, JobHubEvents.Finished);

        var events = hub.Of(jobId);
        var queued = events[IndexOf(events, JobHubEvents.Queued)].Payload;
        var started = events[IndexOf(events, JobHubEvents.Started)].Payload;
        Assert.True(IndexOf(events, JobHubEvents.Queued) < IndexOf(events, JobHubEvents.Started));
        Assert.True(IndexOf(events, JobHubEvents.Started) < IndexOf(events, JobHubEvents.Progress));
        Assert.True(events.ToList().FindLastIndex(e => e.Name == JobHubEvents.Progress) < IndexOf(events, JobHubEvents.Finished));
        Assert.Equal(JobHubEvents.Finished, events[^1].Name);
        Assert.Equal(0, queued.GetProperty("position").GetInt32());
        Assert.Equal("Txt2Img", queued.GetProperty("mode").GetString());
        Assert.Equal(DreamLayerApp.ServerName(0), started.GetProperty("server").GetString());
        var progress = events.Where(e => e.Name == JobHubEvents.Progress).Select(e => e.Payload).ToList();
        var counted = progress.Where(p => p.GetProperty("steps").ValueKind == System.Text.Json.JsonValueKind.Number).ToList();
        Assert.All(counted, p => Assert.Equal(4, p.GetProperty("steps").GetInt32()));
        Assert.Contains(counted, p => p.GetProperty("step").GetInt32() == 2 && p.GetProperty("progress").GetDouble() == 0.5);
        // A node that counts no steps (the loader, the save) says so with nulls, not with "0 of 0".
        Assert.All(progress.Except(counted), p => Assert.Equal(System.Text.Json.JsonValueKind.Null, p.GetProperty("progress").ValueKind));
        // The images by the addresses that serve them, the job's own images.
        await using var db = App.CreateDbContext();
        var images = await db.Images.AsNoTracking().Where(i => i.JobId == jobId).Select(i => i.Id).ToListAsync();
        Assert.NotEmpty(images);
        Assert.Equal(images.Select(id => $"/api/v1/images/{id}/file").Order(), finished.GetProperty("images").EnumerateArray().Select(i => i.GetString()!).Order());
        // No frames without asking for them.
        Assert.DoesNotContain(hub.Received, e => e.Name == JobHubEvents.Preview);
    }

    [Fact]
    public async Task Token_JobFailsOnTheServer_SeesFailedWithTheServersReason()
    {
        var token = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        await using var hub = await HubClient.WithTokenAsync(App, token);
        App.StandIn!.Faults.FailAtNode = "VAEDecode";
        try
        {
            var jobId = await SubmitAsync(App.Alice, "a broken decoder");

            var failed = await hub.WaitForAsync(jobId, JobHubEvents.Failed);

            Assert.Contains("VAEDecode", failed.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(hub.Of(jobId), e => e.Name == JobHubEvents.Finished);
        }
        finally
        {
            App.StandIn.Faults.FailAtNode = null;
        }
    }

    [Fact]
    public async Task Previews_OnlyAfterAsking_NewestFrameWithItsStep_AllBeforeTheEnd()
    {
        var token = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        await using var hub = await HubClient.WithTokenAsync(App, token);
        var events = App.Get<JobEvents>();
        App.StandIn!.Faults.HoldAfterStep = 2;
        try
        {
            var jobId = await SubmitAsync(App.Alice, "frames on request", steps: 6);
            await hub.WaitForAsync(jobId, JobHubEvents.Progress, p => p.GetProperty("step").ValueKind == System.Text.Json.JsonValueKind.Number && p.GetProperty("step").GetInt32() == 2);
            await DreamLayerApp.WaitUntilAsync(() => events.LatestPreview(jobId) is not null, "the frame of step 2");
            Assert.DoesNotContain(hub.Received, e => e.Name == JobHubEvents.Preview);

            await hub.Connection.InvokeAsync("SubscribePreviews", jobId);
            var first = await hub.WaitForAsync(jobId, JobHubEvents.Preview);
            Assert.Equal(2, first.GetProperty("step").GetInt32());
            var mediaType = first.GetProperty("mediaType").GetString();
            var bytes = first.GetProperty("image").GetBytesFromBase64();
            Assert.True(mediaType == "image/png" ? bytes.AsSpan().StartsWith("\x89PNG"u8) : bytes.AsSpan().StartsWith((byte[])[0xFF, 0xD8]),
                $"A frame of {mediaType} whose bytes are not one");

            App.StandIn.Faults.HoldAfterStep = null;
            App.StandIn.Faults.ReleaseHold();
            await hub.WaitForAsync(jobId, JobHubEvents.Finished);
            var ofJob = hub.Of(jobId).ToList();
            Assert.True(ofJob.FindLastIndex(e => e.Name == JobHubEvents.Preview) < ofJob.FindIndex(e => e.Name == JobHubEvents.Finished));
        }
        finally
        {
            App.StandIn.Faults.HoldAfterStep = null;
            App.StandIn.Faults.ReleaseHold();
        }
    }

    [Fact]
    public async Task Connect_WithTokenInHeaderOrQueryOrCookie_Works_AnonymousOrUnknownTokenIsRefused()
    {
        var token = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        var cookies = await HubClient.SignInAsync(App, App.Alice);
        await using var byHeader = await HubClient.WithTokenAsync(App, token);
        await using var byQuery = await HubClient.WithTokenInQueryAsync(App, token);
        await using var byCookie = await HubClient.WithCookiesAsync(App, cookies);

        var jobId = await SubmitAsync(App.Alice, "three listeners");
        foreach (var hub in new[] { byHeader, byQuery, byCookie })
        {
            await hub.WaitForAsync(jobId, JobHubEvents.Finished);
        }

        var anonymous = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.AnonymousAsync(App));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var unknown = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.WithTokenInQueryAsync(App, ApiTokens.Prefix + new string('A', 43)));
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
    }

    [Fact]
    public async Task FollowJob_MemberAsksForAnothersJob_GetsAnErrorAndNoEvents_AdminFollowsIt()
    {
        var alice = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        var admin = (await ApiTokenTests.MakeTokenAsync(App, App.Admin)).Token;
        await using var aliceHub = await HubClient.WithTokenAsync(App, alice);
        await using var adminHub = await HubClient.WithTokenAsync(App, admin);
        App.StandIn!.Faults.HoldAfterStep = 1;
        try
        {
            var bobsJob = await SubmitAsync(App.Bob, "bob's own");
            await DreamLayerApp.WaitUntilAsync(() => App.Get<JobEvents>().TryGet(bobsJob, out var j) && j.StepValue == 1, "Bob's job to run");

            var refused = await Assert.ThrowsAsync<HubException>(() => aliceHub.Connection.InvokeAsync<ApiJob>("FollowJob", bobsJob));
            Assert.Contains("There is no job", refused.Message, StringComparison.Ordinal);
            var previews = await Assert.ThrowsAsync<HubException>(() => aliceHub.Connection.InvokeAsync("SubscribePreviews", bobsJob));
            Assert.Contains("There is no job", previews.Message, StringComparison.Ordinal);
            var followed = await adminHub.Connection.InvokeAsync<ApiJob>("FollowJob", bobsJob);
            Assert.Equal("Running", followed.Status);

            App.StandIn.Faults.HoldAfterStep = null;
            App.StandIn.Faults.ReleaseHold();
            await adminHub.WaitForAsync(bobsJob, JobHubEvents.Finished);
            // Alice's own job after Bob's: everything of hers arrived, nothing of Bob's did.
            var own = await SubmitAsync(App.Alice, "alice's own");
            await aliceHub.WaitForAsync(own, JobHubEvents.Finished);
            Assert.Empty(aliceHub.Of(bobsJob));
        }
        finally
        {
            App.StandIn.Faults.HoldAfterStep = null;
            App.StandIn.Faults.ReleaseHold();
        }
    }

    [Fact]
    public async Task ASubscriberThatThrows_DoesNotStopTheHubsConnections()
    {
        var token = (await ApiTokenTests.MakeTokenAsync(App, App.Alice)).Token;
        await using var first = await HubClient.WithTokenAsync(App, token);
        using var broken = App.Get<JobEvents>().SubscribeOwner(App.Alice.Id, GenerationMode.Txt2Img, _ => throw new InvalidOperationException("a broken subscriber"));
        await using var second = await HubClient.WithTokenAsync(App, token);

        var jobId = await SubmitAsync(App.Alice, "despite a broken subscriber");

        await first.WaitForAsync(jobId, JobHubEvents.Finished);
        await second.WaitForAsync(jobId, JobHubEvents.Finished);
    }
}

/// <summary>The hub's tests that change the app (an account, the log level): each starts its own app.</summary>
public sealed class JobsHubAccountTests
{
    [Fact]
    public async Task DisabledAccount_ItsTokenAndCookieConnectionsEndAtOnce_OthersStay()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var bobToken = (await ApiTokenTests.MakeTokenAsync(app, app.Bob)).Token;
        var aliceToken = (await ApiTokenTests.MakeTokenAsync(app, app.Alice)).Token;
        var cookies = await HubClient.SignInAsync(app, app.Bob);
        await using var bobByToken = await HubClient.WithTokenAsync(app, bobToken);
        await using var bobByCookie = await HubClient.WithCookiesAsync(app, cookies);
        await using var alice = await HubClient.WithTokenAsync(app, aliceToken);

        var disabled = await app.Get<UserAdministration>().SetDisabledAsync(ApiTokenTests.As(app.Admin), app.Bob.Id, disabled: true, default);
        Assert.True(disabled.Succeeded);

        await bobByToken.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await bobByCookie.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HubConnectionState.Connected, alice.Connection.State);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => HubClient.WithTokenAsync(app, bobToken));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task RevokedToken_ItsConnectionEndsAtOnce_TheOwnersOtherConnectionsStay()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var revoked = await ApiTokenTests.MakeTokenAsync(app, app.Bob);
        var kept = (await ApiTokenTests.MakeTokenAsync(app, app.Bob)).Token;
        var cookies = await HubClient.SignInAsync(app, app.Bob);
        await using var byRevoked = await HubClient.WithTokenAsync(app, revoked.Token);
        await using var byKept = await HubClient.WithTokenAsync(app, kept);
        await using var byCookie = await HubClient.WithCookiesAsync(app, cookies);

        Assert.True(await app.Get<ApiTokens>().RevokeAsync(ApiTokenTests.As(app.Bob), revoked.Row.Id, default));

        await byRevoked.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The other two were checked as well; a job of Bob's still reaches both.
        var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(LiveAppFixture.Txt2Img("after the revoke", 2), app.Bob.Id, default)).JobIds);
        await byKept.WaitForAsync(jobId, JobHubEvents.Finished);
        await byCookie.WaitForAsync(jobId, JobHubEvents.Finished);
        Assert.Equal(HubConnectionState.Connected, byKept.Connection.State);
        Assert.Equal(HubConnectionState.Connected, byCookie.Connection.State);
    }

    [Fact]
    public async Task TokenInTheQueryString_IsNeverWrittenToTheLog()
    {
        var logs = new CapturedLog();
        await using var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = "Debug",
                // The framework's own request lines write the whole query string.
                ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Debug",
            },
            services: s => s.AddSingleton<ILogEventSink>(logs));
        var token = (await ApiTokenTests.MakeTokenAsync(app, app.Alice)).Token;

        await using (var hub = await HubClient.WithTokenInQueryAsync(app, token))
        {
            var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(LiveAppFixture.Txt2Img("logged?", 2), app.Alice.Id, default)).JobIds);
            await hub.WaitForAsync(jobId, JobHubEvents.Finished);
        }

        // The hub's requests were logged, query included (so the check below has something to look at), and no line holds the token.
        await DreamLayerApp.WaitUntilAsync(() => logs.Lines.Any(l => l.Contains("access_token=", StringComparison.Ordinal)), "the hub's requests to be logged");
        var text = string.Join('\n', logs.Lines);
        Assert.DoesNotContain(token[ApiTokens.Prefix.Length..], text, StringComparison.Ordinal);
    }
}
