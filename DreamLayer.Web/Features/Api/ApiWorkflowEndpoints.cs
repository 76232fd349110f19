using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The team's imported workflows: <c>GET /api/v1/workflows</c> lists them with their fields, and
/// <c>POST /api/v1/workflows/{id}/jobs</c> runs one with values for its fields, made into the Run page's fields
/// (<see cref="RunField"/>, so the same ranges, lists and messages), checked by <see cref="WorkflowRunChecks"/> as the
/// page checks a run, and queued through <see cref="JobQueue.SubmitAsync"/>.
/// </summary>
internal static class ApiWorkflowEndpoints
{
    internal static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/workflows", ListAsync).WithName("ListWorkflows")
            .WithSummary("The team's imported workflows, each with the fields a run takes (key, label, kind, default)");
        api.MapPost("/workflows/{id:guid}/jobs", RunAsync).WithName("RunWorkflow")
            .WithSummary("Runs an imported workflow with values for its fields; image fields take upload ids")
            .WithDescription("values: an object of field key → value (a number, string or true/false as the field takes); images: field key → " +
                "upload id; seedMode, seed and batchCount as for POST /api/v1/jobs. Fields left out keep their defaults. Answers 202 with the jobs.")
            .WithJsonBody<ApiWorkflowRunRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary>A field's key in the API: its node id and input name.</summary>
    private static string Key(WorkflowBinding binding) => $"{binding.Node}.{binding.Input}";

    private static async Task<Ok<IReadOnlyList<ApiWorkflow>>> ListAsync(TeamWorkflows library, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<ApiWorkflow>>([.. (await library.ListAsync(ct)).Select(w => new ApiWorkflow(w.Id, w.Name, w.Description, w.OwnerName,
            [.. w.Bindings.Where(b => !b.Hidden).Select(b => new ApiWorkflowField(Key(b), b.Label, b.Kind.ToString(), b.Default?.DeepClone()))]))]);

    private static async Task<Results<Accepted<ApiSubmitted>, ProblemHttpResult>> RunAsync(Guid id, HttpRequest http, SignedInUser user, TeamWorkflows library,
        BackendPool pool, ModelSettings models, WorkflowRunChecks checks, JobQueue queue, UploadStore uploads, UploadAccess access,
        IOptions<StorageOptions> storage, CancellationToken ct)
    {
        if (await library.FindAsync(id, ct) is not { } workflow)
        {
            return ApiProblems.NotFound("Workflow not found", $"There is no saved workflow {id}.");
        }
        var (body, unreadable) = await ApiJobEndpoints.ReadJsonAsync<ApiWorkflowRunRequest>(http, ct);
        if (body is null)
        {
            return unreadable!;
        }
        var info = pool.Primary?.ObjectInfo ?? ObjectInfo.Empty;
        var fields = workflow.Bindings.Where(b => !b.Hidden && b.Kind != BindingKind.Seed)
            .ToDictionary(Key, b => RunField.Create(b, workflow.Graph, info, (folder, name) => !user.IsAdmin && models.IsHidden(folder, name)), StringComparer.Ordinal);
        var errors = new List<KeyValuePair<string, string>>();
        foreach (var key in body.Values.Keys.Concat(body.Images.Keys).Where(k => !fields.ContainsKey(k)).Distinct(StringComparer.Ordinal))
        {
            errors.Add(new(key, $"'{key}' is not a field of {workflow.Name}; GET {ApiExtensions.Prefix}/workflows lists its fields."));
        }
        var uses = new ApiUploadChecks(user, uploads, access, storage.Value);
        var values = new List<WorkflowValue>();
        var images = new List<WorkflowImageInput>();
        foreach (var (key, field) in fields)
        {
            if (field.Control == RunControl.Image && body.Images.TryGetValue(key, out var upload))
            {
                if (await uses.CheckAsync($"images.{key}", upload, ImagePurpose.Source, ct) is not { } stored)
                {
                    continue; // said by the upload check
                }
                field.Image = new UploadAccepted(stored.Id, stored.Width, stored.Height, 0);
            }
            else if (body.Values.TryGetValue(key, out var given) && Set(field, given) is { } wrongKind)
            {
                errors.Add(new($"values.{key}", wrongKind));
                continue;
            }
            var (value, error) = field.ToJson();
            if (error is not null)
            {
                errors.Add(new(field.Control == RunControl.Image ? $"images.{key}" : $"values.{key}", error));
            }
            else if (field.Image is { } image)
            {
                images.Add(new WorkflowImageInput(field.Binding.Node, field.Binding.Input, image.Id));
            }
            else
            {
                values.Add(new WorkflowValue(field.Binding.Node, field.Binding.Input, value));
            }
        }
        errors.AddRange(uses.Errors);
        var hasSeed = workflow.Bindings.Any(b => b.Kind == BindingKind.Seed && !b.Hidden);
        var seedMode = hasSeed ? body.SeedMode ?? (body.Seed is null ? SeedMode.Random : SeedMode.Fixed) : SeedMode.Random;
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(errors);
        }
        var request = WorkflowRun.CreateRequest(workflow.Ref, values, images, seedMode, body.Seed, body.BatchCount, pool.Primary?.ObjectInfo);
        if (await checks.CheckAsync(request, ct) is { Count: > 0 } problems)
        {
            return ApiProblems.Invalid([.. problems.Select(p => new KeyValuePair<string, string>("workflow", p))]);
        }
        return ApiJobEndpoints.Accepted(await queue.SubmitAsync(request, user.Id, ct));
    }

