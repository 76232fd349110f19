using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Features.Generation;

namespace DreamLayer.Web.Features.Generation;

/// <summary>A common size shown in the size picker.</summary>
public sealed record SizePreset(string Label, int Width, int Height);

/// <summary>The editable state of the Txt2Img form; turns into a <see cref="GenerationRequest"/>.</summary>
public sealed class Txt2ImgFormModel
{
    public const string Custom = "Custom";

    public static IReadOnlyList<SizePreset> Presets { get; } =
    [
        new("512 × 512 (SD 1.5 square)", 512, 512),
        new("512 × 768 (SD 1.5 portrait)", 512, 768),
        new("768 × 512 (SD 1.5 landscape)", 768, 512),
        new("768 × 768", 768, 768),
        new("1024 × 1024 (SDXL square)", 1024, 1024),
        new("832 × 1216 (SDXL portrait)", 832, 1216),
        new("1216 × 832 (SDXL landscape)", 1216, 832),
        new("896 × 1152 (SDXL 4:5)", 896, 1152),
        new("1344 × 768 (SDXL 16:9)", 1344, 768),
    ];

    public string Prompt { get; set; } = string.Empty;
    public string NegativePrompt { get; set; } = string.Empty;
    public string Checkpoint { get; set; } = string.Empty;
    public string Sampler { get; set; } = "euler";
    public string Scheduler { get; set; } = "normal";
    public int Steps { get; set; } = 20;
    public double Cfg { get; set; } = 7;
    public int Width { get; set; } = 512;
    public int Height { get; set; } = 512;
    public SeedMode SeedMode { get; set; } = SeedMode.Random;
    public string SeedText { get; set; } = string.Empty;
    public int BatchSize { get; set; } = 1;
    public int BatchCount { get; set; } = 1;

    /// <summary>LoRAs, ControlNet units and the Advanced panel.</summary>
    public AdvancedFormModel Advanced { get; } = new();

    /// <summary>Batch prompts: when enabled, each listed prompt is queued with these settings instead of <see cref="Prompt"/>.</summary>
    public BatchFormModel Batch { get; } = new();

    /// <summary>The cloud model chosen instead of <see cref="Checkpoint"/>, and what it takes; the local fields stay as they were meanwhile.</summary>
    public CloudFormModel Cloud { get; } = new();

    /// <summary>What the model picker shows chosen: the cloud model, else the checkpoint.</summary>
    public ModelPick Picked => Cloud.Model is { } model ? ModelPick.ForCloud(model) : ModelPick.ForCheckpoint(Checkpoint);

    public string SizePreset
    {
        get => Presets.FirstOrDefault(p => p.Width == Width && p.Height == Height)?.Label ?? Custom;
        set
        {
            if (Presets.FirstOrDefault(p => p.Label == value) is { } preset)
            {
                Width = preset.Width;
                Height = preset.Height;
            }
        }
    }

    /// <summary>Takes the settings of an earlier request (the person's last job), so the form opens as they left it.</summary>
    public void CopyFrom(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Prompt = request.Prompt;
        NegativePrompt = request.NegativePrompt;
        Checkpoint = request.Checkpoint;
        Sampler = request.Sampler;
        Scheduler = request.Scheduler;
        Steps = request.Steps;
        Cfg = request.Cfg;
        Width = request.Width;
        Height = request.Height;
        SeedMode = request.SeedMode;
        SeedText = request.Seed?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
        BatchSize = request.BatchSize;
        BatchCount = request.BatchCount;
        Advanced.CopyFrom(request);
        Cloud.CopyFrom(request.Cloud);
    }

