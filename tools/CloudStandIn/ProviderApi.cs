using System.Text.Json;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;

namespace CloudStandIn;

/// <summary>A provider's refusal: its status code, its error body and, for a rate limit, the seconds to wait.</summary>
internal sealed class ProviderError(int status, JsonNode body, int? retryAfter = null) : Exception(body.ToJsonString())
{
    public int Status { get; } = status;

    public JsonNode Body { get; } = body;

    public int? RetryAfter { get; } = retryAfter;
}

/// <summary>A paid request that passed validation: what it asks for, and what accepting it does (returns the answer).</summary>
internal sealed record PaidWork(string? Model, string? Prompt, Func<string, JsonNode> Accept);

/// <summary>Everything one stand-in owns, shared by the providers' routes.</summary>
internal sealed class CloudState(CloudStandInOptions options)
{
    private readonly Dictionary<CloudProvider, CloudFaults> _faults = Enum.GetValues<CloudProvider>().ToDictionary(p => p, _ => new CloudFaults());

    public CloudStandInOptions Options { get; } = options;

    public RequestLog Log { get; } = new();

    public SignedFiles Files { get; } = new(options.Time);

    public CloudFaults FaultsOf(CloudProvider provider) => _faults[provider];

    /// <summary>The lifetime of a result URL made now: the fault's, else the option's.</summary>
    public TimeSpan UrlLifetime(CloudProvider provider) =>
        FaultsOf(provider).UrlLifetimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : Options.UrlLifetime[provider];

    /// <summary>The address the client reached the stand-in at, so result URLs work through whatever host it used.</summary>
    public static Uri BaseOf(HttpContext ctx) => new($"{ctx.Request.Scheme}://{ctx.Request.Host}/");
}

/// <summary>
/// One provider's API. Every paid request goes the same way: key, rejections switched on by a fault, the provider's
/// own validation, a moderation refusal, acceptance (recorded, billed), the hold and delay faults, then the answer or
/// a dropped connection.
/// </summary>
internal abstract class ProviderApi(CloudState state, CloudProvider provider)
{
    private static readonly JsonSerializerOptions Wire = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public CloudProvider Provider => provider;

    protected CloudState State => state;

    protected CloudFaults Faults => state.FaultsOf(provider);

    public abstract void Map(IEndpointRouteBuilder app);

    /// <summary>The key as the provider reads it from the request; null when there is none.</summary>
    protected abstract string? ReadKey(HttpRequest request);

    /// <summary>The provider's answer to a request refused for <paramref name="kind"/>; <paramref name="work"/> is set for moderation.</summary>
    protected abstract ProviderError Refusal(Rejection kind, string? key, int? retryAfter, PaidWork? work);

    /// <summary>The provider's answer to an invalid request (too large, not parsable) outside a field's own rule.</summary>
    protected abstract ProviderError Invalid(int status, string message);

    /// <summary>Headers the provider adds to an answer (a request id, say).</summary>
    protected virtual void Decorate(HttpResponse response, string id)
    {
    }

    protected virtual string NewId() => Guid.NewGuid().ToString();

    /// <summary>The route handler of a paid endpoint whose request <paramref name="parse"/> reads and validates.</summary>
    protected RequestDelegate Paid(Func<HttpContext, Task<PaidWork>> parse) => ctx => PaidAsync(ctx, parse);

    /// <summary>Runs a paid request (see the class summary).</summary>
    private async Task PaidAsync(HttpContext ctx, Func<HttpContext, Task<PaidWork>> parse)
    {
        var key = ReadKey(ctx.Request);
        var id = NewId();
        PaidWork? work = null;
        var status = StatusCodes.Status200OK;
        try
        {
            var rejection = Authorize(key, paid: true);
            work = await parse(ctx);
            if (rejection is { Kind: Rejection.Moderated })
            {
                throw Refusal(Rejection.Moderated, key, null, work);
            }
            var body = work.Accept(id);
            var accepted = Entry(ctx, key, accepted: true, status, work, id);
            state.Log.Accept(accepted);
            await Faults.WaitBeforeAnswerAsync(ctx.RequestAborted);
            if (Faults.TakeDrop())
            {
                state.Log.Answered(accepted with { Status = 0 });
                ctx.Abort();
                return;
            }
            Decorate(ctx.Response, id);
            await WriteJsonAsync(ctx, status, body);
            state.Log.Answered(accepted);
        }
        catch (ProviderError error)
        {
            await WriteErrorAsync(ctx, error, id);
            state.Log.Answered(Entry(ctx, key, accepted: false, error.Status, work, id));
        }
        catch (BadHttpRequestException ex)
        {
            var error = Invalid(ex.StatusCode, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"The request is larger than the {state.Options.MaxRequestBytes} bytes this server reads."
                : ex.Message);
            await WriteErrorAsync(ctx, error, id);
            state.Log.Answered(Entry(ctx, key, accepted: false, error.Status, work, id));
        }
    }

