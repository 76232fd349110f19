using System.Globalization;

namespace DreamLayer.Domain.Generation.Presets;

/// <summary>A field of a preset that was not applied, and why (in the form's words).</summary>
public sealed record SkippedPresetField(string Field, string Reason);

/// <summary>What to apply to the form (only the fields that fit the server and the mode) and what was skipped.</summary>
public sealed record PresetOutcome(PresetValues Values, IReadOnlyList<SkippedPresetField> Skipped);

/// <summary>
/// Checks a preset against the live server and the page's mode before it touches the form: a sampler, checkpoint,
/// LoRA or VAE the server lacks, a number out of its range, or an option the mode or server cannot do is skipped
/// with the reason, never applied silently. <see cref="PresetValues.MaxSteps"/> becomes a plain step count.
/// </summary>
public static class PresetResolver
{
    /// <param name="currentSteps">The form's steps, for <see cref="PresetValues.MaxSteps"/>.</param>
    /// <param name="limits">The server's lists and ranges; null before any server has been read (lists are then not checked).</param>
    public static PresetOutcome Resolve(PresetValues preset, GenerationMode mode, int currentSteps, GenerationLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(preset);
        var l = limits ?? new GenerationLimits();
        var lists = limits is not null;
        var a = lists && !ReferenceEquals(l.Advanced, AdvancedLimits.Unknown) ? l.Advanced : null;
        var skipped = new List<SkippedPresetField>();
        T? Keep<T>(T? value, string field, string? problem)
        {
            if (value is null || problem is null)
            {
                return value;
            }
            skipped.Add(new SkippedPresetField(field, problem));
            return default;
        }
        string? NotListed(string? value, string what, IReadOnlyList<string> options) =>
            lists && value is not null && !options.Contains(value, StringComparer.Ordinal) ? $"The server has no {what} named '{value}'." : null;

        var steps = preset.Steps ?? (preset.MaxSteps is { } cap ? Math.Min(currentSteps, cap) : null);
        var outcome = new PresetValues
        {
            Checkpoint = Keep(preset.Checkpoint, "Checkpoint", NotListed(preset.Checkpoint, "checkpoint", l.Checkpoints)),
            Sampler = Keep(preset.Sampler, "Sampler", NotListed(preset.Sampler, "sampler", l.Samplers)),
            Scheduler = Keep(preset.Scheduler, "Scheduler", NotListed(preset.Scheduler, "scheduler", l.Schedulers)),
            Steps = Keep(steps, "Steps", steps < l.MinSteps || steps > l.MaxSteps ? $"{steps} steps is outside the server's {l.MinSteps} to {l.MaxSteps}." : null),
            Cfg = Keep(preset.Cfg, "CFG scale", preset.Cfg is { } cfg && !(cfg >= l.MinCfg && cfg <= l.MaxCfg) ? $"CFG {N(cfg)} is outside the server's {N(l.MinCfg)} to {N(l.MaxCfg)}." : null),
            Size = Keep(preset.Size, "Size", preset.Size is { } size ? SizeProblem(size, l) : null),
            BatchSize = Keep(preset.BatchSize, "Batch size", preset.BatchSize is < 1 || preset.BatchSize > l.MaxBatchSize ? $"A batch size of {preset.BatchSize} is outside the server's 1 to {l.MaxBatchSize}." : null),
            BatchCount = Keep(preset.BatchCount, "Batch count", preset.BatchCount is < 1 or > GenerationRequest.MaxBatchCount ? $"A batch count of {preset.BatchCount} is outside 1 to {GenerationRequest.MaxBatchCount}." : null),
            Seed = Keep(preset.Seed, "Seed", preset.Seed is { Mode: SeedMode.Fixed, Seed: null } ? "The preset has a fixed seed mode but no seed." : null),
            NegativePrompt = Keep(preset.NegativePrompt, "Negative prompt", preset.NegativePrompt?.Length > GenerationRequest.MaxPromptLength ? $"The negative prompt is longer than {GenerationRequest.MaxPromptLength} characters." : null),
            Loras = preset.Loras is { } loras ? ResolveLoras(loras, a, skipped) : null,
            HiresFix = Keep(preset.HiresFix, "Hires fix", preset.HiresFix?.Value is { } h ? HiresProblem(h, mode, l, a) : null),
            Refiner = Keep(preset.Refiner, "Refiner", preset.Refiner?.Value is { } r ? RefinerProblem(r, l, a) : null),
            Vae = Keep(preset.Vae, "VAE", preset.Vae?.Value is { } vae ? VaeProblem(vae, a) : null),
            ClipSkip = Keep(preset.ClipSkip, "CLIP skip", preset.ClipSkip is { } clip ? ClipSkipProblem(clip, a) : null),
        };
        var tiles = a ?? AdvancedLimits.Unknown;
        var tiledProblem = preset.TiledVae == true ? a?.TiledVaeUnavailable : null;
        var tileProblem = preset.TileSize is { } tile && (tile < tiles.MinTileSize || tile > tiles.MaxTileSize || tile % tiles.TileStep != 0)
            ? $"A tile size of {tile} is not a multiple of {tiles.TileStep} from {tiles.MinTileSize} to {tiles.MaxTileSize}."
            : null;
        outcome = outcome with
        {
            TiledVae = Keep(preset.TiledVae, "Tiled VAE decode", tiledProblem),
            TileSize = tiledProblem is null ? Keep(preset.TileSize, "Tile size", tileProblem) : null,
        };
        return new PresetOutcome(outcome, skipped);
    }

