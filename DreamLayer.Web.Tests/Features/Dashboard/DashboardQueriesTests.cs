using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Dashboard;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Features.Dashboard;

/// <summary>
/// The dashboard's figures against a job table seeded with known jobs: exact counts per day, person, model and server,
/// percentiles within the bins' precision, the slow server marked, failure reasons ranked, the busiest hours in the
/// viewer's zone; a job that finishes through the job store moves the figures, a removed image does not, and a rebuild
/// from the job rows gives the same figures as the triggers.
/// </summary>
public sealed class DashboardQueriesTests : IAsyncLifetime
{
    private static readonly DateTime Monday = new(2026, 3, 2, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DashboardRange Week = new(new DateOnly(2026, 3, 2), new DateOnly(2026, 3, 8));

    private DreamLayerApp _app = null!;
    private DashboardQueries Queries => _app.Get<DashboardQueries>();

    public async Task InitializeAsync() => _app = await DreamLayerApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static JobEntity Job(string owner, string model, string server, DateTime finished, JobStatus status = JobStatus.Succeeded,
        double? wait = 100, double? run = 4000, double? stepsPerSecond = 5, string? reason = null, string? cloud = null)
    {
        var id = Guid.NewGuid();
        return new JobEntity
        {
            Id = id,
            BatchId = id,
            Owner = owner,
            Mode = "Txt2Img",
            Status = status,
            StatusMessage = reason,
            Checkpoint = model,
            Backend = cloud is null ? server : null,
            CloudProvider = cloud,
            CreatedAt = finished.AddMinutes(-1),
            FinishedAt = finished,
            QueueWaitMs = wait,
            ExecutionMs = run,
            StepsPerSecond = stepsPerSecond,
        };
    }

    private async Task InsertAsync(params JobEntity[] jobs)
    {
        await using var db = _app.CreateDbContext();
        db.Jobs.AddRange(jobs);
        await db.SaveChangesAsync();
    }

    /// <summary>Ten jobs of one model running 1 to 10 s, two failures of another, a cloud job, a slow server, one the day after.</summary>
    private async Task SeedAsync()
    {
        var jobs = new List<JobEntity>();
        for (var i = 1; i <= 10; i++)
        {
            jobs.Add(Job(_app.Alice.Id, "sdxl.safetensors", i % 2 == 0 ? "gpu-1" : "gpu-2", Monday.AddMinutes(i), run: i * 1000, wait: 200, stepsPerSecond: i % 2 == 0 ? 5 : 4.6));
        }
        jobs.Add(Job(_app.Bob.Id, "flux.safetensors", "gpu-3", Monday, JobStatus.Failed, run: null, wait: null, stepsPerSecond: null, reason: "Out of memory"));
        jobs.Add(Job(_app.Bob.Id, "flux.safetensors", "gpu-3", Monday, JobStatus.Failed, run: null, wait: null, stepsPerSecond: null, reason: "Out of memory"));
        jobs.Add(Job(_app.Bob.Id, "flux.safetensors", "gpu-3", Monday.AddDays(1), stepsPerSecond: 1.5));
        jobs.Add(Job(_app.Bob.Id, "flux-pro-1.1", "unused", Monday.AddDays(1), stepsPerSecond: null, cloud: "Bfl"));
        jobs.Add(Job(_app.Bob.Id, "flux.safetensors", "gpu-3", Monday.AddDays(1), JobStatus.Cancelled, run: null, wait: null, stepsPerSecond: null, reason: "Cancelled"));
        // Outside the week: never counted in it.
        jobs.Add(Job(_app.Alice.Id, "sdxl.safetensors", "gpu-1", Monday.AddDays(-1)));
        // Still running: not counted until it ends.
        var running = Job(_app.Alice.Id, "sdxl.safetensors", "gpu-1", Monday);
        running.Status = JobStatus.Running;
        running.FinishedAt = null;
        jobs.Add(running);
        await InsertAsync([.. jobs]);
    }

    [Fact]
    public async Task Figures_CountEveryEndedJob_ByDayPersonModelAndServer()
    {
        await SeedAsync();

        var totals = await Queries.TotalsAsync(Week, default);
        Assert.Equal((12L, 2L, 1L, 15L), (totals.Succeeded, totals.Failed, totals.Cancelled, totals.Jobs));
        Assert.Equal(12 / 14.0, totals.SuccessRate!.Value, 6);

        var days = await Queries.DaysAsync(Week, default);
        Assert.Equal(7, days.Count);
        Assert.Equal([12L, 3L, 0L, 0L, 0L, 0L, 0L], days.Select(d => d.Counts.Jobs));
        Assert.Equal(2, days[0].Counts.Failed);

        var people = await Queries.PeopleAsync(Week, default);
        Assert.Equal([(_app.Alice.DisplayName, 10L), (_app.Bob.DisplayName, 5L)], people.Select(p => (p.Name, p.Counts.Jobs)));

        var models = await Queries.ModelsAsync(Week, default);
        Assert.Equal(["sdxl.safetensors", "flux.safetensors", "flux-pro-1.1"], models.Select(m => m.Name));
        var sdxl = models[0];
        Assert.Equal(10, sdxl.Run.Jobs);
        AssertNear(5000, sdxl.Run.Median);   // nearest rank: the 5th of 1…10 s
        AssertNear(10000, sdxl.Run.P95);     // the 10th
        AssertNear(200, sdxl.Wait.Median);
        Assert.Equal(1 / 3.0, models[1].Counts.SuccessRate!.Value, 6); // one success, two failures (the cancelled job is neither)

        var servers = await Queries.ServersAsync(Week, default);
        Assert.Equal(["gpu-1", "gpu-2", "gpu-3", "Bfl"], servers.Select(s => s.Name));
        Assert.Equal(4, servers[2].Counts.Jobs);
    }

    [Fact]
    public async Task Speed_SortsSlowestFirst_AndMarksTheSlowServer()
    {
        await SeedAsync();

        var speed = await Queries.SpeedAsync(Week, default);

        Assert.Equal(["gpu-3", "gpu-2", "gpu-1"], speed.Select(s => s.Server));
        Assert.Equal([true, false, false], speed.Select(s => s.Slow));
        Assert.Equal(5.0, speed[2].StepsPerSecond, 6);
    }

    [Fact]
    public async Task Failures_AreRankedByHowOften()
    {
        await SeedAsync();
        await InsertAsync(Job(_app.Alice.Id, "sdxl.safetensors", "gpu-1", Monday.AddDays(2), JobStatus.Failed, reason: "Server went away"));

        var failures = await Queries.FailuresAsync(Week, default);

        Assert.Equal([("Out of memory", 2L), ("Server went away", 1L)], failures.Select(f => (f.Reason, f.Jobs)));
    }

    [Fact]
    public async Task BusiestHours_AreInTheViewersZone()
    {
        // Monday 23:30 UTC is Tuesday 00:30 in Berlin (UTC+1 in March before the change).
        await InsertAsync(Job(_app.Alice.Id, "sdxl.safetensors", "gpu-1", new DateTime(2026, 3, 2, 23, 30, 0, DateTimeKind.Utc)));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var utc = await Queries.HoursAsync(Week, TimeZoneInfo.Utc, default);
        var local = await Queries.HoursAsync(Week, berlin, default);

        Assert.Equal(7 * 24, local.Count);
        Assert.Equal((DayOfWeek.Monday, 23), utc.Where(h => h.Jobs > 0).Select(h => (h.Weekday, h.Hour)).Single());
        Assert.Equal((DayOfWeek.Tuesday, 0), local.Where(h => h.Jobs > 0).Select(h => (h.Weekday, h.Hour)).Single());
    }

    [Fact]
    public async Task AFinishingJob_MovesTheFigures_AndARemovedImageDoesNot()
    {
        var store = _app.Get<JobStore>();
        var job = Job(_app.Alice.Id, "sdxl.safetensors", "gpu-1", Monday);
        job.Status = JobStatus.Queued;
        job.FinishedAt = null;
        await store.InsertAsync([job], default);
        Assert.Equal(0, (await Queries.TotalsAsync(Week, default)).Jobs);

        job.Backend = "gpu-1";
        job.SentAt = Monday;
        Assert.True(await store.MarkSubmittedAsync(job, default));
        var image = new ImageEntity { Id = Guid.NewGuid(), JobId = job.Id, CreatedAt = Monday, OwnerId = _app.Alice.Id, RelativePath = "a.png" };
        Assert.True(await store.FinishAsync(new JobResult(job.Id, JobStatus.Succeeded, null, Monday, Monday.AddSeconds(3), 250, 3000, 6.5, "{}", 4), [image], default));

        var totals = await Queries.TotalsAsync(Week, default);
        Assert.Equal(1, totals.Succeeded);
        var model = Assert.Single(await Queries.ModelsAsync(Week, default));
        AssertNear(3000, model.Run.Median);
        AssertNear(250, model.Wait.P95);
        Assert.Equal(6.5, Assert.Single(await Queries.SpeedAsync(Week, default)).StepsPerSecond, 6);

        // A late event cannot end it twice: the figures stay.
        Assert.False(await store.EndAsync(job.Id, JobStatus.Failed, "late", Monday.AddSeconds(5), default));
        await using (var db = _app.CreateDbContext())
        {
            await db.Images.Where(i => i.JobId == job.Id).ExecuteDeleteAsync();
        }
        Assert.Equal((1L, 0L), ((await Queries.TotalsAsync(Week, default)).Succeeded, (await Queries.TotalsAsync(Week, default)).Failed));

        var failing = Job(_app.Bob.Id, "sdxl.safetensors", "gpu-1", Monday);
        failing.Status = JobStatus.Queued;
        failing.FinishedAt = null;
        await store.InsertAsync([failing], default);
        Assert.True(await store.EndAsync(failing.Id, JobStatus.Failed, "No server has this model", Monday.AddSeconds(1), default));
        Assert.Equal(("No server has this model", 1L), (await Queries.FailuresAsync(Week, default)).Select(f => (f.Reason, f.Jobs)).Single());
    }

    [Fact]
    public async Task Rebuild_FromTheJobRows_GivesTheFiguresTheTriggersKept()
    {
        await SeedAsync();
        var before = await SnapshotAsync();

        await using (var db = _app.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync(DashboardSchema.Rebuild);
        }

        Assert.Equal(before, await SnapshotAsync());
    }

    private async Task<string> SnapshotAsync() =>
        string.Join("\n", DashboardCsv.Days(await Queries.DaysAsync(Week, default)), DashboardCsv.People(await Queries.PeopleAsync(Week, default)),
            DashboardCsv.Timings("model", await Queries.ModelsAsync(Week, default)), DashboardCsv.Timings("server", await Queries.ServersAsync(Week, default)),
            DashboardCsv.Speed(await Queries.SpeedAsync(Week, default)), DashboardCsv.Failures(await Queries.FailuresAsync(Week, default)),
            DashboardCsv.Hours(await Queries.HoursAsync(Week, TimeZoneInfo.Utc, default)));

    private static void AssertNear(double expected, double? actual)
    {
        Assert.NotNull(actual);
        Assert.InRange(actual.Value, expected * (1 - DashboardSchema.RelativeError), expected * (1 + DashboardSchema.RelativeError));
    }
}
