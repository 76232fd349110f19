using System.Net;

namespace DreamLayer.Web.Comfy;

/// <summary>
/// Retries a GET or HEAD to a ComfyUI server after a transient failure (a dropped connection, 408, 429 or a 5xx),
/// twice at most with a short growing pause. Anything else, <c>POST /prompt</c> above all, is sent exactly once:
/// a retried prompt is a duplicate job on the GPU.
/// </summary>
internal sealed class SafeRetryHandler(TimeProvider time) : DelegatingHandler
{
    public const int MaxRetries = 2;
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head)
        {
            return await base.SendAsync(request, cancellationToken);
        }
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                if (attempt >= MaxRetries || !IsTransient(response.StatusCode))
                {
                    return response;
                }
                response.Dispose();
            }
            catch (HttpRequestException) when (attempt < MaxRetries && !cancellationToken.IsCancellationRequested)
            {
                // a dropped connection: try again
            }
            await Task.Delay(FirstDelay * (1 << attempt), time, cancellationToken);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;
}
