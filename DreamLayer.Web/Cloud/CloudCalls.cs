using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Cloud;

/// <summary>
/// What the three clients share: the one rule for sending a paid request (once; again only when the provider cannot
/// have accepted it), the words for what went wrong on the wire, and the bounded download of a result address.
/// </summary>
public sealed partial class CloudCalls(IOptions<CloudOptions> options, IHttpClientFactory clients, TimeProvider time, ILogger<CloudCalls> logger)
{
    /// <summary>The named client that fetches result addresses: no key ever, answers bounded by <see cref="CloudOptions.MaxImageBytes"/>.</summary>
    public const string DownloadClient = "Cloud.Downloads";

    /// <summary>The most of an error answer read for its words.</summary>
    private const int MaxErrorChars = 16 * 1024;

    public CloudOptions Options => options.Value;

    public TimeProvider Time => time;

    /// <summary>
    /// Runs <paramref name="attempt"/> (one paid request) and, only when it failed with
    /// <see cref="CloudProviderException.SafeToResend"/> (the provider cannot have accepted it), runs it again after the
    /// provider's <c>Retry-After</c> (or <see cref="CloudOptions.DefaultRetryWait"/> times the attempt), at most
    /// <see cref="CloudOptions.MaxRetries"/> times and never for a wait beyond <see cref="CloudOptions.MaxRetryWait"/>.
    /// </summary>
    internal async Task<T> SendPaidAsync<T>(CloudProviderId provider, string name, Func<CancellationToken, Task<T>> attempt, CancellationToken ct)
    {
        for (var tries = 1; ; tries++)
        {
            if (ct.IsCancellationRequested)
            {
                throw new CloudCancelledException($"Cancelled before the request was sent to {name}: nothing was billed.", mayHaveBeenBilled: false, ct);
            }
            try
            {
                return await attempt(ct);
            }
            catch (CloudProviderException ex) when (ex.SafeToResend && tries <= Options.MaxRetries && Wait(ex, tries) <= Options.MaxRetryWait)
            {
                var wait = Wait(ex, tries);
                LogResending(provider, ex.Failure, wait.TotalSeconds, tries);
                try
                {
                    await Task.Delay(wait, time, ct);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw new CloudCancelledException($"Cancelled while waiting to send the request to {name} again: it had not been accepted, nothing was billed.", mayHaveBeenBilled: false, ct);
                }
            }
        }
    }

