using System.Net.Sockets;
using DreamLayer.Web.Comfy;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// Holds the app's first <c>POST</c> to one ComfyUI route (<c>/prompt</c>, <c>/upload/image</c>) on its way out, until
/// the test lets it go on or answers it as a refused connection: a send stopped exactly at the point a test needs,
/// without sleeping.
/// </summary>
public sealed class HeldRequests(string route)
{
    private readonly string _route = "/" + route;
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;

    /// <summary>Adds the hold to the app's ComfyUI client.</summary>
    public void AddTo(IServiceCollection services) =>
        services.AddHttpClient(BackendPool.HttpClientName).AddHttpMessageHandler(() => new Holder(this));

    /// <summary>Completes when the request is being held.</summary>
    public Task Arrived => _arrived.Task;

    /// <summary>The held request goes on to the server.</summary>
    public void Forward() => _released.TrySetResult(true);

    /// <summary>The held request fails as if nothing listened at the server's address (it never arrived).</summary>
    public void Refuse() => _released.TrySetResult(false);

    private sealed class Holder(HeldRequests held) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith(held._route, StringComparison.Ordinal)
                && Interlocked.Exchange(ref held._held, 1) == 0)
            {
                held._arrived.TrySetResult();
                if (!await held._released.Task.WaitAsync(cancellationToken))
                {
                    throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused",
                        new SocketException((int)SocketError.ConnectionRefused));
                }
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
