using DreamLayer.Web.Accounts;
using DreamLayer.Web.Security;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Settings;

/// <summary>
/// Admins set the keys the app sends to other services (<see cref="KeyProviders.All"/>). The page never holds a stored
/// key: it shows <see cref="KeyStatus"/> (the last four characters), and a typed key leaves the page's memory once saved.
/// </summary>
public sealed partial class KeysPage
{
    [Inject] private ProviderKeys Keys { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private readonly Dictionary<string, string?> _entered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _errors = new(StringComparer.Ordinal);
    private IReadOnlyList<KeyStatus> _statuses = [];
    private bool _busy;

    protected override async Task OnInitializedAsync() => _statuses = await Keys.StatusAsync(CancellationToken.None);

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
            _statuses = await Keys.StatusAsync(CancellationToken.None);
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
            _statuses = await Keys.StatusAsync(CancellationToken.None);
            Snackbar.Add($"{provider.Name} key removed.", Severity.Info);
        }
        finally
        {
            _busy = false;
        }
    }
}
