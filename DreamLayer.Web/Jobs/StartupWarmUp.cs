using System.Text;
using System.Text.Json;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Operations;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// Runs the job pipeline's one-time costs (JSON serializers, graph building and checking, the image
/// decoder and encoder, the job caps the dispatcher reads) at start-up, so that the first job of the day is as fast as the others.
/// Nothing runs when <see cref="ComfyUiOptions.WarmUp"/> is off.
/// </summary>
internal sealed class StartupWarmUp(WorkflowLibrary workflows, ImageStore images, JobCaps caps, PrometheusMetrics metrics, MemoryTrim memory, IOptions<ComfyUiOptions> options)
    : IHostedService
{
    private static readonly string[] SampleMessages =
    [
        """{"type":"status","data":{"status":{"exec_info":{"queue_remaining":0}},"sid":"s"}}""",
        """{"type":"execution_start","data":{"prompt_id":"p","timestamp":1}}""",
        """{"type":"execution_cached","data":{"nodes":["4"],"prompt_id":"p","timestamp":1}}""",
        """{"type":"executing","data":{"node":"3","display_node":"3","prompt_id":"p"}}""",
        """{"type":"progress","data":{"value":1,"max":2,"prompt_id":"p","node":"3"}}""",
        """{"type":"executed","data":{"node":"9","output":{"images":[{"filename":"a.png","subfolder":"","type":"output"}]},"prompt_id":"p"}}""",
        """{"type":"execution_success","data":{"prompt_id":"p","timestamp":1}}""",
    ];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.WarmUp)
        {
            return;
        }
        var request = new GenerationRequest { Prompt = "warm-up", Checkpoint = "warm-up.safetensors", Seed = 1 };
        _ = JsonSerializer.Deserialize<GenerationRequest>(JsonSerializer.Serialize(request, StoredRequest.Json), StoredRequest.Json);
        var graph = WorkflowBuilder.Build(workflows.Get(GenerationMode.Txt2Img), request, 1);
        _ = PromptValidator.Validate(ComfyGraph.Parse(graph.ToJsonString()), ObjectInfo.Empty);
        _ = A1111Infotext.Read(A1111Infotext.Write(new InfotextParameters("warm-up", "none", 20, "euler", "normal", 7, 1, 512, 512, "warm-up")));
        foreach (var message in SampleMessages)
        {
            _ = ComfyMessageParser.ParseText(Encoding.UTF8.GetBytes(message));
        }
        await images.WarmUpAsync(cancellationToken);
        metrics.WarmUp();
        await caps.CurrentAsync(cancellationToken);
        JobPathCompiler.Compile();
        memory.StartUpWorkDone();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
