using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

/// <summary>
/// How the API (<c>/api/v1</c>) knows who asks: <c>Authorization: Bearer dl_…</c> with a personal token, else the
/// browser's sign-in cookie. No one is anonymous there: a missing, unknown, revoked or expired token gets 401 with
/// <c>WWW-Authenticate: Bearer</c> and a problem details body. Put <c>.RequireAuthorization(ApiAccess.Policy)</c> and
/// <c>.RequireRateLimiting(ApiAccess.RateLimit)</c> on the API's route group.
/// </summary>
public static partial class ApiAccess
{
    /// <summary>The authentication scheme (token, else cookie).</summary>
    public const string Scheme = "ApiToken";

    /// <summary>The authorization policy: signed in through <see cref="Scheme"/>.</summary>
    public const string Policy = "Api";

    /// <summary>The rate limit policy: <see cref="AccountOptions.ApiRequests"/> per <see cref="AccountOptions.ApiWindow"/> per token.</summary>
    public const string RateLimit = "api";

    /// <summary>The claim carrying the id of the token a request came with.</summary>
    public const string TokenIdClaim = "dreamlayer:api_token";

    /// <summary>Where the API's SignalR hubs are (<c>/hubs/jobs</c>).</summary>
    public const string HubsPrefix = "/hubs";

    /// <summary>
    /// The query parameter that carries the token to a hub: browsers cannot set headers on a WebSocket, so SignalR's
    /// clients send it so. Accepted on <see cref="HubsPrefix"/> only, and never logged (the log redacts it).
    /// </summary>
    public const string AccessTokenParameter = "access_token";

    /// <summary>Where the ComfyUI-compatible face is (<c>/comfy</c>): its clients can often set only an address, so the token may ride in it.</summary>
    public const string ComfyPrefix = "/comfy";

    /// <summary>
    /// The query parameter that carries the token on <see cref="ComfyPrefix"/> (its WebSocket, and clients that can set
    /// only a server address). Accepted there only, and never logged (the log redacts it).
    /// </summary>
    public const string ComfyTokenParameter = "token";

    /// <summary>The token of an <c>Authorization: Bearer</c> header, or null without one.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>
    /// The token a request brings: its bearer header, else, on a hub, its <see cref="AccessTokenParameter"/> query
    /// parameter, or on the ComfyUI face its <see cref="ComfyTokenParameter"/>; null without any.
    /// </summary>
    public static string? RequestToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return BearerToken(request)
            ?? (request.Path.StartsWithSegments(HubsPrefix) && request.Query.TryGetValue(AccessTokenParameter, out var token) ? token.ToString() : null)
            ?? (request.Path.StartsWithSegments(ComfyPrefix) && request.Query.TryGetValue(ComfyTokenParameter, out var comfyToken) ? comfyToken.ToString() : null);
    }

    /// <summary>
    /// The user name and password of an <c>Authorization: Basic</c> header (as AUTOMATIC1111's <c>--api-auth</c> clients
    /// send a user name and a token), or null without one or when it is not base64 of <c>user:password</c>.
    /// </summary>
    public static (string UserName, string Password)? BasicCredentials(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || header.Length > MaxBasicHeaderLength)
        {
            return null;
        }
        var bytes = new byte[header.Length];
        if (!Convert.TryFromBase64String(header["Basic ".Length..].Trim(), bytes, out var length))
        {
            return null;
        }
        var text = System.Text.Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? null : (text[..colon], text[(colon + 1)..]);
    }

    /// <summary>Longer than any user name and token: a longer Basic header is not decoded at all.</summary>
    private const int MaxBasicHeaderLength = 1024;

    /// <summary>
    /// The budget a request counts against: its token's (by the token's hash, before the token is even checked, so a
    /// flood of bad tokens costs no database reads beyond the budget; a bearer token or the password of Basic
    /// credentials, so both ways of sending one token share its budget), else its client address's (the cookie).
    /// </summary>
    internal static RateLimitPartition<string> Partition(HttpContext http, AccountOptions accounts)
    {
        // A hub connection is counted once, by its negotiation: a long-polling client's polls and sends are not requests of a script's.
        if (http.Request.Path.StartsWithSegments(HubsPrefix) && !http.Request.Path.Value!.EndsWith("/negotiate", StringComparison.Ordinal))
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }
        var token = RequestToken(http.Request) ?? BasicCredentials(http.Request)?.Password;
        var key = token is { Length: > 0 } ? "token:" + ApiTokens.HashOf(token) : "address:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = accounts.ApiRequests,
            Window = accounts.ApiWindow,
            QueueLimit = 0,
        });
    }

    /// <summary>The person a token acts as, with exactly their rights, signed in through <paramref name="scheme"/>.</summary>
    public static ClaimsPrincipal Principal(ApiTokenOwner owner, string scheme)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var user = owner.User;
        return new ClaimsPrincipal(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, user.Id),
                new Claim(ClaimTypes.Name, user.UserName),
                new Claim(SignedInUser.DisplayNameClaim, user.DisplayName),
                new Claim(ClaimTypes.Role, user.IsAdmin ? Roles.Admin : Roles.Member),
                new Claim(TokenIdClaim, owner.TokenId.ToString()),
            ], scheme));
    }

    /// <summary>
    /// Whether a connection opened earlier (a hub connection, a <c>/comfy/ws</c> socket) is still signed in: a token's
    /// against its row (<see cref="ApiTokens.IsActiveAsync"/>: revoked, expired, its account disabled), a cookie's as the
    /// pages check it. Called when <see cref="AccountAccess"/> says the account changed; nobody awaits it (it runs for an
    /// admin's action), so a failure is logged and answers false: the safe answer is to end the connection.
    /// </summary>
    public static async Task<bool> IsStillSignedInAsync(ClaimsPrincipal user, ApiTokens tokens, AccountAccess access, ILogger logger, string connection)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(access);
        try
        {
            return user.FindFirstValue(TokenIdClaim) is { } tokenId && Guid.TryParse(tokenId, out var id)
                ? await tokens.IsActiveAsync(id, CancellationToken.None)
                : await access.IsValidAsync(user, CancellationToken.None);
        }
