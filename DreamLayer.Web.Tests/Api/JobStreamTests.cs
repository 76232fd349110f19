using System.Collections.Concurrent;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Jobs;
using Microsoft.Extensions.Logging.Abstractions;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// One hub connection's stream on its own (no app): what waits for a client that does not read stays bounded however
/// many steps and frames come, and a connection whose sends fail ends alone.
/// </summary>
public sealed class JobStreamTests
{
    private static readonly IReadOnlyDictionary<Guid, int> NoPlaces = new Dictionary<Guid, int>();

    /// <summary>A client that reads nothing until <see cref="Release"/>: every send waits for it.</summary>
    private sealed class StalledClient
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<(string Name, object Payload)> Sent { get; } = new();

        public void Release() => _release.TrySetResult();

        public async Task SendAsync(string method, object payload, CancellationToken ct)
        {
            await _release.Task.WaitAsync(ct);
            Sent.Enqueue((method, payload));
        }
    }

    [Fact]
    public async Task ClientThatNeverReads_ThousandsOfStepsAndFrames_WaitingStaysBounded_ThenTheNewestIsSentBeforeTheEnd()
    {
        var events = new JobEvents();
        var client = new StalledClient();
        using var stream = JobStream.Open("slow", "alice", events, () => NoPlaces, client.SendAsync, () => { }, NullLogger.Instance);
        var job = LiveAppFixture.LiveJob("alice", GenerationMode.Txt2Img, JobStatus.Queued);
        events.Publish(job);
        events.Update(job.JobId, j => j with { Status = JobStatus.Running, Backend = "gpu-1", StepMax = 10_000 });
        Assert.True(stream.WatchPreviews(job.JobId));
        var frame = new byte[64 * 1024];
        frame[0] = 0xFF;
        frame[1] = 0xD8;

        for (var step = 1; step <= 10_000; step++)
        {
            events.Update(job.JobId, j => j with { StepValue = step });
            events.PublishPreview(job.JobId, frame, "image/jpeg");
            // Queued (perhaps taken by the stalled send), Started, one step, one frame: never more.
            Assert.InRange(stream.PendingItems, 0, 4);
        }
        events.Update(job.JobId, j => j with { Status = JobStatus.Succeeded, ImageIds = [Guid.NewGuid()], StepValue = 0, StepMax = 0 });
        client.Release();
        await DreamLayerApp.WaitUntilAsync(() => client.Sent.Any(s => s.Name == JobHubEvents.Finished), "the end to be sent");

        var sent = client.Sent.ToList();
        Assert.Equal([JobHubEvents.Queued, JobHubEvents.Started], sent.Take(2).Select(s => s.Name));
        Assert.Equal(JobHubEvents.Finished, sent[^1].Name);
        // What the loop had taken when the client stalled (at most the first step and frame), then only the newest.
        var steps = sent.Where(s => s.Name == JobHubEvents.Progress).Select(s => ((HubJobProgress)s.Payload).Step).ToList();
        Assert.InRange(steps.Count, 1, 2);
        Assert.Equal(10_000, steps[^1]);
        Assert.InRange(sent.Count(s => s.Name == JobHubEvents.Preview), 0, 2);
        Assert.Equal(0, stream.PendingItems);
    }

    [Fact]
    public async Task SendThatFails_EndsThatConnectionOnly_TheOtherGetsEveryEvent()
    {
        var events = new JobEvents();
        var faulted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var healthy = new ConcurrentQueue<string>();
        using var broken = JobStream.Open("broken", "alice", events, () => NoPlaces,
            (_, _, _) => throw new InvalidOperationException("the transport broke"), () => faulted.TrySetResult(), NullLogger.Instance);
        using var working = JobStream.Open("working", "alice", events, () => NoPlaces,
            (name, _, _) =>
            {
                healthy.Enqueue(name);
                return Task.CompletedTask;
            }, () => { }, NullLogger.Instance);
        var job = LiveAppFixture.LiveJob("alice", GenerationMode.Txt2Img, JobStatus.Queued);

        events.Publish(job);
        await faulted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        events.Update(job.JobId, j => j with { Status = JobStatus.Running, Backend = "gpu-1", StepValue = 1, StepMax = 2 });
        events.Update(job.JobId, j => j with { Status = JobStatus.Succeeded, StepValue = 0, StepMax = 0 });

        await DreamLayerApp.WaitUntilAsync(() => healthy.Contains(JobHubEvents.Finished), "the working connection to get the end");
        Assert.Equal([JobHubEvents.Queued, JobHubEvents.Started, JobHubEvents.Finished], healthy);
        Assert.Equal(0, broken.PendingItems); // ended: it notes nothing more
        await broken.Completion;
    }
}
