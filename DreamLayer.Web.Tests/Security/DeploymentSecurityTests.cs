using System.Net;
using System.Security.Cryptography;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Security;

/// <summary>
/// What protects a deployment: the headers of every response, the client's real address and scheme behind a trusted
/// proxy (and only a trusted one), owner-only files, and a key ring that lives with the data.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DeploymentSecurityTests
{
    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    [Fact]
    public async Task Headers_PagesFilesImagesErrorsAndRefusals_AllCarryNosniffTheContentSecurityPolicyAndReferrerPolicy()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var image = await GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), As(app.Alice), "a fox", TimeProvider.System.GetUtcNow().UtcDateTime);
        using var alice = await app.CreateClientAsync(app.Alice);
        using var anonymous = app.CreateAnonymousClient();

        var responses = new List<(string What, HttpResponseMessage Response)>
        {
            ("the sign-in page", await anonymous.GetAsync(new Uri(AccountPaths.SignIn, UriKind.Relative))),
            ("a page", await alice.GetAsync(new Uri("/gallery", UriKind.Relative))),
            ("a stylesheet", await anonymous.GetAsync(new Uri("/app.css", UriKind.Relative))),
            ("Blazor's script", await anonymous.GetAsync(new Uri("/_framework/blazor.web.js", UriKind.Relative))),
            ("an image", await alice.GetAsync(new Uri($"/images/{image.Id}", UriKind.Relative))),
            ("a thumbnail", await alice.GetAsync(new Uri($"/images/{image.Id}/thumb", UriKind.Relative))),
            ("a missing image", await alice.GetAsync(new Uri($"/images/{Guid.NewGuid()}", UriKind.Relative))),
            ("a refusal", await anonymous.GetAsync(new Uri($"/images/{image.Id}", UriKind.Relative))),
            ("a redirect", await anonymous.GetAsync(new Uri("/gallery", UriKind.Relative))),
            ("a health check", await anonymous.GetAsync(new Uri("/health/live", UriKind.Relative))),
        };
        try
        {
            foreach (var (what, response) in responses)
            {
                Assert.True(response.Headers.TryGetValues("X-Content-Type-Options", out var nosniff), $"{what}: no X-Content-Type-Options");
                Assert.Equal(["nosniff"], nosniff);
                Assert.True(response.Headers.TryGetValues("Content-Security-Policy", out var csp), $"{what}: no Content-Security-Policy");
                // One policy, the full one: the framework's own frame-ancestors header is not sent beside it.
                var policy = Assert.Single(csp);
                Assert.Equal(SecurityExtensions.ContentSecurityPolicy, policy);
                Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
                Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
                Assert.Contains("frame-ancestors 'self'", policy, StringComparison.Ordinal);
                Assert.True(response.Headers.TryGetValues("Referrer-Policy", out var referrer), $"{what}: no Referrer-Policy");
                Assert.Equal(["same-origin"], referrer);
            }
            Assert.Equal(HttpStatusCode.OK, responses[2].Response.StatusCode);
            Assert.Equal(HttpStatusCode.OK, responses[4].Response.StatusCode);
        }
        finally
        {
            foreach (var (_, response) in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task ForwardedProto_HttpsFromTheLoopbackProxy_IssuesASecureCookie()
    {
        await using var app = await DreamLayerApp.StartAsync();

        var behindProxy = await RawSignInAsync(app, app.Alice, new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https" });
        var direct = await RawSignInAsync(app, app.Alice, new Dictionary<string, string>());

        Assert.Equal(HttpStatusCode.Found, behindProxy.Status);
        Assert.Contains("secure", AuthCookie(behindProxy.Cookies), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.Found, direct.Status);
        Assert.DoesNotContain("secure", AuthCookie(direct.Cookies), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ForwardedHeaders_FromAnAddressThatIsNotATrustedProxy_AreIgnored()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ForwardedHeaders:TrustedProxies:0"] = "10.9.8.7",
            ["Accounts:SignInAttempts"] = "2",
            ["Accounts:SignInWindow"] = "01:00:00",
        });

        var signIn = await RawSignInAsync(app, app.Alice, new Dictionary<string, string> { ["X-Forwarded-Proto"] = "https" });
        Assert.Equal(HttpStatusCode.Found, signIn.Status);
        Assert.DoesNotContain("secure", AuthCookie(signIn.Cookies), StringComparison.OrdinalIgnoreCase);

        // A client cannot get a fresh rate-limit budget by claiming to be someone else.
        var second = await RawSignInAsync(app, app.Alice, new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.1" });
        Assert.Equal(HttpStatusCode.Found, second.Status);
        var third = await RawSignInAsync(app, app.Alice, new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.2" });
        Assert.Equal(HttpStatusCode.TooManyRequests, third.Status);
    }

    [Fact]
    public async Task ForwardedFor_FromTheTrustedProxy_GivesEachRealClientItsOwnRateLimit()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Accounts:SignInAttempts"] = "2",
            ["Accounts:SignInWindow"] = "01:00:00",
        });
        var first = new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.1" };

        Assert.Equal(HttpStatusCode.Found, (await RawSignInAsync(app, app.Alice, first)).Status);
        Assert.Equal(HttpStatusCode.Found, (await RawSignInAsync(app, app.Alice, first)).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await RawSignInAsync(app, app.Alice, first)).Status);
        Assert.Equal(HttpStatusCode.Found, (await RawSignInAsync(app, app.Alice, new Dictionary<string, string> { ["X-Forwarded-For"] = "203.0.113.2" })).Status);
    }

    [Fact]
    public async Task Files_EverythingTheAppWrites_IsReadableByItsOwnerOnly()
    {
        // At Information the start-up lines reach the log file, so there is one.
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Information" });
        var image = await GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), As(app.Alice), "a fox", TimeProvider.System.GetUtcNow().UtcDateTime);
        using var png = new MemoryStream(GalleryDatabase.TinyPng);
        var upload = Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "x.png", default));
        app.Get<UploadAccess>().RecordOwner(upload.Id, As(app.Alice));
        using var alice = await app.CreateClientAsync(app.Alice); // writes the key ring
        using (var thumb = await alice.GetAsync(new Uri($"/images/{image.Id}/thumb", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        }
        var paths = app.Get<StoragePaths>();
        var expected = new[]
        {
            paths.DataDirectory, paths.DatabasePath, paths.DatabasePath + "-wal", paths.DatabasePath + "-shm",
            paths.ImagesDirectory, paths.ThumbnailsDirectory, paths.UploadsDirectory, Path.Combine(paths.DataDirectory, "keys"),
            Path.Combine(paths.DataDirectory, "logs"),
        };
        foreach (var path in expected)
        {
            Assert.True(Path.Exists(path), $"{path} was not written");
        }
        // Everything, whoever in the process wrote it (the app, SQLite, Data Protection, Serilog's log file).
        var everything = Directory.EnumerateFileSystemEntries(paths.DataDirectory, "*", SearchOption.AllDirectories).Prepend(paths.DataDirectory).ToList();
        Assert.Contains(everything, p => p.EndsWith(".log", StringComparison.Ordinal));
        Assert.Contains(everything, p => p.StartsWith(paths.ThumbnailsDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        Assert.Contains(everything, p => p.EndsWith(".xml", StringComparison.Ordinal));
        foreach (var path in everything)
        {
            var mode = File.GetUnixFileMode(path);
            var isFolder = Directory.Exists(path);
            var want = isFolder ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute : UnixFileMode.UserRead | UnixFileMode.UserWrite;
            Assert.True(mode == want, $"{path}: {Convert.ToString((int)mode, 8)}");
        }
    }

    [Fact]
    public async Task Files_ADataFolderLeftOpenByAnOlderVersion_IsClosedAtStartUp()
    {
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-open-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_101_101);
        await using var standIn = await global::ComfyStandIn.StandInServer.StartAsync(new global::ComfyStandIn.StandInOptions { Port = 0 });
        try
        {
            await using var app = await DreamLayerApp.StartAgainstAsync(standIn, data);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task KeyRing_IsKeptUnderTheDataFolder_AndASignInSurvivesARestart()
    {
        await using var standIn = await global::ComfyStandIn.StandInServer.StartAsync(new global::ComfyStandIn.StandInOptions { Port = 0 });
        var data = Path.Combine(Path.GetTempPath(), "dreamlayer-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var cookies = new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false, UseCookies = true };
            string protectedText;
            await using (var first = await DreamLayerApp.StartAgainstAsync(standIn, data))
            {
                using var signIn = AccountHttp.NewClientWith(cookies, first.RootUri);
                using var signedIn = await AccountHttp.PostSignInAsync(signIn, first.Alice.UserName, first.Alice.Password);
                Assert.Equal(HttpStatusCode.Found, signedIn.StatusCode);
                protectedText = first.Get<IDataProtectionProvider>().CreateProtector("test").Protect("kept with the data");
                Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "key-*.xml"));
            }

            await using var second = await DreamLayerApp.StartAgainstAsync(standIn, data);
            // The cookie container keys cookies by host and path, not port: the same cookie goes to the new instance.
            using var again = AccountHttp.NewClientWith(cookies, second.RootUri);
            using var home = await again.GetAsync(new Uri("/", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, home.StatusCode);
            Assert.Equal("kept with the data", second.Get<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedText));

            // Another installation (another data folder) of the same user does not share the keys.
            var other = await DreamLayerApp.StartAgainstAsync(standIn, data + "-other");
            try
            {
                var protector = other.Get<IDataProtectionProvider>().CreateProtector("test");
                Assert.ThrowsAny<CryptographicException>(() => { _ = protector.Unprotect(protectedText); });
            }
            finally
            {
                await other.DisposeAsync();
                Directory.Delete(data + "-other", recursive: true);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static string AuthCookie(IEnumerable<string> setCookies) =>
        setCookies.SingleOrDefault(c => c.StartsWith("DreamLayer.Auth=", StringComparison.Ordinal)) ?? throw new InvalidOperationException("No sign-in cookie was issued.");

    /// <summary>Signs in through the form with extra request headers, reading the raw Set-Cookie headers (no cookie jar).</summary>
    private static async Task<(HttpStatusCode Status, IReadOnlyList<string> Cookies)> RawSignInAsync(DreamLayerApp app, TestUser user, IReadOnlyDictionary<string, string> headers)
    {
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = app.RootUri };
        using var get = new HttpRequestMessage(HttpMethod.Get, AccountPaths.SignIn);
        foreach (var (name, value) in headers)
        {
            get.Headers.Add(name, value);
        }
        using var page = await http.SendAsync(get);
        var html = await page.Content.ReadAsStringAsync();
        var token = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"").Groups[1].Value);
        var cookie = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var post = new HttpRequestMessage(HttpMethod.Post, AccountPaths.SignIn)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = token,
                ["_handler"] = "sign-in",
                ["Input.UserName"] = user.UserName,
                ["Input.Password"] = user.Password,
            }),
        };
        post.Headers.Add("Cookie", cookie);
        foreach (var (name, value) in headers)
        {
            post.Headers.Add(name, value);
        }
        using var response = await http.SendAsync(post);
        return (response.StatusCode, response.Headers.TryGetValues("Set-Cookie", out var set) ? [.. set] : []);
    }
}
