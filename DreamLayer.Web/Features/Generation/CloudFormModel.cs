using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Cloud;

namespace DreamLayer.Web.Features.Generation;

/// <summary>How a model sized both ways (Ideogram) is sized this time: by a size from its list, or by an aspect ratio.</summary>
public enum CloudSizing
{
    Size,
    AspectRatio,
}

/// <summary>
/// The cloud part of a generation form: which cloud model is chosen (none: a local checkpoint) and what the person set
/// of what that model takes. Every field is read from the model's <see cref="CloudModel"/>; an empty value leaves the
/// choice to the provider (its default). Kept beside the local fields, so switching back to a checkpoint finds them as
/// they were.
/// </summary>
public sealed class CloudFormModel
{
    /// <summary>The side a free size (FLUX 1.1 [pro]) starts at, within the model's range.</summary>
    public const int StartSide = 1024;

    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);

    /// <summary>The chosen cloud model; null while a local checkpoint is chosen.</summary>
    public CloudModel? Model { get; private set; }

    public bool IsChosen => Model is not null;

    /// <summary>A size from the model's list (<c>WxH</c> or <c>auto</c>); null: the provider's default.</summary>
    public string? Size { get; set; }

    /// <summary>Free sizes (<see cref="CloudModel.PixelRange"/>): the width.</summary>
    public int Width { get; set; } = StartSide;

    /// <summary>Free sizes: the height.</summary>
    public int Height { get; set; } = StartSide;

    /// <summary><c>W:H</c>, from the model's list or typed within its widest ratio; null: the provider's default.</summary>
    public string? AspectRatio { get; set; }

    /// <summary>For a model that takes a size or an aspect ratio, not both: which one this request gives.</summary>
    public CloudSizing Sizing { get; set; } = CloudSizing.Size;

    /// <summary>Pictures in the one request.</summary>
    public int Count { get; set; } = 1;

    /// <summary>The options set, by API name; an option not here is left to the provider.</summary>
    public IReadOnlyDictionary<string, string> Options => _options;

    /// <summary>The value of an option, or null when the provider's default applies.</summary>
    public string? Option(string name) => _options.GetValueOrDefault(name);

    /// <summary>Sets an option; null or empty gives it back to the provider's default.</summary>
    public void SetOption(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            _options.Remove(name);
        }
        else
        {
            _options[name] = value.Trim();
        }
    }

    /// <summary>A cloud model was chosen: its fields start from the provider's defaults (a choice of the same model keeps them).</summary>
    public void Choose(CloudModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (Model == model)
        {
            return;
        }
        Model = model;
        Size = null;
        AspectRatio = null;
        Sizing = CloudSizing.Size;
        Count = 1;
        _options.Clear();
        if (model.PixelRange is { } range)
        {
            Width = Height = Math.Clamp(StartSide / range.Step * range.Step, range.Min, range.Max);
        }
    }

    /// <summary>A local checkpoint was chosen: the cloud choice is put aside.</summary>
    public void Clear() => Model = null;

    /// <summary>Takes the cloud part of an earlier request (the person's last job, a reused image); null chooses no cloud model.</summary>
    public void CopyFrom(CloudSetting? setting)
    {
        if (setting is null || !CloudCatalog.TryParse(setting.Provider, out var provider) || CloudCatalog.Find(provider, setting.Model) is not { } model)
        {
            Clear();
            return;
        }
        Model = null;
        Choose(model);
        Count = setting.Count;
        AspectRatio = setting.AspectRatio;
        Sizing = setting.AspectRatio is not null && setting.Size is null && model.SizeOrAspectRatio ? CloudSizing.AspectRatio : CloudSizing.Size;
        if (model.PixelRange is not null && setting.Size is { } free && CloudRequestValidator.ParseSize(free) is { } parsed)
        {
            (Width, Height) = parsed;
        }
        else
        {
            Size = setting.Size;
        }
        foreach (var (name, value) in setting.Options)
        {
            SetOption(name, value);
        }
    }

    /// <summary>What the request carries for the chosen model: only what it takes, each sizing field as the person set it.</summary>
    public CloudSetting ToSetting()
    {
        var model = Model ?? throw new InvalidOperationException("No cloud model is chosen.");
        var bySize = !model.SizeOrAspectRatio || Sizing == CloudSizing.Size;
        var size = model.PixelRange is not null
            ? string.Create(CultureInfo.InvariantCulture, $"{Width}x{Height}")
            : model.Sizes.Count > 0 && bySize ? Size : null;
        var aspect = model.TakesAspectRatio && (!model.SizeOrAspectRatio || !bySize) && !string.IsNullOrWhiteSpace(AspectRatio) ? AspectRatio.Trim() : null;
        return new CloudSetting(model.Provider.ToString(), model.Id)
        {
            Size = size,
            AspectRatio = aspect,
            Count = model.MaxCount > 1 ? Count : 1,
            Options = _options.Where(o => model.Option(o.Key) is not null).ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// The request for the chosen model from the form's <paramref name="local"/> request: its prompts, and its seed only
    /// where the model honours one; one run, none of a checkpoint's extras (LoRAs, ControlNet, hires fix, refiner). The
    /// local fields ride along unused, so the form reopens with them as they were.
    /// </summary>
    public GenerationRequest Apply(GenerationRequest local)
    {
        ArgumentNullException.ThrowIfNull(local);
        var model = Model ?? throw new InvalidOperationException("No cloud model is chosen.");
        var seeded = model.Seeds is not null;
        return local with
        {
            NegativePrompt = model.TakesNegativePrompt ? local.NegativePrompt : string.Empty,
            SeedMode = seeded ? local.SeedMode : SeedMode.Random,
            Seed = seeded ? local.Seed : null,
            BatchSize = 1,
            BatchCount = 1,
            Loras = [],
            ControlNets = [],
            HiresFix = null,
            Refiner = null,
            TiledVae = null,
            Cloud = ToSetting(),
        };
    }
}

/// <summary>One entry of the model picker: a local checkpoint (by file name), a cloud model, or a group's heading (not choosable).</summary>
public sealed record ModelPick(string Checkpoint, CloudProviderId? Provider, string? CloudModel, string? Group = null)
{
    public static ModelPick ForCheckpoint(string checkpoint) => new(checkpoint, null, null);

    /// <summary>A heading in the list ("Checkpoints", a provider's name): shown, never chosen.</summary>
    public static ModelPick ForGroup(string heading) => new(string.Empty, null, null, heading);

    public static ModelPick ForCloud(CloudModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new(string.Empty, model.Provider, model.Id);
    }

    /// <summary>"OpenAI: gpt-image-1": the provider's name and the model's.</summary>
    public static string CloudTitle(CloudModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return $"{CloudCatalog.NameOf(model.Provider)}: {model.Name}";
    }
}
