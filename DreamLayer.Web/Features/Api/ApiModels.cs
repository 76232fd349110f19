using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Api;

/// <summary>A model a person may pick: its folder (<c>checkpoints</c>, <c>loras</c>, …), its file name as the servers list it, and its display name.</summary>
public sealed record ApiModel(string Folder, string Name, string Title);

/// <summary>A ComfyUI server and its state (<c>Online</c>, <c>Connecting</c>, <c>Offline</c>, <c>Disabled</c>), with the reason when not online.</summary>
public sealed record ApiServer(string Name, string State, string? Reason, bool Online);

/// <summary>
/// A job as it is now. <see cref="QueuePosition"/> counts the jobs before it while it waits (null once it runs or has
/// ended); <see cref="Progress"/> is the current step over the steps (0 to 1) while it runs.
/// </summary>
public sealed record ApiJob(
    Guid Id,
    string Mode,
    string Status,
    string Prompt,
    string Checkpoint,
    string Seed,
    int Width,
    int Height,
    DateTime CreatedAt,
    int? QueuePosition,
    double? Progress,
    int? Step,
    int? Steps,
    string? Node,
    string? Server,
    string? Message,
    IReadOnlyList<string> Images)
{
    /// <summary>The job as a client sees it; images by the address that serves each.</summary>
    public static ApiJob From(JobProgress job, IReadOnlyDictionary<Guid, int> positions)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(positions);
        var running = job.Status == Domain.Jobs.JobStatus.Running && job.StepMax > 0;
        return new ApiJob(
            job.JobId,
            job.Mode.ToString(),
            job.Status.ToString(),
            job.Prompt,
            job.Checkpoint,
            job.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            job.Width,
            job.Height,
            job.CreatedAt,
            positions.TryGetValue(job.JobId, out var place) ? place : null,
            running ? Math.Clamp((double)job.StepValue / job.StepMax, 0, 1) : null,
            running ? job.StepValue : null,
            running ? job.StepMax : null,
            job.Node,
            job.Backend,
            job.Message,
            [.. job.ImageIds.Select(id => $"/images/{id}")]);
    }
}

/// <summary>One page of a person's jobs, newest first.</summary>
public sealed record ApiJobPage(int Page, int PageSize, int Total, IReadOnlyList<ApiJob> Jobs);

/// <summary>What cancelling a job did.</summary>
public sealed record ApiCancelled(Guid Id, string Outcome);
