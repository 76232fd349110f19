using System.Net;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Accounts;

/// <summary>
/// Sign-in is required everywhere, and the first start offers setup exactly once (over HTTP, as a browser or a script
/// would). The tests that only ask without signing in share one app; the others start their own.
/// </summary>
public sealed class AccessHttpTests(SharedApp shared) : IClassFixture<SharedApp>
{
    [Theory]
    [InlineData("/extras")]
    [InlineData("/pnginfo")]
    public async Task Get_PageWithoutSignIn_RedirectsToSignInWithReturnUrl(string page)
    {
        using var http = shared.App.CreateAnonymousClient();

        using var response = await http.GetAsync(new Uri(page, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal("/account/sign-in", response.Headers.Location!.AbsolutePath);
        Assert.Contains("ReturnUrl=" + Uri.EscapeDataString(page), response.Headers.Location.Query, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Get_ImageWithoutSignIn_IsRefused()
    {
        using var http = shared.App.CreateAnonymousClient();

        using var image = await http.GetAsync(new Uri($"/images/{Guid.NewGuid()}", UriKind.Relative));
        using var thumb = await http.GetAsync(new Uri($"/images/{Guid.NewGuid()}/thumb", UriKind.Relative));
        using var upload = await http.GetAsync(new Uri($"/uploads/{Guid.NewGuid()}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, image.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, thumb.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, upload.StatusCode);
    }

    [Fact]
    public async Task SignIn_RightPassword_OpensTheAppAndShowsWhoIsSignedIn()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = await app.CreateClientAsync(app.Bob);

        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.Contains(app.Bob.DisplayName, page, StringComparison.Ordinal);
        Assert.Contains("Sign out", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WrongPassword_ShowsTheFormWithAMessageAndNoCookie()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = app.CreateAnonymousClient();

        using var response = await AccountHttp.PostSignInAsync(http, app.Alice.UserName, "not her password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var home = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
    }

    [Fact]
    public async Task SignOut_Post_EndsTheSession()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var http = await app.CreateClientAsync(app.Alice);
        var token = await AccountHttp.FormTokenAsync(http, "/");

        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = token });
        using var signOut = await http.PostAsync(new Uri(AccountPaths.SignOut, UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        using var home = await http.GetAsync(new Uri("/", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, home.StatusCode);
        Assert.Equal("/account/sign-in", home.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task Setup_FirstStart_EveryPageLeadsToSetupWhichCreatesTheAdminOnce()
    {
        await using var app = await DreamLayerApp.StartAsync(seedUsers: false);
        using var http = app.CreateAnonymousClient();

        using (var home = await http.GetAsync(new Uri("/", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Found, home.StatusCode);
            Assert.Equal("/setup", home.Headers.Location!.OriginalString);
        }
        using (var signIn = await http.GetAsync(new Uri("/account/sign-in", UriKind.Relative)))
        {
            Assert.Equal("/setup", signIn.Headers.Location!.OriginalString);
        }

        using (var created = await PostSetupAsync(http, await AccountHttp.FormTokenAsync(http, "/setup"), "root"))
        {
            Assert.Equal(HttpStatusCode.Found, created.StatusCode);
            Assert.Equal("/", new Uri(app.RootUri, created.Headers.Location!).AbsolutePath);
        }
        // The new admin is signed in.
        Assert.Contains("Sign out", await http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);

        // Afterwards the setup page is gone: no form, and a second post creates nothing.
        var token = await AccountHttp.FormTokenAsync(http, "/");
        using (var again = await http.GetAsync(new Uri("/setup", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Found, again.StatusCode);
            Assert.Equal("/", again.Headers.Location!.OriginalString);
            Assert.DoesNotContain("Create the first admin", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using var anonymous = app.CreateAnonymousClient();
        using (var second = await PostSetupAsync(http, token, "intruder"))
        {
            Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        }
        using (var anonymousGet = await anonymous.GetAsync(new Uri("/setup", UriKind.Relative)))
        {
            Assert.Equal("/", anonymousGet.Headers.Location!.OriginalString);
        }
        await using var db = app.CreateDbContext();
        var admins = await db.UserRoles.Where(ur => ur.RoleId == RoleIds.Admin).Join(db.Users, ur => ur.UserId, u => u.Id, (_, u) => u.UserName).ToListAsync();
        Assert.Equal(["root"], admins);
    }

    private static async Task<HttpResponseMessage> PostSetupAsync(HttpClient http, string token, string userName)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["_handler"] = "setup",
            ["Input.UserName"] = userName,
            ["Input.DisplayName"] = "The Admin",
            ["Input.Password"] = "a long enough secret",
            ["Input.ConfirmPassword"] = "a long enough secret",
        });
        return await http.PostAsync(new Uri("/setup", UriKind.Relative), form);
    }
}
