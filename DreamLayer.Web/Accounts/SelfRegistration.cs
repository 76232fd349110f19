using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;

namespace DreamLayer.Web.Accounts;

/// <summary>People creating their own Member account, only while an admin allows it.</summary>
public sealed class SelfRegistration(IServiceScopeFactory scopes, AppSettings settings, TimeProvider time)
{
    /// <summary>Creates a Member account, or returns null when self-registration is off.</summary>
    public async Task<(IdentityResult Result, DreamLayerUser User)?> RegisterAsync(string userName, string displayName, string password, CancellationToken ct)
    {
        if (!await settings.AllowSelfRegistrationAsync(ct))
        {
            return null;
        }
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<DreamLayerUser>>();
        return await NewAccounts.CreateAsync(users, userName, displayName, password, Roles.Member, time.GetUtcNow().UtcDateTime);
    }
}
