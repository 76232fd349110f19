using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Users;

/// <summary>One row of the Users page.</summary>
public sealed record UserRow(string Id, string UserName, string DisplayName, string Role, bool IsDisabled, DateTimeOffset? LockedUntil, DateTime CreatedAt, int? JobCap);

/// <summary>What an admin action did: null error means done.</summary>
public sealed record UserChange(string? Error)
{
    public static UserChange Done { get; } = new((string?)null);

    public bool Succeeded => Error is null;

    public static UserChange From(IdentityResult result) =>
        result.Succeeded ? Done : new UserChange(string.Join(" ", result.Errors.Select(e => e.Description)));
}

/// <summary>
/// What admins do to accounts. Every method checks that the caller is an admin (the page is admin-only too)
/// and keeps at least one active admin: changes are serialized, so two admins cannot demote each other at once.
/// A change to a person's role, password or status ends their sessions (their security stamp is renewed).
/// </summary>
public sealed class UserAdministration(IServiceScopeFactory scopes, IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IReadOnlyList<UserRow>> ListAsync(SignedInUser actor, CancellationToken ct)
    {
        RequireAdmin(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var admins = await AdminIdsAsync(db, ct);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(ct);
        var now = time.GetUtcNow();
        return users.Select(u => new UserRow(u.Id, u.UserName ?? string.Empty, u.DisplayName, admins.Contains(u.Id) ? Roles.Admin : Roles.Member,
            u.IsDisabled, u.LockoutEnd > now ? u.LockoutEnd : null, u.CreatedAt, u.MaxJobsInFlight)).ToList();
    }

    public Task<UserChange> CreateAsync(SignedInUser actor, string userName, string displayName, string password, string role, CancellationToken ct) =>
        ChangeAsync(actor, async (users, _) =>
        {
            if (!Roles.All.Contains(role))
            {
                return new UserChange($"There is no role \"{role}\".");
            }
            var (result, _) = await NewAccounts.CreateAsync(users, userName, displayName, password, role, time.GetUtcNow().UtcDateTime);
            return UserChange.From(result);
        }, ct);

    public Task<UserChange> SetRoleAsync(SignedInUser actor, string userId, string role, CancellationToken ct) =>
        ChangeAsync(actor, async (users, db) =>
        {
            if (!Roles.All.Contains(role))
            {
                return new UserChange($"There is no role \"{role}\".");
            }
            if (await users.FindByIdAsync(userId) is not { } user)
            {
                return Gone;
            }
            var current = await users.IsInRoleAsync(user, Roles.Admin) ? Roles.Admin : Roles.Member;
            if (current == role)
            {
                return UserChange.Done;
            }
            if (current == Roles.Admin && await IsLastActiveAdminAsync(db, user, ct))
            {
                return new UserChange("This is the last active admin: make someone else an admin first.");
            }
            var removed = await users.RemoveFromRoleAsync(user, current);
            if (!removed.Succeeded)
            {
                return UserChange.From(removed);
            }
            var added = await users.AddToRoleAsync(user, role);
            return added.Succeeded ? UserChange.From(await users.UpdateSecurityStampAsync(user)) : UserChange.From(added);
        }, ct);

    public Task<UserChange> SetDisabledAsync(SignedInUser actor, string userId, bool disabled, CancellationToken ct) =>
        ChangeAsync(actor, async (users, db) =>
        {
            if (disabled && userId == actor.Id)
            {
                return new UserChange("You cannot disable your own account.");
            }
            if (await users.FindByIdAsync(userId) is not { } user)
            {
                return Gone;
            }
            if (disabled && await users.IsInRoleAsync(user, Roles.Admin) && await IsLastActiveAdminAsync(db, user, ct))
            {
                return new UserChange("This is the last active admin: it cannot be disabled.");
            }
            user.IsDisabled = disabled;
            // A new stamp: sessions from before the account was disabled stay ended when it is enabled again.
            return UserChange.From(disabled ? await users.UpdateSecurityStampAsync(user) : await users.UpdateAsync(user));
        }, ct);

    public Task<UserChange> ResetPasswordAsync(SignedInUser actor, string userId, string newPassword, CancellationToken ct) =>
        ChangeAsync(actor, async (users, _) =>
        {
            if (await users.FindByIdAsync(userId) is not { } user)
            {
                return Gone;
            }
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var reset = await users.ResetPasswordAsync(user, token, newPassword);
            if (!reset.Succeeded)
            {
                return UserChange.From(reset);
            }
            // A forgotten password often comes with a locked account.
            await users.ResetAccessFailedCountAsync(user);
            return UserChange.From(await users.SetLockoutEndDateAsync(user, null));
        }, ct);

    public Task<UserChange> DeleteAsync(SignedInUser actor, string userId, CancellationToken ct) =>
        ChangeAsync(actor, async (users, db) =>
        {
            if (userId == actor.Id)
            {
                return new UserChange("You cannot delete your own account.");
            }
            if (await users.FindByIdAsync(userId) is not { } user)
            {
                return Gone;
            }
            if (await users.IsInRoleAsync(user, Roles.Admin) && await IsLastActiveAdminAsync(db, user, ct))
            {
                return new UserChange("This is the last active admin: it cannot be deleted.");
            }
            return UserChange.From(await users.DeleteAsync(user));
        }, ct);

    private static UserChange Gone { get; } = new("That account no longer exists.");

    private async Task<UserChange> ChangeAsync(SignedInUser actor, Func<UserManager<DreamLayerUser>, DreamLayerDbContext, Task<UserChange>> change, CancellationToken ct)
    {
        RequireAdmin(actor);
        await _gate.WaitAsync(ct);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<DreamLayerUser>>();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await change(users, db);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>True when no other enabled account is an admin.</summary>
    private static async Task<bool> IsLastActiveAdminAsync(DreamLayerDbContext db, DreamLayerUser user, CancellationToken ct)
    {
        var admins = await AdminIdsAsync(db, ct);
        return !await db.Users.AnyAsync(u => u.Id != user.Id && !u.IsDisabled && admins.Contains(u.Id), ct);
    }

    private static async Task<HashSet<string>> AdminIdsAsync(DreamLayerDbContext db, CancellationToken ct) =>
        (await db.UserRoles.Where(ur => ur.RoleId == RoleIds.Admin).Select(ur => ur.UserId).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    private static void RequireAdmin(SignedInUser actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins manage accounts.");
        }
    }

    public void Dispose() => _gate.Dispose();
}
