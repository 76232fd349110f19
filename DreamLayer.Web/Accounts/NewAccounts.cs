using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;

namespace DreamLayer.Web.Accounts;

/// <summary>Creates an account with its one role, the same way for setup, self-registration and admins.</summary>
internal static class NewAccounts
{
    public static async Task<(IdentityResult Result, DreamLayerUser User)> CreateAsync(
        UserManager<DreamLayerUser> users, string userName, string displayName, string password, string role, DateTime now)
    {
        var name = userName.Trim();
        var user = new DreamLayerUser
        {
            UserName = name,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? name : displayName.Trim(),
            CreatedAt = now,
        };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            return (result, user);
        }
        result = await users.AddToRoleAsync(user, role);
        if (!result.Succeeded)
        {
            await users.DeleteAsync(user);
        }
        return (result, user);
    }
}
