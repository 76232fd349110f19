using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Security;

/// <summary>What a key check found, in one word (the message says it in a sentence).</summary>
public enum KeyCheckOutcome
{
    /// <summary>The provider accepted the key.</summary>
    Valid,

    /// <summary>The provider refused the key (invalid, expired, revoked).</summary>
    Refused,

    /// <summary>The key works, but the account has no credit or quota left.</summary>
    NoCredit,

    /// <summary>The provider asked to wait (429); the key was not checked.</summary>
    RateLimited,

    /// <summary>The provider answered with a server error (5xx); the key was not checked.</summary>
    ProviderDown,

    /// <summary>No answer within the timeout.</summary>
    NoAnswer,

    /// <summary>The provider could not be reached (name resolution, connection, TLS).</summary>
    Unreachable,

    /// <summary>An answer that does not say whether the key works.</summary>
    Unexpected,
}

/// <summary>
/// The last check of a provider's key: what it found, in words, when, and which key it was (its last four characters,
/// as shown; never the key). It belongs to that key: saving or removing the key forgets it.
/// </summary>
public sealed record KeyCheckResult(KeyCheckOutcome Outcome, string Message, DateTime CheckedAt, string Masked);

/// <summary>A provider's answer to a key check, for its interpretation: the status and the JSON body (null when not JSON).</summary>
public sealed record KeyCheckAnswer(HttpStatusCode Status, JsonElement? Body);

/// <summary>
/// How one provider's key is checked: the provider's cheapest authenticated call that bills nothing, as its
/// documentation names it, how the key goes with it, and how its answers read. <paramref name="Read"/> returns null for
/// the answers every provider shares (rate limits, server errors, anything else), which <see cref="KeyChecks"/> words.
/// </summary>
/// <param name="Provider">Whose key.</param>
/// <param name="DefaultBaseUrl">
/// The provider's API address; <c>KeyChecks:BaseUrls:&lt;provider&gt;</c> replaces it. For the cloud image providers the
/// address the image calls go to (<c>Cloud:&lt;provider&gt;:BaseUrl</c>, <see cref="SharedSetting"/>) fills that entry
/// when it is not set, so one setting moves both.
/// </param>
/// <param name="Path">The call, relative to the base address.</param>
/// <param name="Documented">Where the provider documents it (what the page and PROVIDERS.md cite).</param>
/// <param name="Authorize">Puts the key on the request as the provider reads it.</param>
/// <param name="Read">The provider's own answers: who the key belongs to, or that it is refused.</param>
public sealed record KeyCheck(
    KeyProvider Provider,
    Uri DefaultBaseUrl,
    string Path,
    string Documented,
    Action<HttpRequestHeaders, string> Authorize,
    Func<KeyCheckAnswer, (KeyCheckOutcome, string)?> Read)
{
    /// <summary>The setting the address follows unless <c>KeyChecks:BaseUrls</c> names one (a cloud provider's <c>Cloud:…:BaseUrl</c>); null for the others.</summary>
    public string? SharedSetting { get; init; }

    /// <summary>The configuration key(s) of this check's base address, as messages name them.</summary>
    public string BaseUrlSetting => SharedSetting is { } shared
        ? $"{shared}, or {KeyCheckOptions.SectionName}:BaseUrls:{Provider.Id} for the key check alone"
        : $"{KeyCheckOptions.SectionName}:BaseUrls:{Provider.Id}";
}

/// <summary>The <c>KeyChecks</c> section: how long a check waits, and where each provider's API is (tests point them at stand-ins).</summary>
public sealed class KeyCheckOptions
{
    public const string SectionName = "KeyChecks";

