using DreamLayer.Domain.Jobs;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>The words a person reads for a job's state: one wording for the job cards and the Queue page.</summary>
public static class JobStatusText
{
    public static string For(JobStatus status) => status switch
    {
        JobStatus.Queued => "Waiting",
        JobStatus.Submitted => "Queued on server",
        JobStatus.Running => "Running",
        JobStatus.Succeeded => "Done",
        JobStatus.Failed => "Failed",
        JobStatus.Cancelled => "Cancelled",
        _ => status.ToString(),
    };
}
