using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Operations;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Walks a job's pure steps once against the first server's real catalogue, before that server is shown as
/// online: checking a request against its limits, choosing a server, building and checking the graph, the body
/// of <c>POST /prompt</c> with its UI-format workflow, the job's row, progress and infotext. Nothing is stored or
/// sent. Without it the first job of the day pays for loading and compiling all of that.
/// </summary>
public sealed partial class PipelineWarmUp(WorkflowLibrary workflows, BackendPool pool, MemoryTrim memory, ILogger<PipelineWarmUp> logger)
{
    private int _done;

    /// <summary>Best effort: a catalogue this walk cannot use (a server without the txt2img nodes, say) only loses the head start.</summary>
    public void Run(ComfyBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Limits is not { } limits || Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }
        try
        {
            Walk(backend, limits);
        }
#pragma warning disable CA1031 // nothing here may keep a server from connecting
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogSkipped(backend.Name, ex.Message);
        }
        memory.StartUpWorkDone();
    }

    private void Walk(ComfyBackend backend, GenerationLimits limits)
    {
        var info = backend.ObjectInfo;
        var request = new GenerationRequest
        {
            Prompt = "warm-up",
            NegativePrompt = "warm-up",
            Checkpoint = limits.Checkpoints is [var checkpoint, ..] ? checkpoint : "warm-up.safetensors",
            Sampler = limits.Samplers is [var sampler, ..] ? sampler : "euler",
            Scheduler = limits.Schedulers is [var scheduler, ..] ? scheduler : "normal",
        };
        _ = GenerationRequestValidator.Validate(request, limits);
        var seed = SeedPolicy.Resolve(SeedMode.Random, null, null, 1, Random.Shared)[0];
        var requestJson = JsonSerializer.Serialize(request, JobQueue.RequestJson);
        var now = DateTimeOffset.UtcNow;
        var job = JobQueue.NewJob(request, requestJson, "warm-up", seed, Guid.CreateVersion7(now), 0, now);
        _ = job.ToProgress([]);

        var requirements = workflows.Requirements(request, pool.KnownLoras());
        _ = FairScheduler.Plan(
            [new WaitingJob(job.Id, job.Owner, job.CreatedAt, job.Checkpoint, requirements)],
            [new ServerSlot(backend.Name, true, 0, 1, null, info)],
            new Dictionary<string, int>(StringComparer.Ordinal),
            new Dictionary<string, long>(StringComparer.Ordinal),
            _ => 1);

        var server = new ServerInputs { Loras = limits.Advanced.Loras };
        var graph = WorkflowBuilder.Build(workflows.Get(GenerationMode.Txt2Img), request, seed, "DreamLayer/warm-up/dl", string.Empty, server);
        _ = PromptValidator.Validate(graph, info);
        _ = graph.Nodes.ToDictionary(n => n.Key, n => n.Value.Title ?? n.Value.ClassType);
        job.GraphJson = graph.ToJsonString();
        var body = new JsonObject
        {
            ["prompt"] = graph.ToJson(),
            ["client_id"] = backend.ClientId,
            ["prompt_id"] = job.Id.ToString(),
            ["extra_data"] = ComfyUiClient.WorkflowExtraData(graph, info).DeepClone(),
        };
        _ = body.ToJsonString();
        _ = JobCompletion.Infotext(job, job.ReadRequest(), 0);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warm-up against {Backend}'s catalogue skipped: {Reason}")]
    private partial void LogSkipped(string backend, string reason);
}
