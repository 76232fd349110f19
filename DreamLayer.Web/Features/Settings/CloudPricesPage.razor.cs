using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Settings;

/// <summary>
/// Admins set the price counted per cloud picture (the list price unless changed) and the monthly budgets: the team's,
/// each person's, and some people's own. Every change is checked again on the server (<see cref="CloudPrices"/>,
/// <see cref="CloudBudgets"/>).
/// </summary>
public sealed partial class CloudPricesPage
{
    [Inject] private CloudPrices Prices { get; set; } = default!;
    [Inject] private CloudBudgets Budgets { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private IReadOnlyList<CloudPrice> _prices = [];
    private readonly Dictionary<string, decimal?> _entered = new(StringComparer.Ordinal);
    private IReadOnlyList<(string Id, decimal Usd)> _people = [];
    private IReadOnlyList<(string Id, string Name)> _names = [];
    private decimal? _team;
    private decimal? _perPerson;
    private string? _personId;
    private decimal? _personUsd;
    private string? _budgetError;
    private string? _priceError;
    private bool _busy;

    protected override async Task OnInitializedAsync()
    {
        _names = await Budgets.PeopleAsync(CancellationToken.None);
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        _prices = await Prices.CurrentAsync(CancellationToken.None);
        var budgets = await Budgets.CurrentAsync(CancellationToken.None);
        (_team, _perPerson) = (budgets.Team, budgets.PerPerson);
        _people = [.. budgets.People.Select(p => (p.Key, p.Value)).OrderBy(p => NameOf(p.Key), StringComparer.CurrentCultureIgnoreCase)];
    }

    private string NameOf(string id) => _names.FirstOrDefault(n => n.Id == id).Name ?? "(deleted account)";

    private decimal? Entered(CloudPrice price) => _entered.TryGetValue(price.List.Key, out var typed) ? typed : price.UsdPerImage;

    private static string ProviderName(CloudProviderId provider) => CloudCatalog.NameOf(provider);

    private static string ModelName(CloudListPrice price) => CloudCatalog.Find(price.Provider, price.Model)?.Name ?? price.Model;

    private async Task SaveBudgetsAsync()
    {
        await RunAsync(async actor =>
            await Budgets.SetTeamAsync(actor, _team, CancellationToken.None) ?? await Budgets.SetPerPersonAsync(actor, _perPerson, CancellationToken.None),
            e => _budgetError = e, "Budgets saved.");
    }

    private async Task SetPersonAsync(string? id, decimal? usd)
    {
        if (id is null)
        {
            return;
        }
        await RunAsync(actor => Budgets.SetForPersonAsync(actor, id, usd, CancellationToken.None), e => _budgetError = e,
            usd is null ? $"{NameOf(id)} has the per-person budget again." : $"{NameOf(id)} now has {CloudPricing.Format(usd.Value)} a month.");
        if (_budgetError is null)
        {
            (_personId, _personUsd) = (null, null);
        }
    }

    private async Task SetPriceAsync(string key, decimal? usd)
    {
        if (usd is null && _entered.TryGetValue(key, out var typed) && typed is null && _prices.First(p => p.List.Key == key).Set is null)
        {
            _priceError = "Type a price, or keep the list price.";
            return;
        }
        await RunAsync(actor => Prices.SetAsync(actor, key, usd, CancellationToken.None), e => _priceError = e, usd is null ? "Back to the list price." : "Price saved.");
        if (_priceError is null)
        {
            _entered.Remove(key);
        }
    }

    private async Task RunAsync(Func<SignedInUser, Task<string?>> change, Action<string?> showError, string done)
    {
        _busy = true;
        try
        {
            var error = await change(await CurrentUser.GetAsync());
            showError(error);
            if (error is null)
            {
                Snackbar.Add(done, Severity.Success);
            }
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }
}
