using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>Every time of a job is read from the app's one clock, so its figures agree with each other.</summary>
public sealed class JobClockTests
{
    /// <summary>The system clock a year ahead: timers run as usual, only the reading differs.</summary>
    private sealed class YearAheadClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow().AddYears(1);
    }

    [Fact]
    public async Task FinishedJob_StartedTime_ComesFromTheAppClockLikeItsOtherTimes()
    {
        var clock = new YearAheadClock();
        await using var app = await DreamLayerApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(new GenerationRequest
        {
            Prompt = "a clock tower",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Steps = 3,
            Width = 256,
            Height = 256,
        }, "tester", default));
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(accepted.JobIds[0], out var p) && p.Status.IsTerminal(), "the job to finish");

        await using var db = app.CreateDbContext();
        var job = await db.Jobs.SingleAsync(j => j.Id == accepted.JobIds[0]);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        // Read from another clock, the start came before the job was even created: a negative queue wait.
        Assert.InRange(job.StartedAt!.Value, job.CreatedAt, job.FinishedAt!.Value);
        Assert.True(job.QueueWaitMs >= 0, $"queue wait {job.QueueWaitMs} ms");
    }
}
