using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Cloud.Pricing;

/// <summary>The monthly budgets in force, in US dollars; null means no limit.</summary>
/// <param name="Team">What the whole team may spend on cloud pictures in a month.</param>
/// <param name="PerPerson">What each person may spend in a month, unless they have their own.</param>
/// <param name="People">People with a budget of their own (user id → dollars).</param>
public sealed record CloudBudgetSettings(decimal? Team, decimal? PerPerson, IReadOnlyDictionary<string, decimal> People)
{
    public decimal? For(string userId) => People.TryGetValue(userId, out var own) ? own : PerPerson;
}

/// <summary>What has been spent (or reserved by jobs not ended yet) in one month.</summary>
public sealed record CloudSpend(decimal Team, decimal Person);

/// <summary>
/// Monthly budgets for cloud pictures: one for the team, a default per person and a person's own, set by admins and
/// stored as settings. A submit is checked and its cost recorded in one step (<see cref="ReserveAsync"/>), so two
/// submits at once cannot both spend the last dollar. Months are calendar months in UTC; what counts is the cost
/// recorded on each cloud job of the month (<see cref="JobEntity.CostUsd"/>): the estimate at submit, corrected when
/// the job ends (nothing when it was never sent).
/// </summary>
public sealed class CloudBudgets(IDbContextFactory<DreamLayerDbContext> dbFactory, DisplayNames displayNames, TimeProvider time) : IDisposable
{
    /// <summary>The highest budget an admin may set.</summary>
    public const decimal MaxUsd = 1_000_000m;

    private const string TeamKey = "Cloud.Budget.Team";
    private const string PerPersonKey = "Cloud.Budget.PerPerson";
    private const string PersonPrefix = "Cloud.Budget.Person.";

    private readonly SemaphoreSlim _reserve = new(1, 1);
    private volatile CloudBudgetSettings? _snapshot;

    public async ValueTask<CloudBudgetSettings> CurrentAsync(CancellationToken ct)
    {
        if (_snapshot is { } known)
        {
            return known;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Settings.AsNoTracking().Where(s => s.Key.StartsWith("Cloud.Budget.")).ToDictionaryAsync(s => s.Key, s => s.Value, StringComparer.Ordinal, ct);
        var people = stored.Where(s => s.Key.StartsWith(PersonPrefix, StringComparison.Ordinal) && Parse(s.Value) is not null)
            .ToDictionary(s => s.Key[PersonPrefix.Length..], s => Parse(s.Value)!.Value, StringComparer.Ordinal);
        return _snapshot = new CloudBudgetSettings(Parse(stored.GetValueOrDefault(TeamKey)), Parse(stored.GetValueOrDefault(PerPersonKey)), people);
    }

    /// <summary>The first moment of the month <paramref name="at"/> falls in (UTC).</summary>
    public static DateTime MonthStart(DateTime at) => new(at.Year, at.Month, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The month's spend so far, of the team and of one person.</summary>
    public async Task<CloudSpend> SpentAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await SpentAsync(db, userId, ct);
    }

    private async Task<CloudSpend> SpentAsync(DreamLayerDbContext db, string userId, CancellationToken ct)
    {
        var start = MonthStart(time.GetUtcNow().UtcDateTime);
        // Cloud jobs only (a few per person per day): summed here, since SQLite keeps decimals as text.
        var costs = await db.Jobs.AsNoTracking().Where(j => j.CostUsd != null && j.CreatedAt >= start)
            .Select(j => new { j.Owner, Cost = j.CostUsd!.Value }).ToListAsync(ct);
        return new CloudSpend(costs.Sum(c => c.Cost), costs.Where(c => c.Owner == userId).Sum(c => c.Cost));
    }

    /// <summary>
    /// Checks that <paramref name="usd"/> more fits the person's and the team's budgets of this month and, if it does,
    /// runs <paramref name="record"/> (which writes the jobs with their cost) before any other submit is checked.
    /// Returns null when recorded, otherwise why not, with the amounts.
    /// </summary>
    public async Task<string?> ReserveAsync(string userId, decimal usd, Func<Task> record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _reserve.WaitAsync(ct);
        try
        {
            if (await RefusalAsync(userId, usd, ct) is { } refusal)
            {
                return refusal;
            }
            await record();
            return null;
        }
        finally
        {
            _reserve.Release();
        }
    }

    /// <summary>Why <paramref name="usd"/> more would go over a budget of this month, or null when it fits.</summary>
    public async Task<string?> RefusalAsync(string userId, decimal usd, CancellationToken ct)
    {
        var budgets = await CurrentAsync(ct);
        if (budgets.Team is null && budgets.For(userId) is null)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var spent = await SpentAsync(db, userId, ct);
        var month = MonthStart(time.GetUtcNow().UtcDateTime).ToString("MMMM yyyy", CultureInfo.InvariantCulture);
        if (budgets.For(userId) is { } mine && spent.Person + usd > mine)
        {
            return Over("your", mine, spent.Person);
        }
        if (budgets.Team is { } team && spent.Team + usd > team)
        {
            return Over("the team's", team, spent.Team);
        }
        return null;

        string Over(string whose, decimal budget, decimal used) =>
            $"This would cost {CloudPricing.Format(usd)}, which is over {whose} cloud budget for {month}: {CloudPricing.Format(budget)}, " +
            $"of which {CloudPricing.Format(used)} is spent or held by jobs not finished ({CloudPricing.Format(Math.Max(0, budget - used))} left). An admin can raise it under Cloud prices.";
    }

    /// <summary>Everyone a budget of their own can be given to: id and the name the app shows, by name.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> PeopleAsync(CancellationToken ct)
    {
        var names = await displayNames.AllAsync(ct);
        return [.. names.Select(p => (Id: p.Key, Name: p.Value)).OrderBy(p => p.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    public Task<string?> SetTeamAsync(SignedInUser actor, decimal? usd, CancellationToken ct) => SetAsync(actor, TeamKey, usd, ct);

    public Task<string?> SetPerPersonAsync(SignedInUser actor, decimal? usd, CancellationToken ct) => SetAsync(actor, PerPersonKey, usd, ct);

    /// <summary>Gives one person a budget of their own, or (null) puts them back on the per-person budget.</summary>
    public async Task<string?> SetForPersonAsync(SignedInUser actor, string userId, decimal? usd, CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (actor.IsAdmin && !await db.Users.AnyAsync(u => u.Id == userId, ct))
            {
                return "That account no longer exists.";
            }
        }
        return await SetAsync(actor, PersonPrefix + userId, usd, ct);
    }

    private async Task<string?> SetAsync(SignedInUser actor, string key, decimal? usd, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins set cloud budgets.");
        }
        if (usd is < 0 or > MaxUsd)
        {
            return $"A budget is from $0 to {CloudPricing.Format(MaxUsd)} a month (leave it empty for no limit).";
        }
        if (usd is { } value && decimal.Round(value, 2) != value)
        {
            return "A budget is in dollars and cents ($25.50).";
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (usd is { } amount)
        {
            await AppSettings.WriteAsync(db, key, amount.ToString(CultureInfo.InvariantCulture), ct);
        }
        else
        {
            await db.Settings.Where(s => s.Key == key).ExecuteDeleteAsync(ct);
        }
        _snapshot = null;
        return null;
    }

    public void Dispose() => _reserve.Dispose();

    private static decimal? Parse(string? text) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : null;
}
