using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud.Pricing;
using Microsoft.AspNetCore.Components;

namespace DreamLayer.Web.Features.Usage;

/// <summary>
/// The usage of one person (their own page) or of everyone (the team's page, admins only: the page's attribute, and
/// <see cref="UsageEndpoints"/> for the export, check it on the server).
/// </summary>
public sealed partial class UsageView
{
    [Inject] private CloudUsage Usage { get; set; } = default!;
    [Inject] private CloudBudgets Budgets { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private TimeProvider Clock { get; set; } = default!;

    /// <summary>True: everyone's usage (admins); false: the signed-in person's.</summary>
    [Parameter]
    public bool Everyone { get; set; }

    private IReadOnlyList<CloudUsageRow>? _rows;
    private int _months = 1;
    private decimal _spent;
    private decimal? _limit;
    private bool _loaded;

    private string ExportUrl => $"{(Everyone ? UsageEndpoints.TeamCsv : UsageEndpoints.OwnCsv)}?months={_months}";

    protected override async Task OnParametersSetAsync() => await LoadAsync();

    private async Task ChangeMonthsAsync(int months)
    {
        _months = months;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var me = await CurrentUser.GetAsync();
        var (from, to) = UsageEndpoints.Period(Clock.GetUtcNow().UtcDateTime, _months);
        _rows = await Usage.RowsAsync(from, to, Everyone ? null : me.Id, CancellationToken.None);
        var spent = await Budgets.SpentAsync(me.Id, CancellationToken.None);
        var budgets = await Budgets.CurrentAsync(CancellationToken.None);
        _spent = Everyone ? spent.Team : spent.Person;
        _limit = Everyone ? budgets.Team : budgets.For(me.Id);
        _loaded = true;
    }
}
