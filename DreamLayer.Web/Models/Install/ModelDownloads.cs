using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Security;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models.Install;

/// <summary>
/// Installs models from an address (a Hugging Face or Civitai link, or any https file): a bounded line of downloads
/// and a few workers. Each download follows redirects by hand (each hop's address checked by
/// <see cref="DownloadAddresses"/>, a loop or too many hops refused), sends a provider's key only to that provider's
/// hosts, refuses a web page, checks the free disk first, streams into the install's temporary file and resumes with
/// HTTP Range when the connection drops.
/// </summary>
public sealed partial class ModelDownloads(
    ModelInstalls installs,
    IHttpClientFactory httpClientFactory,
    ProviderKeys keys,
    IOptions<InstallOptions> options,
    ILogger<ModelDownloads> logger) : BackgroundService
{
    public const string HttpClientName = "ModelDownloads";

    private const int ChunkSize = 1024 * 1024;

    private readonly Channel<Install> _line = Channel.CreateBounded<Install>(new BoundedChannelOptions(options.Value.QueueLength)
    {
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Puts a download in line. Returns its id, or null and why it cannot start.</summary>
    public (string? Id, string? Error) Enqueue(SignedInUser actor, InstallRequest request)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(request);
        if (DownloadAddresses.SchemeProblem(request.Url) is { } problem)
        {
            return (null, problem);
        }
        var (install, error) = installs.Begin(actor, request, Describe(request.Url!));
        if (install is null)
        {
            return (null, error);
        }
        if (!_line.Writer.TryWrite(install))
        {
            return (null, installs.Fail(install, $"{options.Value.QueueLength} downloads are already waiting; try again when one has finished."));
        }
        return (install.Id, null);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Value.ParallelDownloads).Select(_ => WorkAsync(stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var install in _line.Reader.ReadAllAsync(stoppingToken))
            {
                await RunAsync(install, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the app stops; an install under way was ended by RunAsync
        }
    }

    /// <summary>One download from start to its end (done, failed or cancelled); never throws but for the app stopping.</summary>
    private async Task RunAsync(Install install, CancellationToken stoppingToken)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, install.Cancelled);
        var ct = both.Token;
        try
        {
            await DownloadAsync(install, ct);
            await installs.FinishAsync(install, ct);
        }
        catch (OperationCanceledException) when (install.Cancelled.IsCancellationRequested)
        {
            installs.Fail(install, $"Cancelled; the partial file of {install.Request.FileName} was removed.", InstallState.Cancelled);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            installs.Fail(install, "The app stopped during the download; the partial file was removed.", InstallState.Cancelled);
            throw;
        }
        catch (DownloadRefusedException ex)
        {
            installs.Fail(install, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            installs.WriteFailed(install, ex);
        }
    }

    private async Task DownloadAsync(Install install, CancellationToken ct)
    {
        var url = install.Request.Url!;
        string? validator = null;
        var attempts = 0;
        var answered = false;
        install.StartOver();
        installs.Publish(install, force: true);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            while (true)
            {
                try
                {
                    var from = install.Received;
                    using var response = await GetAsync(url, from, validator, ct);
                    if (from > 0 && response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == from)
                    {
                        LogResumed(install.Request.FileName, from);
                    }
                    else if (from > 0 && response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && from == install.Total)
                    {
                        return; // everything had arrived
                    }
                    else
                    {
                        CheckAnswer(response, url);
                        if (response.StatusCode == HttpStatusCode.PartialContent)
                        {
                            throw new DownloadRefusedException($"{url.Host} sent another part of the file than the one asked for; the download cannot resume.");
                        }
                        if (from > 0)
                        {
                            LogStartedOver(install.Request.FileName, from);
                            install.StartOver();
                        }
                        install.Total = response.Content.Headers.ContentLength;
                        validator = response.Headers.ETag is { IsWeak: false } etag ? etag.Tag : response.Content.Headers.LastModified?.ToString("R");
                        if (install.Total is { } size && installs.FreeSpaceProblem(install, size) is { } full)
                        {
                            throw new DownloadRefusedException(full);
                        }
                        answered = true;
                    }
                    await CopyAsync(install, response, buffer, ct);
                    return;
                }
                catch (Exception ex) when (answered && ex is HttpIOException or HttpRequestException or TimeoutException && !ct.IsCancellationRequested)
                {
                    if (++attempts > options.Value.ResumeAttempts)
                    {
                        throw new DownloadRefusedException($"The connection dropped {Words.Count(attempts, "time")} (last: {ex.Message}); gave up after {ModelInstalls.Size(install.Received)}, and the partial file was removed.");
                    }
                    LogDropped(install.Request.FileName, install.Received, attempts);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads the body into the install's file, a chunk at a time. A read that fails or waits too long is a dropped
    /// connection (<see cref="HttpIOException"/>, resumed by the caller); a failed write (a full disk) is not.
    /// </summary>
    private async Task CopyAsync(Install install, HttpResponseMessage response, byte[] buffer, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        while (true)
        {
            idle.CancelAfter(options.Value.IdleTimeout);
            int read;
            try
            {
                read = await body.ReadAsync(buffer, idle.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"nothing arrived for {options.Value.IdleTimeout.TotalSeconds:0} s");
            }
            catch (IOException ex) when (ex is not HttpIOException)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, ex.Message, ex);
            }
            if (read == 0)
            {
                if (install.Total is { } total && install.Received < total)
                {
                    throw new HttpIOException(HttpRequestError.ResponseEnded, $"the server ended the file after {install.Received} of {total} bytes");
                }
                return;
            }
            await install.WriteAsync(buffer.AsMemory(0, read), ct);
            installs.Publish(install);
        }
    }

    /// <summary>
    /// GET with redirects followed by hand: each hop must be http(s), every connection goes only to an allowed address
    /// (the client's connect callback), the same address twice is a loop, and a provider's key goes only to the
    /// provider's host the admin named.
    /// </summary>
    private async Task<HttpResponseMessage> GetAsync(Uri url, long from, string? validator, CancellationToken ct)
    {
        var client = httpClientFactory.CreateClient(HttpClientName);
        var seen = new HashSet<Uri> { url };
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            request.Headers.UserAgent.ParseAdd("DreamLayer");
            // The key goes to the provider's host the admin named, never to a host a redirect leads to (a CDN's signed
            // address needs none), as browsers and Python's requests drop credentials across hosts.
            if (string.Equals(current.Host, url.Host, StringComparison.OrdinalIgnoreCase)
                && KeyProviders.ForHost(current.Host) is { } provider && await keys.GetAsync(provider, ct) is { } key)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            if (from > 0)
            {
                request.Headers.Range = new RangeHeaderValue(from, null);
                if (validator is not null)
                {
                    request.Headers.TryAddWithoutValidation("If-Range", validator);
                }
            }
            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException ex) when (ex.InnerException is DownloadRefusedException refused)
            {
                throw refused;
            }
            catch (HttpRequestException ex) when (from == 0)
            {
                throw new DownloadRefusedException($"{current.Host} could not be reached ({ex.Message}).");
            }
            if ((int)response.StatusCode is < 300 or >= 400 || response.StatusCode == HttpStatusCode.NotModified)
            {
                return response;
            }
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
            {
                throw new DownloadRefusedException($"{current.Host} answered a redirect without saying where to.");
            }
            var next = location.IsAbsoluteUri ? location : new Uri(current, location);
            if (DownloadAddresses.SchemeProblem(next) is { } problem)
            {
                throw new DownloadRefusedException($"{current.Host} redirected to another kind of address: {problem}");
            }
            if (!seen.Add(next))
            {
                throw new DownloadRefusedException($"{url.Host} redirects in a loop (back to {Describe(next)}); the file cannot be reached.");
            }
            if (hop + 1 > options.Value.MaxRedirects)
            {
                throw new DownloadRefusedException($"{url.Host} redirected more than {options.Value.MaxRedirects} times; the file cannot be reached.");
            }
            current = next;
        }
    }

    /// <summary>Refuses an answer that is not the file: an error status (in words), or a web page.</summary>
    private static void CheckAnswer(HttpResponseMessage response, Uri url)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            var provider = KeyProviders.ForHost(url.Host);
            throw new DownloadRefusedException(provider is null
                ? $"{url.Host} refused the download ({(int)response.StatusCode}): the file needs a sign-in the app does not have."
                : $"{provider.Name} refused the download ({(int)response.StatusCode}): the model needs a {provider.Name} key with access to it; set or check it on Settings → Keys.");
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new DownloadRefusedException($"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase}; check the address.");
        }
        if (response.Content.Headers.ContentType?.MediaType is "text/html" or "application/xhtml+xml")
        {
            throw new DownloadRefusedException($"{url.Host} sent a web page, not a model file: use the file's download link (on Hugging Face, the \"resolve\" link; on Civitai, the download button's).");
        }
    }

    /// <summary>The address as shown to people and logs: scheme, host and path, never the query (it can hold a token).</summary>
    private static string Describe(Uri url) => url.GetLeftPart(UriPartial.Path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Download of {File} dropped after {Bytes} bytes; resuming (attempt {Attempt})")]
    private partial void LogDropped(string file, long bytes, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Download of {File} resumed at byte {Bytes}")]
    private partial void LogResumed(string file, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Download of {File} could not resume after {Bytes} bytes; starting over")]
    private partial void LogStartedOver(string file, long bytes);
}
