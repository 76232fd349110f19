using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>
/// What a component that shows one job (a job card, a queue row) needs to follow it alone: a subscription to that
/// job's events only (<see cref="JobEvents.SubscribeJob"/>), a throttled render when one comes, and the newest
/// snapshot and preview frame, taken on the circuit's thread.
/// </summary>
public sealed class JobFollower(JobEvents events, RenderThrottle throttle) : IDisposable
{
    private IDisposable? _subscription;
    private Guid _following;

    /// <summary>The newest snapshot: the one in memory, else the one the component was given (a job read from the database).</summary>
    public JobProgress Job { get; private set; } = default!;

    /// <summary>The sequence of the job's newest preview frame, or null while there is none.</summary>
    public long? Preview { get; private set; }

    /// <summary>Follows <paramref name="given"/>'s job from now on (call when the component's parameters are set).</summary>
    public void Follow(JobProgress given)
    {
        ArgumentNullException.ThrowIfNull(given);
        if (_subscription is null || _following != given.JobId)
        {
            _subscription?.Dispose();
            _following = given.JobId;
            _subscription = events.SubscribeJob(given.JobId, _ => throttle.Request());
        }
        Job = given;
        Refresh();
    }

    /// <summary>Takes the newest snapshot and frame (call on the circuit's thread, before rendering).</summary>
    public void Refresh()
    {
        if (events.TryGet(_following, out var live))
        {
            Job = live;
        }
        Preview = events.LatestPreview(_following);
    }

    public void Dispose() => _subscription?.Dispose();
}
