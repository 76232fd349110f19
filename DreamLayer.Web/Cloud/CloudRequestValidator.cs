using System.Globalization;

namespace DreamLayer.Web.Cloud;

/// <summary>
/// Checks a <see cref="CloudImageRequest"/> against what its model takes (<see cref="CloudModel"/>), before anything is
/// sent: every problem at once, each naming its field in words.
/// </summary>
public static class CloudRequestValidator
{
    /// <summary>The field names <see cref="CloudFieldError.Field"/> uses for the request's own fields.</summary>
    public const string ModelField = "Model", PromptField = "Prompt", NegativeField = "Negative prompt", SeedField = "Seed",
        CountField = "Number of images", SizeField = "Size", AspectField = "Aspect ratio";

    /// <summary>The fields of an edit, named as <c>GenerationRequest</c> names them (the pages and the API show them there).</summary>
    public const string ImageField = "SourceImage", MaskField = "Mask", DenoiseField = "Denoise";

    public static IReadOnlyList<CloudFieldError> Validate(CloudImageRequest request, IReadOnlyList<CloudModel> models, string providerName)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(models);
        var model = models.FirstOrDefault(m => m.Id == request.Model);
        if (model is null)
        {
            return [new(ModelField, $"{providerName} has no model '{request.Model}'; it has {Either(models.Select(m => m.Id).ToList(), "or")}.")];
        }
        var errors = new List<CloudFieldError>();
        Prompt(request, model, errors);
        if (!string.IsNullOrEmpty(request.NegativePrompt) && (!model.TakesNegativePrompt || (request.Mask is not null && model.EditInput is { MaskTakesNoNegativePrompt: true })))
        {
            errors.Add(new(NegativeField, $"{model.Name} takes no negative prompt; say what to avoid in the prompt itself."));
        }
        if (request.Seed is { } seed)
        {
            if (model.Seeds is not { } range)
            {
                errors.Add(new(SeedField, $"{model.Name} takes no seed; leave it empty."));
            }
            else if (seed < range.Min || seed > range.Max)
            {
                errors.Add(new(SeedField, Invariant($"{model.Name} takes seeds from {range.Min:N0} to {range.Max:N0}, not {seed:N0}.")));
            }
        }
        if (request.Count < 1 || request.Count > model.MaxCount)
        {
            errors.Add(new(CountField, model.MaxCount == 1
                ? Invariant($"{model.Name} makes one picture per request, not {request.Count}.")
                : Invariant($"{model.Name} makes 1 to {model.MaxCount} pictures per request, not {request.Count}.")));
        }
        Size(request, model, errors);
        Options(request, model, errors);
        Edit(request, model, providerName, errors);
        return errors;
    }

    /// <summary>Throws <see cref="CloudFailure.InvalidRequest"/> with every field's problem when the request is not one <paramref name="provider"/>'s model takes.</summary>
    public static void ThrowIfInvalid(ICloudImageProvider provider, CloudImageRequest request)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var errors = Validate(request, provider.Models, provider.Name);
        if (errors.Count > 0)
        {
            throw new CloudProviderException(provider.Provider, CloudFailure.InvalidRequest, string.Join(" ", errors.Select(e => e.Message))) { Fields = errors };
        }
    }

    private static void Prompt(CloudImageRequest request, CloudModel model, List<CloudFieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            errors.Add(new(PromptField, "Write what the picture should show."));
        }
        else if (model.MaxPromptLength is { } max && request.Prompt.Length > max)
        {
            errors.Add(new(PromptField, Invariant($"{model.Name} takes prompts of at most {max:N0} characters; this one has {request.Prompt.Length:N0}.")));
        }
    }

    private static void Size(CloudImageRequest request, CloudModel model, List<CloudFieldError> errors)
    {
        if (request.Size is { } size)
        {
            if (!model.TakesSize)
            {
                errors.Add(new(SizeField, $"{model.Name} is sized by aspect ratio, not by pixels; choose an aspect ratio."));
            }
            else if (model.Sizes.Count > 0 && !model.Sizes.Contains(size))
            {
                errors.Add(new(SizeField, $"{model.Name} makes {Either(model.Sizes, "or", 12)}, not {size}."));
            }
            else if (model.PixelRange is { } range && !FitsRange(size, range))
            {
                errors.Add(new(SizeField, Invariant($"{model.Name} takes widths and heights from {range.Min} to {range.Max} pixels in steps of {range.Step} (such as 1024x768), not {size}.")));
            }
        }
        if (request.AspectRatio is { } aspect)
        {
            if (!model.TakesAspectRatio)
            {
                errors.Add(new(AspectField, $"{model.Name} is sized in pixels, not by aspect ratio; choose a size."));
            }
            else if (model.AspectRatios.Count > 0 && !model.AspectRatios.Contains(aspect))
            {
                errors.Add(new(AspectField, $"{model.Name} takes the aspect ratios {Either(model.AspectRatios, "or")}, not {aspect}."));
            }
            else if (model.MaxAspectRatio is { } widest && !FitsRatio(aspect, widest))
            {
                errors.Add(new(AspectField, $"{model.Name} takes an aspect ratio W:H between 21:9 and 9:21 (such as 16:9), not {aspect}."));
            }
        }
        if (request.Size is not null && request.AspectRatio is not null && model.SizeOrAspectRatio)
        {
            errors.Add(new(SizeField, $"{model.Name} takes a size or an aspect ratio, not both."));
        }
    }

    private static void Options(CloudImageRequest request, CloudModel model, List<CloudFieldError> errors)
    {
        var options = model.OptionsFor(request.IsEdit);
        var with = request.IsEdit && model.EditInput?.Options is not null ? " with a picture" : string.Empty;
        foreach (var (name, value) in request.Options)
        {
            if (options.FirstOrDefault(o => o.Name == name) is not { } option)
            {
                errors.Add(new(name, options.Count == 0
                    ? $"{model.Name} has no option '{name}'{with}; it takes none."
                    : $"{model.Name} has no option '{name}'{with}; it takes {Either(options.Select(o => o.Name).ToList(), "and")}."));
                continue;
            }
            var wrong = option.Kind switch
            {
                CloudOptionKind.Choice => !option.Values.Contains(value),
                CloudOptionKind.Flag => value is not ("true" or "false"),
                _ => !long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < option.Min || number > option.Max,
            };
            if (wrong)
            {
                errors.Add(new(option.Label, option.Kind == CloudOptionKind.Number
                    ? Invariant($"{option.Label}: {model.Name} takes a whole number from {option.Min} to {option.Max}{with}, not '{value}'.")
                    : $"{option.Label}: {model.Name} takes {Either(option.Values, "or")}, not '{value}'."));
            }
        }
        // OpenAI: a transparent background needs a format that keeps transparency.
        if (request.Options.GetValueOrDefault("background") == "transparent" && request.Options.GetValueOrDefault("output_format") == "jpeg")
        {
            errors.Add(new("Background", "Background: a transparent background needs the png or webp format; JPEG has no transparency."));
        }
    }

    /// <summary>The picture and mask of an edit: the model takes them, in the formats and sizes its provider documents.</summary>
    private static void Edit(CloudImageRequest request, CloudModel model, string providerName, List<CloudFieldError> errors)
    {
        if (request.InputImage is not { } image)
        {
            if (request.IsEdit)
            {
                errors.Add(new(ImageField, "Choose the picture to change."));
            }
            if (request.Mask is not null)
            {
                errors.Add(new(MaskField, "A mask needs the picture it belongs to; choose the picture to repaint."));
            }
            if (request.ImageWeight is not null)
            {
                errors.Add(new(DenoiseField, $"{model.Name}: an image weight needs a picture to follow."));
            }
            return;
        }
        if (!model.Edits.HasFlag(CloudEdits.Image) || model.EditInput is not { } input)
        {
            errors.Add(new(ImageField, $"{model.Name} makes pictures from a prompt only; it does not change a given picture. Choose a model that edits pictures."));
            return;
        }
        Picture(image, input.MaxBytes, input.Formats, "picture", ImageField, providerName, errors);
        if (request.Mask is { } mask)
        {
            if (!model.Edits.HasFlag(CloudEdits.Mask))
            {
                errors.Add(new(MaskField, $"{model.Name} changes the whole picture; it does not repaint a masked part (use it on Img2Img, without a mask)."));
                return;
            }
            Picture(mask, input.MaxMaskBytes ?? input.MaxBytes, input.MaskFormats, "mask", MaskField, providerName, errors);
            if (mask.Width != image.Width || mask.Height != image.Height)
            {
                errors.Add(new(MaskField, Invariant($"The mask ({mask.Width}x{mask.Height}) must be the size of the picture ({image.Width}x{image.Height}).")));
            }
            if (input.MaskKeepsSize && (request.Size is not null || request.AspectRatio is not null))
            {
                errors.Add(new(SizeField, $"{model.Name} keeps the picture's own size when it repaints a masked part; leave the size and aspect ratio empty."));
            }
        }
        if (request.ImageWeight is { } weight)
        {
            if (!input.TakesImageWeight || request.Mask is not null)
            {
                errors.Add(new(DenoiseField, $"{model.Name} takes no image weight{(request.Mask is null ? string.Empty : " when it repaints a masked part")}."));
            }
            else if (weight is < 1 or > 100)
            {
                errors.Add(new(DenoiseField, Invariant($"{model.Name} takes an image weight from 1 to 100, not {weight}.")));
            }
        }
    }

    private static void Picture(CloudPicture picture, long maxBytes, IReadOnlyList<string> formats, string what, string field, string providerName, List<CloudFieldError> errors)
    {
        if (!formats.Contains(picture.MediaType))
        {
            errors.Add(new(field, $"{providerName} takes the {what} as {Either([.. formats.Select(FormatName)], "or")}, not {FormatName(picture.MediaType)}."));
        }
        if (picture.Bytes.LongLength > maxBytes)
        {
            errors.Add(new(field, $"The {what} is {Megabytes(picture.Bytes.LongLength)}; {providerName} takes at most {Megabytes(maxBytes)}."));
        }
    }

    private static string FormatName(string mediaType) => mediaType switch
    {
        "image/png" => "PNG",
        "image/jpeg" => "JPEG",
        "image/webp" => "WebP",
        _ => mediaType,
    };

    private static string Megabytes(long bytes) => Invariant($"{bytes / (1024.0 * 1024):0.#} MB");

    /// <summary>Width and height of <c>WxH</c>; null when it is not that.</summary>
    public static (int Width, int Height)? ParseSize(string size)
    {
        ArgumentNullException.ThrowIfNull(size);
        var x = size.IndexOf('x', StringComparison.Ordinal);
        return x > 0
            && int.TryParse(size.AsSpan(0, x), NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(size.AsSpan(x + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            ? (w, h) : null;
    }

    /// <summary>The two numbers of <c>W:H</c>; null when it is not that.</summary>
    public static (int Width, int Height)? ParseRatio(string ratio)
    {
        ArgumentNullException.ThrowIfNull(ratio);
        var colon = ratio.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && int.TryParse(ratio.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(ratio.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && w > 0 && h > 0
            ? (w, h) : null;
    }

    private static bool FitsRange(string size, CloudPixelRange range) =>
        ParseSize(size) is { } s && Side(s.Width, range) && Side(s.Height, range);

    private static bool Side(int side, CloudPixelRange range) => side >= range.Min && side <= range.Max && side % range.Step == 0;

    private static bool FitsRatio(string aspect, double widest) =>
        ParseRatio(aspect) is { } r && (double)r.Width / r.Height <= widest + 1e-9 && (double)r.Height / r.Width <= widest + 1e-9;

    /// <summary><c>a, b or c</c>; a long list is cut after <paramref name="most"/> with "…".</summary>
    private static string Either(IReadOnlyList<string> values, string word, int most = int.MaxValue) => values.Count switch
    {
        1 => values[0],
        _ when values.Count > most => string.Join(", ", values.Take(most)) + Invariant($", … ({values.Count} in all)"),
        _ => string.Join(", ", values.Take(values.Count - 1)) + $" {word} " + values[^1],
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