    private static string? SizeProblem(PresetSize size, GenerationLimits l) =>
        size.Width < l.MinSize || size.Height < l.MinSize || size.Width > l.MaxSize || size.Height > l.MaxSize
            ? $"{size.Width} × {size.Height} is outside the server's {l.MinSize} to {l.MaxSize} pixels."
            : size.Width % l.SizeStep != 0 || size.Height % l.SizeStep != 0
                ? $"{size.Width} × {size.Height} is not a multiple of {l.SizeStep}."
                : null;

    /// <summary>The LoRAs the server has; each one it lacks is skipped by name.</summary>
    private static IReadOnlyList<LoraSetting> ResolveLoras(IReadOnlyList<LoraSetting> loras, AdvancedLimits? a, List<SkippedPresetField> skipped)
    {
        if (a is null)
        {
            return loras;
        }
        var kept = new List<LoraSetting>();
        foreach (var lora in loras)
        {
            if (a.LoraUnavailable is { } reason)
            {
                skipped.Add(new SkippedPresetField($"LoRA {lora.Name}", reason));
            }
            else if (!a.Loras.Contains(lora.Name, StringComparer.Ordinal))
            {
                skipped.Add(new SkippedPresetField($"LoRA {lora.Name}", $"The server has no LoRA named '{lora.Name}'."));
            }
            else
            {
                kept.Add(lora);
            }
        }
        return kept;
    }

    private static string? HiresProblem(HiresFixSetting h, GenerationMode mode, GenerationLimits l, AdvancedLimits? a) =>
        AdvancedValidator.HiresFixRefusal(mode)
        ?? (h.Upscaler == HiresUpscaler.Latent ? a?.HiresLatentUnavailable : a?.HiresModelUnavailable)
        ?? (a is null ? null
            : h.Upscaler == HiresUpscaler.Model && !a.UpscaleModels.Contains(h.UpscaleModel, StringComparer.Ordinal) ? $"The server has no upscale model named '{h.UpscaleModel}'."
            : h.Upscaler == HiresUpscaler.Latent && !a.LatentUpscaleMethods.Contains(h.LatentMethod, StringComparer.Ordinal) ? $"The server has no latent upscale method named '{h.LatentMethod}'."
            : h.Sampler is { } s && !l.Samplers.Contains(s, StringComparer.Ordinal) ? $"The server has no sampler named '{s}'."
            : null);

    private static string? RefinerProblem(RefinerSetting r, GenerationLimits l, AdvancedLimits? a) =>
        a?.RefinerUnavailable
        ?? (a is not null && !l.Checkpoints.Contains(r.Checkpoint, StringComparer.Ordinal) ? $"The server has no checkpoint named '{r.Checkpoint}'." : null);

    private static string? VaeProblem(string vae, AdvancedLimits? a) =>
        a is null ? null : a.VaeUnavailable ?? (a.Vaes.Contains(vae, StringComparer.Ordinal) ? null : $"The server has no VAE named '{vae}'.");

    private static string? ClipSkipProblem(int clipSkip, AdvancedLimits? a) =>
        clipSkip < 1 || clipSkip > (a?.MaxClipSkip ?? 24) ? $"CLIP skip {clipSkip} is outside 1 to {a?.MaxClipSkip ?? 24}."
        : clipSkip > 1 ? a?.ClipSkipUnavailable
        : null;

    private static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
