using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Cloud.Pricing;

/// <summary>One price in force: the list price, and the admin's where one was set.</summary>
public sealed record CloudPrice(CloudListPrice List, decimal? Set)
{
    public decimal UsdPerImage => Set ?? List.UsdPerImage;
}

/// <summary>
/// The prices in force for cloud pictures: the list prices (<see cref="CloudPriceList"/>) with the admins' changes, each
/// stored as a setting <c>Cloud.Price.&lt;model key&gt;</c>. Read once, then kept in memory; a change replaces the snapshot.
/// </summary>
public sealed class CloudPrices(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>The highest price per picture an admin may set (a typo such as 40 for 0.40 is still caught by the budget).</summary>
    public const decimal MaxUsdPerImage = 100m;

    private const string KeyPrefix = "Cloud.Price.";

    private volatile IReadOnlyList<CloudPrice>? _snapshot;

    public async ValueTask<IReadOnlyList<CloudPrice>> CurrentAsync(CancellationToken ct)
    {
        if (_snapshot is { } known)
        {
            return known;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Settings.AsNoTracking().Where(s => s.Key.StartsWith(KeyPrefix)).ToDictionaryAsync(s => s.Key, s => s.Value, StringComparer.Ordinal, ct);
        IReadOnlyList<CloudPrice> prices =
        [
            .. CloudPriceList.Prices.Select(p => new CloudPrice(p,
                stored.TryGetValue(KeyPrefix + p.Key, out var text) && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var set) ? set : null)),
        ];
        return _snapshot = prices;
    }

    /// <summary>What <paramref name="request"/> will cost at the prices in force; null when no price is known for its model.</summary>
    public async ValueTask<CloudEstimate?> EstimateAsync(CloudImageRequest request, CancellationToken ct)
    {
        var prices = await CurrentAsync(ct);
        return CloudPricing.Estimate([.. prices.Select(p => p.List with { UsdPerImage = p.UsdPerImage })], request);
    }

    /// <summary>Sets one price (null: back to the list price). Returns null when done, otherwise what is wrong.</summary>
    public async Task<string?> SetAsync(SignedInUser actor, string key, decimal? usdPerImage, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins set the prices of cloud pictures.");
        }
        if (CloudPriceList.Prices.FirstOrDefault(p => p.Key == key) is not { } list)
        {
            return "There is no such price.";
        }
        if (usdPerImage is < 0 or > MaxUsdPerImage)
        {
            return $"A price per picture is from $0 to {CloudPricing.Format(MaxUsdPerImage)}.";
        }
        if (usdPerImage is { } price && decimal.Round(price, 4) != price)
        {
            return "A price has at most four decimals ($0.0425).";
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (usdPerImage is { } value && value != list.UsdPerImage)
        {
            await AppSettings.WriteAsync(db, KeyPrefix + key, value.ToString(CultureInfo.InvariantCulture), ct);
        }
        else
        {
            await db.Settings.Where(s => s.Key == KeyPrefix + key).ExecuteDeleteAsync(ct);
        }
        _snapshot = null;
        return null;
    }
}