    /// <summary>A check with no answer for this long says so and ends.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Provider id → base address (<c>KeyChecks:BaseUrls:Civitai</c>), replacing the provider's own. OpenAI's is its API
    /// root with the version (<c>…/v1</c>), as <c>Cloud:OpenAI:BaseUrl</c> is, which fills it when it is not set.
    /// </summary>
    public Dictionary<string, string> BaseUrls { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// The <b>Test</b> of a stored key: one call to the provider that needs the key and bills nothing (Hugging Face's
/// <c>whoami-v2</c>, Civitai's <c>/api/v1/me</c>, OpenAI's <c>/v1/models</c>, Ideogram's <c>/v2/account/api-keys</c>,
/// BFL's <c>/v1/credits</c>), read into a sentence. Comfy.org documents no such call, so its key is not tested (see
/// <see cref="WhyNotChecked"/>). The key goes only to the configured address, never through a redirect; the client has
/// no request log; messages never quote a provider's error text (it can echo part of the key). The last result is kept
/// per provider in the settings table, with the key's masked form, until the key is saved again or removed.
/// </summary>
public sealed partial class KeyChecks(
    IHttpClientFactory httpClientFactory,
    ProviderKeys keys,
    IDbContextFactory<DreamLayerDbContext> dbFactory,
    IOptions<KeyCheckOptions> options,
    TimeProvider time,
    ILogger<KeyChecks> logger)
{
    public const string HttpClientName = "KeyChecks";

    /// <summary>The most of an answer read: a key check's answer is a few kilobytes; more is not the provider's API.</summary>
    public const int MaxAnswerBytes = 1024 * 1024;

    /// <summary>Each checkable provider's check, in <see cref="KeyProviders.All"/>'s order.</summary>
    public static IReadOnlyList<KeyCheck> All { get; } =
    [
        new(KeyProviders.HuggingFace, new Uri("https://huggingface.co/"), "api/whoami-v2",
            "huggingface_hub's whoami (GET /api/whoami-v2)", Bearer, ReadHuggingFace),
        new(KeyProviders.Civitai, new Uri("https://civitai.com/"), "api/v1/me",
            "developer.civitai.com, Users: GET /api/v1/me", Bearer, ReadCivitai),
        new(KeyProviders.OpenAI, new Uri("https://api.openai.com/v1/"), "models",
            "OpenAI API reference, Models: GET /v1/models", Bearer, ReadOpenAI) { SharedSetting = "Cloud:OpenAI:BaseUrl" },
        new(KeyProviders.Ideogram, new Uri("https://api.ideogram.ai/"), "v2/account/api-keys",
            "developer.ideogram.ai, Account: GET /v2/account/api-keys", (h, key) => h.Add("Api-Key", key), ReadIdeogram) { SharedSetting = "Cloud:Ideogram:BaseUrl" },
        new(KeyProviders.BlackForestLabs, new Uri("https://api.bfl.ai/"), "v1/credits",
            "docs.bfl.ai, Get the user's credits: GET /v1/credits", (h, key) => h.Add("x-key", key), ReadBfl) { SharedSetting = "Cloud:Bfl:BaseUrl" },
    ];

    /// <summary>The check of <paramref name="provider"/>'s key, or null when its key cannot be checked without using it.</summary>
    public static KeyCheck? For(KeyProvider provider) => All.FirstOrDefault(c => c.Provider == provider);

    /// <summary>Why a provider's key has no Test, in words; null when it has one.</summary>
    public static string? WhyNotChecked(KeyProvider provider) => provider == KeyProviders.ComfyOrg
        ? "Comfy.org documents no call that checks an API key without running a paid node, so the app does not test it: the key is " +
          "checked on first use, when a workflow with a paid API node runs (a wrong key fails with ComfyUI's \"Unauthorized\" error)."
        : For(provider) is null ? $"The app has no way to check a {provider.Name} key without using it." : null;

    /// <summary>The settings row of a provider's last check.</summary>
    public static string SettingKey(KeyProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return $"KeyChecks.{provider.Id}";
    }

    /// <summary>The address a check calls: the configured base address, else the provider's.</summary>
    public Uri AddressOf(KeyCheck check)
    {
        ArgumentNullException.ThrowIfNull(check);
        var configured = options.Value.BaseUrls.GetValueOrDefault(check.Provider.Id);
        var baseUrl = configured is { Length: > 0 } ? new Uri(configured.EndsWith('/') ? configured : configured + "/") : check.DefaultBaseUrl;
        return new Uri(baseUrl, check.Path);
    }

    /// <summary>
    /// Checks the key the app would send to <paramref name="provider"/> (admins only), keeps and returns the result.
    /// Null when no key is set or the provider has no check.
    /// </summary>
    public async Task<KeyCheckResult?> TestAsync(bool actorIsAdmin, KeyProvider provider, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!actorIsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins test keys.");
        }
        if (For(provider) is not { } check || await keys.GetAsync(provider, ct) is not { } key)
        {
            return null;
        }
        var (outcome, message) = await CallAsync(check, key, ct);
        var result = new KeyCheckResult(outcome, message, time.GetUtcNow().UtcDateTime, ProviderKeys.Mask(key));
        LogChecked(provider.Id, outcome);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == SettingKey(provider), ct);
        if (row is null)
        {
            db.Settings.Add(row = new SettingEntity { Key = SettingKey(provider) });
        }
        row.Value = JsonSerializer.Serialize(result);
        await db.SaveChangesAsync(ct);
        return result;
    }

