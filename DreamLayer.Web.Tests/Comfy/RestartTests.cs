using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Nothing is lost when the app or ComfyUI restarts in the middle of a job.</summary>
public sealed class RestartTests
{
    private static readonly Dictionary<string, string?> FastPolling = new() { ["ComfyUi:QuietPollInterval"] = "00:00:00.300" };

    private static GenerationRequest Request(int steps) => new()
    {
        Prompt = "a lighthouse",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = steps,
        Width = 256,
        Height = 256,
    };

    [Fact]
    public async Task AppRestart_JobRunningOnServer_IsCollectedExactlyOnceByTheNextInstance()
    {
        await using var standIn = await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(100) });
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-restart-" + Guid.NewGuid().ToString("N"));
        try
        {
            Guid jobId;
            await using (var first = await DreamLayerApp.StartAgainstAsync(standIn, data, FastPolling))
            {
                var accepted = Assert.IsType<SubmitAccepted>(await first.Get<JobQueue>().SubmitAsync(Request(steps: 20), "tester", default));
                jobId = accepted.JobIds[0];
                var events = first.Get<JobEvents>();
                await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status == JobStatus.Running && p.StepValue > 1, "the job to run");
            } // the app stops while ComfyUI keeps working on the job

            await using var second = await DreamLayerApp.StartAgainstAsync(standIn, data, FastPolling);
            var secondEvents = second.Get<JobEvents>();
            await DreamLayerApp.WaitUntilAsync(() => secondEvents.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the restarted app to collect the job");

            Assert.True(secondEvents.TryGet(jobId, out var done));
            Assert.Equal(JobStatus.Succeeded, done.Status);
            await using var db = second.CreateDbContext();
            Assert.Equal(1, await db.Images.CountAsync(i => i.JobId == jobId));
            Assert.Equal(1, standIn.PromptsAccepted);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task QuietJobCheck_JobFinishingBetweenTheQueueAndHistoryReads_IsCollectedNotSentAgain()
    {
        // The check reads /queue, then /history. Read the other way round, a job that finishes between the two reads
        // is in neither, looks lost and is sent again. The stand-in lets the job finish exactly after a history read.
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(10), settings: FastPolling);
        var faults = app.StandIn!.Faults;
        faults.HangAtNode = "KSampler"; // no events while it hangs, so the app checks on it
        faults.FinishOnHistoryRead = true;
        var events = app.Get<JobEvents>();
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(steps: 2), "tester", default));
        var jobId = accepted.JobIds[0];

        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");

        Assert.False(faults.FinishOnHistoryRead); // the job did finish between the app's two reads
        Assert.True(events.TryGet(jobId, out var done));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(1, app.StandIn.PromptsAccepted);
        await using var db = app.CreateDbContext();
        var row = await db.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal((1, 0), (row.Attempts, row.LostRuns));
        Assert.Equal(1, await db.Images.CountAsync(i => i.JobId == jobId));
    }

    [Fact]
    public async Task ServerRestart_JobLostByComfyUi_IsSentAgainAndSavedOnce()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(100), settings: FastPolling);
        var events = app.Get<JobEvents>();
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(steps: 10), "tester", default));
        var jobId = accepted.JobIds[0];
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status == JobStatus.Running, "the job to run");

        await app.RestartStandInAsync(new StandInOptions { StepTime = TimeSpan.FromMilliseconds(10) });

        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish after the restart");
        Assert.True(events.TryGet(jobId, out var done));
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(1, app.StandIn!.PromptsAccepted); // sent again to the restarted server, once
        await using var db = app.CreateDbContext();
        Assert.Equal(1, await db.Images.CountAsync(i => i.JobId == jobId));
        Assert.Equal(2, (await db.Jobs.SingleAsync(j => j.Id == jobId)).Attempts);
    }
}
