using System.Net;
using System.Text.RegularExpressions;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>A seeded account a test signs in as.</summary>
public sealed record TestUser(string Id, string UserName, string DisplayName, string Role, string Password = TestUsers.Password);

/// <summary>
/// The accounts every test app starts with: one admin and two members. They are written with a password hash
/// computed once per test run (hashing is deliberately slow), so seeding costs a few inserts.
/// </summary>
public static class TestUsers
{
    public const string Password = "correct horse battery";

    public static TestUser Admin { get; } = new("test-admin", "admin", "Ada Admin", Roles.Admin);
    public static TestUser Alice { get; } = new("test-alice", "alice", "Alice", Roles.Member);
    public static TestUser Bob { get; } = new("test-bob", "bob", "Bob", Roles.Member);

    public static IReadOnlyList<TestUser> All { get; } = [Admin, Alice, Bob];

    private static readonly Lazy<string> Hash = new(() => new PasswordHasher<DreamLayerUser>().HashPassword(new DreamLayerUser(), Password));

    /// <summary>Creates the account unless it exists (a restarted app on the same data keeps its accounts).</summary>
    public static async Task EnsureAsync(IServiceProvider services, TestUser user)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<DreamLayerUser>>();
        if (await users.FindByIdAsync(user.Id) is not null)
        {
            return;
        }
        var entity = new DreamLayerUser { Id = user.Id, UserName = user.UserName, DisplayName = user.DisplayName, PasswordHash = Hash.Value };
        Check(await users.CreateAsync(entity));
        Check(await users.AddToRoleAsync(entity, user.Role));
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }
}

/// <summary>Seeds <see cref="TestUsers.All"/> as the app starts (after the database is migrated).</summary>
internal sealed class TestUserSeeder(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var user in TestUsers.All)
        {
            await TestUsers.EnsureAsync(services, user);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Signs in through the real sign-in form, as a browser does (antiforgery token, cookie).</summary>
public static partial class AccountHttp
{
    /// <summary>A client with its own cookies that does not follow redirects, so tests see them.</summary>
    public static HttpClient NewClient(Uri root) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = root,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>A client on <paramref name="handler"/>'s cookies (which outlive it: several clients, even of several app instances, can share them).</summary>
    public static HttpClient NewClientWith(HttpClientHandler handler, Uri root) =>
        new(handler, disposeHandler: false)
        {
            BaseAddress = root,
            Timeout = TimeSpan.FromSeconds(60),
        };

    /// <summary>Posts the sign-in form; the response is the redirect (success) or the form again with a message.</summary>
    public static async Task<HttpResponseMessage> PostSignInAsync(HttpClient http, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(http);
        var token = await FormTokenAsync(http, "/account/sign-in");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "sign-in",
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
        });
        return await http.PostAsync(new Uri("/account/sign-in", UriKind.Relative), form);
    }

    /// <summary>The antiforgery token of the form on a page (the cookie half lands in the client's cookies).</summary>
    public static async Task<string> FormTokenAsync(HttpClient http, string path)
    {
        ArgumentNullException.ThrowIfNull(http);
        var html = await http.GetStringAsync(new Uri(path, UriKind.Relative));
        return TokenPattern().Match(html) is { Success: true } m
            ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new InvalidOperationException($"No antiforgery token on {path}:\n{html}");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
