namespace CloudStandIn.OpenAi;

/// <summary>
/// What one OpenAI image model takes, as the Images API reference lists it (read 2026-12-07, see
/// docs/cloud/PROVIDERS.md). An empty list means the model does not take the parameter at all.
/// </summary>
internal sealed record OpenAiModel(
    string Id,
    int MaxPromptLength,
    int MaxN,
    IReadOnlyList<string> Sizes,
    string DefaultSize,
    IReadOnlyList<string> Qualities,
    IReadOnlyList<string> Backgrounds,
    IReadOnlyList<string> OutputFormats,
    IReadOnlyList<string> Styles,
    bool TakesResponseFormat,
    bool RevisesPrompt,
    bool ReportsUsage,
    OpenAiEdits? Edits);

/// <summary>What <c>/v1/images/edits</c> accepts for a model: the images' formats, size and count.</summary>
internal sealed record OpenAiEdits(IReadOnlyList<string> ImageFormats, long MaxImageBytes, int MaxImages, bool SquareOnly);

/// <summary>The models table: one row per model, the only place the stand-in's OpenAI options live.</summary>
internal static class OpenAiModels
{
    /// <summary>The model a request without <c>model</c> gets, as documented for both endpoints.</summary>
    public const string Default = "dall-e-2";

    public static readonly IReadOnlyList<OpenAiModel> All =
    [
        new("gpt-image-1", 32000, 10,
            ["auto", "1024x1024", "1536x1024", "1024x1536"], "auto",
            ["auto", "low", "medium", "high"],
            ["auto", "transparent", "opaque"],
            ["png", "jpeg", "webp"],
            [],
            TakesResponseFormat: false, RevisesPrompt: false, ReportsUsage: true,
            new OpenAiEdits(["png", "jpeg", "webp"], 50L * 1024 * 1024, 16, SquareOnly: false)),
        new("dall-e-3", 4000, 1,
            ["1024x1024", "1792x1024", "1024x1792"], "1024x1024",
            ["auto", "standard", "hd"],
            [],
            [],
            ["vivid", "natural"],
            TakesResponseFormat: true, RevisesPrompt: true, ReportsUsage: false,
            Edits: null),
        new("dall-e-2", 1000, 10,
            ["256x256", "512x512", "1024x1024"], "1024x1024",
            ["auto", "standard"],
            [],
            [],
            [],
            TakesResponseFormat: true, RevisesPrompt: false, ReportsUsage: false,
            new OpenAiEdits(["png"], 4L * 1024 * 1024, 1, SquareOnly: true)),
    ];

    /// <summary>gpt-image-1's output tokens per picture by quality and size (the image generation guide's table); auto is medium.</summary>
    public static readonly IReadOnlyDictionary<(string Quality, string Size), int> GptImageOutputTokens = new Dictionary<(string, string), int>
    {
        [("low", "1024x1024")] = 272,
        [("low", "1024x1536")] = 408,
        [("low", "1536x1024")] = 400,
        [("medium", "1024x1024")] = 1056,
        [("medium", "1024x1536")] = 1584,
        [("medium", "1536x1024")] = 1568,
        [("high", "1024x1024")] = 4160,
        [("high", "1024x1536")] = 6240,
        [("high", "1536x1024")] = 6208,
    };

    public static OpenAiModel? Find(string id) => All.FirstOrDefault(m => m.Id == id);
}
