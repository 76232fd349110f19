using System.Globalization;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// Signs a person in with a user name and password, and refuses in a way that tells nothing about the account: an
/// unknown name, a wrong password, a locked account and a disabled one all get the same answer
/// (<see cref="RefusedMessage"/>) after the same work (one password hash is checked every time, a decoy for an
/// unknown name), so neither the page nor its timing says whether a name exists. While an account is locked its
/// password is not tried at all: the right password then gets the same answer too, so a guesser learns nothing
/// from guessing on during the lockout.
/// </summary>
public sealed class PasswordSignIn(UserManager<DreamLayerUser> users, SignInManager<DreamLayerUser> signIn, IPasswordHasher<DreamLayerUser> hasher, DecoyPassword decoy)
{
    /// <summary>The one answer to every refused sign-in; it names every reason without saying which one applied.</summary>
    public static string RefusedMessage(AccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var minutes = (long)Math.Max(1, Math.Ceiling(options.LockoutDuration.TotalMinutes));
        return string.Create(CultureInfo.InvariantCulture,
            $"Wrong user name or password. After {Words.Count(options.MaxFailedSignIns, "wrong password")} in a row an account is locked for {Words.Count(minutes, "minute")}, and a disabled account cannot sign in.");
    }

    /// <summary>True when the person is now signed in (the cookie is set); false for every kind of refusal.</summary>
    public async Task<bool> SignInAsync(string userName, string password, bool persistent)
    {
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            _ = hasher.VerifyHashedPassword(decoy.User, decoy.HashWith(hasher), password);
            return false;
        }
        if (user.IsDisabled || await users.IsLockedOutAsync(user))
        {
            // The same work as a real check, whose result is not used: this account cannot sign in now whatever the password.
            _ = hasher.VerifyHashedPassword(decoy.User, decoy.HashWith(hasher), password);
            return false;
        }
        var result = await signIn.PasswordSignInAsync(user, password, persistent, lockoutOnFailure: true);
        return result.Succeeded;
    }
}

/// <summary>
/// A password hash no one knows the password of, made once with the app's own hasher (same algorithm and cost as the
/// stored ones), checked against when there is no real hash to check. Made in the background at start-up so the
/// first refused sign-in does not pay for it.
/// </summary>
public sealed class DecoyPassword
{
    private string? _hash;

    public DreamLayerUser User { get; } = new() { UserName = "decoy" };

    public string HashWith(IPasswordHasher<DreamLayerUser> hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        // A race makes two hashes, either of which is fine.
        return _hash ??= hasher.HashPassword(User, Guid.NewGuid().ToString("N"));
    }
}

/// <summary>Makes the <see cref="DecoyPassword"/> hash once the app has started.</summary>
internal sealed class DecoyPasswordWarmUp(DecoyPassword decoy, IServiceScopeFactory scopes) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await using var scope = scopes.CreateAsyncScope();
        decoy.HashWith(scope.ServiceProvider.GetRequiredService<IPasswordHasher<DreamLayerUser>>());
    }
}
