namespace DreamLayer.Web.Cloud.Ideogram;

/// <summary>
/// Ideogram 3.0 and what it takes: the one place it lives. Followed: *Generate with Ideogram 3.0*
/// (<c>POST /v1/ideogram-v3/generate</c>) and its OpenAPI document, read 2026-12-07; the resolutions and aspect ratios
/// are the ones ComfyUI's <c>IdeogramV3</c> node declares (see docs/cloud/PROVIDERS.md). The API writes ratios
/// <c>16x9</c>; requests here write them <c>16:9</c> like every other provider's. A picture is remixed by
/// <c>POST /v1/ideogram-v3/remix</c> (with <c>image_weight</c>, 1 to 100) and repainted under a mask by
/// <c>POST /v1/ideogram-v3/edit</c> (the result keeps the picture's size; no negative prompt): pictures and masks are
/// JPEG, PNG or WebP up to 10 MB, and the mask is black where the picture is repainted, white where it is kept.
/// </summary>
public static class IdeogramCatalog
{
    public const string ApiVersion = "Ideogram API 3.0 (POST /v1/ideogram-v3/generate, /remix, /edit), read 2026-12-07";

    public const string ModelId = "V_3";

    public static IReadOnlyList<string> AspectRatios { get; } =
        ["1:3", "3:1", "1:2", "2:1", "9:16", "16:9", "10:16", "16:10", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "1:1"];

    public static IReadOnlyList<string> Resolutions { get; } =
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

    public static IReadOnlyList<CloudModel> Models { get; } =
    [
        new()
        {
            Provider = CloudProviderId.Ideogram, Id = ModelId, Name = "Ideogram 3.0", ApiVersion = ApiVersion,
            TakesNegativePrompt = true, Seeds = (0, 2_147_483_647), MaxCount = 8,
            Sizes = Resolutions, AspectRatios = AspectRatios, SizeOrAspectRatio = true,
            Edits = CloudEdits.Image | CloudEdits.Mask,
            EditInput = new CloudEditInput(10L * 1024 * 1024, ["image/png", "image/jpeg", "image/webp"], ["image/png"])
            {
                MaskKeepsSize = true,
                MaskTakesNoNegativePrompt = true,
                TakesImageWeight = true,
            },
            Options =
            [
                CloudOption.Choice("rendering_speed", "Rendering speed", "TURBO", "DEFAULT", "QUALITY"),
                CloudOption.Choice("magic_prompt", "Magic prompt", "AUTO", "ON", "OFF"),
                CloudOption.Choice("style_type", "Style", "AUTO", "GENERAL", "REALISTIC", "DESIGN"),
            ],
        },
    ];
}
