using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// The ComfyUI-compatible face, <see cref="Prefix"/>: what Krita AI Diffusion, ComfyUI's own frontend and the ComfyUI
/// SDKs speak (<c>/prompt</c>, <c>/ws</c>, <c>/history</c>, <c>/view</c>, <c>/upload/image</c>, <c>/object_info</c>,
/// <c>/queue</c>, <c>/interrupt</c>, <c>/system_stats</c>), each also under <c>/comfy/api</c> as ComfyUI serves every
/// route twice. A personal token (bearer header or <c>?token=</c>); the same per-token rate limit as REST v1. Every
/// prompt is a job of the one queue.
/// </summary>
public static class ComfyApiExtensions
{
    public const string Prefix = ApiAccess.ComfyPrefix;

    /// <summary>The largest <c>POST /prompt</c> body: an API-format graph with room for long prompts and many nodes.</summary>
    public const int MaxPromptBytes = 8 * 1024 * 1024;

    /// <summary>The largest <c>/upload/image</c> body: one picture of the uploads' byte limit and 64 KiB for the form.</summary>
    public static long MaxUploadBytes(StorageOptions storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.MaxImageBytes + 64 * 1024;
    }

    public static IHostApplicationBuilder AddComfyApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ComfyPrompts>();
        builder.Services.AddSingleton<ComfyUploads>();
        builder.Services.AddSingleton<ComfyCatalogue>();
        builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, ComfyApiAuthenticationHandler>(ComfyApiAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ComfyApiAuthenticationHandler.PolicyName, p => p.AddAuthenticationSchemes(ComfyApiAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        return builder;
    }

    /// <summary>WebSockets for <c>/comfy/ws</c> (the face's own socket, not SignalR's).</summary>
    public static WebApplication UseComfyApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Prefix), branch => branch.UseWebSockets());
        return app;
    }

    public static IEndpointRouteBuilder MapComfyApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var limit = MaxUploadBytes(app.ServiceProvider.GetRequiredService<IOptions<StorageOptions>>().Value);
        foreach (var prefix in new[] { Prefix, Prefix + "/api" })
        {
            var api = app.MapGroup(prefix)
                .RequireAuthorization(ComfyApiAuthenticationHandler.PolicyName)
                .RequireRateLimiting(ApiAccess.RateLimit)
                .WithMetadata(new TooManyRequestsAnswer((http, detail) => ComfyErrors.TooManyRequests(detail).ExecuteAsync(http)))
                .WithMetadata(new RequestSizeLimitAttribute(limit))
                .ExcludeFromDescription();
            ComfyApiEndpoints.Map(api, limit);
        }
        return app;
    }
}
