using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CloudStandIn;
using DreamLayer.Web.Cloud;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// A clock whose waits take no time: each timer fires at once and moves the clock on by its due time, and every wait
/// asked for is recorded. A test sees the waits the client chose (Retry-After honoured, the polling back-off) and a
/// total timeout pass, without waiting for them.
/// </summary>
internal sealed class SkippingClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<TimeSpan> _waits = [];
    private DateTimeOffset _now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Called with the count of waits so far, as each wait starts (a test cancels at the n-th, say).</summary>
    public Action<int>? OnWait { get; set; }

    public IReadOnlyList<TimeSpan> Waits
    {
        get { lock (_lock) { return [.. _waits]; } }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) { return _now; }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return new Idle();
        }
        int count;
        lock (_lock)
        {
            _waits.Add(dueTime);
            _now += dueTime;
            count = _waits.Count;
        }
        OnWait?.Invoke(count);
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new Idle();
    }

    private sealed class Idle : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>Every log line the clients' services write, at every level, with its exception: to search for a key.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{values}] {exception}");
        }
    }
}

/// <summary>
/// The app's cloud clients as <c>AddCloud</c> registers them, pointed at <paramref name="baseAddress"/> for every
/// provider, on a <see cref="SkippingClock"/>, with every log line captured. A new instance is a restarted app.
/// </summary>
internal sealed class CloudClients : IDisposable
{
    private readonly IHost _host;

    public CloudClients(Uri baseAddress, Action<Dictionary<string, string?>>? settings = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var values = new Dictionary<string, string?>
        {
            ["Cloud:OpenAI:BaseUrl"] = new Uri(baseAddress, "v1").ToString(),
            ["Cloud:Ideogram:BaseUrl"] = baseAddress.ToString(),
            ["Cloud:Bfl:BaseUrl"] = baseAddress.ToString(),
            ["Cloud:RequestTimeout"] = "00:00:30",
        };
        settings?.Invoke(values);
        builder.Configuration.AddInMemoryCollection(values);
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(Logs);
        builder.Services.AddSingleton<TimeProvider>(Clock);
        builder.AddCloud();
        _host = builder.Build();
    }

    public SkippingClock Clock { get; } = new();

    public CapturedLogs Logs { get; } = new();

    public ICloudImageProvider Provider(CloudProviderId id) =>
        _host.Services.GetServices<ICloudImageProvider>().Single(p => p.Provider == id);

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public void Dispose() => _host.Dispose();
}

/// <summary>One cloud stand-in for a test class; each test starts with every fault cleared.</summary>
public sealed class CloudStandInFixture : IAsyncLifetime
{
    public CloudStandInServer Server { get; private set; } = null!;

    public CloudStandInOptions Options { get; } = new() { Port = 0, BflPendingPolls = 0 };

    public async Task InitializeAsync() => Server = await CloudStandInServer.StartAsync(Options);

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public void Reset()
    {
        foreach (var provider in Enum.GetValues<CloudProvider>())
        {
            Server.Faults(provider).Reset();
        }
    }

    public CloudKey Key(CloudProviderId provider) => new(Options.Keys[StandIn(provider)]);

    public static CloudProvider StandIn(CloudProviderId provider) => provider switch
    {
        CloudProviderId.OpenAi => CloudProvider.OpenAi,
        CloudProviderId.Ideogram => CloudProvider.Ideogram,
        _ => CloudProvider.Bfl,
    };

    /// <summary>The requests the stand-in answered (or dropped) whose prompt is <paramref name="prompt"/>.</summary>
    public IReadOnlyList<CloudRequest> Sent(string prompt) => [.. Server.Requests.Where(r => r.Prompt == prompt)];

    public IReadOnlyList<CloudRequest> Billed(string prompt) => [.. Server.Accepted.Where(a => a.Prompt == prompt)];
}

