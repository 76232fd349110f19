using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Images;

namespace DreamLayer.Web.Features.Generation;

/// <summary>One LoRA row of the picker.</summary>
public sealed class LoraRow
{
    public string Name { get; set; } = string.Empty;
    public double ModelStrength { get; set; } = 1.0;
    public double ClipStrength { get; set; } = 1.0;
}

/// <summary>One ControlNet unit as edited: its stored picture, preprocessor and settings, and the last preview.</summary>
public sealed class ControlNetRow
{
    public string Model { get; set; } = string.Empty;
    public UploadAccepted? Image { get; set; }
    public string? ImageName { get; set; }
    public string? ImageError { get; set; }

    /// <summary>The preprocessor node class; empty means the picture is the control map.</summary>
    public string Preprocessor { get; set; } = string.Empty;

    public Dictionary<string, JsonNode?> Settings { get; } = new(StringComparer.Ordinal);
    public double Strength { get; set; } = 1.0;
    public double StartPercent { get; set; }
    public double EndPercent { get; set; } = 1.0;
    public string? PreviewUrl { get; set; }
    public string? PreviewError { get; set; }
    public bool PreviewBusy { get; set; }

    /// <summary>Puts the chosen preprocessor's declared defaults in <see cref="Settings"/>.</summary>
    public void UsePreprocessor(PreprocessorInfo? info)
    {
        Preprocessor = info?.ClassType ?? string.Empty;
        Settings.Clear();
        PreviewUrl = null;
        PreviewError = null;
        foreach (var spec in info?.Settings ?? [])
        {
            Settings[spec.Name] = spec.Default?.DeepClone()
                ?? (spec.IsCombo && spec.ComboValues is { Count: > 0 } values ? JsonValue.Create(values[0]) : null);
        }
    }
}

/// <summary>
/// The editable state of the LoRA picker, the ControlNet units and the Advanced panel, shared by every generation
/// page: it fills the matching part of a <see cref="GenerationRequest"/> and can be filled from one.
/// </summary>
public sealed class AdvancedFormModel
{
    public List<LoraRow> Loras { get; } = [];
    public List<ControlNetRow> ControlNets { get; } = [];

    public bool HiresEnabled { get; set; }
    public HiresUpscaler HiresUpscaler { get; set; } = HiresUpscaler.Latent;
    public string HiresLatentMethod { get; set; } = "nearest-exact";
    public string HiresUpscaleModel { get; set; } = string.Empty;
    public double HiresScale { get; set; } = 2.0;
    public int HiresSteps { get; set; }
    public double HiresDenoise { get; set; } = 0.5;

    /// <summary>Empty keeps the first pass's sampler.</summary>
    public string HiresSampler { get; set; } = string.Empty;

    public bool RefinerEnabled { get; set; }
    public string RefinerCheckpoint { get; set; } = string.Empty;
    public double RefinerSwitchAt { get; set; } = 0.8;

    /// <summary>Empty uses the checkpoint's own VAE.</summary>
    public string Vae { get; set; } = string.Empty;

    public int ClipSkip { get; set; } = 1;

    /// <summary>Decode with VAEDecodeTiled at <see cref="TileSize"/> pixels.</summary>
    public bool TiledVaeEnabled { get; set; }

    public int TileSize { get; set; } = TiledVaeSetting.DefaultTileSize;

