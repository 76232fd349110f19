using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// A file server on a loopback port, as a model host behaves: <c>/files/{name}</c> serves the bytes with
/// <c>Accept-Ranges</c>, a strong ETag and <c>206</c> for a Range; <c>/redirect/{n}/{name}</c> redirects n times first;
/// <c>/loop</c> redirects in a circle; <c>/page</c> is a web page; <c>/huge</c> claims a petabyte. Faults: cut the
/// connection once after some bytes (<see cref="CutOnceAfter"/>), or hold a response halfway until <see cref="Release"/>.
/// </summary>
public sealed class ModelFileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _cutAfter = -1;

    private ModelFileServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every Range header received (null for a request without one), in order.</summary>
    public ConcurrentQueue<string?> Ranges { get; } = new();

    /// <summary>Authorization headers received.</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>When set, the next response is cut (the connection aborted) after this many bytes of the body.</summary>
    public long CutOnceAfter { get => Interlocked.Read(ref _cutAfter); set => Interlocked.Exchange(ref _cutAfter, value); }

    /// <summary>When true, <c>/files</c> responses send half the body and wait for <see cref="Release"/>.</summary>
    public bool Hold { get; set; }

    /// <summary>Set when a held response has sent its first half.</summary>
    public TaskCompletionSource HeldHalfway { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<ModelFileServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ModelFileServer(app);
        server.Map();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address + "/");
        return server;
    }

    public void Add(string name, byte[] content) => _files[name] = content;

    public Uri Url(string path) => new(BaseAddress, path);

    public void Release() => _release.TrySetResult();

    private void Map()
    {
        _app.MapGet("/files/{name}", ServeAsync);
        _app.MapGet("/redirect/{count:int}/{name}", (int count, string name) =>
            Results.Redirect(count <= 1 ? $"/files/{name}" : $"/redirect/{count - 1}/{name}"));
        _app.MapGet("/loop/a", () => Results.Redirect("/loop/b"));
        _app.MapGet("/loop/b", () => Results.Redirect("/loop/a"));
        _app.MapGet("/page/{name}", () => Results.Content("<!doctype html><html><body>Sign in to download</body></html>", "text/html"));
        _app.MapGet("/huge/{name}", async context =>
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = 1L << 50;
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted); // until the client gives up
            }
            catch (OperationCanceledException)
            {
                // it did
            }
        });
    }

    private async Task ServeAsync(HttpContext context, string name)
    {
        Ranges.Enqueue(context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null);
        Authorizations.Enqueue(context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null);
        if (!_files.TryGetValue(name, out var content))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        const string etag = "\"v1\"";
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.Headers.ETag = etag;
        context.Response.ContentType = "application/octet-stream";
        long from = 0;
        var range = context.Request.Headers.Range.ToString();
        var ifRange = context.Request.Headers.IfRange.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && (ifRange.Length == 0 || ifRange == etag))
        {
            from = long.Parse(range[6..^1], CultureInfo.InvariantCulture);
            context.Response.StatusCode = StatusCodes.Status206PartialContent;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        context.Response.ContentLength = content.Length - from;
        var body = content.AsMemory((int)from);
        var cut = Interlocked.Exchange(ref _cutAfter, -1);
        if (cut >= 0 && cut < body.Length)
        {
            await context.Response.Body.WriteAsync(body[..(int)cut]);
            await context.Response.Body.FlushAsync();
            await Task.Delay(200); // let the bytes leave before the connection is cut
            context.Abort();
            return;
        }
        if (Hold)
        {
            var half = body.Length / 2;
            await context.Response.Body.WriteAsync(body[..half]);
            await context.Response.Body.FlushAsync();
            HeldHalfway.TrySetResult();
            await _release.Task.WaitAsync(context.RequestAborted);
            body = body[half..];
        }
        await context.Response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