/// <summary>
/// A test class of the cloud clients: one stand-in for the class (its faults cleared before each test) and fresh clients
/// per test (their clock and logs are that test's).
/// </summary>
public abstract class CloudClientTests : IClassFixture<CloudStandInFixture>, IDisposable
{
    private protected CloudClientTests(CloudStandInFixture cloud, Action<Dictionary<string, string?>>? settings = null)
    {
        Cloud = cloud;
        Cloud.Reset();
        Clients = new CloudClients(cloud.Server.BaseAddress, settings);
    }

    public CloudStandInFixture Cloud { get; }

    internal CloudClients Clients { get; }

    internal CloudFaults Faults(CloudProviderId provider) => Cloud.Server.Faults(CloudStandInFixture.StandIn(provider));

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Clients.Dispose();
        }
    }
}

/// <summary>How <see cref="HostileProvider"/> misbehaves.</summary>
public enum Hostility
{
    /// <summary>Every paid request is answered 200 with a JSON body whose base64 never ends.</summary>
    EndlessAnswer,

    /// <summary>As <see cref="EndlessAnswer"/>, announcing a Content-Length of 2 GB.</summary>
    TwoGigabytes,

    /// <summary>BFL: the task is accepted and ready at once, and its picture never ends.</summary>
    EndlessPicture,

    /// <summary>BFL: the task is accepted; its first poll answers 503 (Retry-After 3 s), the second a cut connection, the third Ready with a small PNG.</summary>
    FlakyPolls,
}

/// <summary>A provider that sends what no provider should (<see cref="Hostility"/>): a stand-in for a hostile or broken one.</summary>
internal sealed class HostileProvider : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HostileProvider(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<HostileProvider> StartAsync(Hostility hostility)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var self = new HostileProvider(app);
        var polls = 0;
        app.MapGet("/v1/get_result", (HttpContext ctx) =>
        {
            switch (hostility == Hostility.FlakyPolls ? Interlocked.Increment(ref polls) : 3)
            {
                case 1:
                    ctx.Response.Headers.RetryAfter = "3";
                    return Results.StatusCode(503);
                case 2:
                    ctx.Abort();
                    return Results.Empty;
                default:
                    return Results.Json(new
                    {
                        id = "t1",
                        status = "Ready",
                        result = new { sample = $"{ctx.Request.Scheme}://{ctx.Request.Host}/{(hostility == Hostility.FlakyPolls ? "small" : "sample")}.png", seed = 1 },
                    });
            }
        });
        app.MapGet("/sample.png", ctx => EndlessAsync(ctx, "\u0089PNG\r\n\u001a\n", (byte)'P', announce: false));
        app.MapGet("/small.png", () => Results.Bytes(SmallPng(), "image/png"));
        app.MapPost("/{**path}", ctx => hostility is Hostility.EndlessPicture or Hostility.FlakyPolls
            ? ctx.Response.WriteAsJsonAsync(new { id = "t1", polling_url = $"{ctx.Request.Scheme}://{ctx.Request.Host}/v1/get_result?id=t1", cost = 4 })
            : EndlessAsync(ctx, "{\"created\":1,\"id\":\"t1\",\"data\":[{\"b64_json\":\"", (byte)'A', hostility == Hostility.TwoGigabytes));
        await app.StartAsync();
        self.BaseAddress = new Uri(app.Urls.First() + "/");
        return self;
    }

    private static byte[] SmallPng()
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(8, 8);
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }

    private static async Task EndlessAsync(HttpContext ctx, string start, byte filler, bool announce)
    {
        ctx.Response.ContentType = "application/json";
        if (announce)
        {
            ctx.Response.ContentLength = 2L * 1024 * 1024 * 1024;
        }
        var chunk = Enumerable.Repeat(filler, 64 * 1024).ToArray();
        try
        {
            await ctx.Response.Body.WriteAsync(System.Text.Encoding.Latin1.GetBytes(start), ctx.RequestAborted);
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // the client hung up: what it should do
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An address on loopback where nothing listens: a connection to it is refused.</summary>
internal static class ClosedPort
{
    public static Uri Address()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
