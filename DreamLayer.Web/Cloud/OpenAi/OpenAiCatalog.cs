namespace DreamLayer.Web.Cloud.OpenAi;

/// <summary>
/// OpenAI's image models and what each takes: the one place they live. Followed: the Images API reference, *Create
/// image* (<c>POST /v1/images/generations</c>), *Create image edit* (<c>POST /v1/images/edits</c>) and the
/// <c>CreateImageRequest</c> and <c>CreateImageEditRequest</c> schemas, read 2026-12-07 (see docs/cloud/PROVIDERS.md).
/// OpenAI's image models take no seed and no negative prompt. gpt-image-1's edits take PNG, JPEG or WebP pictures under
/// 50 MB and a PNG mask under 4 MB of the picture's size, and no <c>moderation</c>.
/// </summary>
public static class OpenAiCatalog
{
    public const string ApiVersion = "OpenAI Images API v1 (POST /v1/images/generations, POST /v1/images/edits), read 2026-12-07";

    private static readonly CloudOption[] GptImageEditOptions =
    [
        CloudOption.Choice("quality", "Quality", "auto", "low", "medium", "high"),
        CloudOption.Choice("background", "Background", "auto", "transparent", "opaque"),
        CloudOption.Choice("output_format", "Format", "png", "jpeg", "webp"),
        CloudOption.Number("output_compression", "Compression", 0, 100),
    ];

    public static IReadOnlyList<CloudModel> Models { get; } =
    [
        new()
        {
            Provider = CloudProviderId.OpenAi, Id = "gpt-image-1", Name = "gpt-image-1", ApiVersion = ApiVersion,
            MaxPromptLength = 32_000, MaxCount = 10, Edits = CloudEdits.Image | CloudEdits.Mask,
            Sizes = ["auto", "1024x1024", "1536x1024", "1024x1536"],
            Options = [.. GptImageEditOptions, CloudOption.Choice("moderation", "Moderation", "auto", "low")],
            EditInput = new CloudEditInput(50L * 1024 * 1024, ["image/png", "image/jpeg", "image/webp"], ["image/png"])
            {
                MaxMaskBytes = 4L * 1024 * 1024,
                Options = GptImageEditOptions,
            },
        },
        new()
        {
            Provider = CloudProviderId.OpenAi, Id = "dall-e-3", Name = "DALL·E 3", ApiVersion = ApiVersion,
            MaxPromptLength = 4_000, MaxCount = 1,
            Sizes = ["1024x1024", "1792x1024", "1024x1792"],
            Options =
            [
                CloudOption.Choice("quality", "Quality", "auto", "standard", "hd"),
                CloudOption.Choice("style", "Style", "vivid", "natural"),
            ],
        },
        new()
        {
            Provider = CloudProviderId.OpenAi, Id = "dall-e-2", Name = "DALL·E 2", ApiVersion = ApiVersion,
            MaxPromptLength = 1_000, MaxCount = 10,
            Sizes = ["256x256", "512x512", "1024x1024"],
            Options = [CloudOption.Choice("quality", "Quality", "auto", "standard")],
        },
    ];
}
