using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Users;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// Personal API tokens through the real app, as a script uses them (HTTP with <c>Authorization: Bearer</c>): made, used,
/// revoked, expired, their owner disabled or deleted, rate-limited, and never written to a log.
/// </summary>
public sealed class ApiTokenTests
{
    private static readonly Uri Samplers = new("/api/v1/samplers", UriKind.Relative);

    private static DateTime Now(DreamLayerApp app) => app.Get<TimeProvider>().GetUtcNow().UtcDateTime;

    internal static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    internal static async Task<NewApiToken> MakeTokenAsync(DreamLayerApp app, TestUser owner, string name = "script", DateTime? expiresAt = null)
    {
        var (token, error) = await app.Get<ApiTokens>().CreateAsync(As(owner), name, expiresAt, default);
        Assert.Null(error);
        return token!;
    }

    internal static HttpClient Bearer(DreamLayerApp app, string token)
    {
        var http = app.CreateAnonymousClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task AssertWorksAsync(HttpClient http)
    {
        using var response = await http.GetAsync(Samplers);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A 401 of the API: the scheme to use in <c>WWW-Authenticate</c> and a problem details body saying why.</summary>
    internal static async Task AssertUnauthorizedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.RootElement.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Token_MadeUsedAndRevoked_WorksUntilRevoked_ThenIsRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var made = await MakeTokenAsync(app, app.Alice, "laptop");
        using var http = Bearer(app, made.Token);

        Assert.StartsWith(ApiTokens.Prefix, made.Token, StringComparison.Ordinal);
        using (var ok = await http.GetAsync(Samplers))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Contains("euler", await ok.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // Listed to its owner with its last use, and stored only as a hash.
        var row = Assert.Single(await app.Get<ApiTokens>().ListAsync(As(app.Alice), everyone: false, default));
        Assert.Equal("laptop", row.Name);
        Assert.NotNull(row.LastUsedAt);
        Assert.Empty(await app.Get<ApiTokens>().ListAsync(As(app.Bob), everyone: false, default));
        await using (var db = app.CreateDbContext())
        {
            var stored = await db.ApiTokens.AsNoTracking().SingleAsync();
            Assert.Equal(ApiTokens.HashOf(made.Token), stored.Hash);
            Assert.DoesNotContain(made.Token[ApiTokens.Prefix.Length..][6..], $"{stored.Hash}|{stored.Hint}|{stored.Name}", StringComparison.Ordinal);
        }

        // Bob may not revoke Alice's token; she may.
        Assert.False(await app.Get<ApiTokens>().RevokeAsync(As(app.Bob), made.Row.Id, default));
        Assert.True(await app.Get<ApiTokens>().RevokeAsync(As(app.Alice), made.Row.Id, default));

        using var refused = await http.GetAsync(Samplers);
        await AssertUnauthorizedAsync(refused);
    }

    [Fact]
    public async Task Token_OfAnotherPerson_RevokedByAnAdmin_IsRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var made = await MakeTokenAsync(app, app.Bob);

        var everyone = await app.Get<ApiTokens>().ListAsync(As(app.Admin), everyone: true, default);
        Assert.Equal(app.Bob.DisplayName, Assert.Single(everyone).OwnerName);
        Assert.True(await app.Get<ApiTokens>().RevokeAsync(As(app.Admin), made.Row.Id, default));

        using var http = Bearer(app, made.Token);
        using var refused = await http.GetAsync(Samplers);
        await AssertUnauthorizedAsync(refused);
    }

    /// <summary>The system clock moved on by <see cref="Ahead"/>: timers run as usual, only the reading differs.</summary>
    private sealed class MovableClock : TimeProvider
    {
        public TimeSpan Ahead { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Ahead;
    }

    [Fact]
    public async Task Token_PastItsExpiry_IsRefused_ThoughItWasJustUsed()
    {
        var clock = new MovableClock();
        await using var app = await DreamLayerApp.StartAsync(services: s => s.AddSingleton<TimeProvider>(clock));
        var made = await MakeTokenAsync(app, app.Alice, expiresAt: Now(app).AddHours(1));
        using var http = Bearer(app, made.Token);
        await AssertWorksAsync(http);

        clock.Ahead = TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1);

        using var refused = await http.GetAsync(Samplers);
        await AssertUnauthorizedAsync(refused);
    }

    [Fact]
    public async Task Token_WhenItsOwnersRoleChanges_ActsWithTheNewRightsAtOnce()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var made = await MakeTokenAsync(app, app.Bob);
        var tokens = app.Get<ApiTokens>();
        var admin = app.Get<UserAdministration>();
        Assert.False((await tokens.AuthenticateAsync(made.Token, default))!.User.IsAdmin);

        Assert.True((await admin.SetRoleAsync(As(app.Admin), app.Bob.Id, Roles.Admin, default)).Succeeded);
        Assert.True((await tokens.AuthenticateAsync(made.Token, default))!.User.IsAdmin);

        Assert.True((await admin.SetRoleAsync(As(app.Admin), app.Bob.Id, Roles.Member, default)).Succeeded);
        Assert.False((await tokens.AuthenticateAsync(made.Token, default))!.User.IsAdmin);
    }

