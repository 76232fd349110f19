using DreamLayer.Web.Accounts;
using DreamLayer.Web.Security;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Settings;

/// <summary>
/// Admins set the keys the app sends to other services (<see cref="KeyProviders.All"/>). The page never holds a stored
/// key: it shows <see cref="KeyStatus"/> (the last four characters), and a typed key leaves the page's memory once saved.
/// <b>Test</b> asks the provider whether the key works (<see cref="KeyChecks"/>, admins only, checked again on the
/// server) and shows the last answer, in words, with when it was checked.
/// </summary>
public sealed partial class KeysPage
{
    [Inject] private ProviderKeys Keys { get; set; } = default!;
    [Inject] private KeyChecks Checks { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private readonly Dictionary<string, string?> _entered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);
    private readonly HashSet<string> _testing = new(StringComparer.Ordinal);
    private IReadOnlyList<KeyStatus> _statuses = [];
    private IReadOnlyDictionary<string, KeyCheckResult> _checks = new Dictionary<string, KeyCheckResult>();
    private bool _busy;

    protected override async Task OnInitializedAsync() => await ReloadAsync();

    private async Task ReloadAsync()
    {
        _statuses = await Keys.StatusAsync(CancellationToken.None);
        _checks = await Checks.LastAsync(CancellationToken.None);
    }

    /// <summary>The last check of the key shown now; a check of another key (one set in the configuration since) is not its.</summary>
    private KeyCheckResult? LastCheck(KeyStatus status) =>
        _checks.TryGetValue(status.Provider.Id, out var last) && last.Masked == status.Masked ? last : null;

    private static Severity SeverityOf(KeyCheckOutcome outcome) => outcome switch
    {
        KeyCheckOutcome.Valid => Severity.Success,
        KeyCheckOutcome.Refused or KeyCheckOutcome.NoCredit => Severity.Error,
        _ => Severity.Warning,
    };

    private async Task TestAsync(KeyProvider provider)
    {
        _testing.Add(provider.Id);
        try
        {
            var actor = await CurrentUser.GetAsync();
            await Checks.TestAsync(actor.IsAdmin, provider, CancellationToken.None);
            await ReloadAsync();
        }
        finally
        {
            _testing.Remove(provider.Id);
        }
    }

    private string? Entered(KeyProvider provider) => _entered.GetValueOrDefault(provider.Id);

    private async Task SaveAsync(KeyProvider provider)
    {
        _busy = true;
        try
        {
            var actor = await CurrentUser.GetAsync();
            _errors.Remove(provider.Id);
            if (await Keys.SetAsync(actor.IsAdmin, provider, Entered(provider), CancellationToken.None) is { } error)
            {
                _errors[provider.Id] = error;
                return;
            }
            _entered.Remove(provider.Id);
            await ReloadAsync();
            Snackbar.Add($"{provider.Name} key saved.", Severity.Success);
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RemoveAsync(KeyProvider provider)
    {
        _busy = true;
        try
        {
            var actor = await CurrentUser.GetAsync();
            await Keys.RemoveAsync(actor.IsAdmin, provider, CancellationToken.None);
            await ReloadAsync();
            Snackbar.Add($"{provider.Name} key removed.", Severity.Info);
        }
        finally
        {
            _busy = false;
        }
    }
}