    /// <summary>The last check of each provider's key, by provider id (those never checked are missing).</summary>
    public async Task<IReadOnlyDictionary<string, KeyCheckResult>> LastAsync(CancellationToken ct)
    {
        var settingKeys = All.Select(c => SettingKey(c.Provider)).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Settings.AsNoTracking().Where(s => settingKeys.Contains(s.Key)).ToListAsync(ct);
        var result = new Dictionary<string, KeyCheckResult>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            try
            {
                if (JsonSerializer.Deserialize<KeyCheckResult>(row.Value) is { } last)
                {
                    result[row.Key["KeyChecks.".Length..]] = last;
                }
            }
            catch (JsonException)
            {
                // a row this version cannot read is as if the key was never checked
            }
        }
        return result;
    }

    /// <summary>One call, read into an outcome and a sentence; never throws for what the network or the provider does.</summary>
    private async Task<(KeyCheckOutcome, string)> CallAsync(KeyCheck check, string key, CancellationToken ct)
    {
        var address = AddressOf(check);
        var name = check.Provider.Name;
        var timeout = options.Value.Timeout;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, address);
            request.Headers.UserAgent.ParseAdd("DreamLayer");
            request.Headers.Accept.ParseAdd("application/json");
            check.Authorize(request.Headers, key);
            using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
            {
                return (KeyCheckOutcome.Unexpected, $"{address.Host} answered with a redirect ({status}); the key was not sent on, so it is not checked. Check the address ({check.BaseUrlSetting}).");
            }
            var body = await ReadJsonAsync(response, limit.Token);
            if (body is null && response.StatusCode == HttpStatusCode.OK)
            {
                return (KeyCheckOutcome.Unexpected, $"{address.Host} answered, but not as {name}'s API does (no JSON, or more than {MaxAnswerBytes / 1024 / 1024} MB); check the address ({check.BaseUrlSetting}).");
            }
            return check.Read(new KeyCheckAnswer(response.StatusCode, body)) ?? Common(name, response);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (KeyCheckOutcome.NoAnswer, $"No answer from {address.Host} within {Seconds(timeout)}; the key is not checked. Test again later.");
        }
        catch (HttpRequestException ex)
        {
            return (KeyCheckOutcome.Unreachable, ex.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => $"{address.Host} could not be found (no address for that name); check this server's network and DNS. The key is not checked.",
                HttpRequestError.ConnectionError => $"Could not connect to {address.Host} ({ex.InnerException?.Message ?? ex.Message}); the key is not checked.",
                HttpRequestError.SecureConnectionError => $"The secure connection to {address.Host} failed ({ex.InnerException?.Message ?? ex.Message}); the key is not checked.",
                _ => $"{address.Host} could not be reached ({ex.Message}); the key is not checked.",
            });
        }
        catch (HttpIOException ex)
        {
            return (KeyCheckOutcome.Unreachable, $"The connection to {address.Host} broke during its answer ({ex.Message}); the key is not checked.");
        }
    }

    /// <summary>The answers every provider gives alike: a rate limit, a server error, anything else.</summary>
    private (KeyCheckOutcome, string) Common(string name, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var wait = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => Seconds(delta),
                { Date: { } date } => Seconds(date - time.GetUtcNow()),
                _ => null,
            };
            return (KeyCheckOutcome.RateLimited, wait is null
                ? $"Rate limited: {name} asks to slow down (429); the key is not checked. Test again in a minute."
                : $"Rate limited: {name} asks to wait {wait} (429); the key is not checked. Test again then.");
        }
        if (response.StatusCode == HttpStatusCode.PaymentRequired)
        {
            return (KeyCheckOutcome.NoCredit, $"{name} accepts the key but the account has no credits left (402); add credits with {name}.");
        }
        if (status >= 500)
        {
            return (KeyCheckOutcome.ProviderDown, $"{name} is having trouble ({status} {response.ReasonPhrase}); the key is not checked. Test again later.");
        }
        return (KeyCheckOutcome.Unexpected, $"{name} answered {status} {response.ReasonPhrase}, which does not say whether the key works.");
    }

    /// <summary>The body as JSON, at most <see cref="MaxAnswerBytes"/>; null when it is not JSON or is longer.</summary>
    private static async Task<JsonElement?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > MaxAnswerBytes)
        {
            return null;
        }
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[MaxAnswerBytes + 1];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }
        if (read > MaxAnswerBytes)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, read));
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Seconds(TimeSpan span) => Words.Count((long)Math.Ceiling(Math.Max(0, span.TotalSeconds)), "second");

    private static void Bearer(HttpRequestHeaders headers, string key) => headers.Authorization = new AuthenticationHeaderValue("Bearer", key);

    private static string? Text(JsonElement? body, params string[] path) =>
        Property(body, path) is { ValueKind: JsonValueKind.String } text ? text.GetString() : null;

    private static JsonElement? Property(JsonElement? body, params string[] path)
    {
        if (body is not { } element)
        {
            return null;
        }
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }
        return element;
    }

    /// <summary>
    /// Hugging Face: 200 names the user and the token's role; a fine-grained token says whether it may read public gated
    /// repositories (<c>fineGrained.canReadGatedRepos</c>), which gated model downloads need. 401: invalid or expired.
    /// </summary>
    private static (KeyCheckOutcome, string)? ReadHuggingFace(KeyCheckAnswer answer)
    {
        if (answer.Status == HttpStatusCode.Unauthorized)
        {
            return (KeyCheckOutcome.Refused, "Refused: the token is invalid or expired (Hugging Face answered 401).");
        }
        if (answer.Status != HttpStatusCode.OK)
        {
            return null;
        }
        if (Text(answer.Body, "name") is not { } user)
        {
            return (KeyCheckOutcome.Unexpected, "Hugging Face answered without naming the token's user; the key is not checked.");
        }
        var role = Text(answer.Body, "auth", "accessToken", "role");
        if (role != "fineGrained")
        {
            return (KeyCheckOutcome.Valid, role is null ? $"Valid: user {user}." : $"Valid: user {user} (a {role} token).");
        }
        var gated = Property(answer.Body, "auth", "accessToken", "fineGrained", "canReadGatedRepos") is { ValueKind: JsonValueKind.True };
        return (KeyCheckOutcome.Valid, gated
            ? $"Valid: user {user} (a fine-grained token that may read public gated repositories)."
            : $"Valid: user {user}, but this fine-grained token may not read public gated repositories (\"Read access to contents of all public " +
              "gated repos you can access\" is off), so downloads of gated models will be refused; turn it on for the token on huggingface.co.");
    }

    /// <summary>Civitai: 200 names the user (and a banned or muted account); 401 for a missing, malformed or revoked key alike.</summary>
    private static (KeyCheckOutcome, string)? ReadCivitai(KeyCheckAnswer answer)
    {
        if (answer.Status == HttpStatusCode.Unauthorized)
        {
            return (KeyCheckOutcome.Refused, "Refused: Civitai does not accept the key; it is invalid or was revoked (401).");
        }
        if (answer.Status != HttpStatusCode.OK)
        {
            return null;
        }
        if (Text(answer.Body, "username") is not { } user)
        {
            return (KeyCheckOutcome.Unexpected, "Civitai answered without naming the key's user; the key is not checked.");
        }
        return (KeyCheckOutcome.Valid, Text(answer.Body, "status") is { } status and not "active"
            ? $"Valid: user {user}, but the account is {status} on Civitai."
            : $"Valid: user {user}.");
    }

    /// <summary>OpenAI: 200 lists the models the key may use; 401 a wrong or revoked key; 429 <c>insufficient_quota</c> no money left.</summary>
    private static (KeyCheckOutcome, string)? ReadOpenAI(KeyCheckAnswer answer)
    {
        if (answer.Status == HttpStatusCode.Unauthorized)
        {
            return (KeyCheckOutcome.Refused, "Refused: OpenAI says the key is incorrect or was revoked (401).");
        }
        if (answer.Status == HttpStatusCode.Forbidden)
        {
            return (KeyCheckOutcome.Refused, "Refused: OpenAI does not let this key use the API from here (403); check the key's project and permissions.");
        }
        if (answer.Status == HttpStatusCode.TooManyRequests && Text(answer.Body, "error", "code") == "insufficient_quota")
        {
            return (KeyCheckOutcome.NoCredit, "OpenAI accepts the key but the account has no quota left (insufficient_quota); check the plan and billing at platform.openai.com.");
        }
        if (answer.Status != HttpStatusCode.OK)
        {
            return null;
        }
        return Property(answer.Body, "data") is { ValueKind: JsonValueKind.Array } data
            ? (KeyCheckOutcome.Valid, $"Valid: OpenAI lists {Words.Count(data.GetArrayLength(), "model")} for this key.")
            : (KeyCheckOutcome.Unexpected, "OpenAI answered without its list of models; the key is not checked.");
    }

    /// <summary>
    /// Ideogram: 200 (the organization's keys) for an organization admin's key; 404 for a key Ideogram accepts whose owner
    /// is not an organization admin (the account calls answer admins only); 401 a refused key.
    /// </summary>
    private static (KeyCheckOutcome, string)? ReadIdeogram(KeyCheckAnswer answer) => answer.Status switch
    {
        HttpStatusCode.Unauthorized => (KeyCheckOutcome.Refused, "Refused: Ideogram does not accept the key (401)."),
        HttpStatusCode.NotFound => (KeyCheckOutcome.Valid, "Valid: Ideogram accepts the key. Its owner is not an organization admin, so Ideogram shows no account details."),
        HttpStatusCode.OK => Property(answer.Body, "api_keys") is { ValueKind: JsonValueKind.Array } list
            ? (KeyCheckOutcome.Valid, $"Valid: an organization admin's key (the organization has {Words.Count(list.GetArrayLength(), "API key")}).")
            : (KeyCheckOutcome.Unexpected, "Ideogram answered without the organization's keys; the key is not checked."),
        _ => null,
    };

    /// <summary>BFL: 200 the account's credits; 401 or 403 (the errors page lists 403) a refused key.</summary>
    private static (KeyCheckOutcome, string)? ReadBfl(KeyCheckAnswer answer)
    {
        if (answer.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return (KeyCheckOutcome.Refused, $"Refused: Black Forest Labs does not accept the key ({(int)answer.Status}).");
        }
        if (answer.Status != HttpStatusCode.OK)
        {
            return null;
        }
        return Property(answer.Body, "credits") is { ValueKind: JsonValueKind.Number } credits
            ? (KeyCheckOutcome.Valid, $"Valid: {credits.GetDouble().ToString("#,0.##", CultureInfo.InvariantCulture)} credits left.")
            : (KeyCheckOutcome.Unexpected, "Black Forest Labs answered without the account's credits; the key is not checked.");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Key check of {Provider}: {Outcome}")]
    private partial void LogChecked(string provider, KeyCheckOutcome outcome);
}