    [Fact]
    public async Task Create_WithAnExpiryInThePastOrNoName_IsRefusedInWords()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var tokens = app.Get<ApiTokens>();

        var (past, pastError) = await tokens.CreateAsync(As(app.Alice), "old", Now(app).AddMinutes(-1), default);
        var (unnamed, unnamedError) = await tokens.CreateAsync(As(app.Alice), "  ", null, default);

        Assert.Null(past);
        Assert.Equal("The expiry must be in the future.", pastError);
        Assert.Null(unnamed);
        Assert.StartsWith("Give the token a name", unnamedError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_WhenItsOwnerIsDisabledThenDeleted_StopsAtOnce_AndIsGoneWithTheAccount()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var made = await MakeTokenAsync(app, app.Bob);
        using var http = Bearer(app, made.Token);
        await AssertWorksAsync(http);
        var admin = app.Get<UserAdministration>();

        Assert.True((await admin.SetDisabledAsync(As(app.Admin), app.Bob.Id, disabled: true, default)).Succeeded);
        using (var disabled = await http.GetAsync(Samplers))
        {
            await AssertUnauthorizedAsync(disabled);
        }
        Assert.True((await admin.SetDisabledAsync(As(app.Admin), app.Bob.Id, disabled: false, default)).Succeeded);
        await AssertWorksAsync(http);
        Assert.True((await admin.DeleteAsync(As(app.Admin), app.Bob.Id, default)).Succeeded);

        using var deleted = await http.GetAsync(Samplers);
        await AssertUnauthorizedAsync(deleted);
        await using var db = app.CreateDbContext();
        Assert.Empty(await db.ApiTokens.AsNoTracking().ToListAsync());
    }

    [Fact]
    public async Task Token_UsedTwiceWithinAMinute_WritesItsLastUseOnce()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var made = await MakeTokenAsync(app, app.Alice);
        using var http = Bearer(app, made.Token);
        await AssertWorksAsync(http);
        // Mark the row: a second write would replace the mark.
        var mark = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        await using (var db = app.CreateDbContext())
        {
            await db.ApiTokens.ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, mark));
        }

        await AssertWorksAsync(http);

        await using var check = app.CreateDbContext();
        Assert.Equal(mark, (await check.ApiTokens.AsNoTracking().SingleAsync()).LastUsedAt);
    }

    [Fact]
    public async Task MissingOrMalformedOrUnknownToken_Gets401WithWwwAuthenticateAndProblemDetails()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var anonymous = app.CreateAnonymousClient();
        using var malformed = Bearer(app, "not-a-token");
        using var unknown = Bearer(app, ApiTokens.Prefix + new string('A', 43));

        foreach (var http in new[] { anonymous, malformed, unknown })
        {
            using var response = await http.GetAsync(Samplers);
            await AssertUnauthorizedAsync(response);
        }
    }

    [Fact]
    public async Task Token_OverItsRateLimit_Gets429WithRetryAfter_WhileAnotherTokenStillWorks()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Accounts:ApiRequests"] = "3", ["Accounts:ApiWindow"] = "00:10:00" });
        using var busy = Bearer(app, (await MakeTokenAsync(app, app.Alice, "busy")).Token);
        using var quiet = Bearer(app, (await MakeTokenAsync(app, app.Alice, "quiet")).Token);
        for (var i = 0; i < 3; i++)
        {
            await AssertWorksAsync(busy);
        }

        using var limited = await busy.GetAsync(Samplers);
        using var other = await quiet.GetAsync(Samplers);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(limited.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Token_UsedAndRefused_IsNeverWrittenToTheLog()
    {
        var logs = new CapturedLog();
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug" },
            services: s => s.AddSingleton<ILogEventSink>(logs));
        var made = await MakeTokenAsync(app, app.Alice);
        var revoked = await MakeTokenAsync(app, app.Alice, "revoked");
        Assert.True(await app.Get<ApiTokens>().RevokeAsync(As(app.Alice), revoked.Row.Id, default));
        var unknown = ApiTokens.Prefix + System.Buffers.Text.Base64Url.EncodeToString(Enumerable.Repeat((byte)0x5a, ApiTokens.SecretBytes).ToArray());

        foreach (var token in new[] { made.Token, revoked.Token, unknown })
        {
            using var http = Bearer(app, token);
            using var response = await http.GetAsync(new Uri($"/api/v1/jobs/{Guid.NewGuid()}", UriKind.Relative));
            Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        }

        // The requests were logged (so the log was written), and no line holds any of the tokens or their secret part.
        await DreamLayerApp.WaitUntilAsync(() => logs.Lines.Count(l => l.Contains("/api/v1/jobs/", StringComparison.Ordinal)) >= 3, "the requests to be logged");
        var text = string.Join('\n', logs.Lines);
        foreach (var token in new[] { made.Token, revoked.Token, unknown })
        {
            Assert.DoesNotContain(token[ApiTokens.Prefix.Length..], text, StringComparison.Ordinal);
        }
    }
}
