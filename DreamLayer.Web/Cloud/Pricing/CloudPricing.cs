namespace DreamLayer.Web.Cloud.Pricing;

/// <summary>What a cloud request will cost, before it is sent: the price per picture and how many pictures.</summary>
/// <param name="UsdPerImage">The price of one picture as asked.</param>
/// <param name="Images">How many pictures the request makes.</param>
/// <param name="Variant">Which price applied ("high, 1536x1024"), or what was assumed when the provider chooses.</param>
/// <param name="EditUsd">What an edit costs beyond its pictures, once per request (<see cref="CloudPriceList.EditInputUsd"/>).</param>
public sealed record CloudEstimate(decimal UsdPerImage, int Images, string Variant, decimal EditUsd = 0m)
{
    public decimal Usd => (UsdPerImage * Images) + EditUsd;
}

/// <summary>
/// Prices a cloud request from a table of prices (the list prices, or an admin's): the price of the model's tier and
/// size as asked. Where the request leaves a choice to the provider (<c>auto</c>, or nothing given), the highest price
/// it could choose is assumed, so a budget is never exceeded by what the provider picks.
/// </summary>
public static class CloudPricing
{
    /// <summary>The estimate, or null when the table holds no price for the model (a model added since: refused at submit).</summary>
    public static CloudEstimate? Estimate(IReadOnlyList<CloudListPrice> prices, CloudImageRequest request)
    {
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(request);
        var tier = CloudPriceList.TierOption.TryGetValue(request.Model, out var option) && request.Options.TryGetValue(option, out var chosen)
            ? Chosen(chosen)
            : null;
        var size = Chosen(request.Size);
        var candidates = prices
            .Where(p => p.Model == request.Model)
            .Where(p => tier is null || p.Tier is null || string.Equals(p.Tier, tier, StringComparison.OrdinalIgnoreCase))
            .Where(p => size is null || p.Size is null || string.Equals(p.Size, size, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (candidates.Count == 0)
        {
            return null;
        }
        var price = candidates.MaxBy(p => p.UsdPerImage)!;
        var images = Math.Max(1, request.Count);
        var exact = candidates.Count == 1;
        var editUsd = request.IsEdit ? CloudPriceList.EditInputUsd.GetValueOrDefault(request.Model) : 0m;
        return new CloudEstimate(price.UsdPerImage, images, exact ? price.Variant : $"{price.Variant} (the highest the provider may choose)", editUsd);
    }

    private static string? Chosen(string? value) =>
        string.IsNullOrWhiteSpace(value) || string.Equals(value, "auto", StringComparison.OrdinalIgnoreCase) ? null : value.Trim();

    /// <summary>An amount of US dollars as people read it: cents always, tenths of a cent where they matter ($0.042).</summary>
    public static string Format(decimal usd) =>
        decimal.Round(usd, 2) == usd
            ? usd.ToString("$#,##0.00", System.Globalization.CultureInfo.InvariantCulture)
            : usd.ToString("$#,##0.00##", System.Globalization.CultureInfo.InvariantCulture);
}
