using System.Collections.Concurrent;
using System.Security.Claims;
using DreamLayer.Web.Data;
using DreamLayer.Web.Events;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// Decides whether a sign-in is still good: the account exists, is not disabled, and its security stamp is the
/// one the cookie was issued with (changing a password or role, resetting or disabling renews the stamp).
/// Checked on every request and in every open circuit, so it keeps each user's stamp in memory; every change
/// to a user goes through <see cref="DreamLayerUserManager"/>, which calls <see cref="Changed"/>.
/// </summary>
public sealed class AccountAccess(IDbContextFactory<DreamLayerDbContext> dbFactory, IOptions<IdentityOptions> identity, ILogger<AccountAccess>? logger = null)
{
    private readonly ConcurrentDictionary<string, string?> _stamps = new(StringComparer.Ordinal);
    private readonly Topic<string> _changes = new("account changes", logger);
    private long _generation;

    public async ValueTask<bool> IsValidAsync(ClaimsPrincipal principal, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.FindFirstValue(ClaimTypes.NameIdentifier) is not { Length: > 0 } id)
        {
            return false;
        }
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        if (!_stamps.TryGetValue(id, out var current))
        {
            var generation = Interlocked.Read(ref _generation);
            current = await LoadStampAsync(id, ct);
            if (Interlocked.Read(ref _generation) == generation)
            {
                _stamps.TryAdd(id, current);
            }
        }
        return current is not null && string.Equals(current, stamp, StringComparison.Ordinal);
    }

    /// <summary>A user was changed or deleted: forget what is known and tell open circuits to check again.</summary>
    public void Changed(string userId)
    {
        Interlocked.Increment(ref _generation);
        _stamps.TryRemove(userId, out _);
        _changes.Publish(userId);
    }

    /// <summary>Called with the user's id whenever a user changes; dispose to stop.</summary>
    public IDisposable Subscribe(Action<string> onChanged) => _changes.Subscribe(onChanged);

    private async Task<string?> LoadStampAsync(string id, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.SecurityStamp, u.IsDisabled }).SingleOrDefaultAsync(ct);
        return user is null || user.IsDisabled ? null : user.SecurityStamp;
    }
}