    /// <summary>Puts a JSON value into a Run page field as the page's control would hold it; the reason when it is of the wrong kind.</summary>
    private static string? Set(RunField field, JsonElement value)
    {
        switch (field.Control)
        {
            case RunControl.Number when value.ValueKind == JsonValueKind.Number:
                field.Number = value.GetDouble();
                return null;
            case RunControl.Number:
                return "Expected a number.";
            case RunControl.Flag when value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                field.Flag = value.GetBoolean();
                return null;
            case RunControl.Flag:
                return "Expected true or false.";
            case RunControl.Image:
                return "An image field takes an upload id under images, not values.";
            case RunControl.Choice when value.ValueKind == JsonValueKind.String:
                field.Text = value.GetString()!;
                field.Choice = field.Choices.Contains(field.Text, StringComparer.Ordinal) ? field.Text : null;
                return null;
            case RunControl.Choice:
                return $"Expected one of: {string.Join(", ", field.Choices.Take(20))}{(field.Choices.Count > 20 ? ", …" : string.Empty)}.";
            case RunControl.Text or RunControl.LongText when value.ValueKind == JsonValueKind.String:
                field.Text = value.GetString()!;
                return null;
            default:
                return "Expected a string.";
        }
    }
}

/// <summary>The body of <c>POST /api/v1/workflows/{id}/jobs</c>.</summary>
public sealed record ApiWorkflowRunRequest
{
    /// <summary>Field key (from <c>GET /api/v1/workflows</c>) → value.</summary>
    public IReadOnlyDictionary<string, JsonElement> Values { get; init; } = new Dictionary<string, JsonElement>();

    /// <summary>Image field key → upload id from <c>POST /api/v1/uploads</c>.</summary>
    public IReadOnlyDictionary<string, Guid> Images { get; init; } = new Dictionary<string, Guid>();

    public SeedMode? SeedMode { get; init; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public ulong? Seed { get; init; }

    public int BatchCount { get; init; } = 1;
}

/// <summary>A saved workflow and the fields a run takes.</summary>
public sealed record ApiWorkflow(Guid Id, string Name, string Description, string OwnerName, IReadOnlyList<ApiWorkflowField> Fields);

/// <summary>One field of a workflow: its key (node id and input), its label, its kind (Prompt, Seed, Steps, Image, …) and its default.</summary>
public sealed record ApiWorkflowField(string Key, string Label, string Kind, JsonNode? Default);