    /// <summary>Runs a keyed call that is not billed (a key check, a poll): the key, the unauthorized fault, then the answer.</summary>
    protected Task KeyedAsync(HttpContext ctx, Func<HttpContext, (int Status, JsonNode Body)> answer) =>
        KeyedAsync(ctx, c => Task.FromResult(answer(c)));

    /// <summary>The same, for an answer that waits.</summary>
    private async Task KeyedAsync(HttpContext ctx, Func<HttpContext, Task<(int Status, JsonNode Body)>> answer)
    {
        var key = ReadKey(ctx.Request);
        try
        {
            Authorize(key, paid: false);
            var (status, body) = await answer(ctx);
            await WriteJsonAsync(ctx, status, body);
            state.Log.Answered(Entry(ctx, key, accepted: false, status, null, null));
        }
        catch (ProviderError error)
        {
            await WriteErrorAsync(ctx, error, NewId());
            state.Log.Answered(Entry(ctx, key, accepted: false, error.Status, null, null));
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            state.Log.Answered(Entry(ctx, key, accepted: false, 0, null, null)); // the client gave up waiting
        }
    }

    /// <summary>
    /// Runs an unbilled key check: the key (and the unauthorized fault) as on every keyed call, then the key-check
    /// faults (<see cref="CloudFaults.KeyCheckHang"/>, <see cref="CloudFaults.KeyCheckReject"/>), then the answer.
    /// </summary>
    protected Task KeyCheckAsync(HttpContext ctx, Func<HttpContext, string, (int Status, JsonNode Body)> answer) => KeyedAsync(ctx, async c =>
    {
        if (await Faults.KeyCheckFaultAsync(c.RequestAborted) is { } fault)
        {
            throw Refusal(fault.Kind, ReadKey(c.Request), fault.RetryAfter, null);
        }
        return answer(c, ReadKey(c.Request)!);
    });

    /// <summary>True when <paramref name="key"/> is one of this provider's accepted keys.</summary>
    protected virtual bool Accepts(string key) => key == state.Options.Keys[provider];

    /// <summary>Throws the refusal for a bad key or a rejection fault; returns a moderation fault to apply after validation.</summary>
    private (Rejection Kind, int? RetryAfter)? Authorize(string? key, bool paid)
    {
        if (key is null || !Accepts(key))
        {
            throw Refusal(Rejection.Unauthorized, key, null, null);
        }
        var rejection = Faults.TakeRejection(paid);
        if (rejection is { } r && r.Kind != Rejection.Moderated)
        {
            throw Refusal(r.Kind, key, r.RetryAfter, null);
        }
        return rejection;
    }

    private CloudRequest Entry(HttpContext ctx, string? key, bool accepted, int status, PaidWork? work, string? id) =>
        new(provider, ctx.Request.Method, ctx.Request.Path.Value ?? string.Empty, key, accepted, status, work?.Model, work?.Prompt, id);

    private async Task WriteErrorAsync(HttpContext ctx, ProviderError error, string id)
    {
        if (error.RetryAfter is { } seconds)
        {
            ctx.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        Decorate(ctx.Response, id);
        await WriteJsonAsync(ctx, error.Status, error.Body);
    }

    protected static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString(Wire), ctx.RequestAborted);
    }

    /// <summary>Reads the body as a JSON object; null when it is not one.</summary>
    protected static async Task<JsonObject?> ReadJsonObjectAsync(HttpContext ctx)
    {
        try
        {
            return await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads a multipart or urlencoded form; null when the body is not a form.</summary>
    protected static async Task<IFormCollection?> ReadFormAsync(HttpContext ctx)
    {
        if (!ctx.Request.HasFormContentType) { return null; }
        try
        {
            return await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// Reads an uploaded picture whole (its size is bounded by the server's request limit) and identifies it; null
    /// when it is not a picture in one of <paramref name="formats"/> (lower-case ImageSharp format names).
    /// </summary>
    protected static async Task<(byte[] Bytes, IImageInfo Info)?> ReadImageAsync(IFormFile file, IReadOnlyList<string> formats, CancellationToken cancellationToken)
    {
        using var ms = new MemoryStream();
        await file.CopyToAsync(ms, cancellationToken);
        var bytes = ms.ToArray();
        try
        {
            var format = Image.DetectFormat(bytes);
            var info = Image.Identify(bytes);
            return format is not null && info is not null && formats.Contains(format.Name.ToLowerInvariant()) ? (bytes, info) : null;
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException)
        {
            return null;
        }
    }

    /// <summary>A seed for a request that gave none: from its id, stable, from 0 to 2^31-2 (fits every provider's range).</summary>
    protected static long StableSeed(string id) =>
        BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)), 0) & 0x7FFFFFFE;

    /// <summary>A short fingerprint of uploaded bytes, so a picture made from an input differs with the input.</summary>
    protected static string Fingerprint(byte[] bytes) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes))[..8];
}
