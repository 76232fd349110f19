using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Features.ComfyApi;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.Api.ApiTokenTests;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// REST v1 as a script sees it. The authorisation matrix reads every route under <c>/api/v1</c> from the app's own
/// endpoints, so a route added later without the API's sign-in fails here: anonymous → 401 (with the Bearer challenge),
/// a member on another person's job → 404, the job's owner and an admin → allowed.
/// </summary>
public sealed partial class ApiRoutesTests
{
    private static readonly GenerationRequest SlowJob = new()
    {
        Prompt = "a lighthouse at dusk",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Sampler = "euler",
        Scheduler = "normal",
        Steps = 20,
        Cfg = 7,
        Width = 256,
        Height = 256,
    };

    /// <summary>Every API route: its method and its pattern as the app maps it (e.g. <c>/api/v1/jobs/{id:guid}</c>).</summary>
    private static List<(string Method, string Pattern)> ApiRoutes(DreamLayerApp app) => RoutesUnder(app, ApiExtensions.Prefix);

    /// <summary>Every route under <paramref name="prefix"/>, GETs first: its method and its pattern as the app maps it.</summary>
    internal static List<(string Method, string Pattern)> RoutesUnder(DreamLayerApp app, string prefix)
    {
        var routes = app.Get<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith(prefix + "/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .OrderBy(r => r.m == "GET" ? 0 : 1).ThenBy(r => r.Item2, StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(routes);
        return routes;
    }

    private static async Task<Guid> SubmitAsync(DreamLayerApp app, TestUser owner, GenerationRequest? request = null)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request ?? SlowJob, owner.Id, default));
        return Assert.Single(accepted.JobIds);
    }

    private static async Task WaitRunningAsync(DreamLayerApp app, Guid jobId)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var job) && job.Status == JobStatus.Running && job.StepValue >= 1, "the job to run its first step");
    }

    /// <summary>Bob's things that the matrix asks about: a running job, two private images, a private board, a workflow of the team's.</summary>
    private sealed record BobsThings(Guid Job, Guid Image, Guid ImageToTrash, Guid Board, Guid Workflow);

    /// <summary>
    /// What one route is asked in the matrix: its address with Bob's things filled in, the status another member gets (a
    /// private thing of Bob's does not exist for Alice), Bob's (null: not asked, e.g. after the admin cancelled the job) and
    /// an admin's, and the body a caller sends (null: none).
    /// </summary>
    private sealed record RouteCase(Func<BobsThings, string> Path, HttpStatusCode Member, HttpStatusCode? Owner, HttpStatusCode Admin,
        Func<HttpContent>? Body = null);

    private static RouteCase Read(string path) => new(_ => path, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK);

    private static RouteCase OfBobs(Func<BobsThings, string> path, HttpStatusCode ok, bool ownerToo = true) =>
        new(path, HttpStatusCode.NotFound, ownerToo ? ok : null, ok);

    /// <summary>Every API route and what the matrix expects of it. A route mapped without an entry here fails the matrix.</summary>
    private static Dictionary<string, RouteCase> Cases(Guid bobsUpload) => new(StringComparer.Ordinal)
    {
        ["GET /api/v1/models"] = Read("/api/v1/models"),
        ["GET /api/v1/samplers"] = Read("/api/v1/samplers"),
        ["GET /api/v1/schedulers"] = Read("/api/v1/schedulers"),
        ["GET /api/v1/servers"] = Read("/api/v1/servers"),
        ["GET /api/v1/jobs"] = Read("/api/v1/jobs"),
        ["GET /api/v1/images"] = Read("/api/v1/images"),
        ["GET /api/v1/boards"] = Read("/api/v1/boards"),
        ["GET /api/v1/workflows"] = Read("/api/v1/workflows"),
        ["GET /api/v1/jobs/{id:guid}"] = OfBobs(b => $"/api/v1/jobs/{b.Job}", HttpStatusCode.OK),
        ["POST /api/v1/jobs/{id:guid}/cancel"] = OfBobs(b => $"/api/v1/jobs/{b.Job}/cancel", HttpStatusCode.Accepted, ownerToo: false),
        ["GET /api/v1/images/{id:guid}"] = OfBobs(b => $"/api/v1/images/{b.Image}", HttpStatusCode.OK),
        ["GET /api/v1/images/{id:guid}/file"] = OfBobs(b => $"/api/v1/images/{b.Image}/file", HttpStatusCode.OK),
        ["GET /api/v1/images/{id:guid}/thumbnail"] = OfBobs(b => $"/api/v1/images/{b.Image}/thumbnail", HttpStatusCode.OK),
        ["PUT /api/v1/images/{id:guid}/favourite"] = OfBobs(b => $"/api/v1/images/{b.Image}/favourite", HttpStatusCode.NoContent),
        ["DELETE /api/v1/images/{id:guid}/favourite"] = OfBobs(b => $"/api/v1/images/{b.Image}/favourite", HttpStatusCode.NoContent),
        ["PUT /api/v1/images/{id:guid}/boards/{boardId:guid}"] = OfBobs(b => $"/api/v1/images/{b.Image}/boards/{b.Board}", HttpStatusCode.NoContent),
        ["DELETE /api/v1/images/{id:guid}/boards/{boardId:guid}"] = OfBobs(b => $"/api/v1/images/{b.Image}/boards/{b.Board}", HttpStatusCode.NoContent),
        // The admin moves it to the trash, so Bob is not asked after.
        ["DELETE /api/v1/images/{id:guid}"] = OfBobs(b => $"/api/v1/images/{b.ImageToTrash}", HttpStatusCode.NoContent, ownerToo: false),
        // Everyone may upload; a job naming Bob's upload is refused for another member (on that field).
        ["POST /api/v1/uploads"] = new(_ => "/api/v1/uploads", HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created,
            () => Multipart(ApiClient.Png(32, 32, new Rgba32(1, 2, 3)))),
        ["POST /api/v1/jobs"] = new(_ => "/api/v1/jobs", HttpStatusCode.BadRequest, HttpStatusCode.Accepted, HttpStatusCode.Accepted,
            () => JsonContent.Create(new { mode = "Img2Img", prompt = "a cat", checkpoint = SlowJob.Checkpoint, steps = 2, width = 64, height = 64, sourceImage = bobsUpload })),
        // The team's workflows are everyone's to run.
        ["POST /api/v1/workflows/{id:guid}/jobs"] = new(b => $"/api/v1/workflows/{b.Workflow}/jobs", HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.Accepted,
            () => JsonContent.Create(new { values = new Dictionary<string, object> { ["3.steps"] = 2 } })),
    };

    private static MultipartFormDataContent Multipart(byte[] png) => new() { { new ByteArrayContent(png), "file", "p.png" } };

    private static async Task<BobsThings> BobsThingsAsync(DreamLayerApp app)
    {
        var bob = As(app.Bob);
        var made = await SubmitAsync(app, app.Bob, SlowJob with { Steps = 2, BatchSize = 2, Width = 64, Height = 64 });
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(made, out var j) && j.Status == JobStatus.Succeeded && j.ImageIds.Count == 2, "Bob's images");
        events.TryGet(made, out var done);
        var (image, toTrash) = (done!.ImageIds[0], done.ImageIds[1]);
        Assert.Equal(2, (await app.Get<GalleryService>().SetPrivateAsync(bob, [image, toTrash], true, default)).Done);
        var board = await app.Get<BoardService>().CreateAsync(bob, "Bob's own", shared: false, default);
        var imported = WorkflowImporter.Import(await File.ReadAllBytesAsync(Path.Combine(TestPaths.TestData, "workflows", "comfyui_default_txt2img_api.json")));
        var workflow = Assert.IsType<WorkflowSaved>(await app.Get<TeamWorkflows>().CreateAsync(bob, "Default", "", imported.Graph, imported.Bindings, default));
        app.StandIn!.Faults.StepTime = TimeSpan.FromSeconds(2);
        var running = await SubmitAsync(app, app.Bob);
        await WaitRunningAsync(app, running);
        return new BobsThings(running, image, toTrash, board.Id, workflow.Id);
    }

    [Fact]
    public async Task EveryApiRoute_AnonymousIs401_MemberOnAnothersThingIsRefused_OwnerAndAdminAreAllowed()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var things = await BobsThingsAsync(app);
        using var anonymous = app.CreateAnonymousClient();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var bob = Bearer(app, (await MakeTokenAsync(app, app.Bob)).Token);
        using var admin = Bearer(app, (await MakeTokenAsync(app, app.Admin)).Token);
        var cases = Cases(await ApiClient.UploadIdAsync(bob, ApiClient.Png(64, 64, new Rgba32(9, 9, 9))));
        var routes = ApiRoutes(app);
        Assert.Equal(cases.Keys.Order(StringComparer.Ordinal), routes.Select(r => $"{r.Method} {r.Pattern}").Order(StringComparer.Ordinal));

        foreach (var (method, pattern) in routes)
        {
            var route = cases[$"{method} {pattern}"];
            var path = new Uri(route.Path(things), UriKind.Relative);
            Task<HttpResponseMessage> SendAsync(HttpClient client) =>
                client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = route.Body?.Invoke() });
            using (var response = await SendAsync(anonymous))
            {
                await AssertUnauthorizedAsync(response);
            }
            foreach (var (who, client, expected) in new[] { ("another member", alice, (HttpStatusCode?)route.Member), ("the owner", bob, route.Owner), ("an admin", admin, route.Admin) })
            {
                if (expected is null)
                {
                    continue;
                }
                using var response = await SendAsync(client);
                Assert.True(response.StatusCode == expected, $"{method} {pattern} as {who}: {response.StatusCode}, expected {expected}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        Assert.NotNull((await app.Get<GalleryService>().FindVisibleAsync(As(app.Bob), things.ImageToTrash, default))!.DeletedAt);
    }

    /// <summary>
    /// Every route of the ComfyUI face (<c>/comfy</c>, and its <c>/comfy/api</c> twin), read from the app's endpoints:
    /// anonymous and the browser's cookie alone get 401 in ComfyUI's error shape with the Bearer challenge; with a token
    /// no route fails; Bob's prompt is 404 to another member and to an admin (the face shows each person their own).
    /// </summary>
    [Fact]
    public async Task EveryComfyRoute_AnonymousAndCookieAre401_AnothersPromptIs404_TheOwnerIsAnswered()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(200));
        using var anonymous = app.CreateAnonymousClient();
        using var cookie = await app.CreateClientAsync(app.Alice);
        var (alice, _) = ComfyApiTests.Face(app, (await MakeTokenAsync(app, app.Alice)).Token);
        var (admin, _) = ComfyApiTests.Face(app, (await MakeTokenAsync(app, app.Admin)).Token);
        var (bob, bobsComfy) = ComfyApiTests.Face(app, (await MakeTokenAsync(app, app.Bob)).Token);
        using var a = alice;
        using var b = admin;
        using var c = bob;
        var bobsPrompt = Assert.IsType<PromptAccepted>(await bobsComfy.QueuePromptAsync(ComfyApiTests.SmallGraph(steps: 2), "bob", "bobs-prompt", null, default)).PromptId;
        await DreamLayerApp.WaitUntilAsync(() => app.Get<JobEvents>().Active().Count == 0, "Bob's prompt to end");

        var routes = RoutesUnder(app, ComfyApiExtensions.Prefix);
        foreach (var route in new[] { "prompt", "ws", "history", "history/{promptId}", "view", "upload/image", "object_info", "object_info/{nodeClass}", "queue", "interrupt", "system_stats" })
        {
            Assert.Contains(routes, r => r.Pattern == $"{ComfyApiExtensions.Prefix}/{route}");
            Assert.Contains(routes, r => r.Pattern == $"{ComfyApiExtensions.Prefix}/api/{route}");
        }
        foreach (var (method, pattern) in routes)
        {
            var path = new Uri(pattern.Replace("{promptId}", bobsPrompt, StringComparison.Ordinal).Replace("{nodeClass}", "KSampler", StringComparison.Ordinal), UriKind.Relative);
            foreach (var refused in new[] { anonymous, cookie })
            {
                using var response = await refused.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern}: {response.StatusCode}");
                Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("unauthorized", body.RootElement.GetProperty("error").GetProperty("type").GetString());
            }
            foreach (var (who, client) in new[] { ("another member", alice), ("an admin", admin), ("the owner", bob) })
            {
                // No body: a route that needs one says so (4xx); none fails.
                using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                var expected = pattern.EndsWith("{promptId}", StringComparison.Ordinal) && who != "the owner" ? HttpStatusCode.NotFound : (HttpStatusCode?)null;
                Assert.True(expected is null ? (int)response.StatusCode is >= 200 and < 500 and not 401 : response.StatusCode == expected,
                    $"{method} {pattern} as {who}: {response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Jobs_ShowStateProgressAndPlace_PageNewestFirst_AndTheOwnerCancels()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromSeconds(2));
        var running = await SubmitAsync(app, app.Bob);
        await WaitRunningAsync(app, running);
        var waiting = await SubmitAsync(app, app.Bob);
        using var bob = Bearer(app, (await MakeTokenAsync(app, app.Bob)).Token);

        var now = await GetJobAsync(bob, running);
        Assert.Equal("Running", now.GetProperty("status").GetString());
        Assert.Equal(DreamLayerApp.ServerName(0), now.GetProperty("server").GetString());
        Assert.InRange(now.GetProperty("step").GetInt32(), 1, 20);
        Assert.Equal(20, now.GetProperty("steps").GetInt32());
        Assert.InRange(now.GetProperty("progress").GetDouble(), 0.04, 1);
        Assert.Equal(JsonValueKind.Null, now.GetProperty("queuePosition").ValueKind);
        await DreamLayerApp.WaitUntilAsync(() => app.Get<JobQueue>().Positions().ContainsKey(waiting), "the second job to have a place");
        Assert.True((await GetJobAsync(bob, waiting)).GetProperty("queuePosition").GetInt32() >= 1);

        using (var page = JsonDocument.Parse(await bob.GetStringAsync(new Uri("/api/v1/jobs?page=1&pageSize=1", UriKind.Relative))))
        {
            Assert.Equal(2, page.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(waiting, Assert.Single(page.RootElement.GetProperty("jobs").EnumerateArray()).GetProperty("id").GetGuid());
        }

        using var cancelled = await bob.PostAsync(new Uri($"/api/v1/jobs/{running}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(running, out var j) && j.Status == JobStatus.Cancelled, "the job to end as cancelled");
        using var again = await bob.PostAsync(new Uri($"/api/v1/jobs/{running}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    private static async Task<JsonElement> GetJobAsync(HttpClient http, Guid id)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/v1/jobs/{id}", UriKind.Relative)));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task Errors_AreProblemDetails_NamingTheFieldAndTheReason()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);

        using var badPage = await alice.GetAsync(new Uri($"/api/v1/jobs?pageSize={ApiEndpoints.MaxPageSize + 1}", UriKind.Relative));
        using var missing = await alice.GetAsync(new Uri($"/api/v1/jobs/{Guid.NewGuid()}", UriKind.Relative));
        using var notANumber = await alice.GetAsync(new Uri("/api/v1/jobs?page=first", UriKind.Relative));
        using var huge = await alice.PostAsync(new Uri($"/api/v1/jobs/{Guid.NewGuid()}/cancel", UriKind.Relative),
            new ByteArrayContent(new byte[ApiEndpoints.MaxRequestBytes + 1]));

        var bad = await ProblemAsync(badPage, HttpStatusCode.BadRequest);
        Assert.Contains("pageSize", bad.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Array, bad.GetProperty("errors").GetProperty("pageSize").ValueKind);
        Assert.Equal("Job not found", (await ProblemAsync(missing, HttpStatusCode.NotFound)).GetProperty("title").GetString());
        await ProblemAsync(notANumber, HttpStatusCode.BadRequest);
        Assert.Contains("KiB", (await ProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, doc.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("title").GetString()));
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task OpenApiDocument_ListsEveryApiRoute_AndTheReferencePageLoadsItsScriptUnderTheCsp()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var browser = await app.CreateClientAsync(app.Alice);

        using var document = JsonDocument.Parse(await alice.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var (method, pattern) in ApiRoutes(app))
        {
            var documented = RouteConstraint().Replace(pattern, "{$1}");
            Assert.True(paths.TryGetProperty(documented, out var item), $"{documented} is not in the OpenAPI document");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {documented} is not in the OpenAPI document");
        }
        Assert.DoesNotContain(paths.EnumerateObject(), p => !p.Name.StartsWith(ApiExtensions.Prefix + "/", StringComparison.Ordinal));
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());

        // The reference sits at /api/docs (Scalar sends a browser on to its page there).
        using var start = await browser.GetAsync(new Uri(ApiExtensions.DocsPath, UriKind.Relative));
        var docsUri = new Uri(app.RootUri, ApiExtensions.DocsPath);
        var page = start.StatusCode == HttpStatusCode.Found ? new Uri(docsUri, start.Headers.Location!) : docsUri;
        Assert.StartsWith(ApiExtensions.DocsPath, page.AbsolutePath, StringComparison.Ordinal);
        using var docs = await browser.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        var html = await docs.Content.ReadAsStringAsync();
        var csp = string.Join(' ', docs.Headers.GetValues("Content-Security-Policy"));
        var nonce = Assert.Single(Regex.Matches(csp, "'nonce-([^']+)'")).Groups[1].Value;
        Assert.Contains($"nonce=\"{nonce}\"", html, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\{([^:}]+):[^}]+\}")]
    private static partial Regex RouteConstraint();
}
