using System.Net;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Users;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Accounts;

/// <summary>Admin-only pages and actions, the rules that keep an admin, lockout, rate limiting and self-registration.</summary>
public sealed class AccountRulesTests
{
    private static SignedInUser Actor(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    [Fact]
    public async Task UsersPage_Member_Gets403AccessDenied_AdminGetsThePage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);

        using var denied = await member.GetAsync(new Uri("/users", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, denied.StatusCode);
        Assert.Equal(AccountPaths.AccessDenied, denied.Headers.Location!.AbsolutePath);
        using var deniedPage = await member.GetAsync(denied.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, deniedPage.StatusCode);
        Assert.Contains("Access denied", await deniedPage.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var allowed = await admin.GetAsync(new Uri("/users", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains("Allow self-registration", await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UserAdministration_MemberCaller_IsRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var admin = app.Get<UserAdministration>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => admin.ListAsync(Actor(app.Alice), default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => admin.SetDisabledAsync(Actor(app.Alice), app.Bob.Id, true, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => app.Get<AppSettings>().SetAllowSelfRegistrationAsync(Actor(app.Alice), true, default));
    }

    [Fact]
    public async Task UserAdministration_LastAdmin_CannotBeDemotedDisabledOrDeleted()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var admin = app.Get<UserAdministration>();
        var self = Actor(app.Admin);

        Assert.Equal("You cannot disable your own account.", (await admin.SetDisabledAsync(self, app.Admin.Id, true, default)).Error);
        Assert.Equal("You cannot delete your own account.", (await admin.DeleteAsync(self, app.Admin.Id, default)).Error);
        Assert.Contains("last active admin", (await admin.SetRoleAsync(self, app.Admin.Id, Roles.Member, default)).Error, StringComparison.Ordinal);

        // With a second admin, the first may step down; the second is then the last one.
        Assert.True((await admin.SetRoleAsync(self, app.Bob.Id, Roles.Admin, default)).Succeeded);
        Assert.True((await admin.SetRoleAsync(self, app.Admin.Id, Roles.Member, default)).Succeeded);
        var bob = Actor(app.Bob) with { IsAdmin = true };
        Assert.Contains("last active admin", (await admin.SetRoleAsync(bob, app.Bob.Id, Roles.Member, default)).Error, StringComparison.Ordinal);
        var rows = await admin.ListAsync(bob, default);
        Assert.Equal([Roles.Member, Roles.Member, Roles.Admin], rows.OrderBy(r => r.UserName, StringComparer.Ordinal).Select(r => r.Role));
    }

    [Fact]
    public async Task SignIn_DisabledAccount_IsRefusedAndItsSessionEnds()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = await app.CreateClientAsync(app.Alice);
        using (var before = await alice.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Assert.True((await app.Get<UserAdministration>().SetDisabledAsync(Actor(app.Admin), app.Alice.Id, true, default)).Succeeded);

        using (var after = await alice.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Found, after.StatusCode);
            Assert.Equal(AccountPaths.SignIn, after.Headers.Location!.AbsolutePath);
        }
        using var again = app.CreateAnonymousClient();
        using var refused = await AccountHttp.PostSignInAsync(again, app.Alice.UserName, app.Alice.Password);
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains(PasswordSignIn.RefusedMessage(new AccountOptions()), await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Enabled again, she signs in anew; the old session stays ended.
        Assert.True((await app.Get<UserAdministration>().SetDisabledAsync(Actor(app.Admin), app.Alice.Id, false, default)).Succeeded);
        using (var old = await alice.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Found, old.StatusCode);
        }
        using var fresh = await app.CreateClientAsync(app.Alice);
    }

    [Fact]
    public async Task SignIn_RepeatedWrongPasswords_LockTheAccountUntilAnAdminResetsIt()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Accounts:MaxFailedSignIns"] = "3" });
        using var http = app.CreateAnonymousClient();
        var refused = PasswordSignIn.RefusedMessage(new AccountOptions { MaxFailedSignIns = 3 });

        for (var i = 0; i < 3; i++)
        {
            using var wrong = await AccountHttp.PostSignInAsync(http, app.Bob.UserName, "guess " + i);
            Assert.Contains(refused, await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Now even the right password is refused, with the same words as a wrong one (the page never confirms a password).
        using var right = await AccountHttp.PostSignInAsync(http, app.Bob.UserName, app.Bob.Password);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains(refused, await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // An admin's password reset unlocks it.
        Assert.True((await app.Get<UserAdministration>().ResetPasswordAsync(Actor(app.Admin), app.Bob.Id, "a brand new password", default)).Succeeded);
        using var reset = await AccountHttp.PostSignInAsync(http, app.Bob.UserName, "a brand new password");
        Assert.Equal(HttpStatusCode.Found, reset.StatusCode);
    }

    [Fact]
    public async Task SignIn_TooManyPostsFromOneAddress_Answers429AndSaysToWait()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Accounts:SignInAttempts"] = "3",
            ["Accounts:SignInWindow"] = "01:00:00",
        });
        using var http = app.CreateAnonymousClient();

        for (var i = 0; i < 3; i++)
        {
            using var allowed = await AccountHttp.PostSignInAsync(http, "nobody", "guess " + i);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        using var limited = await AccountHttp.PostSignInAsync(http, app.Alice.UserName, app.Alice.Password);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        Assert.Contains("Too many sign-in attempts from your address. Wait", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_SelfRegistrationOff_PageDoesNotExist_OnItCreatesAMember()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = app.CreateAnonymousClient();

        using (var off = await http.GetAsync(new Uri(AccountPaths.Register, UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.NotFound, off.StatusCode);
        }
        Assert.DoesNotContain(AccountPaths.Register, await http.GetStringAsync(new Uri(AccountPaths.SignIn, UriKind.Relative)), StringComparison.Ordinal);

        await app.Get<AppSettings>().SetAllowSelfRegistrationAsync(Actor(app.Admin), true, default);

        Assert.Contains(AccountPaths.Register, await http.GetStringAsync(new Uri(AccountPaths.SignIn, UriKind.Relative)), StringComparison.Ordinal);
        var token = await AccountHttp.FormTokenAsync(http, AccountPaths.Register);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "register",
            ["Input.UserName"] = "dave",
            ["Input.DisplayName"] = "Dave",
            ["Input.Password"] = "daves password",
            ["Input.ConfirmPassword"] = "daves password",
        });
        using var registered = await http.PostAsync(new Uri(AccountPaths.Register, UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.Found, registered.StatusCode);
        Assert.Contains("Dave", await http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
        var dave = Assert.Single(await app.Get<UserAdministration>().ListAsync(Actor(app.Admin), default), u => u.UserName == "dave");
        Assert.Equal(Roles.Member, dave.Role);
        // Members do not reach the Users page.
        using var users = await http.GetAsync(new Uri("/users", UriKind.Relative));
        Assert.Equal(AccountPaths.AccessDenied, users.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task ChangePassword_OwnAccount_NewPasswordWorksOldDoesNotAndThisSessionStays()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = await app.CreateClientAsync(app.Bob);
        var token = await AccountHttp.FormTokenAsync(http, AccountPaths.ChangePassword);

        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "change-password",
            ["Input.CurrentPassword"] = app.Bob.Password,
            ["Input.NewPassword"] = "bobs new password",
            ["Input.ConfirmPassword"] = "bobs new password",
        });
        using var changed = await http.PostAsync(new Uri(AccountPaths.ChangePassword, UriKind.Relative), form);

        var changedPage = await changed.Content.ReadAsStringAsync();
        Assert.True(changedPage.Contains("Your password was changed", StringComparison.Ordinal), $"{(int)changed.StatusCode}: {changedPage}");
        using (var stillIn = await http.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        }
        using var other = app.CreateAnonymousClient();
        using (var old = await AccountHttp.PostSignInAsync(other, app.Bob.UserName, app.Bob.Password))
        {
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        }
        using var fresh = await AccountHttp.PostSignInAsync(other, app.Bob.UserName, "bobs new password");
        Assert.Equal(HttpStatusCode.Found, fresh.StatusCode);
    }
}
