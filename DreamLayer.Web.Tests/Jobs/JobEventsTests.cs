using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Tests.Jobs;

public sealed class JobEventsTests
{
    private static JobProgress Job(Guid id, JobStatus status, DateTime created) => new()
    {
        JobId = id,
        BatchId = Guid.Empty,
        Status = status,
        Prompt = "p",
        Checkpoint = "c",
        Seed = 1,
        Width = 512,
        Height = 512,
        CreatedAt = created,
    };

    [Fact]
    public void Update_SnapshotReplacedWhileTheChangeWasMade_AppliesTheChangeToTheNewerOne()
    {
        var events = new JobEvents();
        var id = Guid.NewGuid();
        events.Publish(Job(id, JobStatus.Running, TimeProvider.System.GetUtcNow().UtcDateTime));
        var calls = 0;

        var result = events.Update(id, p =>
        {
            if (calls++ == 0)
            {
                events.Publish(p with { Status = JobStatus.Succeeded }); // another thread ends the job meanwhile
            }
            return p.Status.IsTerminal() ? p : p with { StepValue = 3 };
        });

        Assert.True(events.TryGet(id, out var now));
        Assert.Equal((JobStatus.Succeeded, 0), (now.Status, now.StepValue));
        Assert.Same(now, result);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void PublishPreview_ManyFrames_KeepsOnlyTheNewest()
    {
        var events = new JobEvents();
        var id = Guid.NewGuid();
        for (var i = 0; i < 500; i++)
        {
            events.PublishPreview(id, new[] { (byte)(i % 256) }, "image/jpeg");
        }
        Assert.True(events.TryGetPreview(id, out var frame));
        Assert.Equal((byte)(499 % 256), frame.Image.Span[0]);
        Assert.Equal(500, events.PreviewsReceived);
    }

    [Fact]
    public void Publish_TerminalStatus_DropsThePreview()
    {
        var events = new JobEvents();
        var id = Guid.NewGuid();
        events.Publish(Job(id, JobStatus.Running, TimeProvider.System.GetUtcNow().UtcDateTime));
        events.PublishPreview(id, new byte[] { 1 }, "image/jpeg");
        events.Publish(Job(id, JobStatus.Succeeded, TimeProvider.System.GetUtcNow().UtcDateTime));
        Assert.False(events.TryGetPreview(id, out _));
    }

    [Fact]
    public void SubscribeJob_Disposed_StopsDelivery()
    {
        var events = new JobEvents();
        var id = Guid.NewGuid();
        var seen = 0;
        var subscription = events.SubscribeJob(id, _ => seen++);
        events.PublishPreview(id, new byte[] { 1 }, "image/jpeg");
        subscription.Dispose();
        events.PublishPreview(id, new byte[] { 1 }, "image/jpeg");
        Assert.Equal(1, seen);
    }

    [Fact]
    public void PublishPreview_ReachesOnlyThatJobsSubscribers_NeverTheWholeApp()
    {
        var events = new JobEvents();
        var (a, b) = (Guid.NewGuid(), Guid.NewGuid());
        var (everything, ofA, ofB) = (new List<JobEvent>(), new List<JobEvent>(), new List<JobEvent>());
        using var all = events.Subscribe(everything.Add);
        using var subA = events.SubscribeJob(a, ofA.Add);
        using var subB = events.SubscribeJob(b, ofB.Add);

        for (var i = 0; i < 10; i++)
        {
            events.PublishPreview(b, new byte[] { 1 }, "image/jpeg");
        }

        Assert.Empty(everything);
        Assert.Empty(ofA);
        Assert.Equal(10, ofB.Count);
        Assert.Equal(events.LatestPreview(b), Assert.IsType<PreviewAvailable>(ofB[^1]).Sequence);
    }

    [Fact]
    public void Steps_ReachTheOwnersListButNotTheQueueTopic_StatusChangesReachBoth()
    {
        var events = new JobEvents();
        var id = Guid.NewGuid();
        var job = Job(id, JobStatus.Queued, TimeProvider.System.GetUtcNow().UtcDateTime) with { Owner = "alice", Mode = DreamLayer.Domain.Generation.GenerationMode.Txt2Img };
        var (alices, bobs, queue) = (new List<JobChanged>(), new List<JobChanged>(), new List<JobEvent>());
        using var a = events.SubscribeOwner("alice", DreamLayer.Domain.Generation.GenerationMode.Txt2Img, alices.Add);
        using var b = events.SubscribeOwner("bob", DreamLayer.Domain.Generation.GenerationMode.Txt2Img, bobs.Add);
        using var q = events.SubscribeQueue(queue.Add);

        events.Publish(job);
        events.Update(id, p => p with { Status = JobStatus.Running });
        for (var step = 1; step <= 20; step++)
        {
            events.Update(id, p => p with { StepValue = step, StepMax = 20 });
        }

        Assert.Equal(22, alices.Count);
        Assert.Empty(bobs);
        Assert.Equal(2, queue.Count); // it appeared, it started: never a step
    }

    [Fact]
    public async Task RenderThrottle_FloodOfRequests_RendersAFewTimesNotOncePerEvent()
    {
        var renders = 0;
        var trailingRender = new TaskCompletionSource();
        var throttle = new RenderThrottle(
            work => work(),
            () =>
            {
                if (Interlocked.Increment(ref renders) == 2)
                {
                    trailingRender.TrySetResult();
                }
            },
            _ => Task.CompletedTask,
            TimeSpan.FromMilliseconds(50));

        for (var i = 0; i < 1000; i++)
        {
            throttle.Request();
        }
        // One render at once, one trailing render for everything that came after it: never one per event.
        await trailingRender.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, Volatile.Read(ref renders));
    }

    [Fact]
    public async Task RenderThrottle_WithAGatherTime_ShowsEventsThatComeTogetherInOneRender()
    {
        // A step's progress, then its preview frame, after a quiet moment: one render that shows both.
        var happened = 0;
        var firstRender = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var throttle = new RenderThrottle(work => work(), () => firstRender.TrySetResult(Volatile.Read(ref happened)), _ => Task.CompletedTask,
            TimeSpan.FromMilliseconds(100), gather: TimeSpan.FromMilliseconds(200));

        Interlocked.Increment(ref happened);
        throttle.Request();
        Interlocked.Increment(ref happened);
        throttle.Request();

        Assert.Equal(2, await firstRender.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
