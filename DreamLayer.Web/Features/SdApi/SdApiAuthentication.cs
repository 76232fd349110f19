using System.Text.Encodings.Web;
using DreamLayer.Domain.A1111Api;
using DreamLayer.Web.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.SdApi;

/// <summary>
/// Who asks on <c>/sdapi/v1</c>: HTTP Basic with the person's user name and one of their personal API tokens as the
/// password (what AUTOMATIC1111's <c>--api-auth</c> clients send), or <c>Authorization: Bearer dl_…</c>. The sign-in
/// cookie is not accepted there: the face takes POSTs from other programs, and a browser's cookie riding along on a
/// cross-site form would act as its owner. Anything else gets A1111's 401 with <c>WWW-Authenticate: Basic</c>.
/// </summary>
internal sealed class SdApiAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "SdApi";
    public const string PolicyName = "SdApi";

    private string? _refusal;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string token;
        string? userName = null;
        if (ApiAccess.BearerToken(Request) is { Length: > 0 } bearer)
        {
            token = bearer;
        }
        else if (ApiAccess.BasicCredentials(Request) is { } basic)
        {
            (userName, token) = basic;
        }
        else
        {
            _refusal = "Send your user name and a personal API token as HTTP Basic credentials (user:dl_…), or the token as \"Authorization: Bearer dl_…\".";
            return AuthenticateResult.NoResult();
        }
        // Never log or repeat the token: only whether it was accepted.
        var owner = await tokens.AuthenticateAsync(token, Context.RequestAborted);
        if (owner is null || (userName is not null && !string.Equals(userName, owner.User.UserName, StringComparison.OrdinalIgnoreCase)))
        {
            _refusal = "Incorrect username or password";
            return AuthenticateResult.Fail("Invalid A1111 API credentials.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(ApiAccess.Principal(owner, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Basic realm=\"DreamLayer\"";
        return SdApiResults.Error(new A1111ApiError(StatusCodes.Status401Unauthorized, _refusal ?? "Incorrect username or password")).ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        SdApiResults.Error(new A1111ApiError(StatusCodes.Status403Forbidden, "Your account may not do this.")).ExecuteAsync(Context);
}
