using System.Collections.Concurrent;
using System.Net;
using System.Security.Claims;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>The app's own database factory, counting every context it hands out.</summary>
public sealed class CountingDbFactory(IDbContextFactory<DreamLayerDbContext> inner) : IDbContextFactory<DreamLayerDbContext>
{
    private long _created;

    public long Created => Interlocked.Read(ref _created);

    public DreamLayerDbContext CreateDbContext()
    {
        Interlocked.Increment(ref _created);
        return inner.CreateDbContext();
    }

    public Task<DreamLayerDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _created);
        return inner.CreateDbContextAsync(cancellationToken);
    }
}

/// <summary>One app (against the stand-in, 30 ms a step) for a class of live-path tests; its database factory counts.</summary>
public sealed class LiveAppFixture : IAsyncLifetime
{
    public DreamLayerApp App { get; private set; } = null!;

    public CountingDbFactory Contexts => (CountingDbFactory)App.Get<IDbContextFactory<DreamLayerDbContext>>();

    public async Task InitializeAsync() =>
        App = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(30), services: services =>
            services.AddSingleton<IDbContextFactory<DreamLayerDbContext>>(sp =>
                new CountingDbFactory(new PooledDbContextFactory<DreamLayerDbContext>(sp.GetRequiredService<DbContextOptions<DreamLayerDbContext>>()))));

    public async Task DisposeAsync() => await App.DisposeAsync();

    /// <summary>What a page's job list injects, from this app's pipeline, with Alice signed in (for bUnit).</summary>
    public void AddJobListServices(IServiceCollection services)
    {
        services.AddSingleton(App.Get<JobQueue>());
        services.AddSingleton(App.Get<JobEvents>());
        services.AddSingleton(App.Get<JobHistory>());
        services.AddSingleton(App.Get<BackendPool>());
        services.AddSingleton(App.Get<ModelSettings>());
        services.AddSingleton(App.Get<ModelFallback>());
        services.AddSingleton<AuthenticationStateProvider, AliceSignedIn>();
        services.AddScoped<CurrentUser>();
        services.AddScoped<GenerationSubmitter>();
    }

    private sealed class AliceSignedIn : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(new ClaimsPrincipal(
            new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, TestUsers.Alice.Id), new Claim(ClaimTypes.Name, TestUsers.Alice.UserName)], "test"))));
    }

    public static GenerationRequest Txt2Img(string prompt, int steps) => new()
    {
        Prompt = prompt,
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = steps,
        Width = 256,
        Height = 256,
    };

    /// <summary>A job of <paramref name="owner"/>'s as the pages know it, live in memory only.</summary>
    public static JobProgress LiveJob(string owner, GenerationMode mode, JobStatus status) => new()
    {
        JobId = Guid.NewGuid(),
        BatchId = Guid.NewGuid(),
        Status = status,
        Prompt = "a lantern in fog",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Seed = 7,
        Width = 256,
        Height = 256,
        CreatedAt = TimeProvider.System.GetUtcNow().UtcDateTime,
        Owner = owner,
        Mode = mode,
    };
}

/// <summary>Progress and previews on their way to the pages: what they cost the database, who may fetch a frame.</summary>
public sealed class LivePathTests(LiveAppFixture fixture) : IClassFixture<LiveAppFixture>
{
    private static readonly byte[] FirstFrame = [0xFF, 0xD8, 0xFF, 0xE0, 1];
    private static readonly byte[] NewestFrame = [0xFF, 0xD8, 0xFF, 0xE0, 2];

    private DreamLayerApp App => fixture.App;

