using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The public API: REST v1 under <see cref="Prefix"/> (personal token or sign-in cookie, rate-limited per token, small
/// requests only, errors as RFC 7807 problem details), live job events over SignalR at <see cref="JobsHub.Path"/>, its
/// OpenAPI document at <c>/openapi/v1.json</c> and the interactive reference at <see cref="DocsPath"/>.
/// </summary>
public static class ApiExtensions
{
    public const string Prefix = "/api/v1";
    public const string DocsPath = "/api/docs";

    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddProblemDetails();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<JobStreams>();
        builder.Services.AddOpenApi("v1", o =>
        {
            // The document describes the public API only, not the app's own endpoints (images, previews, uploads).
            o.ShouldInclude = d => d.RelativePath?.StartsWith(Prefix[1..] + "/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "DreamLayer API",
                    Version = "v1",
                    Description = "Send a personal API token (made on your Preferences page) as \"Authorization: Bearer dl_…\". " +
                        "Errors are RFC 7807 problem details. Live job events (queued, started, progress, preview frames, finished, " +
                        "failed, cancelled) come over SignalR at /hubs/jobs: its methods, events and payloads are in docs/api/hub.md.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "A personal API token, dl_…",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>An API error without a body (a bad route value, a body too large) still answers with problem details.</summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Prefix), branch => branch.UseStatusCodePages());
        return app;
    }

    public static IEndpointRouteBuilder MapApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup(Prefix)
            .RequireAuthorization(ApiAccess.Policy)
            .RequireRateLimiting(ApiAccess.RateLimit)
            .WithMetadata(new RequestSizeLimitAttribute(ApiEndpoints.MaxRequestBytes))
            .AddEndpointFilter(RefuseLargeBodies)
            .WithTags("v1")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        ApiEndpoints.Map(api);
        ApiJobEndpoints.Map(api, app.ServiceProvider.GetRequiredService<IOptions<StorageOptions>>().Value.MaxImageBytes);
        ApiWorkflowEndpoints.Map(api);
        ApiGalleryEndpoints.Map(api);
        // Live job events; a connection made with a token that expires is closed when it does.
        app.MapHub<JobsHub>(JobsHub.Path, o => o.CloseOnAuthenticationExpiration = true)
            .RequireAuthorization(ApiAccess.Policy)
            .RequireRateLimiting(ApiAccess.RateLimit);
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(ApiAccess.Policy);
        app.MapScalarApiReference(DocsPath, o =>
        {
            // Everything from the app itself: no fonts from a CDN, no telemetry, no AI chat, no developer toolbar.
            o.WithTitle("DreamLayer API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .WithNonce()
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .AddPreferredSecuritySchemes("bearer");
            o.ShowDeveloperTools = DeveloperToolsVisibility.Never;
        });
        return app;
    }

    /// <summary>
    /// A body announced larger than its route takes (<see cref="ApiEndpoints.MaxRequestBytes"/>, more only for an upload)
    /// is refused before anything reads it (a body sent without its length stops at the same limit as it is read).
    /// </summary>
    private static async ValueTask<object?> RefuseLargeBodies(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var limit = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? ApiEndpoints.MaxRequestBytes;
        return context.HttpContext.Request.ContentLength > limit ? ApiProblems.TooLarge(limit) : await next(context);
    }
}

/// <summary>
/// Documents a request body that the handler reads itself (so that it can name the field a bad value is at). Unlike
/// <c>Accepts</c>, this adds no content-type constraint to routing: a body of another type reaches the handler, which
/// answers with problem details, instead of a routing 415 outside the API's sign-in.
/// </summary>
internal static class ApiBodies
{
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder) =>
        builder.AddOpenApiOperationTransformer(async (operation, context, ct) =>
        {
            var schema = await context.GetOrCreateSchemaAsync(typeof(T), null, ct);
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        });

    public static RouteHandlerBuilder WithFileBody(this RouteHandlerBuilder builder, string field) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { field },
                            Properties = new Dictionary<string, IOpenApiSchema> { [field] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
                        },
                    },
                },
            };
            return Task.CompletedTask;
        });
}