    /// <summary>
    /// Sets exactly the fields a preset sets (resolve it against the server first with <see cref="PresetResolver"/>);
    /// the prompt and every field the preset leaves out stay as typed.
    /// </summary>
    public void Apply(PresetValues preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        Checkpoint = preset.Checkpoint ?? Checkpoint;
        Sampler = preset.Sampler ?? Sampler;
        Scheduler = preset.Scheduler ?? Scheduler;
        Steps = preset.Steps ?? (preset.MaxSteps is { } cap ? Math.Min(Steps, cap) : Steps);
        Cfg = preset.Cfg ?? Cfg;
        (Width, Height) = preset.Size is { } size ? (size.Width, size.Height) : (Width, Height);
        BatchSize = preset.BatchSize ?? BatchSize;
        BatchCount = preset.BatchCount ?? BatchCount;
        if (preset.Seed is { } seed)
        {
            SeedMode = seed.Mode;
            SeedText = seed.Seed?.ToString(CultureInfo.InvariantCulture) ?? SeedText;
        }
        NegativePrompt = preset.NegativePrompt ?? NegativePrompt;
        Advanced.Apply(preset);
    }

    /// <summary>The chosen groups of this form as a preset; a fixed seed that is not a number is left out (the seed is then null).</summary>
    public PresetValues Capture(PresetGroups groups)
    {
        var values = new PresetValues();
        if (groups.HasFlag(PresetGroups.Model))
        {
            values = values with { Checkpoint = Checkpoint };
        }
        if (groups.HasFlag(PresetGroups.Sampling))
        {
            values = values with { Sampler = Sampler, Scheduler = Scheduler, Steps = Steps, Cfg = Cfg };
        }
        if (groups.HasFlag(PresetGroups.Size))
        {
            values = values with { Size = new PresetSize(Width, Height) };
        }
        if (groups.HasFlag(PresetGroups.Batch))
        {
            values = values with { BatchSize = BatchSize, BatchCount = BatchCount };
        }
        if (groups.HasFlag(PresetGroups.Seed))
        {
            values = values with { Seed = new PresetSeed(SeedMode, SeedMode == SeedMode.Fixed ? ParseSeed().Seed : null) };
        }
        if (groups.HasFlag(PresetGroups.NegativePrompt))
        {
            values = values with { NegativePrompt = NegativePrompt.Trim() };
        }
        return Advanced.Capture(values, groups);
    }

    /// <summary>Picks list values the server really has, keeping the person's choice where it is still valid.</summary>
    public void FitTo(GenerationLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        // A checkpoint no server has (reused parameters, PNG Info, a last job's) is kept: the form says so and offers
        // a replacement for the person to apply, rather than silently generating with another model.
        Checkpoint = Checkpoint.Length == 0 ? Pick(Checkpoint, limits.Checkpoints, null) : Checkpoint;
        Sampler = Pick(Sampler, limits.Samplers, "euler");
        Scheduler = Pick(Scheduler, limits.Schedulers, "normal");
        Advanced.FitTo(limits);
    }

    /// <summary>The largest side a new source image sets the generation size to; larger images are scaled down to it.</summary>
    public const int MaxSizeFromImage = 1024;

    /// <summary>
    /// Sets the generation size from a source image: its own size when its longer side is at most
    /// <see cref="MaxSizeFromImage"/>, else scaled down to that, keeping the aspect ratio; rounded down to the
    /// server's size step and kept within its limits.
    /// </summary>
    public void SizeFromImage(int width, int height, GenerationLimits? limits)
    {
        var l = limits ?? new GenerationLimits();
        var scale = Math.Min(1.0, (double)MaxSizeFromImage / Math.Max(width, height));
        int Fit(int side) => Math.Clamp((int)(side * scale) / l.SizeStep * l.SizeStep, l.MinSize, l.MaxSize / l.SizeStep * l.SizeStep);
        Width = Fit(width);
        Height = Fit(height);
    }

