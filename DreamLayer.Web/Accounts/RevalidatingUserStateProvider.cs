using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// The authentication state of one circuit. It is checked again every <see cref="AccountOptions.RevalidationInterval"/>
/// and at once when an admin changes this user, so a disabled or deleted person loses an open page.
/// </summary>
internal sealed partial class RevalidatingUserStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private readonly AccountAccess _access;
    private readonly TimeSpan _interval;
    private IDisposable? _subscription;
    private readonly ILogger<RevalidatingUserStateProvider> _logger;

    public RevalidatingUserStateProvider(ILoggerFactory loggerFactory, AccountAccess access, IOptions<AccountOptions> options)
        : base(loggerFactory)
    {
        _access = access;
        _logger = loggerFactory.CreateLogger<RevalidatingUserStateProvider>();
        _interval = options.Value.RevalidationInterval;
    }

    /// <summary>
    /// From now on, a change to this user is checked at once. Only live circuits watch: a static page (such as
    /// change password, which renews the stamp itself) is one request, already checked by the cookie.
    /// </summary>
    public void WatchChanges() => _subscription ??= _access.Subscribe(OnUserChanged);

    protected override TimeSpan RevalidationInterval => _interval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        await _access.IsValidAsync(authenticationState.User, cancellationToken);

    private void OnUserChanged(string userId) => _ = RecheckSafelyAsync(userId);

    /// <summary>Nobody awaits a recheck: a failure is logged (the next periodic check tries again), never lost.</summary>
    private async Task RecheckSafelyAsync(string userId)
    {
        try
        {
            await RecheckAsync(userId);
        }
#pragma warning disable CA1031 // raised from an admin's action on another circuit: it must neither vanish nor reach that circuit
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRecheckFailed(userId, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not check the account {UserId} again after it changed")]
    private partial void LogRecheckFailed(string userId, Exception ex);

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
            _subscription?.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Starts <see cref="RevalidatingUserStateProvider.WatchChanges"/> when a circuit opens.</summary>
internal sealed class AccountCircuitHandler(AuthenticationStateProvider provider) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        (provider as RevalidatingUserStateProvider)?.WatchChanges();
        return Task.CompletedTask;
    }
}
