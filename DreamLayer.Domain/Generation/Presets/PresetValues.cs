using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DreamLayer.Domain.Generation.Presets;

/// <summary>The groups of form fields a person chooses to put in a preset they save.</summary>
[Flags]
public enum PresetGroups
{
    None = 0,
    /// <summary>The checkpoint.</summary>
    Model = 1,
    /// <summary>Sampler, scheduler, steps and CFG scale.</summary>
    Sampling = 2,
    /// <summary>Width and height.</summary>
    Size = 4,
    /// <summary>Batch size and batch count.</summary>
    Batch = 8,
    /// <summary>Seed mode and the fixed seed.</summary>
    Seed = 16,
    NegativePrompt = 32,
    Loras = 64,
    /// <summary>Hires fix, refiner, VAE, CLIP skip and tiled VAE decode.</summary>
    Advanced = 128,
}

/// <summary>A width and height a preset sets together.</summary>
public sealed record PresetSize(int Width, int Height);

/// <summary>The seed mode a preset sets, with the seed when it is fixed.</summary>
public sealed record PresetSeed(SeedMode Mode, ulong? Seed = null);

/// <summary>An option a preset switches: on with <paramref name="Value"/>, or off when it is null.</summary>
public sealed record PresetSwitch<T>(T? Value) where T : class;

/// <summary>
/// A preset's overrides: only the fields it sets are non-null, and applying it changes exactly those form fields
/// (the prompt and everything else stay as typed). <see cref="MaxSteps"/> caps the form's steps instead of setting them.
/// </summary>
public sealed record PresetValues
{
    public string? Checkpoint { get; init; }
    public string? Sampler { get; init; }
    public string? Scheduler { get; init; }
    public int? Steps { get; init; }

    /// <summary>At most this many steps: the form keeps fewer, more are lowered to this.</summary>
    public int? MaxSteps { get; init; }

    public double? Cfg { get; init; }
    public PresetSize? Size { get; init; }
    public int? BatchSize { get; init; }
    public int? BatchCount { get; init; }
    public PresetSeed? Seed { get; init; }
    public string? NegativePrompt { get; init; }

    /// <summary>The whole LoRA list (empty removes every LoRA of the picker; prompt tags are part of the prompt and stay).</summary>
    public IReadOnlyList<LoraSetting>? Loras { get; init; }

    public PresetSwitch<HiresFixSetting>? HiresFix { get; init; }
    public PresetSwitch<RefinerSetting>? Refiner { get; init; }

    /// <summary>A VAE file, or off for the checkpoint's own.</summary>
    public PresetSwitch<string>? Vae { get; init; }

    public int? ClipSkip { get; init; }

    /// <summary>Tiled VAE decode on or off.</summary>
    public bool? TiledVae { get; init; }

    /// <summary>The tile size for <see cref="TiledVae"/>, in pixels; null keeps the form's.</summary>
    public int? TileSize { get; init; }

    /// <summary>True when the preset sets nothing.</summary>
    [JsonIgnore]
    public bool IsEmpty => this == Empty;

    public static PresetValues Empty { get; } = new();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads what <see cref="ToJson"/> wrote; a damaged value reads as <see cref="Empty"/> rather than failing a page.</summary>
    public static PresetValues FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<PresetValues>(json, Json) ?? Empty;
        }
        catch (JsonException)
        {
            return Empty;
        }
    }

    /// <summary>What applying this preset changes, one line per field, in the form's words.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        void Add(bool present, Func<string> line)
        {
            if (present)
            {
                lines.Add(line());
            }
        }
        Add(Checkpoint is not null, () => $"Checkpoint: {Checkpoint}");
        Add(Sampler is not null, () => $"Sampler: {Sampler}");
        Add(Scheduler is not null, () => $"Scheduler: {Scheduler}");
        Add(Steps is not null, () => $"Steps: {Steps}");
        Add(MaxSteps is not null, () => $"Steps: at most {MaxSteps}");
        Add(Cfg is not null, () => $"CFG scale: {N(Cfg ?? 0)}");
        Add(Size is not null, () => $"Size: {Size?.Width} × {Size?.Height}");
        Add(BatchSize is not null, () => $"Batch size: {BatchSize}");
        Add(BatchCount is not null, () => $"Batch count: {BatchCount}");
        Add(Seed is not null, () => Seed!.Mode == SeedMode.Fixed ? $"Seed: fixed {Seed.Seed}" : $"Seed: {(Seed.Mode == SeedMode.Random ? "random" : "reuse last")}");
        Add(NegativePrompt is not null, () => NegativePrompt!.Length == 0 ? "Negative prompt: empty" : $"Negative prompt: {Short(NegativePrompt)}");
        Add(Loras is not null, () => Loras!.Count == 0 ? "LoRAs: none" : "LoRAs: " + string.Join(", ", Loras.Select(l => $"{l.Name} ({N(l.ModelStrength)}/{N(l.ClipStrength)})")));
        Add(HiresFix is not null, () => HiresFix!.Value is { } h ? $"Hires fix: ×{N(h.Scale)}, denoise {N(h.Denoise)}" : "Hires fix: off");
        Add(Refiner is not null, () => Refiner!.Value is { } r ? $"Refiner: {r.Checkpoint} at {N(r.SwitchAt)}" : "Refiner: off");
        Add(Vae is not null, () => $"VAE: {Vae!.Value ?? "the checkpoint's own"}");
        Add(ClipSkip is not null, () => $"CLIP skip: {ClipSkip}");
        Add(TiledVae is not null, () => TiledVae == true ? $"Tiled VAE decode: on{(TileSize is { } t ? $" ({t} px tiles)" : string.Empty)}" : "Tiled VAE decode: off");
        return lines;
    }

    private static string N(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Short(string text) => text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}
