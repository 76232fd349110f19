namespace DreamLayer.Web.Cloud.Bfl;

/// <summary>
/// The FLUX models of Black Forest Labs and what each takes: the one place they live. Followed: BFL's API reference
/// (*FLUX 1.1 [pro]*, *FLUX 1.1 [pro] Ultra*, *Get Result*, *Errors*) and ComfyUI's client models of the same API
/// (<c>comfy_api_nodes/apis/bfl.py</c>), read 2026-12-07 (see docs/cloud/PROVIDERS.md). One task makes one picture.
/// FLUX.1 Kontext [pro] and [max] (<c>POST /v1/flux-kontext-pro</c>, <c>/v1/flux-kontext-max</c>) make a picture from
/// a prompt, or change the picture sent as <c>input_image</c> (base64) as the prompt says; with a picture their
/// <c>safety_tolerance</c> goes to 2 at most.
/// </summary>
public static class BflCatalog
{
    public const string ApiVersion = "BFL API v1 (POST /v1/{model}, GET /v1/get_result), read 2026-12-07";

    /// <summary>
    /// BFL answers a JPEG unless asked otherwise; the app stores every picture as a PNG (with its <c>parameters</c>
    /// chunk), so left empty it asks for a PNG: no JPEG artefacts baked in, and no decoding and re-encoding on the way
    /// (about 80 ms a picture). A person who wants BFL's smaller JPEG still chooses it.
    /// </summary>
    private static readonly CloudOption Format = CloudOption.Choice("output_format", "Format", "png", "jpeg") with { AppDefault = "png" };

    private static readonly IReadOnlyList<CloudOption> Common =
    [
        CloudOption.Number("safety_tolerance", "Safety tolerance", 0, 6),
        CloudOption.Flag("prompt_upsampling", "Prompt upsampling"),
        Format,
    ];

    private static readonly IReadOnlyList<CloudOption> KontextEdit =
    [
        CloudOption.Number("safety_tolerance", "Safety tolerance", 0, 2),
        CloudOption.Flag("prompt_upsampling", "Prompt upsampling"),
        Format,
    ];

    /// <summary>What Kontext takes with a picture: PNG, JPEG or WebP up to 20 MB (the app's bound: BFL's schema states none).</summary>
    private static readonly CloudEditInput KontextInput = new(20L * 1024 * 1024, ["image/png", "image/jpeg", "image/webp"], []) { Options = KontextEdit };

    public static IReadOnlyList<CloudModel> Models { get; } =
    [
        new()
        {
            Provider = CloudProviderId.Bfl, Id = "flux-pro-1.1", Name = "FLUX 1.1 [pro]", ApiVersion = ApiVersion,
            Seeds = (0, long.MaxValue), PixelRange = new CloudPixelRange(256, 1440, 32), Options = Common,
        },
        new()
        {
            Provider = CloudProviderId.Bfl, Id = "flux-pro-1.1-ultra", Name = "FLUX 1.1 [pro] Ultra", ApiVersion = ApiVersion,
            Seeds = (0, long.MaxValue), MaxAspectRatio = 21.0 / 9.0, Options = [.. Common, CloudOption.Flag("raw", "Raw")],
        },
        new()
        {
            Provider = CloudProviderId.Bfl, Id = "flux-kontext-pro", Name = "FLUX.1 Kontext [pro]", ApiVersion = ApiVersion,
            Seeds = (0, long.MaxValue), MaxAspectRatio = 21.0 / 9.0, Options = Common, Edits = CloudEdits.Image, EditInput = KontextInput,
        },
        new()
        {
            Provider = CloudProviderId.Bfl, Id = "flux-kontext-max", Name = "FLUX.1 Kontext [max]", ApiVersion = ApiVersion,
            Seeds = (0, long.MaxValue), MaxAspectRatio = 21.0 / 9.0, Options = Common, Edits = CloudEdits.Image, EditInput = KontextInput,
        },
    ];
}
