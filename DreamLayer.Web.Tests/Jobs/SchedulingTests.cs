using System.Collections.Concurrent;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>Several stand-in servers with different models and faults, and several people sharing them.</summary>
public sealed class SchedulingTests
{
    private const string Sd15 = "v1-5-pruned-emaonly.safetensors";
    private const string Sdxl = "sd_xl_base_1.0.safetensors";

    private static GenerationRequest Request(string checkpoint = Sd15, int steps = 4, int batchCount = 1) => new()
    {
        Prompt = "a lighthouse",
        Checkpoint = checkpoint,
        Steps = steps,
        Width = 256,
        Height = 256,
        BatchCount = batchCount,
    };

    private static StandInOptions Server(int stepMs = 10, params string[] checkpoints) => new()
    {
        StepTime = TimeSpan.FromMilliseconds(stepMs),
        Checkpoints = checkpoints.Length == 0 ? null : checkpoints,
        Previews = false,
    };

    private static async Task<Guid[]> SubmitAsync(DreamLayerApp app, string owner, GenerationRequest request)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, owner, default));
        return [.. accepted.JobIds];
    }

    private static async Task<JobProgress> WaitForTerminalAsync(DreamLayerApp app, Guid jobId)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), $"job {jobId} to finish", TimeSpan.FromSeconds(60));
        events.TryGet(jobId, out var done);
        return done!;
    }

    [Fact]
    public async Task Dispatch_ThreePeopleWithUnevenLoads_TakeTurnsInsteadOfFirstComeFirstServed()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server()], new Dictionary<string, string?> { ["ComfyUi:MaxJobsInFlight"] = "1" });
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        var alice = await SubmitAsync(app, "alice", Request(batchCount: 6));
        var bob = await SubmitAsync(app, "bob", Request(batchCount: 3));
        var carol = await SubmitAsync(app, "carol", Request(batchCount: 1));
        queue.SetDispatchPaused(false);

        foreach (var id in alice.Concat(bob).Concat(carol))
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
        await using var db = app.CreateDbContext();
        var order = await db.Jobs.OrderBy(j => j.SentAt).Select(j => j.Owner).ToListAsync();
        Assert.Equal(["alice", "bob", "carol", "alice", "bob", "alice", "bob", "alice", "alice", "alice"], order);
    }

    [Fact]
    public async Task Dispatch_ModelsOnDifferentServers_EachJobGoesToAServerThatHasItsModel()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(10, Sd15), Server(10, Sdxl)]);

        var sd15Jobs = await SubmitAsync(app, "alice", Request(Sd15, batchCount: 3));
        var sdxlJobs = await SubmitAsync(app, "bob", Request(Sdxl, batchCount: 3));

        foreach (var id in sd15Jobs.Concat(sdxlJobs))
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
        await using var db = app.CreateDbContext();
        Assert.All(await db.Jobs.Where(j => j.Checkpoint == Sd15).ToListAsync(), j => Assert.Equal(DreamLayerApp.ServerName(0), j.Backend));
        Assert.All(await db.Jobs.Where(j => j.Checkpoint == Sdxl).ToListAsync(), j => Assert.Equal(DreamLayerApp.ServerName(1), j.Backend));
        Assert.Equal(3, app.StandIns[0].PromptsAccepted);
        Assert.Equal(3, app.StandIns[1].PromptsAccepted);
    }

    [Fact]
    public async Task Dispatch_OnlyServerWithTheModelGoesAwayAndComesBack_JobSaysWhyThenRunsThere()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(10, Sd15), Server(10, Sdxl)]);
        var queue = app.Get<JobQueue>();
        var events = app.Get<JobEvents>();
        queue.SetDispatchPaused(true);
        var job = (await SubmitAsync(app, "alice", Request(Sdxl)))[0];
        await app.KillStandInAsync(1);
        await DreamLayerApp.WaitUntilAsync(() => app.Backends[1].State == BackendState.Offline, "the app to see the server go");
        queue.SetDispatchPaused(false);

        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job, out var p) && p.Message is not null, "the job to say why it waits");
        Assert.True(events.TryGet(job, out var waiting));
        Assert.Equal(JobStatus.Queued, waiting.Status);
        Assert.Equal($"Waiting: no online server has {Sdxl}.", waiting.Message);
        Assert.Equal(0, app.StandIns[0].PromptsAccepted);

        await app.ReviveStandInAsync(1, Server(10, Sdxl)); // reconnects by itself
        var done = await WaitForTerminalAsync(app, job);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(DreamLayerApp.ServerName(1), done.Backend);
        Assert.Null(done.Message);
    }

    [Fact]
    public async Task Dispatch_PerPersonCap_NeverHasMoreOfOnePersonsJobsOnServersThanAllowed()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(20), Server(20)], new Dictionary<string, string?> { ["ComfyUi:MaxJobsPerUser"] = "1" });
        var queue = app.Get<JobQueue>();
        var events = app.Get<JobEvents>();
        var statuses = new ConcurrentDictionary<Guid, (string Owner, JobStatus Status)>();
        var maxAliceInFlight = 0;
        using var subscription = events.Subscribe(e =>
        {
            if (e is JobChanged changed)
            {
                lock (statuses)
                {
                    statuses[changed.Job.JobId] = (changed.Job.Owner, changed.Job.Status);
                    var aliceInFlight = statuses.Values.Count(s => s.Owner == "alice" && s.Status is JobStatus.Submitted or JobStatus.Running);
                    maxAliceInFlight = Math.Max(maxAliceInFlight, aliceInFlight);
                }
            }
        });
        queue.SetDispatchPaused(true);
        var alice = await SubmitAsync(app, "alice", Request(batchCount: 4));
        var bob = await SubmitAsync(app, "bob", Request(batchCount: 1));
        queue.SetDispatchPaused(false);

        foreach (var id in alice.Concat(bob))
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
        Assert.Equal(1, maxAliceInFlight); // three server slots stayed free rather than let alice take them all
        await using var db = app.CreateDbContext();
        var order = await db.Jobs.OrderBy(j => j.SentAt).Select(j => j.Owner).ToListAsync();
        Assert.Equal("bob", order[1]); // bob did not wait behind alice's batch
    }

    [Fact]
    public async Task Dispatch_APersonsOwnCapSetByAnAdmin_HoldsThemWhileOthersUseTheTeamDefault()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(20), Server(20)]); // 4 slots, team default 4
        var queue = app.Get<JobQueue>();
        var caps = app.Get<JobCaps>();
        var admin = new SignedInUser(TestUsers.Admin.Id, TestUsers.Admin.UserName, TestUsers.Admin.DisplayName, IsAdmin: true);
        Assert.Null(await caps.SetForPersonAsync(admin, TestUsers.Alice.Id, 1, default));
        var maxInFlight = TrackMostInFlight(app, out var subscription);
        using var _ = subscription;
        queue.SetDispatchPaused(true);
        var alice = await SubmitAsync(app, TestUsers.Alice.Id, Request(batchCount: 3));
        var bob = await SubmitAsync(app, TestUsers.Bob.Id, Request(batchCount: 3));
        queue.SetDispatchPaused(false);

        foreach (var id in alice.Concat(bob))
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
        Assert.Equal(1, maxInFlight[TestUsers.Alice.Id]);
        Assert.True(maxInFlight[TestUsers.Bob.Id] >= 2, $"bob had at most {maxInFlight[TestUsers.Bob.Id]} job(s) on servers at once");
    }

    [Fact]
    public async Task JobCaps_RaisingACap_LetsWaitingJobsGoAtOnce()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(20), Server(20)]);
        var caps = app.Get<JobCaps>();
        var admin = new SignedInUser(TestUsers.Admin.Id, TestUsers.Admin.UserName, TestUsers.Admin.DisplayName, IsAdmin: true);
        Assert.Null(await caps.SetTeamDefaultAsync(admin, 1, default));
        var maxInFlight = TrackMostInFlight(app, out var subscription);
        using var _ = subscription;
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        var alice = await SubmitAsync(app, TestUsers.Alice.Id, Request(steps: 40, batchCount: 4));
        queue.SetDispatchPaused(false);
        await DreamLayerApp.WaitUntilAsync(() => maxInFlight.GetValueOrDefault(TestUsers.Alice.Id) == 1, "alice's first job to be sent", TimeSpan.FromSeconds(30));

        Assert.Null(await caps.SetForPersonAsync(admin, TestUsers.Alice.Id, 4, default));

        await DreamLayerApp.WaitUntilAsync(() => maxInFlight.GetValueOrDefault(TestUsers.Alice.Id) >= 2, "more of alice's jobs on servers after her cap was raised", TimeSpan.FromSeconds(30));
        foreach (var id in alice)
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
    }

    [Fact]
    public async Task JobCaps_OnlyAdminsSetThem_WithinLimits_AndTheyAreKeptInTheDatabase()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server()]);
        var caps = app.Get<JobCaps>();
        var admin = new SignedInUser(TestUsers.Admin.Id, TestUsers.Admin.UserName, TestUsers.Admin.DisplayName, IsAdmin: true);
        var member = new SignedInUser(TestUsers.Bob.Id, TestUsers.Bob.UserName, TestUsers.Bob.DisplayName, IsAdmin: false);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => caps.SetForPersonAsync(member, TestUsers.Bob.Id, 50, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => caps.SetTeamDefaultAsync(member, 50, default));
        Assert.Equal("Jobs at once must be between 1 and 1000.", await caps.SetTeamDefaultAsync(admin, 0, default));
        Assert.Equal("That account no longer exists.", await caps.SetForPersonAsync(admin, "nobody", 2, default));

        Assert.Null(await caps.SetTeamDefaultAsync(admin, 2, default));
        Assert.Null(await caps.SetForPersonAsync(admin, TestUsers.Alice.Id, 7, default));
        var now = await caps.CurrentAsync(default);
        Assert.Equal(2, now.For(TestUsers.Bob.Id));
        Assert.Equal(7, now.For(TestUsers.Alice.Id));

        Assert.Null(await caps.SetForPersonAsync(admin, TestUsers.Alice.Id, null, default));
        Assert.Equal(2, (await caps.CurrentAsync(default)).For(TestUsers.Alice.Id));
        await using var db = app.CreateDbContext();
        Assert.Equal("2", await db.Settings.Where(s => s.Key == "Queue.MaxJobsPerUser").Select(s => s.Value).SingleAsync());
    }

    /// <summary>The most jobs each person had sent or running at the same moment, as the job events showed it.</summary>
    private static ConcurrentDictionary<string, int> TrackMostInFlight(DreamLayerApp app, out IDisposable subscription)
    {
        var statuses = new Dictionary<Guid, (string Owner, JobStatus Status)>();
        var most = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        subscription = app.Get<JobEvents>().Subscribe(e =>
        {
            if (e is JobChanged changed)
            {
                lock (statuses)
                {
                    statuses[changed.Job.JobId] = (changed.Job.Owner, changed.Job.Status);
                    var now = statuses.Values.Count(s => s.Owner == changed.Job.Owner && s.Status is JobStatus.Submitted or JobStatus.Running);
                    most.AddOrUpdate(changed.Job.Owner, now, (_, before) => Math.Max(before, now));
                }
            }
        });
        return most;
    }

    [Fact]
    public async Task Cancel_SomeoneElsesJob_IsRefusedForAMemberAndAllowedForTheOwnerAndAnAdmin()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(50)]);
        var queue = app.Get<JobQueue>();
        var events = app.Get<JobEvents>();
        queue.SetDispatchPaused(true);
        var jobs = await SubmitAsync(app, "alice", Request(batchCount: 2));

        Assert.Equal(CancelOutcome.Forbidden, await queue.CancelAsync(jobs[0], "bob", isAdmin: false, default));
        Assert.True(events.TryGet(jobs[0], out var untouched));
        Assert.Equal(JobStatus.Queued, untouched.Status);

        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(jobs[0], "alice", isAdmin: false, default));
        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(jobs[1], "root", isAdmin: true, default));
        Assert.True(events.TryGet(jobs[0], out var first));
        Assert.True(events.TryGet(jobs[1], out var second));
        Assert.Equal(JobStatus.Cancelled, first.Status);
        Assert.Equal(JobStatus.Cancelled, second.Status);
        queue.SetDispatchPaused(false);
        Assert.Equal(0, app.StandIn!.PromptsAccepted);
    }

    [Fact]
    public async Task CancelBatch_RunningAndWaitingJobsOfTheBatch_AllStopAndOthersRun()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(40)]);
        var queue = app.Get<JobQueue>();
        var events = app.Get<JobEvents>();
        var batch = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(Request(steps: 30, batchCount: 4), "alice", default));
        var other = (await SubmitAsync(app, "bob", Request()))[0];
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(batch.JobIds[0], out var p) && p.Status == JobStatus.Running, "the batch to start");

        Assert.Equal(0, await queue.CancelBatchAsync(batch.BatchId, "bob", isAdmin: false, default));
        Assert.Equal(4, await queue.CancelBatchAsync(batch.BatchId, "alice", isAdmin: false, default));

        foreach (var id in batch.JobIds)
        {
            Assert.Equal(JobStatus.Cancelled, (await WaitForTerminalAsync(app, id)).Status);
        }
        Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, other)).Status);
    }

    [Fact]
    public async Task ServerKilledMidRun_RunningJobIsRetriedOnceOnAnotherServerAndSavedOnce()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(60), Server(60)], new Dictionary<string, string?> { ["ComfyUi:FailoverAfter"] = "00:00:00.300" });
        var events = app.Get<JobEvents>();
        var job = (await SubmitAsync(app, "alice", Request(steps: 15)))[0];
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job, out var p) && p.Status == JobStatus.Running && p.StepValue > 1, "the job to run");
        events.TryGet(job, out var running);
        var victim = running!.Backend == DreamLayerApp.ServerName(0) ? 0 : 1;

        await app.KillStandInAsync(victim);

        var done = await WaitForTerminalAsync(app, job);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(DreamLayerApp.ServerName(1 - victim), done.Backend);
        Assert.Single(done.ImageIds);
        await using var db = app.CreateDbContext();
        var row = await db.Jobs.SingleAsync(j => j.Id == job);
        Assert.Equal(1, row.LostRuns);
        Assert.Equal(1, await db.Images.CountAsync(i => i.JobId == job));
    }

    [Fact]
    public async Task ServerKilledMidRun_NoRetriesLeft_JobFailsAndSaysWhichServerWentAway()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(60), Server(60)], new Dictionary<string, string?>
        {
            ["ComfyUi:FailoverAfter"] = "00:00:00.300",
            ["ComfyUi:RetriesAfterServerLoss"] = "0",
        });
        var events = app.Get<JobEvents>();
        var job = (await SubmitAsync(app, "alice", Request(steps: 15)))[0];
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job, out var p) && p.Status == JobStatus.Running, "the job to run");
        events.TryGet(job, out var running);

        await app.KillStandInAsync(running!.Backend == DreamLayerApp.ServerName(0) ? 0 : 1);

        var done = await WaitForTerminalAsync(app, job);
        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Equal($"{running.Backend} went offline while running this job.", done.Message);
    }

    [Fact]
    public async Task ServerKilled_JobsWaitingInItsQueueMoveToAnotherServer()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(40), Server(40)], new Dictionary<string, string?>
        {
            ["ComfyUi:FailoverAfter"] = "00:00:00.300",
            ["ComfyUi:MaxJobsInFlight"] = "3",
        });
        var jobs = await SubmitAsync(app, "alice", Request(steps: 10, batchCount: 6));
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => jobs.Count(id => events.TryGet(id, out var p) && p.Backend == DreamLayerApp.ServerName(0)) >= 2, "jobs on the first server");

        await app.KillStandInAsync(0);

        foreach (var id in jobs)
        {
            Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, id)).Status);
        }
        await using var db = app.CreateDbContext();
        Assert.Equal(6, await db.Images.CountAsync());
        Assert.All(await db.Jobs.ToListAsync(), j => Assert.True(j.LostRuns <= 1));
    }

    [Fact]
    public async Task SocketDroppedOnOneServer_BothServersJobsFinishWithTheirOwnImagesOnly()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(50), Server(50)], new Dictionary<string, string?> { ["ComfyUi:QuietPollInterval"] = "00:00:00.300" });
        var events = app.Get<JobEvents>();
        var jobs = await SubmitAsync(app, "alice", Request(steps: 12, batchCount: 2));
        await DreamLayerApp.WaitUntilAsync(() => jobs.All(id => events.TryGet(id, out var p) && p.Status == JobStatus.Running), "both jobs to run");
        app.StandIns[0].Faults.DropSocketsAtStep = 8;

        var done = new List<JobProgress>();
        foreach (var id in jobs)
        {
            done.Add(await WaitForTerminalAsync(app, id));
        }
        Assert.All(done, d => Assert.Equal(JobStatus.Succeeded, d.Status));
        Assert.NotEqual(done[0].Backend, done[1].Backend);
        Assert.Equal(1, app.StandIns[0].PromptsAccepted);
        Assert.Equal(1, app.StandIns[1].PromptsAccepted);
        await using var db = app.CreateDbContext();
        Assert.All(jobs, id => Assert.Equal(1, db.Images.Count(i => i.JobId == id)));
    }

    [Fact]
    public async Task EventsForTheSamePromptIdOnAnotherServer_NeverReachTheJob()
    {
        await using var app = await DreamLayerApp.StartManyAsync([Server(40), Server(5)]);
        var events = app.Get<JobEvents>();
        var pool = app.Get<BackendPool>();
        var queue = app.Get<JobQueue>();
        var job = (await SubmitAsync(app, "alice", Request(steps: 20)))[0];
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(job, out var p) && p.Status == JobStatus.Running, "the job to run");
        events.TryGet(job, out var running);
        var other = pool.Backends.Single(b => b.Name != running!.Backend);

        // Another client sends a prompt with the same id to the other server, which finishes it first.
        var graph = DreamLayer.Domain.Workflows.WorkflowBuilder.Build(app.Get<WorkflowLibrary>().Get(GenerationMode.Txt2Img), Request(steps: 1), 7);
        Assert.IsType<PromptAccepted>(await pool.ClientFor(other).QueuePromptAsync(graph, "someone-else", job.ToString(), null, default));

        var done = await WaitForTerminalAsync(app, job);
        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Equal(running!.Backend, done.Backend);
        await using var db = app.CreateDbContext();
        Assert.Equal(1, await db.Images.CountAsync(i => i.JobId == job));
        Assert.Equal(20, (await db.Jobs.SingleAsync(j => j.Id == job)).Steps);
        _ = queue;
    }

    [Fact]
    public async Task AppRestartMidJob_SecondInstanceCollectsEveryServersJobExactlyOnce()
    {
        var standIns = new List<StandInServer>
        {
            await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(80), Previews = false }),
            await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(80), Previews = false }),
        };
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-restart-" + Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["ComfyUi:QuietPollInterval"] = "00:00:00.300", ["ComfyUi:MaxJobsInFlight"] = "2" };
        try
        {
            Guid[] jobs;
            await using (var first = await DreamLayerApp.StartAgainstAsync(standIns, data, settings))
            {
                jobs = await SubmitAsync(first, "alice", Request(steps: 15, batchCount: 4));
                var events = first.Get<JobEvents>();
                await DreamLayerApp.WaitUntilAsync(() => jobs.Count(id => events.TryGet(id, out var p) && p.Status == JobStatus.Running) == 2, "a job to run on each server");
            } // the app stops while both servers keep working

            await using var second = await DreamLayerApp.StartAgainstAsync(standIns, data, settings);
            foreach (var id in jobs)
            {
                Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(second, id)).Status);
            }
            await using var db = second.CreateDbContext();
            Assert.All(jobs, id => Assert.Equal(1, db.Images.Count(i => i.JobId == id)));
            Assert.Equal(4, standIns.Sum(s => s.PromptsAccepted)); // nothing sent twice
        }
        finally
        {
            foreach (var standIn in standIns)
            {
                await standIn.DisposeAsync();
            }
            Directory.Delete(data, recursive: true);
        }
    }
}
