using System.Net;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Servers added, disabled and removed at run time; health and metrics endpoints.</summary>
public sealed class BackendsAndOperationsTests
{
    private static GenerationRequest Request(int steps = 4, int batchCount = 1) => new()
    {
        Prompt = "a lighthouse",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = steps,
        Width = 256,
        Height = 256,
        BatchCount = batchCount,
    };

    [Fact]
    public async Task AddServer_AtRunTime_ConnectsTakesJobsAndIsRememberedAfterARestart()
    {
        await using var extra = await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(10), Previews = false });
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-backends-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var app = await DreamLayerApp.StartManyAsync([new StandInOptions { StepTime = TimeSpan.FromMilliseconds(10) }], dataDirectory: data))
            {
                var settings = app.Get<BackendSettings>();
                Assert.IsType<BackendChanged>(await settings.SaveAsync(null, "gpu-2", extra.BaseAddress.ToString(), 1, true, default));
                var pool = app.Get<BackendPool>();
                await DreamLayerApp.WaitUntilAsync(() => pool.Find("gpu-2") is { IsOnline: true }, "the new server to connect");

                var refused = Assert.IsType<BackendRefused>(await settings.SaveAsync(null, "gpu-2", "http://other:8188", 1, true, default));
                Assert.Contains("already a server named gpu-2", refused.Reason, StringComparison.Ordinal);
                Assert.IsType<BackendRefused>(await settings.SaveAsync(null, "bad", "file:///etc/passwd", 1, true, default));
                Assert.Contains("appsettings.json", Assert.IsType<BackendRefused>(await settings.RemoveAsync(DreamLayerApp.ServerName(0), default)).Reason, StringComparison.Ordinal);

                var jobs = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(batchCount: 6), "alice", default)).JobIds;
                var events = app.Get<JobEvents>();
                await DreamLayerApp.WaitUntilAsync(() => jobs.All(id => events.TryGet(id, out var p) && p.Status.IsTerminal()), "the jobs to finish");
                Assert.True(extra.PromptsAccepted > 0);
            }

            await using var again = await DreamLayerApp.StartManyAsync([new StandInOptions()], dataDirectory: data);
            await DreamLayerApp.WaitUntilAsync(() => again.Get<BackendPool>().Find("gpu-2") is { IsOnline: true }, "the stored server to connect after a restart");
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task DisableServer_WithJobsOnIt_JobsMoveToAnotherServerAndNothingIsLost()
    {
        await using var app = await DreamLayerApp.StartManyAsync([new StandInOptions { StepTime = TimeSpan.FromMilliseconds(40), Previews = false }, new StandInOptions { StepTime = TimeSpan.FromMilliseconds(40), Previews = false }]);
        var jobs = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(steps: 10, batchCount: 4), "alice", default)).JobIds;
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => jobs.Any(id => events.TryGet(id, out var p) && p.Backend == DreamLayerApp.ServerName(1) && p.Status == JobStatus.Running), "a job to run on the second server");

        Assert.IsType<BackendChanged>(await app.Get<BackendSettings>().SetEnabledAsync(DreamLayerApp.ServerName(1), false, default));

        await DreamLayerApp.WaitUntilAsync(() => jobs.All(id => events.TryGet(id, out var p) && p.Status.IsTerminal()), "the jobs to finish", TimeSpan.FromSeconds(60));
        Assert.Equal(BackendState.Disabled, app.Get<BackendPool>().Find(DreamLayerApp.ServerName(1))!.State);
        await using var db = app.CreateDbContext();
        Assert.All(await db.Jobs.ToListAsync(), j => Assert.Equal(JobStatus.Succeeded, j.Status));
        Assert.Equal(4, await db.Images.CountAsync());
        Assert.Equal(DreamLayerApp.ServerName(0), (await db.Jobs.OrderByDescending(j => j.FinishedAt).FirstAsync()).Backend);
    }

    [Fact]
    public async Task BackendsPage_MemberIsRefusedAdminSeesTheServers()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);

        using var refused = await member.GetAsync(new Uri("/backends", UriKind.Relative));
        var page = await admin.GetStringAsync(new Uri("/backends", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Found, refused.StatusCode);
        Assert.Equal("/account/access-denied", refused.Headers.Location!.AbsolutePath);
        Assert.Contains("data-backend=\"standin\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthEndpoints_ReadyOnlyWhileAServerIsOnline()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = new HttpClient { BaseAddress = app.RootUri };

        using (var live = await http.GetAsync(new Uri("/health/live", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        using (var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("backends: Healthy 1 of 1 ComfyUI servers online", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await app.StandIn!.StopAsync();
        await DreamLayerApp.WaitUntilAsync(() => app.Backend.State == BackendState.Offline, "the app to see the server go");

        using var notReady = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        var text = await notReady.Content.ReadAsStringAsync();
        Assert.Contains("database: Healthy", text, StringComparison.Ordinal);
        Assert.Contains("backends: Unhealthy 0 of 1 ComfyUI servers online", text, StringComparison.Ordinal);
        using var stillLive = await http.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, stillLive.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterAJob_PrometheusShowsOutcomeTimingsAndServers()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var job = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(), "alice", default)).JobIds[0];
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job, out var p) && p.Status.IsTerminal(), "the job to finish");
        using var http = new HttpClient { BaseAddress = app.RootUri };

        string text = string.Empty;
        await DreamLayerApp.WaitUntilAsync(() =>
        {
            text = http.GetStringAsync(new Uri("/metrics", UriKind.Relative)).GetAwaiter().GetResult();
            return text.Contains("dreamlayer_jobs_finished", StringComparison.Ordinal);
        }, "the metrics to include the finished job");

        Assert.Contains("outcome=\"succeeded\"", text, StringComparison.Ordinal);
        Assert.Contains("dreamlayer_job_execution_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("server=\"standin\"", text, StringComparison.Ordinal);
        Assert.Contains("model=\"v1-5-pruned-emaonly.safetensors\"", text, StringComparison.Ordinal);
        Assert.Contains("dreamlayer_servers_online", text, StringComparison.Ordinal);
        Assert.Contains("dreamlayer_previews_dropped", text, StringComparison.Ordinal);
    }
}
