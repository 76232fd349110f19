namespace DreamLayer.Domain.Generation.Presets;

/// <summary>A preset everyone sees and no one edits.</summary>
public sealed record BuiltInPreset(string Key, string Name, string Summary, PresetValues Values);

/// <summary>
/// The presets that ship with DreamLayer, from the original generator's optimisations:
/// <c>optimize_for_speed</c> (steps capped, the euler sampler) and <c>optimize_memory_usage</c> (the VAE off the
/// GPU's critical path, batch size 1).
/// </summary>
public static class BuiltInPresets
{
    /// <summary>
    /// Fast draft caps steps at 12, lower than the original's 20: 12 euler steps are enough to judge composition and
    /// colour, and take about half the time of the usual 20–30. Fewer steps already typed are kept.
    /// </summary>
    public const int DraftMaxSteps = 12;

    public static BuiltInPreset FastDraft { get; } = new(
        "fast-draft",
        "Fast draft",
        "Quick previews to try a prompt: fewer steps, the fast euler sampler, one image per run.",
        new PresetValues { MaxSteps = DraftMaxSteps, Sampler = "euler", BatchSize = 1, BatchCount = 1 });

    public static BuiltInPreset LowMemory { get; } = new(
        "low-memory",
        "Low memory",
        "For GPUs with little memory: one image at a time, and the VAE decodes the result in tiles.",
        new PresetValues { BatchSize = 1, TiledVae = true });

    /// <summary>
    /// Final quality: the opposite of a draft, for the run worth keeping: dpmpp_2m with the karras schedule over 30 steps.
    /// </summary>
    public static BuiltInPreset Quality { get; } = new(
        "quality",
        "Quality",
        "For the image worth keeping: 30 steps of dpmpp_2m with the karras schedule.",
        new PresetValues { Steps = 30, Sampler = "dpmpp_2m", Scheduler = "karras" });

    public static IReadOnlyList<BuiltInPreset> All { get; } = [FastDraft, LowMemory, Quality];
}