#pragma warning disable CA1031 // raised from an admin's action: it must neither vanish nor reach that admin; the safe answer is to end the connection
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogRecheckFailed(logger, connection, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not check the sign-in of {Connection} again; it is closed")]
    private static partial void LogRecheckFailed(ILogger logger, string connection, Exception ex);

    /// <summary>
    /// The 429 of the API, with <c>Retry-After</c>: a problem details body saying when to come back, or the body of the
    /// face the route belongs to where its group says how (<see cref="TooManyRequestsAnswer"/>).
    /// </summary>
    internal static Task WriteTooManyRequestsAsync(HttpContext http, TimeSpan wait)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var detail = $"This token has made too many requests. Wait {Words.Count(seconds, "second")} and try again.";
        return http.GetEndpoint()?.Metadata.GetMetadata<TooManyRequestsAnswer>() is { } answer
            ? answer.Write(http, detail)
            : Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: detail).ExecuteAsync(http);
    }
}

/// <summary>
/// Endpoint metadata of a face whose clients expect its own error shape (A1111's, ComfyUI's): how it words the API's
/// 429. <see cref="Write"/> gets the sentence to say; the status and <c>Retry-After</c> are set for it.
/// </summary>
public sealed record TooManyRequestsAnswer(Func<HttpContext, string, Task> Write);

/// <summary>The authentication handler of <see cref="ApiAccess.Scheme"/>.</summary>
internal sealed class ApiTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private string? _refusal;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApiAccess.RequestToken(Request) is not { } token)
        {
            // The browser: its sign-in cookie, checked as on every page.
            var cookie = await Context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
            if (cookie.Succeeded)
            {
                return AuthenticateResult.Success(new AuthenticationTicket(cookie.Principal, Scheme.Name));
            }
            _refusal = "Send a personal API token as \"Authorization: Bearer dl_…\" (make one on your Preferences page).";
            return AuthenticateResult.NoResult();
        }
        // Never log or repeat the token: only whether it was accepted.
        if (await tokens.AuthenticateAsync(token, Context.RequestAborted) is not { } owner)
        {
            _refusal = "The token is not valid: it may be mistyped, revoked or expired, or its account disabled.";
            return AuthenticateResult.Fail("Invalid API token.");
        }
        // A hub connection made with a token that expires is closed when it does (the hub's CloseOnAuthenticationExpiration).
        var properties = new AuthenticationProperties { ExpiresUtc = owner.ExpiresAt is { } expiry ? new DateTimeOffset(DateTime.SpecifyKind(expiry, DateTimeKind.Utc)) : null };
        return AuthenticateResult.Success(new AuthenticationTicket(ApiAccess.Principal(owner, Scheme.Name), properties, Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"DreamLayer\"";
        return Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: "Sign-in required",
            detail: _refusal ?? "Send a personal API token as \"Authorization: Bearer dl_…\".").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed", detail: "Your account may not do this.").ExecuteAsync(Context);
}
