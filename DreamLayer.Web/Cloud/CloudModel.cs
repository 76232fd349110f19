namespace DreamLayer.Web.Cloud;

/// <summary>How an option's value is checked.</summary>
public enum CloudOptionKind
{
    /// <summary>One of <see cref="CloudOption.Values"/>.</summary>
    Choice,

    /// <summary>A whole number from <see cref="CloudOption.Min"/> to <see cref="CloudOption.Max"/>.</summary>
    Number,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Flag,
}

/// <summary>One provider-specific option of a model, by its API name, with the values the provider documents.</summary>
public sealed record CloudOption(string Name, string Label, CloudOptionKind Kind, IReadOnlyList<string> Values, long Min = 0, long Max = 0)
{
    /// <summary>
    /// What the app sends when the person leaves the option empty, where that differs from the provider's own default
    /// for a reason the catalogue states; null: nothing is sent and the provider's default applies.
    /// </summary>
    public string? AppDefault { get; init; }

    public static CloudOption Choice(string name, string label, params IReadOnlyList<string> values) => new(name, label, CloudOptionKind.Choice, values);

    public static CloudOption Number(string name, string label, long min, long max) => new(name, label, CloudOptionKind.Number, [], min, max);

    public static CloudOption Flag(string name, string label) => new(name, label, CloudOptionKind.Flag, ["true", "false"]);
}

/// <summary>What a model can do with a picture it is given, beyond making one from a prompt.</summary>
[Flags]
public enum CloudEdits
{
    /// <summary>Prompt only (Txt2Img).</summary>
    None = 0,

    /// <summary>Takes a whole picture to change or follow (Img2Img: OpenAI's edits, FLUX Kontext, Ideogram's remix).</summary>
    Image = 1,

    /// <summary>Takes a picture and a mask and repaints the masked part (Inpaint: OpenAI's edits with a mask, Ideogram's edit).</summary>
    Mask = 2,
}

/// <summary>
/// What a model that edits (<see cref="CloudModel.Edits"/>) takes with a picture, as its provider documents it: the
/// largest file and the formats of the input picture and mask, the options it takes then (when they differ from the
/// prompt-only ones), and how the picture shapes the result.
/// </summary>
/// <param name="MaxBytes">The largest input picture (and mask) the provider takes, in bytes.</param>
/// <param name="Formats">The media types it takes for the input picture (<c>image/png</c>, …).</param>
/// <param name="MaskFormats">The media types it takes for the mask (after the app turns the mask into the provider's convention).</param>
public sealed record CloudEditInput(long MaxBytes, IReadOnlyList<string> Formats, IReadOnlyList<string> MaskFormats)
{
    /// <summary>The largest mask, when the provider documents a smaller limit for it than for the picture (OpenAI: 4 MB).</summary>
    public long? MaxMaskBytes { get; init; }

    /// <summary>The options the model takes with a picture; null: the same as <see cref="CloudModel.Options"/>.</summary>
    public IReadOnlyList<CloudOption>? Options { get; init; }

    /// <summary>True when an edit with a mask keeps the picture's own size: no size or aspect ratio is taken then (Ideogram's edit).</summary>
    public bool MaskKeepsSize { get; init; }

    /// <summary>True when an edit with a mask takes no negative prompt (Ideogram's edit).</summary>
    public bool MaskTakesNoNegativePrompt { get; init; }

    /// <summary>True when a remix takes <see cref="CloudImageRequest.ImageWeight"/> (Ideogram's <c>image_weight</c>, from the request's denoise).</summary>
    public bool TakesImageWeight { get; init; }
}

/// <summary>Free pixel sizes: each side from <see cref="Min"/> to <see cref="Max"/> in steps of <see cref="Step"/>.</summary>
public sealed record CloudPixelRange(int Min, int Max, int Step);

/// <summary>
/// What one cloud model takes, as its provider documents it (<see cref="ApiVersion"/> says which page and when). The
/// one place a provider's models and options live: the validator, the clients and (later) the forms read it.
/// </summary>
public sealed record CloudModel
{
    public required CloudProviderId Provider { get; init; }

    /// <summary>The id the API takes.</summary>
    public required string Id { get; init; }

    /// <summary>What people call it.</summary>
    public required string Name { get; init; }

    /// <summary>The API and documentation this entry follows, with the date it was read.</summary>
    public required string ApiVersion { get; init; }

    /// <summary>Longest prompt, where the provider documents one.</summary>
    public int? MaxPromptLength { get; init; }

    public bool TakesNegativePrompt { get; init; }

    /// <summary>The seeds the model honours; null when it takes none.</summary>
    public (long Min, long Max)? Seeds { get; init; }

    /// <summary>Most pictures per request.</summary>
    public int MaxCount { get; init; } = 1;

    /// <summary>The sizes it makes (<c>WxH</c>, or <c>auto</c>); empty when sized otherwise.</summary>
    public IReadOnlyList<string> Sizes { get; init; } = [];

    /// <summary>Free sizes within a range (FLUX 1.1 [pro]); null otherwise.</summary>
    public CloudPixelRange? PixelRange { get; init; }

    /// <summary>The aspect ratios it takes (<c>W:H</c>); empty when it takes none or any within <see cref="MaxAspectRatio"/>.</summary>
    public IReadOnlyList<string> AspectRatios { get; init; } = [];

    /// <summary>Any <c>W:H</c> no wider or taller than this (21/9 for FLUX Ultra); null when not sized by free ratios.</summary>
    public double? MaxAspectRatio { get; init; }

    /// <summary>True when a size and an aspect ratio may not both be given (Ideogram).</summary>
    public bool SizeOrAspectRatio { get; init; }

    public IReadOnlyList<CloudOption> Options { get; init; } = [];

    /// <summary>What it does with a given picture: which of the Img2Img and Inpaint pages offer it.</summary>
    public CloudEdits Edits { get; init; }

    /// <summary>What it takes with a picture (required when <see cref="Edits"/> is not <see cref="CloudEdits.None"/>).</summary>
    public CloudEditInput? EditInput { get; init; }

    public bool TakesSize => Sizes.Count > 0 || PixelRange is not null;

    public bool TakesAspectRatio => AspectRatios.Count > 0 || MaxAspectRatio is not null;

    public CloudOption? Option(string name) => Options.FirstOrDefault(o => o.Name == name);

    /// <summary>The options it takes for a request that edits a picture (<paramref name="edit"/>) or makes one from the prompt.</summary>
    public IReadOnlyList<CloudOption> OptionsFor(bool edit) => edit && EditInput?.Options is { } options ? options : Options;
}
