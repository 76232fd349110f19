using System.Net;
using System.Text.Json.Nodes;
using CloudStandIn;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>BFL's FLUX API as its reference documents it: submit, then poll the polling URL through the task's states.</summary>
public sealed class BflTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync(o => o.BflActiveTaskLimit = 2);

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private CloudFaults Faults => _cloud.Server.Faults(CloudProvider.Bfl);

    private async Task<JsonObject> SubmitAsync(string model = "flux-pro-1.1", JsonObject? body = null)
    {
        using var response = await _cloud.BflAsync(model, body ?? new JsonObject { ["prompt"] = "a fox", ["width"] = 256, ["height"] = 320 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await CloudHarness.JsonOf(response);
    }

    [Fact]
    public async Task Submit_ThenPoll_PendingForTheAskedPollsThenReadyWithAJpegSampleOfTheSize()
    {
        Faults.PendingPolls = 2;

        var task = await SubmitAsync();
        var url = task["polling_url"]!.GetValue<string>();
        var statuses = new List<string>();
        JsonObject poll;
        do
        {
            poll = await _cloud.PollAsync(url);
            statuses.Add(poll["status"]!.GetValue<string>());
        }
        while (statuses[^1] == BflStatus.Pending && statuses.Count < 10);

        Assert.Equal([BflStatus.Pending, BflStatus.Pending, BflStatus.Ready], statuses);
        Assert.Equal(4, task["cost"]!.GetValue<double>());
        Assert.Equal(task["id"]!.GetValue<string>(), poll["id"]!.GetValue<string>());
        Assert.Equal("a fox", poll["result"]!["prompt"]!.GetValue<string>());
        var sample = await _cloud.Http.GetByteArrayAsync(new Uri(poll["result"]!["sample"]!.GetValue<string>()));
        Assert.Equal("JPEG", Image.DetectFormat(sample).Name);
        var info = Image.Identify(sample);
        Assert.Equal((256, 320), (info.Width, info.Height));
        Assert.Equal(_cloud.BflKey, Assert.Single(_cloud.Server.Accepted).Key);
    }

    [Fact]
    public async Task Submit_KontextMaxWithAPicture_EightCredits_KeepsThePicturesRatio_DrawsOverIt()
    {
        Faults.PendingPolls = 0;
        var black = new SixLabors.ImageSharp.PixelFormats.Rgba32(0, 0, 0, 255);
        var white = new SixLabors.ImageSharp.PixelFormats.Rgba32(255, 255, 255, 255);
        JsonObject Body(SixLabors.ImageSharp.PixelFormats.Rgba32 colour) => new()
        {
            ["prompt"] = "make it night",
            ["seed"] = 7,
            ["output_format"] = "png",
            ["input_image"] = Convert.ToBase64String(CloudHarness.Halves(64, 32, colour, colour)),
        };

        var task = await SubmitAsync("flux-kontext-max", Body(black));
        var other = await SubmitAsync("flux-kontext-max", Body(white));

        var sample = await _cloud.Http.GetByteArrayAsync(new Uri((await _cloud.PollAsync(task["polling_url"]!.GetValue<string>()))["result"]!["sample"]!.GetValue<string>()));
        var otherSample = await _cloud.Http.GetByteArrayAsync(new Uri((await _cloud.PollAsync(other["polling_url"]!.GetValue<string>()))["result"]!["sample"]!.GetValue<string>()));
        Assert.Equal(8, task["cost"]!.GetValue<double>());
        var info = Image.Identify(sample);
        Assert.Equal((1440, 736), (info.Width, info.Height)); // the input's 2:1 at one megapixel
        var pixel = CloudHarness.PixelAt(sample, 0.5, 0.5);
        Assert.NotEqual(CloudHarness.PixelAt(otherSample, 0.5, 0.5), pixel); // the same seed and prompt over another input: another picture
        Assert.Equal(["flux-kontext-max", "flux-kontext-max"], _cloud.Server.Accepted.Select(a => a.Model));
    }

    [Theory]
    [InlineData(BflStatus.Error)]
    [InlineData(BflStatus.ContentModerated)]
    [InlineData(BflStatus.RequestModerated)]
    [InlineData(BflStatus.TaskNotFound)]
    public async Task Submit_EndInFault_PollsPendingThenThatStatusWithNoResult_AndItStays(string end)
    {
        Faults.PendingPolls = 1;
        Faults.EndIn = end;

        var url = (await SubmitAsync())["polling_url"]!.GetValue<string>();

        Assert.Equal(BflStatus.Pending, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());
        var ended = await _cloud.PollAsync(url);
        Assert.Equal(end, ended["status"]!.GetValue<string>());
        Assert.Null(ended["result"]);
        Assert.Equal(end, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());
        Assert.Single(_cloud.Server.Accepted); // billed once all the same
    }

    [Fact]
    public async Task ReadyAfterFault_PendingUntilThatLongAfterAcceptance_ThenReady_AndSaysWhenItBecameReady()
    {
        Faults.ReadyAfterMs = 3000;
        var accepted = _cloud.Clock.GetUtcNow();
        var task = await SubmitAsync();
        var id = task["id"]!.GetValue<string>();
        var url = task["polling_url"]!.GetValue<string>();

        // However often it is polled, it stays pending until its time has come.
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(BflStatus.Pending, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());
        }
        _cloud.Clock.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Equal(BflStatus.Pending, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());
        Assert.Null(_cloud.Server.BflReadyAt(id));
        using (var pending = await _cloud.Http.GetAsync(new Uri($"/__standin/bfl/tasks/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, pending.StatusCode);
        }

        // Polled late, it says it became ready at acceptance + 3 s, not at the poll.
        _cloud.Clock.Advance(TimeSpan.FromSeconds(2));
        var ready = await _cloud.PollAsync(url);
        Assert.Equal(BflStatus.Ready, ready["status"]!.GetValue<string>());
        Assert.Equal(accepted + TimeSpan.FromSeconds(3), _cloud.Server.BflReadyAt(id));
        using var answer = await _cloud.Http.GetAsync(new Uri($"/__standin/bfl/tasks/{id}", UriKind.Relative));
        var shown = await CloudHarness.JsonOf(answer);
        Assert.Equal((accepted + TimeSpan.FromSeconds(3)).ToUnixTimeMilliseconds() / 1000.0, shown["endedAt"]!.GetValue<double>());
        Assert.Null(_cloud.Server.BflReadyAt("no-such-task"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Faults.ReadyAfterMs = -1);
    }

    [Fact]
    public async Task Poll_FromANewClient_SeesTheSameTask_AndAnUnknownIdIsNotFound()
    {
        Faults.PendingPolls = 1;
        var url = (await SubmitAsync())["polling_url"]!.GetValue<string>();
        Assert.Equal(BflStatus.Pending, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());

        using var restarted = _cloud.NewClient();
        var after = await _cloud.PollAsync(url, restarted);
        var unknown = await _cloud.PollAsync(new Uri(_cloud.Server.BaseAddress, "v1/get_result?id=no-such-task").ToString(), restarted);

        Assert.Equal(BflStatus.Ready, after["status"]!.GetValue<string>());
        Assert.Equal(BflStatus.TaskNotFound, unknown["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_Ultra_DrawsTheAspectRatioAtFourMegapixels_KontextTakesABase64Image()
    {
        Faults.PendingPolls = 0;
        var ultra = await SubmitAsync("flux-pro-1.1-ultra", new JsonObject { ["prompt"] = "a valley", ["aspect_ratio"] = "21:9", ["raw"] = true, ["output_format"] = "png" });
        var kontext = await SubmitAsync("flux-kontext-pro", new JsonObject { ["prompt"] = "make it night", ["input_image"] = Convert.ToBase64String(CloudHarness.Png(32, 32)), ["aspect_ratio"] = "1:1" });

        var ultraSample = (await _cloud.PollAsync(ultra["polling_url"]!.GetValue<string>()))["result"]!["sample"]!.GetValue<string>();
        var info = Image.Identify(await _cloud.Http.GetByteArrayAsync(new Uri(ultraSample)));
        Assert.Equal((3136, 1344), (info.Width, info.Height));
        Assert.Equal(6, ultra["cost"]!.GetValue<double>());
        Assert.Equal(1.0, kontext["input_mp"]!.GetValue<double>());
        Assert.Equal(["flux-pro-1.1-ultra", "flux-kontext-pro"], _cloud.Server.Accepted.Select(a => a.Model));
    }

    [Theory]
    [InlineData("flux-pro-1.1", """{"prompt":"x","width":250}""", "width", "greater_than_equal")]
    [InlineData("flux-pro-1.1", """{"prompt":"x","height":1472}""", "height", "less_than_equal")]
    [InlineData("flux-pro-1.1", """{"prompt":"x","width":1000}""", "width", "value_error")]
    [InlineData("flux-pro-1.1", """{"prompt":"x","output_format":"webp"}""", "output_format", "enum")]
    [InlineData("flux-pro-1.1", """{"prompt":"x","safety_tolerance":7}""", "safety_tolerance", "less_than_equal")]
    [InlineData("flux-pro-1.1-ultra", """{"prompt":"x","aspect_ratio":"22:9"}""", "aspect_ratio", "value_error")]
    [InlineData("flux-pro-1.1-ultra", """{"prompt":"x","raw":"yes"}""", "raw", "bool_type")]
    [InlineData("flux-kontext-pro", """{"input_image":null}""", "prompt", "missing")]
    [InlineData("flux-kontext-max", """{"prompt":"x","input_image":"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==","safety_tolerance":3}""", "safety_tolerance", "less_than_equal")]
    [InlineData("flux-kontext-pro", """{"prompt":"x","input_image":"bm90IGEgcGljdHVyZQ=="}""", "input_image", "value_error")]
    public async Task Submit_Invalid_422ValidationDetailNamingTheField(string model, string json, string field, string type)
    {
        using var response = await _cloud.BflAsync(model, JsonNode.Parse(json)!.AsObject());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = (await CloudHarness.JsonOf(response))["detail"]!.AsArray();
        Assert.Contains(detail, d => d!["loc"]![1]!.GetValue<string>() == field && d["type"]!.GetValue<string>() == type);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task Submit_OverTheActiveTaskLimit_429UntilATaskEnds()
    {
        Faults.PendingPolls = 1;
        var first = await SubmitAsync();
        await SubmitAsync();

        using var third = await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x" });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("2 active tasks", (await CloudHarness.JsonOf(third))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var url = first["polling_url"]!.GetValue<string>();
        await _cloud.PollAsync(url);
        Assert.Equal(BflStatus.Ready, (await _cloud.PollAsync(url))["status"]!.GetValue<string>());
        using var fourth = await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x" });

        Assert.Equal(HttpStatusCode.OK, fourth.StatusCode);
        Assert.Equal(3, _cloud.Server.Accepted.Count);
    }

    [Fact]
    public async Task Keys_Missing403NotAuthenticated_Wrong403_CreditsChecksAGoodKeyAndShowsTheSpend()
    {
        using var missing = await _cloud.Http.PostAsync(new Uri("/v1/flux-pro-1.1", UriKind.Relative), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        using var wrong = await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x" }, key: "bad");
        await SubmitAsync();
        using var credits = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/credits", UriKind.Relative));
        credits.Headers.Add("x-key", _cloud.BflKey);
        using var creditsResponse = await _cloud.Http.SendAsync(credits);

        Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
        Assert.Equal("Not authenticated", (await CloudHarness.JsonOf(missing))["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal(_cloud.Options.BflCredits - 4, (await CloudHarness.JsonOf(creditsResponse))["credits"]!.GetValue<double>());
    }

    [Theory]
    [InlineData(Rejection.Unauthorized, 403)]
    [InlineData(Rejection.NoCredits, 402)]
    [InlineData(Rejection.RateLimited, 429)]
    [InlineData(Rejection.Moderated, 400)]
    [InlineData(Rejection.ServerError, 500)]
    [InlineData(Rejection.Unavailable, 503)]
    public async Task Faults_Reject_AnswersBflsStatusWithDetailAndCreatesNoTask(Rejection kind, int status)
    {
        Faults.Reject = kind;

        using var response = await _cloud.BflAsync("flux-pro-1.1", new JsonObject { ["prompt"] = "x" });

        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty((await CloudHarness.JsonOf(response))["detail"]!.GetValue<string>()));
        Assert.Empty(_cloud.Server.Accepted);
    }
}
