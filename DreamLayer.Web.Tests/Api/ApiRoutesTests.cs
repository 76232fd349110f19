using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
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

    private static string Fill(string pattern, Guid jobId) => RouteValue().Replace(pattern, jobId.ToString());

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteValue();

    private static async Task<Guid> SubmitAsync(DreamLayerApp app, TestUser owner)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(SlowJob, owner.Id, default));
        return Assert.Single(accepted.JobIds);
    }

    private static async Task WaitRunningAsync(DreamLayerApp app, Guid jobId)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var job) && job.Status == JobStatus.Running && job.StepValue >= 1, "the job to run its first step");
    }

    [Fact]
    public async Task EveryApiRoute_AnonymousIs401_MemberOnAnothersJobIs404_OwnerAndAdminAreAllowed()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromSeconds(2));
        var bobsJob = await SubmitAsync(app, app.Bob);
        await WaitRunningAsync(app, bobsJob);
        using var anonymous = app.CreateAnonymousClient();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var bob = Bearer(app, (await MakeTokenAsync(app, app.Bob)).Token);
        using var admin = Bearer(app, (await MakeTokenAsync(app, app.Admin)).Token);
        var routes = ApiRoutes(app);

        foreach (var (method, pattern) in routes)
        {
            var path = new Uri(Fill(pattern, bobsJob), UriKind.Relative);
            var aboutAJob = pattern.Contains('{', StringComparison.Ordinal);
            using (var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
            {
                await AssertUnauthorizedAsync(response);
            }
            using (var response = await alice.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
            {
                Assert.True(aboutAJob ? response.StatusCode == HttpStatusCode.NotFound : response.IsSuccessStatusCode, $"{method} {pattern} as another member: {response.StatusCode}");
            }
            if (method == "GET")
            {
                using var response = await bob.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                Assert.True(response.IsSuccessStatusCode, $"{method} {pattern} as the owner: {response.StatusCode}");
            }
            using (var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)))
            {
                Assert.True(response.IsSuccessStatusCode, $"{method} {pattern} as an admin: {response.StatusCode}");
            }
        }
        Assert.Contains(routes, r => r.Method == "POST");
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

        using var document = JsonDocument.Parse(await alice.GetStringAsync(new Uri(ApiExtensions.DocumentPath, UriKind.Relative)));
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
