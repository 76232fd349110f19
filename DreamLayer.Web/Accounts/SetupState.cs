using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// Whether the first admin exists. Until then every page leads to the setup page; afterwards the setup page
/// is gone. Creating the first admin is serialized, so two setup posts cannot both create one.
/// </summary>
public sealed class SetupState(IServiceScopeFactory scopes, IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile bool _complete;

    /// <summary>True once an admin exists (remembered: the last admin cannot be removed).</summary>
    public async ValueTask<bool> IsCompleteAsync(CancellationToken ct)
    {
        if (!_complete)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            _complete = await db.UserRoles.AnyAsync(ur => ur.RoleId == RoleIds.Admin, ct);
        }
        return _complete;
    }

    /// <summary>
    /// Creates the first admin, unless an admin already exists (then null). Jobs made before accounts existed
    /// (owner "local") become theirs.
    /// </summary>
    public async Task<(IdentityResult Result, DreamLayerUser User)?> CreateFirstAdminAsync(string userName, string displayName, string password, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (await IsCompleteAsync(ct))
            {
                return null;
            }
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<DreamLayerUser>>();
            var (result, user) = await NewAccounts.CreateAsync(users, userName, displayName, password, Roles.Admin, time.GetUtcNow().UtcDateTime);
            if (!result.Succeeded)
            {
                return (result, user);
            }
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                await db.Jobs.Where(j => j.Owner == LegacyOwner).ExecuteUpdateAsync(s => s.SetProperty(j => j.Owner, user.Id), ct);
                await db.Images.Where(i => i.OwnerId == LegacyOwner)
                    .ExecuteUpdateAsync(s => s.SetProperty(i => i.OwnerId, user.Id).SetProperty(i => i.OwnerName, user.DisplayName), ct);
            }
            _complete = true;
            return (result, user);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The owner recorded on jobs made before accounts existed.</summary>
    public const string LegacyOwner = "local";
}
