using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// REST v1, the routes a script uses: what it may pick (models as the person may see them, samplers, schedulers), the
/// servers' state, the person's jobs, one job's state, and cancelling a job. Every route acts as the person the token
/// (or cookie) belongs to, with exactly their rights: another person's job is 404 to a member and visible to an admin.
/// </summary>
public static class ApiEndpoints
{
    /// <summary>The most jobs one page of <c>GET /api/v1/jobs</c> holds.</summary>
    public const int MaxPageSize = 100;

    /// <summary>The most bytes a request to the API may send.</summary>
    public const long MaxRequestBytes = 64 * 1024;

    internal static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/models", Models).WithName("ListModels").WithSummary("The models you may pick, by folder")
            .WithDescription("Checkpoints, LoRAs, VAEs, ControlNets and upscale models the online servers list. A model an admin hid is absent for members.");
        api.MapGet("/samplers", (BackendPool pool) => TypedResults.Ok<IReadOnlyList<string>>(pool.Limits?.Samplers ?? []))
            .WithName("ListSamplers").WithSummary("The samplers the online servers offer");
        api.MapGet("/schedulers", (BackendPool pool) => TypedResults.Ok<IReadOnlyList<string>>(pool.Limits?.Schedulers ?? []))
            .WithName("ListSchedulers").WithSummary("The schedulers the online servers offer");
        api.MapGet("/servers", (BackendPool pool) => TypedResults.Ok<IReadOnlyList<ApiServer>>(
                [.. pool.Backends.Select(b => new ApiServer(b.Name, b.State.ToString(), b.IsOnline ? null : b.StateReason, b.IsOnline))]))
            .WithName("ListServers").WithSummary("The ComfyUI servers and their state");
        api.MapGet("/jobs", Jobs).WithName("ListJobs").WithSummary("Your jobs, newest first, one page at a time")
            .WithDescription($"page counts from 1; pageSize is 1 to {MaxPageSize} (20 when not given).");
        api.MapGet("/jobs/{id:guid}", Job).WithName("GetJob").WithSummary("One job's state: place in the queue, progress, step, server")
            .WithDescription("Your own job; an admin sees anyone's. Another person's job is not found (404).");
        api.MapPost("/jobs/{id:guid}/cancel", CancelAsync).WithName("CancelJob").WithSummary("Cancels a waiting or running job")
            .WithDescription("Your own job; an admin may cancel anyone's. A job that has ended is a conflict (409).");
    }

    private static Ok<IReadOnlyList<ApiModel>> Models(SignedInUser user, BackendPool pool, ModelSettings settings)
    {
        var limits = ModelChoices.For(pool.Limits, settings, user.IsAdmin);
        if (limits is null)
        {
            return TypedResults.Ok<IReadOnlyList<ApiModel>>([]);
        }
        IEnumerable<ApiModel> Of(ModelKind kind, IReadOnlyList<string> names) =>
            names.Select(n => new ApiModel(kind.Folder, n, ModelChoices.Title(settings, kind, n)));
        return TypedResults.Ok<IReadOnlyList<ApiModel>>(
        [
            .. Of(ModelKind.Checkpoints, limits.Checkpoints),
            .. Of(ModelKind.Loras, limits.Advanced.Loras),
            .. Of(ModelKind.Vaes, limits.Advanced.Vaes),
            .. Of(ModelKind.ControlNets, limits.Advanced.ControlNetModels),
            .. Of(ModelKind.UpscaleModels, limits.UpscaleModels),
        ]);
    }

    private static async Task<Results<Ok<ApiJobPage>, ProblemHttpResult>> Jobs(SignedInUser user, JobHistory history, JobQueue queue, int? page, int? pageSize, CancellationToken ct)
    {
        var (p, size) = (page ?? 1, pageSize ?? 20);
        if (p < 1)
        {
            return Invalid("page", "page counts from 1.");
        }
        if (size is < 1 or > MaxPageSize)
        {
            return Invalid("pageSize", $"pageSize is from 1 to {MaxPageSize}.");
        }
        var (jobs, total) = await history.PageAsync(user.Id, p, size, ct);
        var positions = queue.Positions();
        return TypedResults.Ok(new ApiJobPage(p, size, total, [.. jobs.Select(j => ApiJob.From(j, positions))]));
    }

    private static async Task<Results<Ok<ApiJob>, ProblemHttpResult>> Job(Guid id, SignedInUser user, JobHistory history, JobQueue queue, CancellationToken ct) =>
        await history.FindAsync(id, user.Id, user.IsAdmin, ct) is { } job
            ? TypedResults.Ok(ApiJob.From(job, queue.Positions()))
            : NotFound(id);

    private static async Task<Results<Accepted<ApiCancelled>, ProblemHttpResult>> CancelAsync(Guid id, SignedInUser user, JobHistory history, JobQueue queue, CancellationToken ct)
    {
        // Seen first as the person sees it: someone else's job does not exist for a member, whatever cancelling would say.
        if (await history.FindAsync(id, user.Id, user.IsAdmin, ct) is not { } job)
        {
            return NotFound(id);
        }
        return await queue.CancelAsync(id, user.Id, user.IsAdmin, ct) switch
        {
            CancelOutcome.Cancelled => TypedResults.Accepted($"/api/v1/jobs/{id}", new ApiCancelled(id, "Cancelled")),
            CancelOutcome.Failed => TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Server unreachable",
                detail: $"The server running the job ({job.Backend}) could not be reached to stop it. Try again."),
            CancelOutcome.Forbidden => NotFound(id),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Job has ended",
                detail: $"The job has already ended ({JobStatusName(job.Status)}); there is nothing to cancel."),
        };
    }

    private static string JobStatusName(JobStatus status) => status.ToString().ToLowerInvariant();

    private static ProblemHttpResult NotFound(Guid id) => ApiProblems.NotFound("Job not found", $"There is no job {id} of yours.");

    private static ProblemHttpResult Invalid(string field, string reason) => ApiProblems.Invalid(field, reason);
}
