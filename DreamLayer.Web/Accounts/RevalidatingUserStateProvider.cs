using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// The authentication state of one circuit. It is checked again every <see cref="AccountOptions.RevalidationInterval"/>
/// and at once when an admin changes this user, so a disabled or deleted person loses an open page.
/// </summary>
internal sealed class RevalidatingUserStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private readonly AccountAccess _access;
    private readonly TimeSpan _interval;
    private readonly IDisposable _subscription;

    public RevalidatingUserStateProvider(ILoggerFactory loggerFactory, AccountAccess access, IOptions<AccountOptions> options)
        : base(loggerFactory)
    {
        _access = access;
        _interval = options.Value.RevalidationInterval;
        _subscription = access.Subscribe(OnUserChanged);
    }

    protected override TimeSpan RevalidationInterval => _interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        await _access.IsValidAsync(authenticationState.User, cancellationToken);

    private void OnUserChanged(string userId) => _ = RecheckAsync(userId);

    private async Task RecheckAsync(string userId)
    {
        var state = await GetAuthenticationStateAsync();
        if (state.User.FindFirstValue(ClaimTypes.NameIdentifier) == userId && !await _access.IsValidAsync(state.User, CancellationToken.None))
        {
            SetAuthenticationState(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _subscription.Dispose();
        }
        base.Dispose(disposing);
    }
}
