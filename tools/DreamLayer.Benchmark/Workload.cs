using ComfyStandIn;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Benchmark;

/// <summary>The fixed small job both loops run: the txt2img template, one step, a square image, one seed each.</summary>
internal static class Workload
{
    public static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(30);

    public static GenerationRequest Request(int imageSize, ulong seed) => new()
    {
        Prompt = "a lighthouse on a cliff at dusk",
        NegativePrompt = "blurry",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Sampler = "euler",
        Scheduler = "normal",
        Steps = 1,
        Cfg = 7,
        Width = imageSize,
        Height = imageSize,
        SeedMode = SeedMode.Fixed,
        Seed = seed,
    };

    /// <summary>A stand-in that answers at once: no step time, previews on (like <c>--preview-method auto</c>).</summary>
    public static Task<StandInServer> StartStandInAsync(string dataDirectory, CancellationToken ct) =>
        StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.Zero, Previews = true, DataDirectory = dataDirectory }, ct);
}