    public GenerationRequest ApplyTo(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request with
        {
            Loras = Loras.Select(l => new LoraSetting(l.Name, l.ModelStrength, l.ClipStrength)).ToList(),
            ControlNets = ControlNets.Select(u => new ControlNetSetting
            {
                Model = u.Model,
                Image = u.Image?.Id,
                Preprocessor = u.Preprocessor.Length == 0 ? null : u.Preprocessor,
                PreprocessorSettings = u.Preprocessor.Length == 0
                    ? new Dictionary<string, JsonNode?>()
                    : u.Settings.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value?.DeepClone(), StringComparer.Ordinal),
                Strength = u.Strength,
                StartPercent = u.StartPercent,
                EndPercent = u.EndPercent,
            }).ToList(),
            HiresFix = HiresEnabled
                ? new HiresFixSetting
                {
                    Upscaler = HiresUpscaler,
                    LatentMethod = HiresLatentMethod,
                    UpscaleModel = HiresUpscaler == HiresUpscaler.Model ? HiresUpscaleModel : string.Empty,
                    Scale = HiresScale,
                    Steps = HiresSteps,
                    Denoise = HiresDenoise,
                    Sampler = HiresSampler.Length == 0 ? null : HiresSampler,
                }
                : null,
            Refiner = RefinerEnabled ? new RefinerSetting(RefinerCheckpoint, RefinerSwitchAt) : null,
            Vae = Vae.Length == 0 ? null : Vae,
            ClipSkip = ClipSkip,
            TiledVae = TiledVaeEnabled ? new TiledVaeSetting(TileSize) : null,
        };
    }

    /// <summary>Takes the LoRAs and Advanced settings of an earlier request. ControlNet units are not carried over: their pictures belong to that job.</summary>
    public void CopyFrom(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        SetLoras(request.Loras);
        SetHiresFix(request.HiresFix);
        SetRefiner(request.Refiner);
        Vae = request.Vae ?? string.Empty;
        ClipSkip = request.ClipSkip;
        TiledVaeEnabled = request.TiledVae is not null;
        TileSize = request.TiledVae?.TileSize ?? TileSize;
    }

    /// <summary>Sets the LoRA and Advanced fields a preset sets (already checked against the server); leaves the others.</summary>
    public void Apply(PresetValues preset)
    {
        ArgumentNullException.ThrowIfNull(preset);
        if (preset.Loras is { } loras)
        {
            SetLoras(loras);
        }
        if (preset.HiresFix is { } hires)
        {
            SetHiresFix(hires.Value);
        }
        if (preset.Refiner is { } refiner)
        {
            SetRefiner(refiner.Value);
        }
        if (preset.Vae is { } vae)
        {
            Vae = vae.Value ?? string.Empty;
        }
        ClipSkip = preset.ClipSkip ?? ClipSkip;
        TiledVaeEnabled = preset.TiledVae ?? TiledVaeEnabled;
        TileSize = preset.TileSize ?? TileSize;
    }

    /// <summary>The LoRA list and the Advanced panel as preset values (ControlNet units belong to their pictures and are not kept).</summary>
    public PresetValues Capture(PresetValues into, PresetGroups groups)
    {
        ArgumentNullException.ThrowIfNull(into);
        var r = ApplyTo(new GenerationRequest());
        var result = into;
        if (groups.HasFlag(PresetGroups.Loras))
        {
            result = result with { Loras = r.Loras };
        }
        if (groups.HasFlag(PresetGroups.Advanced))
        {
            result = result with
            {
                HiresFix = new(r.HiresFix),
                Refiner = new(r.Refiner),
                Vae = new(r.Vae),
                ClipSkip = r.ClipSkip,
                TiledVae = TiledVaeEnabled,
                TileSize = TileSize,
            };
        }
        return result;
    }

    private void SetLoras(IEnumerable<LoraSetting> loras)
    {
        Loras.Clear();
        Loras.AddRange(loras.Select(l => new LoraRow { Name = l.Name, ModelStrength = l.ModelStrength, ClipStrength = l.ClipStrength }));
    }

    private void SetHiresFix(HiresFixSetting? hires)
    {
        HiresEnabled = hires is not null;
        if (hires is { } h)
        {
            (HiresUpscaler, HiresLatentMethod, HiresUpscaleModel, HiresScale, HiresSteps, HiresDenoise, HiresSampler) =
                (h.Upscaler, h.LatentMethod, h.UpscaleModel, h.Scale, h.Steps, h.Denoise, h.Sampler ?? string.Empty);
        }
    }

    private void SetRefiner(RefinerSetting? refiner)
    {
        RefinerEnabled = refiner is not null;
        if (refiner is { } r)
        {
            (RefinerCheckpoint, RefinerSwitchAt) = (r.Checkpoint, r.SwitchAt);
        }
    }

    /// <summary>Keeps choices the server still has; drops what it lost or cannot do, so nothing fails after queueing.</summary>
    public void FitTo(GenerationLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var a = limits.Advanced;
        Loras.RemoveAll(l => !a.Loras.Contains(l.Name, StringComparer.Ordinal));
        if ((Vae.Length > 0 && !a.Vaes.Contains(Vae, StringComparer.Ordinal)) || a.VaeUnavailable is not null)
        {
            Vae = string.Empty;
        }
        if (a.LatentUpscaleMethods.Count > 0 && !a.LatentUpscaleMethods.Contains(HiresLatentMethod, StringComparer.Ordinal))
        {
            HiresLatentMethod = a.LatentUpscaleMethods[0];
        }
        if (a.UpscaleModels.Count > 0 && !a.UpscaleModels.Contains(HiresUpscaleModel, StringComparer.Ordinal))
        {
            HiresUpscaleModel = a.UpscaleModels[0];
        }
        if (HiresUpscaler == HiresUpscaler.Model && a.HiresModelUnavailable is not null)
        {
            HiresUpscaler = HiresUpscaler.Latent;
        }
        if (RefinerCheckpoint.Length == 0 || (limits.Checkpoints.Count > 0 && !limits.Checkpoints.Contains(RefinerCheckpoint, StringComparer.Ordinal)))
        {
            RefinerCheckpoint = limits.Checkpoints.FirstOrDefault(c => c.Contains("refiner", StringComparison.OrdinalIgnoreCase))
                ?? (limits.Checkpoints.Count > 0 ? limits.Checkpoints[0] : string.Empty);
        }
        if (a.ClipSkipUnavailable is not null || ClipSkip > a.MaxClipSkip)
        {
            ClipSkip = 1;
        }
        if (a.TiledVaeUnavailable is not null)
        {
            TiledVaeEnabled = false;
        }
        foreach (var unit in ControlNets.Where(u => u.Model.Length == 0 || !a.ControlNetModels.Contains(u.Model, StringComparer.Ordinal)))
        {
            unit.Model = a.ControlNetModels.Count > 0 ? a.ControlNetModels[0] : string.Empty;
        }
    }
}
