using DreamLayer.Domain.Jobs;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>The words a person reads for a job's state: one wording for the job cards and the Queue page.</summary>
public static class JobStatusText
{
    /// <param name="cloud">A cloud job: sent to a provider (no server queue), generating there (no steps).</param>
    public static string For(JobStatus status, bool cloud = false) => status switch
    {
        JobStatus.Submitted when cloud => "Sent",
        JobStatus.Running when cloud => "Generating",
        JobStatus.Queued => "Waiting",
        JobStatus.Submitted => "Queued on server",
        JobStatus.Running => "Running",
        JobStatus.Succeeded => "Done",
        JobStatus.Failed => "Failed",
        JobStatus.Cancelled => "Cancelled",
        _ => status.ToString(),
    };
}
