using DreamLayer.Web.Accounts;
using Microsoft.AspNetCore.Components.Authorization;

namespace DreamLayer.Web.Components.Shared;

/// <summary>
/// The theme of this circuit (registered scoped): read from the person's account when the layout first renders,
/// stored in it whenever they switch, and announced to the layout when the preferences page changes it.
/// </summary>
public sealed class ThemeState(PersonalPreferences preferences, AuthenticationStateProvider authentication)
{
    private bool _loaded;

    public bool IsDark { get; private set; } = true;

    /// <summary>Raised after <see cref="IsDark"/> changed.</summary>
    public event Action? Changed;

    /// <summary>Reads the person's theme once per circuit (cheap afterwards); no one signed in keeps the dark default.</summary>
    public async Task LoadAsync(CancellationToken ct)
    {
        if (_loaded)
        {
            return;
        }
        if (await UserAsync() is { } user)
        {
            IsDark = (await preferences.GetAsync(user.Id, ct)).DarkTheme;
        }
        _loaded = true;
    }

    /// <summary>Switches the theme for this circuit and remembers it in the account.</summary>
    public async Task SetAsync(bool dark, CancellationToken ct)
    {
        if (await UserAsync() is { } user)
        {
            await preferences.SetThemeAsync(user.Id, dark, ct);
        }
        Show(dark);
    }

    /// <summary>Shows <paramref name="dark"/> in this circuit without storing it (already stored by the caller).</summary>
    public void Show(bool dark)
    {
        _loaded = true;
        if (IsDark != dark)
        {
            IsDark = dark;
            Changed?.Invoke();
        }
    }

    private async Task<SignedInUser?> UserAsync() => SignedInUser.From((await authentication.GetAuthenticationStateAsync()).User);
}
