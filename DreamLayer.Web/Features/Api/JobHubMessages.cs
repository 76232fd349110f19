namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The names of the events <see cref="JobsHub"/> sends (the method a client registers with <c>connection.on(name, …)</c>),
/// each with one argument of the record of the same name. Documented in <c>docs/api/hub.md</c>.
/// </summary>
public static class JobHubEvents
{
    /// <summary><see cref="HubJobQueued"/>: the job is waiting in DreamLayer's line; sent again when its place changes.</summary>
    public const string Queued = "JobQueued";

    /// <summary><see cref="HubJobSubmitted"/>: the job was handed to a server and waits in that server's own queue.</summary>
    public const string Submitted = "JobSubmitted";

    /// <summary><see cref="HubJobStarted"/>: the server started running the job.</summary>
    public const string Started = "JobStarted";

    /// <summary><see cref="HubJobProgress"/>: a step or the running node changed (latest wins: a slow client skips steps).</summary>
    public const string Progress = "JobProgress";

    /// <summary><see cref="HubJobFinished"/>: the job succeeded; its images' addresses.</summary>
    public const string Finished = "JobFinished";

    /// <summary><see cref="HubJobFailed"/>: the job failed, with the reason.</summary>
    public const string Failed = "JobFailed";

    /// <summary><see cref="HubJobCancelled"/>: the job was cancelled.</summary>
    public const string Cancelled = "JobCancelled";

    /// <summary><see cref="HubPreviewFrame"/>: the newest preview frame of a job the client asked previews of (latest wins).</summary>
    public const string Preview = "PreviewFrame";
}

/// <summary>Waiting in DreamLayer's line: <see cref="Position"/> jobs are before it (null when it is not placed yet).</summary>
public sealed record HubJobQueued(Guid JobId, string Mode, int? Position, string Prompt);

/// <summary>Handed to <see cref="Server"/>, waiting in that server's queue.</summary>
public sealed record HubJobSubmitted(Guid JobId, string Server);

/// <summary>Running on <see cref="Server"/>.</summary>
public sealed record HubJobStarted(Guid JobId, string Server);

/// <summary>
/// Step <see cref="Step"/> of <see cref="Steps"/> (<see cref="Progress"/> is their ratio, 0 to 1) while <see cref="Node"/>
/// runs; the three are null while the node running counts no steps (a loader, a decoder, the save).
/// </summary>
public sealed record HubJobProgress(Guid JobId, int? Step, int? Steps, double? Progress, string? Node);

/// <summary>Succeeded: each image by the address that serves it to the same sign-in, a token included (<c>/api/v1/images/{id}/file</c>).</summary>
public sealed record HubJobFinished(Guid JobId, IReadOnlyList<string> Images);

/// <summary>Failed, and why, in words.</summary>
public sealed record HubJobFailed(Guid JobId, string Reason);

/// <summary>Cancelled (by its owner or an admin), with what was said about it.</summary>
public sealed record HubJobCancelled(Guid JobId, string? Reason);

/// <summary>
/// A preview frame: the picture's bytes (<see cref="MediaType"/> <c>image/jpeg</c> or <c>image/png</c>; base64 in JSON,
/// as the JSON hub protocol writes bytes), at step <see cref="Step"/> of the job.
/// </summary>
public sealed record HubPreviewFrame(Guid JobId, int Step, string MediaType, ReadOnlyMemory<byte> Image);