    /// <summary>
    /// The requests to queue: the one request, or with batch prompts one per listed prompt (a problem in any of them
    /// stops all, and says which prompt); or the problems. <paramref name="complete"/> adds a mode page's values
    /// (for example the stored source image) to each request before it is checked.
    /// </summary>
    public async Task<(IReadOnlyList<GenerationRequest> Requests, IReadOnlyList<FieldError> Errors)> ToRequestsAsync(
        GenerationLimits? limits, Func<GenerationRequest, Task<GenerationRequest>>? complete = null)
    {
        if (!Batch.Enabled || Cloud.IsChosen)
        {
            var (one, oneErrors) = await ToRequestAsync(limits, complete);
            return (one is null ? [] : [one], oneErrors);
        }
        var (expanded, errors) = Batch.Expand(Build(seed: null) with { SeedMode = SeedMode.Random });
        if (errors.Count > 0)
        {
            return ([], errors);
        }
        var requests = new List<GenerationRequest>(expanded.Count);
        foreach (var request in expanded)
        {
            requests.Add(complete is null ? request : await complete(request));
        }
        var problems = requests
            .SelectMany((r, i) => GenerationRequestValidator.Validate(r, limits)
                .Select(e => e.Field == nameof(GenerationRequest.Prompt) ? new FieldError(BatchFormModel.Field, $"Prompt {i + 1} ({Short(r.Prompt)}): {e.Message}") : e))
            .Distinct()
            .ToList();
        return problems.Count > 0 ? ([], problems) : (requests, []);
    }

    /// <summary>The request, or the problems that stop it being one.</summary>
    public (GenerationRequest? Request, IReadOnlyList<FieldError> Errors) ToRequest(GenerationLimits? limits)
    {
        var (seed, error) = ParseSeed();
        return error is not null ? (null, [error]) : Check(Build(seed), limits);
    }

    /// <summary>As <see cref="ToRequest(GenerationLimits?)"/>, with a mode page's values added by <paramref name="complete"/> before the check.</summary>
    public async Task<(GenerationRequest? Request, IReadOnlyList<FieldError> Errors)> ToRequestAsync(
        GenerationLimits? limits, Func<GenerationRequest, Task<GenerationRequest>>? complete)
    {
        var (seed, error) = ParseSeed();
        if (error is not null)
        {
            return (null, [error]);
        }
        var request = Build(seed);
        return Check(complete is null ? request : await complete(request), limits);
    }

    private static (GenerationRequest? Request, IReadOnlyList<FieldError> Errors) Check(GenerationRequest request, GenerationLimits? limits)
    {
        if (request.Cloud is not null)
        {
            return (request, []); // what a cloud model takes is checked by the queue (CloudBackends.ValidateAsync), field by field
        }
        var errors = GenerationRequestValidator.Validate(request, limits);
        return (errors.Count == 0 ? request : null, errors);
    }

    /// <summary>The fixed seed typed in the form (null for the other seed modes), or why it is not one.</summary>
    private (ulong? Seed, FieldError? Error) ParseSeed()
    {
        if (SeedMode != SeedMode.Fixed || Cloud.Model is { Seeds: null })
        {
            return (null, null); // a cloud model that takes no seed has no seed field
        }
        return ulong.TryParse(SeedText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
            ? (parsed, null)
            : (null, new FieldError(nameof(GenerationRequest.Seed), "A seed is a whole number from 0 to 18446744073709551615."));
    }

    private static string Short(string prompt) => prompt.Length <= 40 ? $"'{prompt}'" : $"'{prompt[..40]}…'";

    private GenerationRequest Build(ulong? seed)
    {
        var local = BuildLocal(seed);
        return Cloud.IsChosen ? Cloud.Apply(local) : local;
    }

    private GenerationRequest BuildLocal(ulong? seed) =>
        Advanced.ApplyTo(new GenerationRequest
        {
            Prompt = Prompt.Trim(),
            NegativePrompt = NegativePrompt.Trim(),
            Checkpoint = Checkpoint,
            Sampler = Sampler,
            Scheduler = Scheduler,
            Steps = Steps,
            Cfg = Cfg,
            Width = Width,
            Height = Height,
            SeedMode = SeedMode,
            Seed = seed,
            BatchSize = BatchSize,
            BatchCount = BatchCount,
        });

    private static string Pick(string current, IReadOnlyList<string> options, string? preferred) =>
        options.Count == 0 ? current
        : options.Contains(current, StringComparer.Ordinal) ? current
        : preferred is not null && options.Contains(preferred, StringComparer.Ordinal) ? preferred
        : options[0];
}
