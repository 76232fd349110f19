using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

/// <summary>Identity's user manager; every successful change or deletion is reported to <see cref="AccountAccess"/>.</summary>
public sealed class DreamLayerUserManager(
    IUserStore<DreamLayerUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<DreamLayerUser> passwordHasher,
    IEnumerable<IUserValidator<DreamLayerUser>> userValidators,
    IEnumerable<IPasswordValidator<DreamLayerUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<DreamLayerUser>> logger,
    AccountAccess access)
    : UserManager<DreamLayerUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    protected override async Task<IdentityResult> UpdateUserAsync(DreamLayerUser user)
    {
        var result = await base.UpdateUserAsync(user);
        if (result.Succeeded)
        {
            access.Changed(user.Id);
        }
        return result;
    }

    public override async Task<IdentityResult> DeleteAsync(DreamLayerUser user)
    {
        var result = await base.DeleteAsync(user);
        if (result.Succeeded)
        {
            access.Changed(user.Id);
        }
        return result;
    }
}

/// <summary>Identity's sign-in manager; a disabled account is not allowed to sign in.</summary>
public sealed class DreamLayerSignInManager(
    UserManager<DreamLayerUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<DreamLayerUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<DreamLayerUser>> logger,
    Microsoft.AspNetCore.Authentication.IAuthenticationSchemeProvider schemes,
    IUserConfirmation<DreamLayerUser> confirmation)
    : SignInManager<DreamLayerUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(DreamLayerUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return !user.IsDisabled && await base.CanSignInAsync(user);
    }
}
