namespace DreamLayer.Web.Cloud.Bfl;

/// <summary>
/// The FLUX models of Black Forest Labs and what each takes: the one place they live. Followed: BFL's API reference
/// (*FLUX 1.1 [pro]*, *FLUX 1.1 [pro] Ultra*, *Get Result*, *Errors*) and ComfyUI's client models of the same API
/// (<c>comfy_api_nodes/apis/bfl.py</c>), read 2026-12-07 (see docs/cloud/PROVIDERS.md). One task makes one picture.
/// </summary>
public static class BflCatalog
{
    public const string ApiVersion = "BFL API v1 (POST /v1/{model}, GET /v1/get_result), read 2026-12-07";

    private static readonly IReadOnlyList<CloudOption> Common =
    [
        CloudOption.Number("safety_tolerance", "Safety tolerance", 0, 6),
        CloudOption.Flag("prompt_upsampling", "Prompt upsampling"),
        CloudOption.Choice("output_format", "Format", "jpeg", "png"),
    ];

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
    ];
}
