using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CloudStandIn.Bfl;
using CloudStandIn.Ideogram;
using CloudStandIn.OpenAi;
using ComfyStandIn;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace CloudStandIn;

/// <summary>
/// The cloud providers' stand-in: OpenAI Images, Ideogram 3.0 and BFL's FLUX on one port (or one of them), speaking
/// their documented HTTP APIs and drawing synthetic pictures. Tests start it in-process on port 0.
/// </summary>
public sealed class CloudStandInServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions FaultsJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private readonly WebApplication _app;
    private readonly CloudState _state;
    private bool _stopped;

    private readonly BflApi? _bfl;

    private CloudStandInServer(WebApplication app, CloudState state, Uri baseAddress, BflApi? bfl)
    {
        _app = app;
        _state = state;
        BaseAddress = baseAddress;
        _bfl = bfl;
    }

    public Uri BaseAddress { get; }

    /// <summary>The fault switches of one provider.</summary>
    public CloudFaults Faults(CloudProvider provider) => _state.FaultsOf(provider);

    /// <summary>Every request answered (or dropped, with status 0), oldest first: provider, path, key, status, model, prompt.</summary>
    public IReadOnlyList<CloudRequest> Requests => _state.Log.All;

    /// <summary>Every paid request the providers accepted (billed), oldest first, with the key each carried.</summary>
    public IReadOnlyList<CloudRequest> Accepted => _state.Log.Accepted;

    /// <summary>Completes once <paramref name="count"/> paid requests have been accepted since the start.</summary>
    public Task WhenAcceptedAsync(int count, CancellationToken cancellationToken = default) => _state.Log.WhenAcceptedAsync(count, cancellationToken);

    /// <summary>
    /// When BFL task <paramref name="taskId"/> became ready (or reached its other end), by the stand-in's clock
    /// (<see cref="CloudStandInOptions.Time"/>): with <see cref="CloudFaults.ReadyAfterMs"/>, acceptance plus that
    /// delay, whether or not anyone polled yet; else the poll that first saw the end. Null while the task is pending,
    /// for an unknown id, or when BFL is not served. Also on <c>GET /__standin/bfl/tasks/{id}</c> as <c>endedAt</c>.
    /// </summary>
    public DateTimeOffset? BflReadyAt(string taskId) => _bfl?.EndedAt(taskId);

    public static async Task<CloudStandInServer> StartAsync(CloudStandInOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new CloudState(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = options.MaxRequestBytes);
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            if (IPAddress.TryParse(options.Host, out var ip)) { k.Listen(ip, options.Port); }
            else if (options.Host == "localhost") { k.ListenLocalhost(options.Port); }
            else { k.ListenAnyIP(options.Port); }
        });
        var app = builder.Build();
        var bfl = new BflApi(state);
        ProviderApi[] apis = [new OpenAiApi(state), new IdeogramApi(state), bfl];
        foreach (var api in apis.Where(a => options.Serves(a.Provider)))
        {
            api.Map(app);
        }
        app.MapGet("/__files/{provider}/{name}", state.Files.ServeAsync);
        app.MapGet("/__standin/bfl/tasks/{id}", (string id) => bfl.EndedAt(id) is { } at && options.Serves(CloudProvider.Bfl)
            ? Results.Json(new JsonObject { ["id"] = id, ["endedAt"] = at.ToUnixTimeMilliseconds() / 1000.0 })
            : Results.NotFound(new JsonObject { ["error"] = $"BFL task '{id}' is unknown or has not ended yet." }));
        MapFaults(app, state);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var host = options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        if (host is "0.0.0.0" or "[::]") { host = "127.0.0.1"; }
        return new CloudStandInServer(app, state, new Uri($"http://{host}:{port}/"), options.Serves(CloudProvider.Bfl) ? bfl : null);
    }

    /// <summary>
    /// <c>GET /__standin/faults</c> (every provider's), <c>GET</c> and <c>POST /__standin/faults/{provider}</c> (a POST
    /// replaces that provider's switches), <c>GET /__standin/requests</c> (the request log). Not provider routes.
    /// </summary>
    private static void MapFaults(WebApplication app, CloudState state)
    {
        app.MapGet("/__standin/faults", () => Results.Json(
            Enum.GetValues<CloudProvider>().ToDictionary(p => Name(p), p => state.FaultsOf(p).ToDto()), FaultsJson));
        app.MapGet("/__standin/faults/{provider}", (string provider) =>
            Parse(provider) is { } p ? Results.Json(state.FaultsOf(p).ToDto(), FaultsJson) : UnknownProvider(provider));
        app.MapPost("/__standin/faults/{provider}", async (string provider, HttpContext ctx) =>
        {
            if (Parse(provider) is not { } p) { return UnknownProvider(provider); }
            try
            {
                var dto = await JsonSerializer.DeserializeAsync<CloudFaultsDto>(ctx.Request.Body, FaultsJson, ctx.RequestAborted)
                    ?? throw new JsonException("The body is empty.");
                state.FaultsOf(p).Apply(dto);
                return Results.Json(state.FaultsOf(p).ToDto(), FaultsJson);
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                return Results.BadRequest(new JsonObject { ["error"] = "The faults body is not valid: " + ex.Message });
            }
        });
        app.MapGet("/__standin/requests", () => Results.Json(state.Log.All, FaultsJson));
    }

    private static string Name(CloudProvider provider) => provider.ToString().ToLowerInvariant();

    private static CloudProvider? Parse(string name) =>
        Enum.GetValues<CloudProvider>().Cast<CloudProvider?>().FirstOrDefault(p => string.Equals(Name(p!.Value), name, StringComparison.OrdinalIgnoreCase));

    private static IResult UnknownProvider(string name) =>
        Results.NotFound(new JsonObject { ["error"] = $"No provider '{name}'; the providers are openai, ideogram and bfl." });

    /// <summary>Stops listening; BFL tasks and result files are lost, as with a provider outage that loses state.</summary>
    public async Task StopAsync()
    {
        if (_stopped) { return; }
        _stopped = true;
        foreach (var provider in Enum.GetValues<CloudProvider>()) { _state.FaultsOf(provider).Reset(); }
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
