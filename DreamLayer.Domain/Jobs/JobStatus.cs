namespace DreamLayer.Domain.Jobs;

/// <summary>Where a job is in its life. Terminal states never change again.</summary>
public enum JobStatus
{
    /// <summary>Saved, waiting for a server.</summary>
    Queued,
    /// <summary>Accepted by a ComfyUI server, waiting in its queue.</summary>
    Submitted,
    /// <summary>Executing on the server.</summary>
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public static class JobStatusExtensions
{
    public static bool IsTerminal(this JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled;

    /// <summary>The allowed moves of the job state machine.</summary>
    public static bool CanMoveTo(this JobStatus from, JobStatus to) => (from, to) switch
    {
        (JobStatus.Queued, JobStatus.Submitted or JobStatus.Failed or JobStatus.Cancelled) => true,
        (JobStatus.Submitted, JobStatus.Running or JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled or JobStatus.Queued) => true,
        (JobStatus.Running, JobStatus.Succeeded or JobStatus.Failed or JobStatus.Cancelled or JobStatus.Queued) => true,
        _ => false,
    };

    private static readonly JobStatus[][] Before = Enum.GetValues<JobStatus>()
        .Select(to => Enum.GetValues<JobStatus>().Where(from => from.CanMoveTo(to)).ToArray()).ToArray();

    /// <summary>Every state from which a job may move to <paramref name="to"/>: the guard of that move where the job is stored.</summary>
    public static IReadOnlyList<JobStatus> StatesBefore(this JobStatus to) => Before[(int)to];
}
