namespace DreamLayer.Web.Cloud.Pricing;

/// <summary>
/// One price of one cloud model, in US dollars per picture: for one value of the model's priced option
/// (<see cref="CloudPriceList.TierOption"/>: OpenAI's <c>quality</c>, Ideogram's <c>rendering_speed</c>) and one size,
/// where the provider's price depends on them; null where it does not.
/// </summary>
public sealed record CloudListPrice(CloudProviderId Provider, string Model, decimal UsdPerImage, string? Tier = null, string? Size = null)
{
    /// <summary>The key an admin's price is stored under: model, tier and size.</summary>
    public string Key => $"{Provider}/{Model}/{Tier}/{Size}";

    /// <summary>What this price is for, in words ("high, 1536x1024"; "every picture").</summary>
    public string Variant => (Tier, Size) switch
    {
        (null, null) => "every picture",
        ({ } tier, null) => tier,
        (null, { } size) => size,
        ({ } tier, { } size) => $"{tier}, {size}",
    };
}

/// <summary>
/// The providers' published list prices per picture, the one place they live; an admin's price replaces any of them
/// (<see cref="CloudPrices"/>). Read on <see cref="ReadOn"/> from each provider's pricing page
/// (<see cref="Sources"/>); prices change, so the settings page shows this date beside them.
/// </summary>
public static class CloudPriceList
{
    /// <summary>When the list prices below were read.</summary>
    public const string ReadOn = "2026-12-07";

    public static IReadOnlyDictionary<CloudProviderId, string> Sources { get; } = new Dictionary<CloudProviderId, string>
    {
        [CloudProviderId.OpenAi] = "https://platform.openai.com/docs/pricing",
        [CloudProviderId.Ideogram] = "https://ideogram.ai/features/api-pricing",
        [CloudProviderId.Bfl] = "https://docs.bfl.ai/quick_start/pricing",
    };

    /// <summary>The option whose value picks the price, per model; absent for models with one price (per size).</summary>
    public static IReadOnlyDictionary<string, string> TierOption { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["gpt-image-1"] = "quality",
        ["dall-e-3"] = "quality",
        ["V_3"] = "rendering_speed",
    };

    public static IReadOnlyList<CloudListPrice> Prices { get; } =
    [
        // gpt-image-1: by quality and size (a square picture costs less than a wide or tall one).
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.011m, "low", "1024x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.016m, "low", "1536x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.016m, "low", "1024x1536"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.042m, "medium", "1024x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.063m, "medium", "1536x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.063m, "medium", "1024x1536"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.167m, "high", "1024x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.25m, "high", "1536x1024"),
        new(CloudProviderId.OpenAi, "gpt-image-1", 0.25m, "high", "1024x1536"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.04m, "standard", "1024x1024"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.08m, "standard", "1792x1024"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.08m, "standard", "1024x1792"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.08m, "hd", "1024x1024"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.12m, "hd", "1792x1024"),
        new(CloudProviderId.OpenAi, "dall-e-3", 0.12m, "hd", "1024x1792"),
        new(CloudProviderId.OpenAi, "dall-e-2", 0.016m, Size: "256x256"),
        new(CloudProviderId.OpenAi, "dall-e-2", 0.018m, Size: "512x512"),
        new(CloudProviderId.OpenAi, "dall-e-2", 0.02m, Size: "1024x1024"),
        // Ideogram 3.0: by rendering speed, whatever the size.
        new(CloudProviderId.Ideogram, "V_3", 0.03m, "TURBO"),
        new(CloudProviderId.Ideogram, "V_3", 0.06m, "DEFAULT"),
        new(CloudProviderId.Ideogram, "V_3", 0.09m, "QUALITY"),
        // FLUX: one price per picture; Kontext the same whether it makes or changes a picture.
        new(CloudProviderId.Bfl, "flux-pro-1.1", 0.04m),
        new(CloudProviderId.Bfl, "flux-pro-1.1-ultra", 0.06m),
        new(CloudProviderId.Bfl, "flux-kontext-pro", 0.04m),
        new(CloudProviderId.Bfl, "flux-kontext-max", 0.08m),
    ];

    /// <summary>
    /// What an edit costs beyond its pictures, once per request, for the models whose edit prices differ from their
    /// generation prices. gpt-image-1 bills the input picture as image input tokens ($10 per million): at most 839
    /// tokens for a picture of up to 1536x1024 at the default (low) input fidelity, counted as $0.01. Ideogram's remix
    /// and edit and FLUX Kontext cost the same per picture as a generation.
    /// </summary>
    public static IReadOnlyDictionary<string, decimal> EditInputUsd { get; } = new Dictionary<string, decimal>(StringComparer.Ordinal)
    {
        ["gpt-image-1"] = 0.01m,
    };
}
