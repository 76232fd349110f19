using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ComfyStandIn;

/// <summary>A ComfyUI stand-in: speaks the HTTP + WebSocket protocol and draws synthetic pictures.</summary>
public sealed class StandInServer : IAsyncDisposable
{
    internal const long MaxUploadBytes = 100L * 1024 * 1024;
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private readonly State _state;
    private bool _stopped;

    private StandInServer(WebApplication app, State state, Uri baseAddress)
    {
        _app = app;
        _state = state;
        BaseAddress = baseAddress;
        _worker = Task.Run(() => state.Engine.RunAsync(_stopping.Token));
    }

    public Uri BaseAddress { get; }

    public StandInFaults Faults => _state.Faults;

    /// <summary>How many <c>POST /prompt</c> calls queued a prompt.</summary>
    public int PromptsAccepted => _state.PromptsAccepted;

    /// <summary>
    /// Each queued prompt in the order it was accepted, with the <c>extra_data.api_key_comfy_org</c> it carried (null
    /// without one): tests assert the Comfy.org key went only to the prompts that need it.
    /// </summary>
    public IReadOnlyList<(string PromptId, string? ComfyOrgKey)> PromptKeys => _state.PromptKeys;

    /// <summary>The <c>POST /free</c> calls received, in order: (unload_models, free_memory) as the server read them.</summary>
    public IReadOnlyList<(bool UnloadModels, bool FreeMemory)> FreeRequests => _state.FreeRequests;

    /// <summary>Total time the server spent running prompts.</summary>
    public TimeSpan BusyTime => _state.Engine.BusyTime;

    /// <summary>Time the server stood idle with an empty queue between its first and its last prompt.</summary>
    public TimeSpan StarvedTime => _state.Engine.StarvedTime;

    /// <summary>Stopwatch timestamps of the first prompt's start and the last prompt's end (0 before any).</summary>
    public (long FirstStarted, long LastFinished) Span => _state.Engine.Span;

    public static async Task<StandInServer> StartAsync(StandInOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var objectInfoPath = options.ObjectInfoPath ?? NodeCatalog.FindDefaultObjectInfo();
        var info = JsonNode.Parse(await File.ReadAllTextAsync(objectInfoPath, cancellationToken))?.AsObject()
            ?? throw new InvalidDataException($"{objectInfoPath} is not a JSON object.");
        var dataDir = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "comfy-standin-" + Guid.NewGuid().ToString("N"));
        var files = new FileStore(dataDir);
        var catalog = new NodeCatalog(info, options, files.Input);
        var state = new State(options, catalog, files);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxUploadBytes;
            if (IPAddress.TryParse(options.Host, out var ip)) { k.Listen(ip, options.Port); }
            else if (options.Host == "localhost") { k.ListenLocalhost(options.Port); }
            else { k.ListenAnyIP(options.Port); }
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Use(OriginCheck);
        Routes.Map(app, state);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        var host = options.Host.Contains(':', StringComparison.Ordinal) ? $"[{options.Host}]" : options.Host;
        if (host is "0.0.0.0" or "[::]") { host = "127.0.0.1"; }
        return new StandInServer(app, state, new Uri($"http://{host}:{port}/"));
    }

    /// <summary>Stops listening; queue and history are lost like a real restart, files on disk stay.</summary>
    public async Task StopAsync()
    {
        if (_stopped) { return; }
        _stopped = true;
        await _stopping.CancelAsync();
        _state.Stopping.Cancel();
        _state.Hub.AbortAll();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
            // The worker ends by cancellation.
        }
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        _state.Stopping.Dispose();
        _state.Queue.Dispose();
        _state.FrameLog?.Dispose();
    }

    private static async Task OriginCheck(HttpContext context, Func<Task> next)
    {
        var host = context.Request.Headers.Host.ToString();
        var origin = context.Request.Headers.Origin.ToString();
        if (host.Length > 0 && origin.Length > 0)
        {
            var (hostName, hostPort) = SplitNetloc(host);
            if (hostName is "127.0.0.1" or "::1" or "localhost")
            {
                var schemeEnd = origin.IndexOf("://", StringComparison.Ordinal);
                var netloc = schemeEnd >= 0 ? origin[(schemeEnd + 3)..] : string.Empty;
                var slash = netloc.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0) { netloc = netloc[..slash]; }
                var (originName, originPort) = SplitNetloc(netloc);
                var same = hostPort is null || originPort is null
                    ? string.Equals(hostName, originName, StringComparison.OrdinalIgnoreCase) || originName.Length == 0
                    : string.Equals(host, netloc, StringComparison.OrdinalIgnoreCase);
                if (!same)
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return;
                }
            }
        }
        if (HttpMethods.IsOptions(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }
        await next();
    }

    private static (string Name, string? Port) SplitNetloc(string netloc)
    {
        if (netloc.StartsWith('['))
        {
            var close = netloc.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) { return (netloc, null); }
            var name = netloc[1..close];
            return (name.ToLowerInvariant(), close + 1 < netloc.Length && netloc[close + 1] == ':' ? netloc[(close + 2)..] : null);
        }
        var colon = netloc.LastIndexOf(':');
        return colon >= 0 ? (netloc[..colon].ToLowerInvariant(), netloc[(colon + 1)..]) : (netloc.ToLowerInvariant(), null);
    }

    /// <summary>Everything one server instance owns.</summary>
    internal sealed class State
    {
        private readonly Lock _lock = new();
        private int _number;
        private int _promptsAccepted;

        public State(StandInOptions options, NodeCatalog catalog, FileStore files)
        {
            Options = options;
            Catalog = catalog;
            Files = files;
            Queue = new PromptQueue(Hub);
            FrameLog = options.FrameLogPath is { } log ? new FrameLog(log) : null;
            Engine = new Engine(catalog, files, Hub, Queue, options, Faults, options.RealisticPreviews ? PreviewFrames.Create() : null, FrameLog);
        }

        public StandInOptions Options { get; }
        public NodeCatalog Catalog { get; }
        public FileStore Files { get; }
        public StandInFaults Faults { get; } = new();
        public SocketHub Hub { get; } = new();
        public PromptQueue Queue { get; }
        public Engine Engine { get; }
        public FrameLog? FrameLog { get; }
        public CancellationTokenSource Stopping { get; } = new();

        private readonly List<(bool, bool)> _freeRequests = [];

        public IReadOnlyList<(bool UnloadModels, bool FreeMemory)> FreeRequests
        {
            get { lock (_lock) { return [.. _freeRequests]; } }
        }

        public void Freed(bool unloadModels, bool freeMemory)
        {
            lock (_lock) { _freeRequests.Add((unloadModels, freeMemory)); }
        }

        public int PromptsAccepted
        {
            get { lock (_lock) { return _promptsAccepted; } }
        }

        public int NextNumber()
        {
            lock (_lock) { return _number++; }
        }

        private readonly List<(string, string?)> _promptKeys = [];

        public IReadOnlyList<(string PromptId, string? ComfyOrgKey)> PromptKeys
        {
            get { lock (_lock) { return [.. _promptKeys]; } }
        }

        public void Accepted(string promptId, string? comfyOrgKey)
        {
            lock (_lock)
            {
                _promptsAccepted++;
                _promptKeys.Add((promptId, comfyOrgKey));
            }
        }
    }
}
