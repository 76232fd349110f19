namespace DreamLayer.Domain.Generation;

/// <summary>What a person asked for on a generation page. The only thing a page builds.</summary>
public sealed record GenerationRequest
{
    public GenerationMode Mode { get; init; } = GenerationMode.Txt2Img;
    public string Prompt { get; init; } = string.Empty;
    public string NegativePrompt { get; init; } = string.Empty;
    public string Checkpoint { get; init; } = string.Empty;
    public string Sampler { get; init; } = "euler";
    public string Scheduler { get; init; } = "normal";
    public int Steps { get; init; } = 20;
    public double Cfg { get; init; } = 7.0;
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;
    public SeedMode SeedMode { get; init; } = SeedMode.Random;

    /// <summary>The seed for <see cref="SeedMode.Fixed"/>; the whole 64-bit range is allowed.</summary>
    public ulong? Seed { get; init; }

    /// <summary>Images made together in one run on the server (one latent batch).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>How many runs (jobs) to queue, each with its own seed.</summary>
    public int BatchCount { get; init; } = 1;

    public const int MaxPromptLength = 20_000;
    public const int MaxBatchCount = 100;
    public const int MaxBatchSize = 64;
}

public enum GenerationMode
{
    Txt2Img,
}

public enum SeedMode
{
    /// <summary>A new random seed for every run.</summary>
    Random,
    /// <summary>The given seed; later runs of a batch count use seed+1, seed+2, … like A1111.</summary>
    Fixed,
    /// <summary>The seed of the last finished image, then as <see cref="Fixed"/>.</summary>
    ReuseLast,
}
