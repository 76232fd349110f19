using System.Net;
using System.Text.RegularExpressions;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Users;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Accounts;

/// <summary>Password guessing: the rate limit holds for every spelling of the pages, and a refusal tells nothing about the account.</summary>
public sealed partial class SignInHardeningTests
{
    private static SignedInUser Actor(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    private static readonly Dictionary<string, string?> ThreePostsAnHour = new()
    {
        ["Accounts:SignInAttempts"] = "3",
        ["Accounts:SignInWindow"] = "01:00:00",
    };

    /// <summary>Ways of writing the pages' addresses that a server might route to them.</summary>
    public static TheoryData<string> Spellings => new()
    {
        "/account/sign-in/",
        "/ACCOUNT/SIGN-IN",
        "/Account/Sign-In/",
        "/account/sign%2Din",
        "/account/%73ign-in",
        "//account/sign-in",
        "/account//sign-in",
        "/account/./sign-in",
        "/account/register/",
        "/Account/Register",
        "/account/regist%65r/",
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public async Task RateLimit_EverySpellingThatReachesThePages_SharesTheOneBudget(string spelling)
    {
        await using var app = await DreamLayerApp.StartAsync(settings: ThreePostsAnHour);
        await app.Get<AppSettings>().SetAllowSelfRegistrationAsync(Actor(app.Admin), true, default);
        using var http = app.CreateAnonymousClient();
        var uri = Raw(app, spelling);
        using (var page = await http.GetAsync(uri))
        {
            var html = await page.Content.ReadAsStringAsync();
            if (page.StatusCode != HttpStatusCode.OK || !html.Contains("__RequestVerificationToken", StringComparison.Ordinal))
            {
                // This spelling does not reach a form at all, so it cannot be used to post one.
                Assert.NotEqual(HttpStatusCode.OK, (await PostFormAsync(http, uri, "nobody", "guess")).StatusCode);
                return;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            using var allowed = await AccountHttp.PostSignInAsync(http, "nobody", "guess " + i);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }
        using var limited = await PostFormAsync(http, uri, "nobody", "one more guess");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("Too many sign-in attempts from your address", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RateLimit_PastTheLimit_TheRightPasswordThroughAnotherSpellingDoesNotSignIn()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: ThreePostsAnHour);
        using var http = app.CreateAnonymousClient();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await AccountHttp.PostSignInAsync(http, app.Alice.UserName, "guess " + i);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        foreach (var spelling in new[] { "/account/sign-in/", "/Account/Sign-In" })
        {
            using var attempt = await PostFormAsync(http, Raw(app, spelling), app.Alice.UserName, app.Alice.Password);
            Assert.Equal(HttpStatusCode.TooManyRequests, attempt.StatusCode);
        }
        using var home = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
        Assert.Equal(AccountPaths.SignIn, home.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task SignIn_UnknownNameWrongPasswordLockedAndDisabled_GetTheSameAnswerAfterTheSameWork()
    {
        var hashing = new HashCounter();
        await using var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?> { ["Accounts:MaxFailedSignIns"] = "2" },
            services: services => services.AddScoped<IPasswordHasher<DreamLayerUser>>(_ => new CountingPasswordHasher(hashing)));
        Assert.True((await app.Get<UserAdministration>().SetDisabledAsync(Actor(app.Admin), app.Alice.Id, true, default)).Succeeded);
        var expected = PasswordSignIn.RefusedMessage(new AccountOptions { MaxFailedSignIns = 2 });
        using var http = app.CreateAnonymousClient();

        var attempts = new (string What, string UserName, string Password)[]
        {
            ("an unknown name", "nobody-here", "some password"),
            ("a wrong password", app.Bob.UserName, "wrong 1"),
            ("the wrong password that locks the account", app.Bob.UserName, "wrong 2"),
            ("a wrong password on a locked account", app.Bob.UserName, "wrong 3"),
            ("the right password on a locked account", app.Bob.UserName, app.Bob.Password),
            ("the right password on a disabled account", app.Alice.UserName, app.Alice.Password),
        };
        foreach (var (what, userName, password) in attempts)
        {
            var before = hashing.Verified;
            using var response = await AccountHttp.PostSignInAsync(http, userName, password);

            Assert.True(HttpStatusCode.OK == response.StatusCode, $"{what}: {(int)response.StatusCode}");
            Assert.Equal(expected, Message(await response.Content.ReadAsStringAsync()));
            Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("DreamLayer.Auth", StringComparison.Ordinal)), what);
            // One password hash checked for every kind of refusal, so the time taken does not tell them apart.
            Assert.True(hashing.Verified == before + 1, $"{what}: {hashing.Verified - before} hash checks");
        }
        using var home = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);

        // The lock is real: an admin's reset lifts it and the new password works.
        Assert.True((await app.Get<UserAdministration>().ResetPasswordAsync(Actor(app.Admin), app.Bob.Id, "a brand new password", default)).Succeeded);
        using var reset = await AccountHttp.PostSignInAsync(http, app.Bob.UserName, "a brand new password");
        Assert.Equal(HttpStatusCode.Found, reset.StatusCode);
    }

    /// <summary>An absolute address with exactly this path, as a client would send it (no relative-URI resolution).</summary>
    private static Uri Raw(DreamLayerApp app, string path) => new(app.RootUri.GetLeftPart(UriPartial.Authority) + path);

    private static async Task<HttpResponseMessage> PostFormAsync(HttpClient http, Uri uri, string userName, string password)
    {
        var token = await AccountHttp.FormTokenAsync(http, AccountPaths.SignIn);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = uri.AbsolutePath.Contains("egist", StringComparison.OrdinalIgnoreCase) ? "register" : "sign-in",
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
        });
        return await http.PostAsync(uri, form);
    }

    private static string Message(string html) =>
        MessagePattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : $"(no message on the page)\n{html}";

    [GeneratedRegex("data-testid=\"account-message\">([^<]*)<")]
    private static partial Regex MessagePattern();

    public sealed class HashCounter
    {
        private int _verified;

        public int Verified => Volatile.Read(ref _verified);

        public void Add() => Interlocked.Increment(ref _verified);
    }

    /// <summary>The real hasher, counting how often a password is checked.</summary>
    private sealed class CountingPasswordHasher(HashCounter counter) : IPasswordHasher<DreamLayerUser>
    {
        private readonly PasswordHasher<DreamLayerUser> _inner = new();

        public string HashPassword(DreamLayerUser user, string password) => _inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(DreamLayerUser user, string hashedPassword, string providedPassword)
        {
            counter.Add();
            return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
