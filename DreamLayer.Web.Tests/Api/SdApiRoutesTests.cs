using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Features.SdApi;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using SixLabors.ImageSharp;
using static DreamLayer.Web.Tests.Api.ApiTokenTests;
using static DreamLayer.Web.Tests.Api.SdApiTests;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// Who may do what on <c>/sdapi/v1</c>. The routes are read from the app's own endpoints, so one added later without
/// the face's sign-in fails here: anonymous, a wrong user name, and the browser's cookie alone get A1111's 401 with
/// <c>WWW-Authenticate: Basic</c>; progress, interrupt and skip reach only the asker's own jobs; a client that goes away
/// cancels its job; the per-token rate limit is the one REST v1 counts.
/// </summary>
public sealed class SdApiRoutesTests
{
    [Fact]
    public async Task EverySdApiRoute_RefusesAnonymousAWrongUserAndTheCookieAlone_WithA1111s401_AndAnswersTheTokensOwner()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var alicesToken = (await MakeTokenAsync(app, app.Alice)).Token;
        using var anonymous = app.CreateAnonymousClient();
        using var wrongUser = Basic(app, app.Bob, alicesToken);
        using var cookie = await app.CreateClientAsync(app.Alice);
        using var alice = Basic(app, app.Alice, alicesToken);
        using var bearer = Bearer(app, alicesToken);
        using var admin = await BasicAsync(app, app.Admin);
        var routes = ApiRoutesTests.RoutesUnder(app, SdApiExtensions.Prefix);

