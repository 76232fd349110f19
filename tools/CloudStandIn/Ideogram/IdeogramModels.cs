namespace CloudStandIn.Ideogram;

/// <summary>
/// What Ideogram 3.0 takes, as its API reference lists it (read 2026-12-07, see docs/cloud/PROVIDERS.md): the one place
/// the stand-in's Ideogram options live.
/// </summary>
internal static class IdeogramModels
{
    public const int MaxImages = 8;

    public const long MaxSeed = 2147483647;

    /// <summary>The largest upload (image, mask) the reference allows.</summary>
    public const long MaxUploadBytes = 10L * 1024 * 1024;

    public static readonly IReadOnlyList<string> UploadFormats = ["png", "jpeg", "webp"];

    /// <summary>Each aspect ratio, and the resolution the stand-in draws for it (one of <see cref="Resolutions"/>); 1x1 is the default.</summary>
    public static readonly IReadOnlyDictionary<string, (int Width, int Height)> AspectRatios = new Dictionary<string, (int, int)>
    {
        ["1x3"] = (512, 1536),
        ["3x1"] = (1536, 512),
        ["1x2"] = (704, 1408),
        ["2x1"] = (1408, 704),
        ["9x16"] = (736, 1312),
        ["16x9"] = (1312, 736),
        ["10x16"] = (800, 1280),
        ["16x10"] = (1280, 800),
        ["2x3"] = (832, 1248),
        ["3x2"] = (1248, 832),
        ["3x4"] = (864, 1152),
        ["4x3"] = (1152, 864),
        ["4x5"] = (896, 1120),
        ["5x4"] = (1120, 896),
        ["1x1"] = (1024, 1024),
    };

    public static readonly IReadOnlyList<string> Resolutions =
    [
        "512x1536", "576x1408", "576x1472", "576x1536", "640x1344", "640x1408", "640x1472", "640x1536", "704x1152",
        "704x1216", "704x1280", "704x1344", "704x1408", "704x1472", "736x1312", "768x1088", "768x1216", "768x1280",
        "768x1344", "800x1280", "832x960", "832x1024", "832x1088", "832x1152", "832x1216", "832x1248", "864x1152",
        "896x960", "896x1024", "896x1088", "896x1120", "896x1152", "960x832", "960x896", "960x1024", "960x1088",
        "1024x832", "1024x896", "1024x960", "1024x1024", "1088x768", "1088x832", "1088x896", "1088x960", "1120x896",
        "1152x704", "1152x832", "1152x864", "1152x896", "1216x704", "1216x768", "1216x832", "1248x832", "1280x704",
        "1280x768", "1280x800", "1312x736", "1344x640", "1344x704", "1344x768", "1408x576", "1408x640", "1408x704",
        "1472x576", "1472x640", "1472x704", "1536x512", "1536x576", "1536x640",
    ];

    public static readonly IReadOnlyList<string> RenderingSpeeds = ["TURBO", "DEFAULT", "QUALITY"];

    public static readonly IReadOnlyList<string> MagicPrompt = ["AUTO", "ON", "OFF"];

    public static readonly IReadOnlyList<string> StyleTypes = ["AUTO", "GENERAL", "REALISTIC", "DESIGN"];
}