    /// <summary>
    /// One paid POST over a typed client, through <see cref="SendPaidAsync"/>: the key in <paramref name="keyHeader"/>, a
    /// refusal read by <paramref name="refused"/>, the JSON answer by <paramref name="read"/>; whatever else goes wrong
    /// on the way in words (<see cref="Failed"/>).
    /// </summary>
    internal Task<T> PostPaidAsync<T>(
        HttpClient http, CloudProviderId provider, string name, Uri target, Func<HttpContent> content, string keyHeader, CloudKey key,
        Func<HttpResponseMessage, CancellationToken, Task<CloudProviderException>> refused, Func<JsonElement, T> read, CancellationToken ct) =>
        SendPaidAsync(provider, name, async attempt =>
        {
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, target) { Content = content() };
                message.Headers.Add(keyHeader, key.Value);
                using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, attempt);
                if (!response.IsSuccessStatusCode)
                {
                    throw await refused(response, attempt);
                }
                await using var body = await response.Content.ReadAsStreamAsync(attempt);
                using var json = await JsonDocument.ParseAsync(body, cancellationToken: attempt);
                return read(json.RootElement);
            }
            catch (Exception ex) when (Failed(provider, name, target, ex, paid: true, attempt) is { } failure)
            {
                throw failure;
            }
        }, ct);

    private TimeSpan Wait(CloudProviderException ex, int tries) => ex.RetryAfter ?? Options.DefaultRetryWait * tries;

    /// <summary>
    /// The failure a call to <paramref name="target"/> ended in, in words: the caller's cancel, a timeout, the
    /// connection, an answer too large or unreadable. <paramref name="paid"/> says whether the request may have been
    /// billed once it was sent. Null for an exception that is none of these (a bug: let it through).
    /// </summary>
    internal Exception? Failed(CloudProviderId provider, string name, Uri target, Exception ex, bool paid, CancellationToken ct)
    {
        if (ex is CloudProviderException or CloudCancelledException)
        {
            return ex;
        }
        if (ex is OperationCanceledException && ct.IsCancellationRequested)
        {
            return paid
                ? new CloudCancelledException($"Cancelled while {name} was working on the request. It had been sent and {name} cannot call it back: {name} may still make and bill the pictures.", mayHaveBeenBilled: true, ct)
                : new CloudCancelledException("Cancelled.", mayHaveBeenBilled: false, ct);
        }
        if (Find<ResponseTooLargeException>(ex) is { } tooLarge)
        {
            return new CloudProviderException(provider, CloudFailure.ResponseTooLarge, paid
                ? $"{name}'s answer was larger than {Bytes(tooLarge.Limit)} and was cut off there. {name} may have made and billed the pictures; the request was not sent again."
                : $"{name}'s answer was larger than {Bytes(tooLarge.Limit)} and was cut off there.", paid, ex);
        }
        if (ex is OperationCanceledException or TimeoutException)
        {
            var seconds = Options.RequestTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
            return paid
                ? new CloudProviderException(provider, CloudFailure.OutcomeUnknown,
                    $"No answer from {name} within {seconds} s. The request had been sent, so {name} may have made and billed it; it was not sent again (check {name}'s usage page before trying again).", true, ex)
                : new CloudProviderException(provider, CloudFailure.ProviderError, $"No answer from {name} within {seconds} s.", false, ex) { SafeToResend = true };
        }
        if (Find<HttpRequestException>(ex) is { } http)
        {
            return Transport(provider, name, target, http, paid);
        }
        if (Find<JsonException>(ex) is { } json)
        {
            return new CloudProviderException(provider, CloudFailure.InvalidResponse, paid
                ? $"{name}'s answer is not the JSON its API documents ({json.Message}). {name} may have made and billed the pictures; the request was not sent again."
                : $"{name}'s answer is not the JSON its API documents ({json.Message}).", paid, ex);
        }
        return null;
    }

    /// <summary>A connection failure: before sending (refused: safe to send again; no address: not sent) or after (unknown).</summary>
    private static CloudProviderException Transport(CloudProviderId provider, string name, Uri target, HttpRequestException ex, bool paid)
    {
        var host = target.Authority;
        if (ex.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            return new(provider, CloudFailure.Unreachable, $"The address of {name} ({target.Host}) could not be found (DNS): nothing was sent. Check the network, or the base address in the Cloud settings.", false, ex);
        }
        if (ex.HttpRequestError == HttpRequestError.ConnectionError && Find<SocketException>(ex) is { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return new(provider, CloudFailure.Unreachable, $"{name} ({host}) refused the connection: nothing was sent.", false, ex) { SafeToResend = true };
        }
        if (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            return new(provider, CloudFailure.Unreachable, $"Could not connect to {name} ({host}): {ex.Message} Nothing was sent.", false, ex);
        }
        return paid
            ? new(provider, CloudFailure.OutcomeUnknown,
                $"The connection to {name} ({host}) broke after the request was sent ({ex.Message}). {name} may have made and billed it; it was not sent again (check {name}'s usage page before trying again).", true, ex)
            : new(provider, CloudFailure.ProviderError, $"The connection to {name} ({host}) broke: {ex.Message}", false, ex) { SafeToResend = true };
    }

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>The wait a 429 or 503 asks for (<c>Retry-After</c> in seconds or as a date); null when it does not say.</summary>
    internal TimeSpan? RetryAfter(HttpResponseHeaders headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero,
            _ => null,
        };
    }

    /// <summary><c>Retry-After</c> as the OpenAI SDK hands headers over: seconds, or an HTTP date.</summary>
    internal TimeSpan? RetryAfter(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? (date - time.GetUtcNow() is { } left && left > TimeSpan.Zero ? left : TimeSpan.Zero)
            : null;
    }

    /// <summary>"in 5 s" / "in a moment": when a rate-limited request may be tried again.</summary>
    internal static string When(TimeSpan? retryAfter) => retryAfter is { } wait
        ? $"try again in {Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s"
        : "try again in a moment (the provider did not say when)";

    /// <summary>An error answer's text for its words: at most <see cref="MaxErrorChars"/> characters, whatever it sent.</summary>
    internal static async Task<string> ReadErrorTextAsync(HttpContent content, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(content);
        try
        {
            await using var stream = await content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[MaxErrorChars];
            var read = await reader.ReadBlockAsync(buffer, ct);
            return new string(buffer, 0, read);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return string.Empty; // the status says enough
        }
    }

    /// <summary>The text of a JSON string property of an error answer (<c>error.message</c>, <c>detail</c>); null when absent or not JSON.</summary>
    internal static string? JsonText(string body, params string[] path)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var element = doc.RootElement;
            foreach (var name in path)
            {
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
                {
                    return null;
                }
            }
            return element.ValueKind switch
            {
                JsonValueKind.String => element.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => element.GetRawText(),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Fetches a picture from a provider's result address (a signed URL: no key is sent), at most
    /// <see cref="CloudOptions.MaxImageBytes"/>, and checks it is a PNG, JPEG or WebP. An expired address is
    /// <see cref="CloudFailure.ResultExpired"/>; a dropped connection or a 5xx is tried again (a read is safe to repeat).
    /// </summary>
    internal async Task<(byte[] Bytes, string MediaType)> DownloadAsync(CloudProviderId provider, string name, string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new CloudProviderException(provider, CloudFailure.InvalidResponse, $"{name} gave a result address that is not a web address; the picture cannot be fetched.", true);
        }
        var http = clients.CreateClient(DownloadClient);
        CloudStages.Report(CloudStage.Downloading);
        for (var tries = 1; ; tries++)
        {
            try
            {
                using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.Unauthorized)
                {
                    throw new CloudProviderException(provider, CloudFailure.ResultExpired,
                        $"The picture's address at {name} had expired (it answered {(int)response.StatusCode}) before it was fetched; {name} keeps results only for minutes. The request was billed; it was not sent again.", true);
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new CloudProviderException(provider, CloudFailure.ProviderError, $"{name} answered {(int)response.StatusCode} when the picture was fetched.", true)
                    {
                        SafeToResend = (int)response.StatusCode >= 500,
                    };
                }
                var bytes = await response.Content.ReadAsByteArrayAsync(ct);
                return MediaTypeOf(bytes) is { } type
                    ? (bytes, type)
                    : throw new CloudProviderException(provider, CloudFailure.InvalidResponse, $"What {name}'s result address sent is not a PNG, JPEG or WebP picture.", true);
            }
            catch (Exception ex) when (ex is not CloudProviderException && Failed(provider, name, uri, ex, paid: false, ct) is { } failure)
            {
                if (failure is CloudProviderException { SafeToResend: true } && tries <= Options.MaxRetries)
                {
                    await Task.Delay(Options.DefaultRetryWait * tries, time, ct);
                    continue;
                }
                throw failure is CloudProviderException { Failure: CloudFailure.ResponseTooLarge }
                    ? new CloudProviderException(provider, CloudFailure.ResponseTooLarge,
                        $"The picture at {name}'s result address is larger than {Bytes(Options.MaxImageBytes)}; it was not kept.", true, ex)
                    : failure;
            }
            catch (CloudProviderException ex) when (ex.SafeToResend && tries <= Options.MaxRetries)
            {
                await Task.Delay(Options.DefaultRetryWait * tries, time, ct);
            }
        }
    }

    /// <summary>The media type of a PNG, JPEG or WebP picture, read from its first bytes; null for anything else.</summary>
    public static string? MediaTypeOf(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "image/webp",
        _ => null,
    };

    private static string Bytes(long bytes) => bytes >= 1024 * 1024
        ? FormattableString.Invariant($"{bytes / (1024.0 * 1024):0.#} MB")
        : FormattableString.Invariant($"{bytes:N0} bytes");

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider} did not accept the request ({Failure}); sending it again in {Seconds} s (attempt {Attempt})")]
    private partial void LogResending(CloudProviderId provider, CloudFailure failure, double seconds, int attempt);
}
