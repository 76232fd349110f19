using System.Diagnostics;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>
/// One job's trouble stays that job's: whatever goes wrong while it is sent or collected (a locked database, an upload
/// gone from disk, an image that will not decode, settings that no longer read, a page's handler that throws), that job
/// ends with the reason and the app goes on serving the next one. A job's state only moves as the state machine allows,
/// so nothing late brings back a cancelled job, and a cancel always means the job does not run.
/// </summary>
public sealed class ReliabilityTests
{
    private static readonly Dictionary<string, string?> FastPolling = new() { ["ComfyUi:QuietPollInterval"] = "00:00:00.300" };

    private static GenerationRequest Txt2Img(string prompt) => new()
    {
        Prompt = prompt,
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = 2,
        Width = 256,
        Height = 256,
    };

    private static GenerationRequest Img2Img(UploadAccepted source) => Txt2Img("a harbour at dawn") with
    {
        Mode = GenerationMode.Img2Img,
        SourceImage = source.Id,
        SourceWidth = source.Width,
        SourceHeight = source.Height,
        Width = 64,
        Height = 64,
        Denoise = 0.6,
    };

    private static async Task<Guid> SubmitAsync(DreamLayerApp app, GenerationRequest request) =>
        Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default)).JobIds);

    private static async Task<JobProgress> EndOfAsync(DreamLayerApp app, Guid jobId)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), $"job {jobId} to end");
        events.TryGet(jobId, out var done);
        return done!;
    }

    private static async Task<UploadAccepted> UploadAsync(DreamLayerApp app)
    {
        using var image = new Image<Rgba32>(64, 64, new Rgba32(40, 90, 160));
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png);
        png.Position = 0;
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "harbour.png", default));
    }

    /// <summary>The first job meets <paramref name="fault"/> on its way to the server; it fails saying so, and the second job still runs.</summary>
    private static async Task FirstFailsSecondRunsAsync(DreamLayerApp app, Guid first, Guid second, string reason)
    {
        var failed = await EndOfAsync(app, first);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains(reason, failed.Message, StringComparison.Ordinal);
        var next = await EndOfAsync(app, second);
        Assert.True(next.Status == JobStatus.Succeeded, next.Message);
        await using var db = app.CreateDbContext();
        var row = await db.Jobs.SingleAsync(j => j.Id == first);
        Assert.Equal(JobStatus.Failed, row.Status);
        Assert.Contains(reason, row.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatcher_DatabaseRefusesToMarkOneJobSent_ThatJobFailsWithTheReasonAndTheNextRuns()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        var first = await SubmitAsync(app, Txt2Img("a locked door"));
        var second = await SubmitAsync(app, Txt2Img("an open door"));
        await using (var db = app.CreateDbContext())
        {
            // SQLite's own error, thrown by the statement that stores the job as sent (ExecuteUpdate does not wrap it).
            // A trigger takes no parameters; the only value put in is a Guid.
#pragma warning disable EF1002
            await db.Database.ExecuteSqlRawAsync($"""
                CREATE TRIGGER LockedForOneJob BEFORE UPDATE OF Status ON Jobs
                WHEN upper(NEW.Id) = '{first.ToString().ToUpperInvariant()}' AND NEW.Status = 'Submitted'
                BEGIN SELECT RAISE(ABORT, 'database is locked'); END;
                """);
#pragma warning restore EF1002
        }

        queue.SetDispatchPaused(false);

        await FirstFailsSecondRunsAsync(app, first, second, "database is locked");
    }

    [Fact]
    public async Task Dispatcher_UploadGoneBetweenCheckAndOpen_ThatJobFailsWithTheReasonAndTheNextRuns()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var queue = app.Get<JobQueue>();
        var source = await UploadAsync(app);
        queue.SetDispatchPaused(true);
        var first = await SubmitAsync(app, Img2Img(source));
        var second = await SubmitAsync(app, Txt2Img("a lighthouse"));
        // A dangling link: the file is there when looked for and gone when opened, as when it is deleted in between.
        var path = app.Get<UploadStore>().Locate(source.Id)!;
        File.Delete(path);
        File.CreateSymbolicLink(path, path + ".deleted");
        Assert.NotNull(app.Get<UploadStore>().Locate(source.Id));

        queue.SetDispatchPaused(false);

        await FirstFailsSecondRunsAsync(app, first, second, "Could not be sent to standin");
    }

    [Fact]
    public async Task Dispatcher_UploadThatNoLongerDecodes_ThatJobFailsWithTheReasonAndTheNextRuns()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var queue = app.Get<JobQueue>();
        var source = await UploadAsync(app);
        queue.SetDispatchPaused(true);
        var first = await SubmitAsync(app, Img2Img(source));
        var second = await SubmitAsync(app, Txt2Img("a lighthouse"));
        await File.WriteAllTextAsync(app.Get<UploadStore>().Locate(source.Id)!, "this was a picture once");

        queue.SetDispatchPaused(false);

        await FirstFailsSecondRunsAsync(app, first, second, "Could not be sent to standin");
    }

    [Fact]
    public async Task Completion_RequestNoLongerReadsWhenCollecting_ThatJobFailsWithTheReasonAndTheNextRuns()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: FastPolling);
        var faults = app.StandIn!.Faults;
        faults.HangAtNode = "KSampler";
        var tracker = app.Get<JobTracker>();
        var first = await SubmitAsync(app, Txt2Img("a ship in a bottle"));
        await DreamLayerApp.WaitUntilAsync(() => tracker.FindByJob(first) is { Status: JobStatus.Running }, "the job to run");
        tracker.FindByJob(first)!.Job.RequestJson = """{"mode":"Sculpture","prompt":"a ship in a bottle"}""";

        faults.FinishOnHistoryRead = true; // it finishes when the app next checks on it
        var failed = await EndOfAsync(app, first);

        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains("can no longer be read", failed.Message, StringComparison.Ordinal);
        var second = await SubmitAsync(app, Txt2Img("a ship at sea"));
        Assert.Equal(JobStatus.Succeeded, (await EndOfAsync(app, second)).Status);
    }

    [Fact]
    public async Task Events_SubscriberThatThrows_JobsStillRunToTheirEnd()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var events = app.Get<JobEvents>();
        // A page's handler with a bug, raised from the dispatcher (sent) and from the server's connection (running).
        using var broken = events.Subscribe(e =>
        {
            if (e is JobChanged { Job.Status: JobStatus.Submitted or JobStatus.Running })
            {
                throw new InvalidOperationException("a page's handler failed");
            }
        });

        var first = await SubmitAsync(app, Txt2Img("a kite"));
        Assert.Equal(JobStatus.Succeeded, (await EndOfAsync(app, first)).Status);
        var second = await SubmitAsync(app, Txt2Img("two kites"));
        Assert.Equal(JobStatus.Succeeded, (await EndOfAsync(app, second)).Status);
    }

    [Fact]
    public async Task LateProgressAndCompletion_ForACancelledJob_LeaveItCancelled()
    {
        await using var app = await DreamLayerApp.StartAsync();
        app.StandIn!.Faults.HangAtNode = "KSampler";
        var tracker = app.Get<JobTracker>();
        var jobId = await SubmitAsync(app, Txt2Img("a candle"));
        await DreamLayerApp.WaitUntilAsync(() => tracker.FindByJob(jobId) is { Status: JobStatus.Running }, "the job to run");
        var tracked = tracker.FindByJob(jobId)!;
        Assert.Equal(CancelOutcome.Cancelled, await app.Get<JobQueue>().CancelAsync(jobId, "tester", isAdmin: false, default));
        Assert.Equal(JobStatus.Cancelled, (await EndOfAsync(app, jobId)).Status);

        // Late news about it: progress from the server, and an outcome collected by a path that did not hear of the cancel.
        tracker.Track(tracked);
        tracker.Handle(app.Backend, new ProgressEvent(tracked.PromptId, "3", 5, 10));
        tracker.Untrack(tracked);
        var late = new TrackedJob(tracked.Job, app.Backend, tracked.PromptId, tracked.OutputNodes, tracked.NodeCount)
        {
            Outcome = JobOutcome.Error,
            Error = "KSampler failed late",
        };
        Assert.True(late.TryBeginCompletion());
        var completion = app.Get<JobCompletion>();
        completion.Enqueue(new CompletionWork(late, Stopwatch.GetTimestamp(), History: null));
        await DreamLayerApp.WaitUntilAsync(() => completion.CollectingByOwner().Count == 0, "the late outcome to be handled");

        Assert.True(app.Get<JobEvents>().TryGet(jobId, out var shown));
        Assert.Equal((JobStatus.Cancelled, "Cancelled."), (shown.Status, shown.Message));
        await using var db = app.CreateDbContext();
        var row = await db.Jobs.SingleAsync(j => j.Id == jobId);
        Assert.Equal((JobStatus.Cancelled, "Cancelled."), (row.Status, row.StatusMessage));
    }

    [Fact]
    public async Task Cancel_WhilePromptIsPostedAndThePostFails_JobEndsCancelledAndIsNeverSentAgain()
    {
        var held = new HeldRequests("prompt");
        await using var app = await DreamLayerApp.StartAsync(services: held.AddTo);
        var jobId = await SubmitAsync(app, Txt2Img("a paper boat"));
        await held.Arrived;

        Assert.Equal(CancelOutcome.Cancelled, await app.Get<JobQueue>().CancelAsync(jobId, "tester", isAdmin: false, default));
        held.Refuse(); // nothing reached the server: without the cancel the job would be queued again and run

        var done = await EndOfAsync(app, jobId);
        Assert.Equal(JobStatus.Cancelled, done.Status);
        Assert.Equal(0, app.StandIn!.PromptsAccepted);
        await using var db = app.CreateDbContext();
        Assert.Equal(JobStatus.Cancelled, (await db.Jobs.SingleAsync(j => j.Id == jobId)).Status);
    }

    [Fact]
    public async Task Cancel_WhileTheJobsImageIsUploaded_IsCancelledAndThePromptIsNeverSent()
    {
        var held = new HeldRequests("upload/image");
        await using var app = await DreamLayerApp.StartAsync(services: held.AddTo);
        var source = await UploadAsync(app);
        var jobId = await SubmitAsync(app, Img2Img(source));
        await held.Arrived; // taken out of line, not on a server yet

        Assert.Equal(CancelOutcome.Cancelled, await app.Get<JobQueue>().CancelAsync(jobId, "tester", isAdmin: false, default));
        held.Forward();

        var done = await EndOfAsync(app, jobId);
        Assert.Equal(JobStatus.Cancelled, done.Status);
        Assert.Equal(0, app.StandIn!.PromptsAccepted);
        await using var db = app.CreateDbContext();
        Assert.Equal(JobStatus.Cancelled, (await db.Jobs.SingleAsync(j => j.Id == jobId)).Status);
    }

    [Fact]
    public async Task Restart_QueuedJobWhoseStoredRequestNoLongerReads_FailsThatJobAndRunsTheOthers()
    {
        await using var standIn = await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(10) });
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-rel-" + Guid.NewGuid().ToString("N"));
        try
        {
            Guid broken, fine;
            await using (var first = await DreamLayerApp.StartAgainstAsync(standIn, data))
            {
                first.Get<JobQueue>().SetDispatchPaused(true);
                broken = await SubmitAsync(first, Txt2Img("a mosaic"));
                fine = await SubmitAsync(first, Txt2Img("a fresco"));
                await using var db = first.CreateDbContext();
                // A row written before a change of the request that it cannot follow (a mode that was renamed).
                await db.Jobs.Where(j => j.Id == broken).ExecuteUpdateAsync(s => s.SetProperty(j => j.RequestJson, """{"mode":"Mosaic","prompt":"a mosaic"}"""));
            }

            await using var second = await DreamLayerApp.StartAgainstAsync(standIn, data);

            var failed = await EndOfAsync(second, broken);
            Assert.Equal(JobStatus.Failed, failed.Status);
            Assert.Contains("can no longer be read", failed.Message, StringComparison.Ordinal);
            Assert.Equal(JobStatus.Succeeded, (await EndOfAsync(second, fine)).Status);
            await using var check = second.CreateDbContext();
            Assert.Equal(JobStatus.Failed, (await check.Jobs.SingleAsync(j => j.Id == broken)).Status);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
