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
            [.. job.ImageIds.Select(ApiGalleryEndpoints.FileUrl)]);
    }
}

/// <summary>One page of a person's jobs, newest first.</summary>
public sealed record ApiJobPage(int Page, int PageSize, int Total, IReadOnlyList<ApiJob> Jobs);

/// <summary>What cancelling a job did.</summary>
public sealed record ApiCancelled(Guid Id, string Outcome);

/// <summary>A stored upload: its id (usable in a job by its owner only), its size in pixels and in bytes as stored (PNG).</summary>
public sealed record ApiUpload(Guid Id, int Width, int Height, long Bytes);

/// <summary>The jobs a submission queued (one per run of its batch count), each with its seed and its address.</summary>
public sealed record ApiSubmitted(Guid BatchId, IReadOnlyList<ApiSubmittedJob> Jobs);

/// <summary>One queued job: its id, its seed (a string: seeds use the whole 64-bit range) and where its state is read.</summary>
public sealed record ApiSubmittedJob(Guid Id, string Seed, string Url);

/// <summary>A board: its id (for <c>PUT /api/v1/images/{id}/boards/{boardId}</c>), name, owner and whether the team shares it.</summary>
public sealed record ApiBoard(Guid Id, string Name, string OwnerName, bool Shared);

/// <summary>An image in a gallery page (its prompt cut to 200 characters), with the addresses of its details, file and thumbnail.</summary>
public sealed record ApiImage(Guid Id, DateTime CreatedAt, string OwnerId, string OwnerName, string Prompt, int Width, int Height, bool Private,
    string Url, string FileUrl, string ThumbnailUrl);

/// <summary>One page of the gallery; <see cref="NextCursor"/> asks for the next one (null on the last page).</summary>
public sealed record ApiImagePage(IReadOnlyList<ApiImage> Images, string? NextCursor);

/// <summary>
/// One image: what the gallery's dialog shows. <see cref="Parameters"/> is the job's request as stored (the same JSON
/// names as <c>POST /api/v1/jobs</c> takes, plus what the queue filled in); <see cref="Infotext"/> is the A1111
/// <c>parameters</c> text written into the file.
/// </summary>
public sealed record ApiImageDetails(Guid Id, Guid JobId, DateTime CreatedAt, string OwnerId, string OwnerName, string Mode, string Model, string Sampler,
    string Prompt, string NegativePrompt, string Seed, int Width, int Height, bool Private, bool Favourite, bool InTrash, string Infotext,
    System.Text.Json.JsonElement? Parameters, string FileUrl, string ThumbnailUrl);
