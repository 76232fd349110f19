using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>The <see cref="Viewer"/> of a signed-in principal, the same way for pages and endpoints.</summary>
public static class Viewers
{
    public const string AdminRole = "Admin";

    /// <summary>Before anyone signs in (no accounts configured), the one local user, who manages everything.</summary>
    public static readonly Viewer Local = new("local", "local", IsAdmin: true);

    public static Viewer From(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity is { IsAuthenticated: true } identity && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
            ? new Viewer(id, identity.Name ?? id, user.IsInRole(AdminRole))
            : Local;
    }

    public static async Task<Viewer> FromAsync(AuthenticationStateProvider auth)
    {
        ArgumentNullException.ThrowIfNull(auth);
        return From((await auth.GetAuthenticationStateAsync()).User);
    }
}
