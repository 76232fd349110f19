using System.Security.Claims;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// Who is asking: the one way code learns the current person's id (the owner of their jobs and images) and
/// whether they are an admin. In a component or circuit service, inject <see cref="CurrentUser"/>; in a minimal
/// API endpoint, take a <see cref="SignedInUser"/> parameter (bound from the request's cookie).
/// </summary>
public sealed record SignedInUser(string Id, string UserName, string DisplayName, bool IsAdmin)
{
    /// <summary>The claim that carries <see cref="DreamLayerUser.DisplayName"/>.</summary>
    public const string DisplayNameClaim = "dreamlayer:display_name";

    /// <summary>True when this person may act on something owned by <paramref name="ownerId"/>.</summary>
    public bool CanManage(string ownerId) => IsAdmin || string.Equals(ownerId, Id, StringComparison.Ordinal);

    /// <summary>The person behind a signed-in principal, or null for an anonymous one.</summary>
    public static SignedInUser? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.Identity?.IsAuthenticated != true || principal.FindFirstValue(ClaimTypes.NameIdentifier) is not { Length: > 0 } id)
        {
            return null;
        }
        var name = principal.Identity.Name ?? string.Empty;
        var display = principal.FindFirstValue(DisplayNameClaim) is { Length: > 0 } d ? d : name;
        return new SignedInUser(id, name, display, principal.IsInRole(Roles.Admin));
    }

    /// <summary>Minimal API binding: every endpoint requires sign-in (fallback policy), so a user is always there.</summary>
    public static ValueTask<SignedInUser?> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(From(context.User));
    }
}

/// <summary>The signed-in person of this circuit (scoped), read from the authentication state.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authentication)
{
    /// <summary>The person using this circuit. Pages require sign-in, so there is one; throws otherwise.</summary>
    public async Task<SignedInUser> GetAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return SignedInUser.From(state.User) ?? throw new InvalidOperationException("No one is signed in.");
    }
}

/// <summary>Adds the display name to the sign-in cookie so the app bar needs no database query.</summary>
internal sealed class DreamLayerClaimsFactory(UserManager<DreamLayerUser> users, RoleManager<IdentityRole> roles, Microsoft.Extensions.Options.IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<DreamLayerUser, IdentityRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(DreamLayerUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(SignedInUser.DisplayNameClaim, user.DisplayName));
        return identity;
    }
}
