namespace CloudStandIn;

/// <summary>The statuses <c>GET /v1/get_result</c> answers, as BFL's errors page lists them.</summary>
public static class BflStatus
{
    public const string Pending = "Pending";
    public const string Ready = "Ready";
    public const string Error = "Error";
    public const string RequestModerated = "Request Moderated";
    public const string ContentModerated = "Content Moderated";
    public const string TaskNotFound = "Task not found";

    /// <summary>The statuses a task can end in (every one but <see cref="Pending"/>).</summary>
    public static readonly IReadOnlyList<string> Ends = [Ready, Error, RequestModerated, ContentModerated, TaskNotFound];
}

/// <summary>How a FLUX model is sized: width and height in pixels, or an aspect ratio at a fixed number of megapixels.</summary>
internal enum BflShape
{
    WidthHeight,
    AspectRatio,
}

/// <summary>
/// One FLUX endpoint, as BFL's API reference lists it (read 2026-12-07, see docs/cloud/PROVIDERS.md). Credits are
/// BFL's unit (1 credit = 1 US cent) as the submit answer's <c>cost</c> reports them.
/// </summary>
internal sealed record BflModel(
    string Path,
    BflShape Shape,
    int DefaultWidth,
    int DefaultHeight,
    string DefaultAspectRatio,
    double Megapixels,
    bool PromptRequired,
    string ImageField,
    double Credits,
    IReadOnlyList<string> Flags);

/// <summary>The FLUX models table: the only place the stand-in's BFL options live.</summary>
internal static class BflModels
{
    public const int MinSide = 256;
    public const int MaxSide = 1440;
    public const int SideStep = 32;
    public const int MaxSafetyTolerance = 6;

    /// <summary>The most <c>safety_tolerance</c> Kontext takes with an <c>input_image</c> (image to image).</summary>
    public const int MaxEditSafetyTolerance = 2;

    /// <summary>The widest and the tallest aspect ratio the aspect-ratio models take (21:9 and 9:21).</summary>
    public const double MaxRatio = 21.0 / 9.0;

    public static readonly IReadOnlyList<string> OutputFormats = ["jpeg", "png"];

    public static readonly IReadOnlyList<BflModel> All =
    [
        new("flux-pro-1.1", BflShape.WidthHeight, 1024, 768, string.Empty, 0, PromptRequired: false, "image_prompt", 4, ["prompt_upsampling"]),
        new("flux-pro-1.1-ultra", BflShape.AspectRatio, 0, 0, "16:9", 4, PromptRequired: false, "image_prompt", 6, ["prompt_upsampling", "raw"]),
        new("flux-kontext-pro", BflShape.AspectRatio, 0, 0, "1:1", 1, PromptRequired: true, "input_image", 4, ["prompt_upsampling"]),
        new("flux-kontext-max", BflShape.AspectRatio, 0, 0, "1:1", 1, PromptRequired: true, "input_image", 8, ["prompt_upsampling"]),
    ];

    /// <summary>The size drawn for an aspect ratio at <paramref name="megapixels"/> (2^20 pixels each), sides rounded to 32.</summary>
    public static (int Width, int Height) SizeFor(double ratio, double megapixels)
    {
        var pixels = megapixels * 1024 * 1024;
        var width = (int)Math.Round(Math.Sqrt(pixels * ratio) / SideStep) * SideStep;
        var height = (int)Math.Round(Math.Sqrt(pixels / ratio) / SideStep) * SideStep;
        return (width, height);
    }
}
