using System.Text.Encodings.Web;
using DreamLayer.Web.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// Who asks on <c>/comfy</c>: a personal API token as <c>Authorization: Bearer dl_…</c>, or as the query parameter
/// <c>token</c> (a WebSocket from a browser cannot set headers, and many ComfyUI clients only let a person type a server
/// address). The sign-in cookie is not accepted there, as on <c>/sdapi/v1</c>: these routes take POSTs from other
/// programs, and a browser's cookie riding along on a cross-site form would act as its owner. A refusal is a 401 in
/// ComfyUI's error shape with <c>WWW-Authenticate: Bearer</c>.
/// </summary>
internal sealed class ComfyApiAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ComfyApi";
    public const string PolicyName = "ComfyApi";

    private string? _refusal;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (ApiAccess.RequestToken(Request) is not { Length: > 0 } token)
        {
            _refusal = "Send a personal API token (make one on your Preferences page) as \"Authorization: Bearer dl_…\" or in the address as ?token=dl_….";
            return AuthenticateResult.NoResult();
        }
        // Never log or repeat the token: only whether it was accepted.
        if (await tokens.AuthenticateAsync(token, Context.RequestAborted) is not { } owner)
        {
            _refusal = "The token is not valid: it may be mistyped, revoked or expired, or its account disabled.";
            return AuthenticateResult.Fail("Invalid API token.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(ApiAccess.Principal(owner, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"DreamLayer\"";
        return ComfyErrors.Error(StatusCodes.Status401Unauthorized, "unauthorized", "Sign-in required", _refusal ?? "Send a personal API token.").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ComfyErrors.Error(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", "Your account may not do this.").ExecuteAsync(Context);
}
