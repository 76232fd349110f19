using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Generation;

/// <summary>What is left of the tighter of a person's monthly cloud budgets (their own, the team's), in words and dollars.</summary>
/// <param name="Usd">Dollars left this month (never below zero).</param>
/// <param name="Text">"$4.20 left of your $5.00 cloud budget for December 2026."</param>
public sealed record CloudBudgetLeft(decimal Usd, string Text);

/// <summary>
/// The cloud models a generation form offers a person: those of the providers with a key that do what the page does,
/// the prices in force to show what a submit costs, and what is left of the person's budget (null when none is set).
/// </summary>
public sealed record CloudOffer(IReadOnlyList<CloudModel> Models, IReadOnlyList<CloudListPrice> Prices, CloudBudgetLeft? Budget)
{
    public static CloudOffer None { get; } = new([], [], null);

    /// <summary>The models a page of <paramref name="mode"/> offers: every model on Txt2Img, those that edit a picture on Img2Img, those that take a mask on Inpaint.</summary>
    public static bool Fits(CloudModel model, GenerationMode mode)
    {
        ArgumentNullException.ThrowIfNull(model);
        return mode switch
        {
            GenerationMode.Txt2Img => true,
            GenerationMode.Img2Img => model.Edits.HasFlag(CloudEdits.Image),
            GenerationMode.Inpaint => model.Edits.HasFlag(CloudEdits.Mask),
            _ => false,
        };
    }

    /// <summary>
    /// Puts aside a cloud model chosen earlier (the last job's, a reused image's) that this page no longer offers: its
    /// provider lost its key, or the model does not do what the page does. The form then shows its checkpoint.
    /// </summary>
    public void Fit(CloudFormModel form)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (form.Model is { } chosen && !Models.Contains(chosen))
        {
            form.Clear();
        }
    }

    /// <summary>What the picker shows beside a model: its price per picture, or the lowest when it depends on what is asked.</summary>
    public string PriceLabel(CloudModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var prices = Prices.Where(p => p.Provider == model.Provider && p.Model == model.Id).Select(p => p.UsdPerImage).Distinct().ToList();
        return prices.Count switch
        {
            0 => "paid, no price set",
            1 => $"{CloudPricing.Format(prices[0])} a picture",
            _ => $"from {CloudPricing.Format(prices.Min())} a picture",
        };
    }

    /// <summary>What a request with these cloud settings will cost, as the queue will price it; null when no price is known for its model.</summary>
    public CloudEstimate? Estimate(CloudSetting cloud)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        return CloudPricing.Estimate(Prices, CloudBackends.ToCloudRequest(new GenerationRequest(), cloud, null));
    }
}

/// <summary>Reads a <see cref="CloudOffer"/> for a person and a page: enabled providers, prices in force, budget left.</summary>
public sealed class CloudOffers(CloudBackends backends, CloudPrices prices, CloudBudgets budgets, TimeProvider time)
{
    public async Task<CloudOffer> ForAsync(string userId, GenerationMode mode, CancellationToken ct)
    {
        var enabled = await backends.EnabledAsync(ct);
        var models = CloudCatalog.All.Where(m => enabled.Contains(m.Provider) && CloudOffer.Fits(m, mode)).ToList();
        if (models.Count == 0)
        {
            return CloudOffer.None;
        }
        IReadOnlyList<CloudListPrice> inForce = [.. (await prices.CurrentAsync(ct)).Select(p => p.List with { UsdPerImage = p.UsdPerImage })];
        return new CloudOffer(models, inForce, await BudgetLeftAsync(userId, ct));
    }

    private async Task<CloudBudgetLeft?> BudgetLeftAsync(string userId, CancellationToken ct)
    {
        var set = await budgets.CurrentAsync(ct);
        if (set.Team is null && set.For(userId) is null)
        {
            return null;
        }
        var spent = await budgets.SpentAsync(userId, ct);
        var month = CloudBudgets.MonthStart(time.GetUtcNow().UtcDateTime).ToString("MMMM yyyy", CultureInfo.InvariantCulture);
        var candidates = new List<(decimal Left, string Text)>();
        if (set.For(userId) is { } mine)
        {
            candidates.Add(Left(mine, spent.Person, "your"));
        }
        if (set.Team is { } team)
        {
            candidates.Add(Left(team, spent.Team, "the team's"));
        }
        var tightest = candidates.MinBy(c => c.Left);
        return new CloudBudgetLeft(tightest.Left, tightest.Text);

        (decimal, string) Left(decimal budget, decimal used, string whose)
        {
            var left = Math.Max(0, budget - used);
            return (left, $"{CloudPricing.Format(left)} left of {whose} {CloudPricing.Format(budget)} cloud budget for {month}.");
        }
    }
}
