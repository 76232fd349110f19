using ComfyStandIn;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Benchmark;

/// <summary>The fixed small job both loops run: the txt2img template, one step, a square image, one seed each.</summary>
internal static class Workload
{
    public static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(30);

    // Every job has a seed no other job had, so the server samples each one: ComfyUI (and the stand-in) answers a node
    // whose inputs match the previous prompt's from its cache, and a job run right after one with the same seed would
    // ask it for less work than the job it is compared with. The prompt is the same for all, so the text encoders are
    // cached for every job alike.

    /// <summary>The seed of the <paramref name="i"/>-th job of the direct loop.</summary>
    public static ulong DirectSeed(int i) => (2UL * (ulong)i) + 1;

    /// <summary>The seed of the <paramref name="i"/>-th job through the app (the first job after start is 0).</summary>
    public static ulong AppSeed(int i) => (2UL * (ulong)i) + 2;

    /// <summary>The seed of the <paramref name="i"/>-th job that warms the stand-in up, before anything is measured.</summary>
    public static ulong WarmUpSeed(int i) => (1UL << 40) + (ulong)i;

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
