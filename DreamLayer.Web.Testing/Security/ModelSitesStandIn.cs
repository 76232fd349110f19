using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DreamLayer.Web.Tests.Security;

/// <summary>A Hugging Face token the stand-in knows: whose it is, its role, and (fine-grained) whether it may read public gated repositories.</summary>
public sealed record HubToken(string User, string Role, bool? CanReadGatedRepos = null);

/// <summary>
/// The key checks of the two model sites on one loopback port, as they document them: Hugging Face's
/// <c>GET /api/whoami-v2</c> (<c>Authorization: Bearer</c>; 200 with the user and <c>auth.accessToken</c>, 401
/// <c>{"error":"Invalid credentials in Authorization header"}</c>) and Civitai's <c>GET /api/v1/me</c> (Bearer; 200
/// <c>{id, username, tier, status, isMember, subscriptions}</c>, 401 <c>{"error":"Unauthorized"}</c> for a missing,
/// malformed or revoked key alike). Faults for both: answer every call with a status (429 with <c>Retry-After</c>, 500,
/// 503), or never answer (<see cref="Hang"/>) until the client gives up.
/// </summary>
public sealed class ModelSitesStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _status;

    private ModelSitesStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Hugging Face tokens → what whoami-v2 answers for them.</summary>
    public ConcurrentDictionary<string, HubToken> HubTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Civitai keys → the user they belong to and the account's status (active, muted, banned).</summary>
    public ConcurrentDictionary<string, (string User, string Status)> CivitaiKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Every Authorization header received, in order (null for a request without one).</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>When not 0, every call is answered with this status (in the site's error shape) instead.</summary>
    public int FailWith { get => Volatile.Read(ref _status); set => Volatile.Write(ref _status, value); }

    /// <summary>Sent as <c>Retry-After</c> with a 429.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>Calls never answer: the request stays open until the client gives up.</summary>
    public bool Hang { get; set; }

    public static async Task<ModelSitesStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ModelSitesStandIn(app);
        app.MapGet("/api/whoami-v2", (Func<HttpContext, Task<IResult>>)server.WhoAmIAsync);
        app.MapGet("/api/v1/me", (Func<HttpContext, Task<IResult>>)server.MeAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    /// <summary>Clears the faults.</summary>
    public void Reset()
    {
        FailWith = 0;
        RetryAfterSeconds = null;
        Hang = false;
    }

    private async Task<IResult> WhoAmIAsync(HttpContext context)
    {
        if (await FaultAsync(context) is { } fault)
        {
            return fault;
        }
        if (BearerOf(context) is not { } token || !HubTokens.TryGetValue(token, out var known))
        {
            return Results.Json(new JsonObject { ["error"] = "Invalid credentials in Authorization header" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        var accessToken = new JsonObject { ["displayName"] = "dreamlayer", ["role"] = known.Role, ["createdAt"] = "2026-11-01T00:00:00.000Z" };
        if (known.Role == "fineGrained")
        {
            accessToken["fineGrained"] = new JsonObject
            {
                ["canReadGatedRepos"] = known.CanReadGatedRepos ?? false,
                ["global"] = new JsonArray("discussion.write", "post.write"),
                ["scoped"] = new JsonArray(),
            };
        }
        return Results.Json(new JsonObject
        {
            ["type"] = "user",
            ["id"] = "6500000000000000000000aa",
            ["name"] = known.User,
            ["fullname"] = known.User,
            ["email"] = $"{known.User}@example.com",
            ["emailVerified"] = true,
            ["canPay"] = false,
            ["isPro"] = false,
            ["periodEnd"] = null,
            ["avatarUrl"] = "/avatars/default.svg",
            ["orgs"] = new JsonArray(),
            ["auth"] = new JsonObject { ["type"] = "access_token", ["accessToken"] = accessToken },
        });
    }

    private async Task<IResult> MeAsync(HttpContext context)
    {
        if (await FaultAsync(context) is { } fault)
        {
            return fault;
        }
        if (BearerOf(context) is not { } key || !CivitaiKeys.TryGetValue(key, out var known))
        {
            return Results.Json(new JsonObject { ["error"] = "Unauthorized" }, statusCode: StatusCodes.Status401Unauthorized);
        }
        return Results.Json(new JsonObject
        {
            ["id"] = 12345,
            ["username"] = known.User,
            ["tier"] = "free",
            ["status"] = known.Status,
            ["isMember"] = false,
            ["subscriptions"] = new JsonArray(),
        });
    }

    private string? BearerOf(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null;
        Authorizations.Enqueue(header);
        return header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..] : null;
    }

    private async Task<IResult?> FaultAsync(HttpContext context)
    {
        if (Hang)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty; // the client gave up
            }
        }
        var status = FailWith;
        if (status == 0)
        {
            return null;
        }
        if (RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return Results.Json(new JsonObject { ["error"] = status == StatusCodes.Status429TooManyRequests ? "Too many requests" : "Internal Error" }, statusCode: status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
