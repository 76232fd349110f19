using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Models;

namespace DreamLayer.Web.Features.Generation;

/// <summary>
/// What the generation forms show of the admins' model settings: members' lists without hidden models, display names
/// and families beside file names, the defaults picking a checkpoint applies (and the words saying what changed), a
/// LoRA's trigger words and strength, and a LoRA whose family differs from the checkpoint's.
/// </summary>
public static class ModelChoices
{
    /// <summary>The lists a person may pick from: every model for an admin; a member's without the hidden ones.</summary>
    public static GenerationLimits? For(GenerationLimits? limits, ModelSettings settings, bool isAdmin)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (limits is null || isAdmin || !settings.All.Values.Any(i => i.Hidden))
        {
            return limits;
        }
        IReadOnlyList<string> Visible(IReadOnlyList<string> names, ModelKind kind) => [.. names.Where(n => !settings.IsHidden(kind.Folder, n))];
        return limits with
        {
            Checkpoints = Visible(limits.Checkpoints, ModelKind.Checkpoints),
            UpscaleModels = Visible(limits.UpscaleModels, ModelKind.UpscaleModels),
            Advanced = limits.Advanced with
            {
                Loras = Visible(limits.Advanced.Loras, ModelKind.Loras),
                Vaes = Visible(limits.Advanced.Vaes, ModelKind.Vaes),
                ControlNetModels = Visible(limits.Advanced.ControlNetModels, ModelKind.ControlNets),
            },
        };
    }

    /// <summary>What a picker shows for a model: its display name, else its file name (also without settings).</summary>
    public static string Title(ModelSettings? settings, ModelKind kind, string? name)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return string.IsNullOrEmpty(name) ? string.Empty : settings?.Get(kind.Folder, name).Title ?? name;
    }

    /// <summary>"SDXL" beside a model's name, or null when its family is not known.</summary>
    public static string? FamilyLabel(ModelInfo info) =>
        info?.Family is { } family && family != ModelFamily.Unknown ? family.Label() : null;

    /// <summary>
    /// Applies a checkpoint's defaults to the form (each value the server can take) and says what changed, e.g.
    /// "SDXL defaults: 1024×1024, 30 steps"; null when nothing changed.
    /// </summary>
    public static string? ApplyDefaults(ModelInfo info, Txt2ImgFormModel form, GenerationLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(form);
        var d = info.EffectiveDefaults;
        var changes = new List<string>();
        var width = d.Width ?? form.Width;
        var height = d.Height ?? form.Height;
        if ((width, height) != (form.Width, form.Height) && (limits is null || width <= limits.MaxSize && height <= limits.MaxSize))
        {
            (form.Width, form.Height) = (width, height);
            changes.Add($"{width}×{height}");
        }
        if (d.Steps is { } steps && steps != form.Steps)
        {
            form.Steps = steps;
            changes.Add(Words.Count(steps, "step"));
        }
        if (d.Cfg is { } cfg && cfg != form.Cfg)
        {
            form.Cfg = cfg;
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"CFG {cfg:0.##}"));
        }
        if (d.Sampler is { } sampler && sampler != form.Sampler && (limits is null || limits.Samplers.Contains(sampler)))
        {
            form.Sampler = sampler;
            changes.Add(sampler);
        }
        if (d.Scheduler is { } scheduler && scheduler != form.Scheduler && (limits is null || limits.Schedulers.Contains(scheduler)))
        {
            form.Scheduler = scheduler;
            changes.Add(scheduler);
        }
        if (d.ClipSkip is { } clipSkip && clipSkip != form.Advanced.ClipSkip)
        {
            form.Advanced.ClipSkip = clipSkip;
            changes.Add($"CLIP skip {clipSkip}");
        }
        if (d.Vae is { } vae && vae != form.Advanced.Vae && (limits is null || limits.Advanced.Vaes.Contains(vae)))
        {
            form.Advanced.Vae = vae;
            changes.Add($"VAE {vae}");
        }
        if (changes.Count == 0)
        {
            return null;
        }
        var source = info.Defaults.IsEmpty && FamilyLabel(info) is { } family ? family : info.Title;
        return $"{source} defaults: {string.Join(", ", changes)}.";
    }

    /// <summary>The prompt with a LoRA's trigger words added at its end (those it already has are not repeated).</summary>
    public static string WithTriggerWords(string prompt, IReadOnlyList<string> triggerWords)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(triggerWords);
        var missing = triggerWords.Where(w => !prompt.Contains(w, StringComparison.OrdinalIgnoreCase)).ToList();
        if (missing.Count == 0)
        {
            return prompt;
        }
        var trimmed = prompt.TrimEnd();
        return trimmed.Length == 0 ? string.Join(", ", missing) : $"{trimmed.TrimEnd(',')}, {string.Join(", ", missing)}";
    }

    /// <summary>Why a LoRA does not suit the checkpoint (their families differ), or null when they match or either is unknown.</summary>
    public static string? FamilyMismatch(ModelInfo lora, ModelInfo? checkpoint)
    {
        ArgumentNullException.ThrowIfNull(lora);
        if (checkpoint is null || lora.Family is ModelFamily.Unknown or ModelFamily.Other || checkpoint.Family is ModelFamily.Unknown or ModelFamily.Other
            || lora.Family == checkpoint.Family)
        {
            return null;
        }
        return $"This is an {lora.Family.Label()} LoRA; the checkpoint {checkpoint.Title} is {checkpoint.Family.Label()}: it will have little or no effect.";
    }
}