        foreach (var (method, pattern) in routes)
        {
            foreach (var refused in new[] { anonymous, wrongUser, cookie })
            {
                using var response = await refused.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(pattern, UriKind.Relative)));
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern}: {response.StatusCode}");
                Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
                await A1111ErrorAsync(response, HttpStatusCode.Unauthorized);
            }
            foreach (var allowed in new[] { alice, bearer, admin })
            {
                // No body: a route that needs one says so (4xx); none answers 401 or fails.
                using var response = await allowed.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(pattern, UriKind.Relative)));
                Assert.True(response.StatusCode != HttpStatusCode.Unauthorized && (int)response.StatusCode < 500, $"{method} {pattern}: {response.StatusCode}");
                if (method == "GET")
                {
                    Assert.True(response.IsSuccessStatusCode, $"{method} {pattern}: {response.StatusCode}");
                }
            }
        }
        foreach (var route in new[] { "txt2img", "img2img", "extra-single-image", "png-info", "progress", "interrupt", "skip", "options", "sd-models", "samplers", "schedulers", "loras", "upscalers" })
        {
            Assert.Contains(routes, r => r.Pattern == SdApiExtensions.Prefix + "/" + route);
        }
    }

    [Fact]
    public async Task ProgressInterruptAndSkip_ReachOnlyTheAskersOwnJobs_SkipEndsOneRun_InterruptTheRestOfTheBatch()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(150));
        var events = app.Get<JobEvents>();
        var batch = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(new GenerationRequest
        {
            Prompt = "a lighthouse at dusk",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Steps = 8,
            Width = 256,
            Height = 256,
            BatchCount = 3,
        }, app.Bob.Id, default));
        var (first, second, third) = (batch.JobIds[0], batch.JobIds[1], batch.JobIds[2]);
        using var alice = await BasicAsync(app, app.Alice);
        using var bob = await BasicAsync(app, app.Bob);
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(first, out var j) && j.Status == JobStatus.Running && j.StepValue >= 1, "Bob's first run to start");

        // Alice has no job: her progress is idle, and her interrupt and skip leave Bob's alone, which runs to its end.
        var hers = await JsonAsync(await alice.GetAsync(Route("progress")));
        Assert.Equal(0, hers.GetProperty("state").GetProperty("job_count").GetInt32());
        Assert.Equal(string.Empty, hers.GetProperty("state").GetProperty("job").GetString());
        (await alice.PostAsync(Route("interrupt"), null)).EnsureSuccessStatusCode();
        (await alice.PostAsync(Route("skip"), null)).EnsureSuccessStatusCode();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(first, out var j) && j.Status.IsTerminal(), "Bob's first run to end");
        Assert.True(events.TryGet(first, out var ended) && ended.Status == JobStatus.Succeeded, $"Bob's first run ended {ended?.Status}");

        // Bob's progress is his running job's, with its newest preview frame.
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(second, out var j) && j.Status == JobStatus.Running && j.StepValue >= 1 && events.LatestPreview(second) is not null, "Bob's second run to send a preview");
        var his = await JsonAsync(await bob.GetAsync(Route("progress")));
        Assert.Equal(second.ToString(), his.GetProperty("state").GetProperty("job").GetString());
        Assert.Equal(8, his.GetProperty("state").GetProperty("sampling_steps").GetInt32());
        Assert.Equal(2, his.GetProperty("state").GetProperty("job_count").GetInt32());
        Assert.InRange(his.GetProperty("progress").GetDouble(), 0.1, 1);
        Assert.True(his.GetProperty("eta_relative").GetDouble() >= 0);
        using (var frame = Image.Load(Convert.FromBase64String(his.GetProperty("current_image").GetString()!)))
        {
            Assert.True(frame.Width > 0);
        }
        var withoutImage = await JsonAsync(await bob.GetAsync(new Uri(Route("progress") + "?skip_current_image=true", UriKind.Relative)));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, withoutImage.GetProperty("current_image").ValueKind);

        // Skip ends the running run only; the batch goes on. Interrupt then ends the rest.
        (await bob.PostAsync(Route("skip"), null)).EnsureSuccessStatusCode();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(second, out var j) && j.Status == JobStatus.Cancelled, "the skipped run to end as cancelled");
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(third, out var j) && j.Status == JobStatus.Running, "the batch's last run to start");
        (await bob.PostAsync(Route("interrupt"), null)).EnsureSuccessStatusCode();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(third, out var j) && j.Status == JobStatus.Cancelled, "the interrupted run to end as cancelled");
    }

    [Fact]
    public async Task AClientThatGoesAway_CancelsItsJob()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(300));
        var events = app.Get<JobEvents>();
        using var alice = await BasicAsync(app, app.Alice);
        using var gone = new CancellationTokenSource();

        var call = alice.PostAsJsonAsync(Route("txt2img"), new JsonObject { ["prompt"] = "a long wait", ["steps"] = 40, ["width"] = 256, ["height"] = 256 }, gone.Token);
        JobProgress? job = null;
        await DreamLayerApp.WaitUntilAsync(() => (job = events.Active().FirstOrDefault(j => j.Owner == app.Alice.Id && j.Status == JobStatus.Running && j.StepValue >= 1)) is not null, "Alice's job to run");
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job!.JobId, out var j) && j.Status.IsTerminal(), "the job to end");
        Assert.True(events.TryGet(job!.JobId, out var ended) && ended.Status == JobStatus.Cancelled, $"the job ended {ended?.Status}");
    }

    [Fact]
    public async Task RateLimit_CountsTheTokenSentAsBasicOrBearer_InTheBudgetRestV1Counts()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Accounts:ApiRequests"] = "3", ["Accounts:ApiWindow"] = "00:10:00" });
        var token = (await MakeTokenAsync(app, app.Alice, "busy")).Token;
        using var basic = Basic(app, app.Alice, token);
        using var bearer = Bearer(app, token);
        using var quiet = await BasicAsync(app, app.Alice);

        (await basic.GetAsync(Route("samplers"))).EnsureSuccessStatusCode();
        (await bearer.GetAsync(Route("samplers"))).EnsureSuccessStatusCode();
        (await bearer.GetAsync(new Uri("/api/v1/samplers", UriKind.Relative))).EnsureSuccessStatusCode();

        using var limited = await basic.GetAsync(Route("samplers"));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        // In A1111's error shape, as its clients parse it; REST v1 keeps its problem details.
        var said = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!;
        Assert.Equal("HTTPException", (string?)said["error"]);
        Assert.Contains("too many requests", (string?)said["detail"], StringComparison.Ordinal);
        Assert.StartsWith("429: ", (string?)said["errors"], StringComparison.Ordinal);
        using var limitedRest = await bearer.GetAsync(new Uri("/api/v1/samplers", UriKind.Relative));
        Assert.Equal(HttpStatusCode.TooManyRequests, limitedRest.StatusCode);
        Assert.Equal("application/problem+json", limitedRest.Content.Headers.ContentType?.MediaType);
        (await quiet.GetAsync(Route("samplers"))).EnsureSuccessStatusCode();

        // Guessing passwords through Basic counts against the guessed password's budget, before any database read.
        using var guesser = app.CreateAnonymousClient();
        guesser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:dl_guess")));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await guesser.GetAsync(Route("samplers"))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, (await guesser.GetAsync(Route("samplers"))).StatusCode);
    }
}
