using DreamLayer.Domain.A1111Api;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.SdApi;

/// <summary>
/// The AUTOMATIC1111-compatible face, <see cref="Prefix"/>: what Open WebUI, SillyTavern and bots speak. HTTP Basic
/// (user name + personal token) or a bearer token; the same per-token rate limit as REST v1; bodies up to
/// <see cref="MaxRequestBytes"/>. Every generation is a job of the one queue.
/// </summary>
public static class SdApiExtensions
{
    public const string Prefix = "/sdapi/v1";

    /// <summary>
    /// The most bytes a request may send: one picture of the uploads' byte limit in base64 (4/3 of it) and 1 MiB for the
    /// rest of the JSON. Larger bodies are refused with 413 before, or as soon as, the limit is passed.
    /// </summary>
    public static long MaxRequestBytes(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.MaxImageBytes / 3 * 4 + 4 + 1024 * 1024;
    }

    public static IHostApplicationBuilder AddSdApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<SdApiJobs>();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, SdApiAuthenticationHandler>(SdApiAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(SdApiAuthenticationHandler.PolicyName, p => p.AddAuthenticationSchemes(SdApiAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return builder;
    }

    public static IEndpointRouteBuilder MapSdApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limit = MaxRequestBytes(app.ServiceProvider.GetRequiredService<IOptions<StorageOptions>>().Value);
        var api = app.MapGroup(Prefix)
            .RequireAuthorization(SdApiAuthenticationHandler.PolicyName)
            .RequireRateLimiting(ApiAccess.RateLimit)
            .WithMetadata(new TooManyRequestsAnswer((http, detail) => SdApiResults.Error(new A1111ApiError(StatusCodes.Status429TooManyRequests, detail)).ExecuteAsync(http)))
            .WithMetadata(new RequestSizeLimitAttribute(limit))
            .ExcludeFromDescription();
        SdApiEndpoints.Map(api, limit);
        return app;
    }
}
