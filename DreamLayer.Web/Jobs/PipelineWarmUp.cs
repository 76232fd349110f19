using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Scheduling;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Operations;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Walks a job's steps once against the first server's real catalogue, before that server is shown as online:
/// checking a request against its limits, the batch's rows, choosing a server, the images to send first, building
/// and checking the graph, <c>POST /prompt</c> and <c>GET /view</c> through the real client, the stored timings and
/// the infotext. The client talks to <see cref="CannedAnswers"/> in-process: nothing is stored and nothing reaches the
/// server. Without it the first job of the day pays for loading and compiling all of that. Nothing runs when
/// <see cref="ComfyUiOptions.WarmUp"/> is off.
/// </summary>
public sealed partial class PipelineWarmUp(WorkflowLibrary workflows, BackendPool pool, JobUploads uploads, MemoryTrim memory, IOptions<ComfyUiOptions> options,
    ILogger<PipelineWarmUp> logger)
{
    private int _done;

    /// <summary>Best effort: a catalogue this walk cannot use (a server without the txt2img nodes, say) only loses the head start.</summary>
    public async Task RunAsync(ComfyBackend backend, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (!options.Value.WarmUp || backend.Limits is not { } limits || Interlocked.Exchange(ref _done, 1) == 1)
        {
            return;
        }
        try
        {
            await WalkAsync(backend, limits, ct);
        }
#pragma warning disable CA1031 // nothing here may keep a server from connecting
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            LogSkipped(backend.Name, ex.Message);
        }
        memory.StartUpWorkDone();
    }

    private async Task WalkAsync(ComfyBackend backend, GenerationLimits limits, CancellationToken ct)
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
        var seeds = SeedPolicy.Resolve(SeedMode.Random, null, null, 1, Random.Shared);
        var requestJson = StoredRequest.Write(request);
        var now = TimeProvider.System.GetUtcNow(); // a stand-in value: nothing of this walk is stored
        var (jobs, ids) = JobQueue.NewBatch(request, requestJson, "warm-up", seeds, Guid.CreateVersion7(now), now);
        var job = jobs[0];
        var accepted = new SubmitAccepted(job.BatchId, ids, seeds);
        _ = (accepted.Confirmation, accepted.JobIds[0]);
        _ = job.ToProgress([]);

        var requirements = workflows.Requirements(request, pool.KnownLoras());
        _ = FairScheduler.Plan(
            [new WaitingJob(job.Id, job.Owner, job.CreatedAt, job.Checkpoint, requirements)],
            [new ServerSlot(backend.Name, true, 0, 1, null, info)],
            new Dictionary<string, int>(StringComparer.Ordinal),
            new ConcurrentDictionary<string, long>(StringComparer.Ordinal) { [job.Owner] = 1 }, // as the queue keeps it
            _ => 1);

        using var http = new HttpClient(new CannedAnswers());
        var client = new ComfyUiClient(http, backend.BaseAddress);
        if (await uploads.UploadAsync(job.Id, request, client, ct) is not JobUploadsReady ready)
        {
            return;
        }
        var server = new ServerInputs { UploadedImages = ready.ByUpload, Loras = limits.Advanced.Loras };
        var graph = WorkflowBuilder.Build(workflows.Get(GenerationMode.Txt2Img), request, job.Seed, "DreamLayer/warm-up/dl", ready.ValueFor(Parameters.Image), server);
        _ = PromptValidator.Validate(graph, info);
        _ = graph.Nodes.ToDictionary(n => n.Key, n => n.Value.Title ?? n.Value.ClassType);
        job.GraphJson = graph.ToJsonString();
        _ = await client.QueuePromptAsync(graph, backend.ClientId, job.Id.ToString(), ComfyUiClient.WorkflowExtraData(graph, info), ct);
        _ = await client.GetImageAsync(new ComfyImageRef("warm-up.png", string.Empty, "output"), ct);
        _ = JobCompletion.ImageIds([new ImageEntity { Id = job.Id }]);
        _ = JobCompletion.NodeTimingsJson(new Dictionary<string, double>(StringComparer.Ordinal) { ["warm-up"] = 1.5 });
        _ = JobCompletion.Infotext(job, job.ReadRequest(), 0);
    }

    /// <summary>
    /// What a server answers to the calls above (the request's body is read as a socket would read it), so that the
    /// client's own code runs without anything leaving the app.
    /// </summary>
    private sealed class CannedAnswers : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } body)
            {
                await body.CopyToAsync(Stream.Null, cancellationToken);
            }
            HttpContent content = request.RequestUri?.AbsolutePath.EndsWith("/prompt", StringComparison.Ordinal) == true
                ? new StringContent("""{"prompt_id":"warm-up","number":0,"node_errors":{}}""", Encoding.UTF8, "application/json")
                : new ByteArrayContent([0x89, (byte)'P', (byte)'N', (byte)'G']);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request };
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warm-up against {Backend}'s catalogue skipped: {Reason}")]
    private partial void LogSkipped(string backend, string reason);
}