    [Fact]
    public async Task ManyStepJob_StepsAndPreviews_NeverTouchTheDatabase()
    {
        var events = App.Get<JobEvents>();
        var accepted = Assert.IsType<SubmitAccepted>(await App.Get<JobQueue>().SubmitAsync(LiveAppFixture.Txt2Img("forty steps", 40), App.Alice.Id, default));
        var jobId = Assert.Single(accepted.JobIds);
        // Database contexts handed out so far, noted at each step as the server's connection delivers it.
        var atStep = new ConcurrentDictionary<int, (long Contexts, long Previews)>();
        using var subscription = events.SubscribeJob(jobId, e =>
        {
            if (e is JobChanged { Job: { Status: JobStatus.Running, StepMax: 40 } job })
            {
                atStep.TryAdd(job.StepValue, (fixture.Contexts.Created, events.PreviewsReceived));
            }
        });

        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to end");

        Assert.True(events.TryGet(jobId, out var done));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        var steps = atStep.Keys.Where(s => s is >= 1 and < 40).Order().ToList();
        Assert.True(steps.Count >= 20, $"steps seen: {string.Join(", ", steps)}");
        var (first, last) = (atStep[steps[0]], atStep[steps[^1]]);
        Assert.True(last.Previews - first.Previews >= 20, $"{last.Previews - first.Previews} preview frames came between steps {steps[0]} and {steps[^1]}");
        Assert.Equal(first.Contexts, last.Contexts);
    }

    [Fact]
    public async Task PreviewEndpoint_Owner_GetsTheNewestFrameUncachedWithItsMediaType()
    {
        var jobId = PublishWithFrames(App.Alice.Id);
        using var alice = await App.CreateClientAsync(App.Alice);

        using var response = await alice.GetAsync(new Uri($"/previews/{jobId}?v=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore, "a preview must never be cached");
        Assert.Equal(NewestFrame, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PreviewEndpoint_Admin_GetsAnyonesFrame()
    {
        var jobId = PublishWithFrames(App.Alice.Id);
        using var admin = await App.CreateClientAsync(App.Admin);

        using var response = await admin.GetAsync(new Uri($"/previews/{jobId}?v=2", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(NewestFrame, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PreviewEndpoint_AnotherMember_IsToldItDoesNotExist()
    {
        var jobId = PublishWithFrames(App.Alice.Id);
        using var bob = await App.CreateClientAsync(App.Bob);

        using var response = await bob.GetAsync(new Uri($"/previews/{jobId}?v=2", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task PreviewEndpoint_UnknownJobOrNoFrameYet_NotFound()
    {
        var events = App.Get<JobEvents>();
        var waiting = LiveAppFixture.LiveJob(App.Alice.Id, GenerationMode.Txt2Img, JobStatus.Running);
        events.Publish(waiting);
        using var alice = await App.CreateClientAsync(App.Alice);

        using var unknown = await alice.GetAsync(new Uri($"/previews/{Guid.NewGuid()}?v=1", UriKind.Relative));
        using var noFrame = await alice.GetAsync(new Uri($"/previews/{waiting.JobId}?v=1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noFrame.StatusCode);
    }

    [Fact]
    public async Task PreviewEndpoint_NotSignedIn_GetsNoFrame()
    {
        var jobId = PublishWithFrames(App.Alice.Id);
        using var anonymous = App.CreateAnonymousClient();

        using var response = await anonymous.GetAsync(new Uri($"/previews/{jobId}?v=2", UriKind.Relative));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Positions_AskedByEveryPage_ComputedOncePerChangeOfTheLine()
    {
        var queue = App.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        try
        {
            var before = queue.Positions();
            Assert.Same(before, queue.Positions());

            var accepted = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(LiveAppFixture.Txt2Img("waits", 2), App.Bob.Id, default));
            var after = queue.Positions();

            Assert.NotSame(before, after);
            Assert.True(after.ContainsKey(Assert.Single(accepted.JobIds)));
            Assert.Same(after, queue.Positions());
            Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(accepted.JobIds[0], App.Bob.Id, isAdmin: false, default));
            Assert.False(queue.Positions().ContainsKey(accepted.JobIds[0]));
        }
        finally
        {
            queue.SetDispatchPaused(false);
        }
    }

    /// <summary>A running job of <paramref name="owner"/>'s with two frames; the second is the newest.</summary>
    private Guid PublishWithFrames(string owner)
    {
        var events = App.Get<JobEvents>();
        var job = LiveAppFixture.LiveJob(owner, GenerationMode.Txt2Img, JobStatus.Running);
        events.Publish(job);
        events.PublishPreview(job.JobId, FirstFrame, "image/jpeg");
        events.PublishPreview(job.JobId, NewestFrame, "image/jpeg");
        return job.JobId;
    }
}
