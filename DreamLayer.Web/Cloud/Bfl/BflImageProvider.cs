using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Web.Cloud.Bfl;

/// <summary>
/// FLUX by Black Forest Labs through a typed <see cref="HttpClient"/>. <see cref="SubmitAsync"/> sends the task once
/// and returns its id and polling address at once (<see cref="CloudAccepted"/>), so the queue stores them before any
/// waiting; <see cref="ResumeAsync"/> polls them (now, or after a restart) with a growing interval and a total
/// timeout, then fetches the picture from its short-lived signed address. BFL has no cancel: a cancelled follow only
/// stops polling.
/// </summary>
public sealed partial class BflImageProvider(HttpClient http, CloudCalls calls, ILogger<BflImageProvider> logger) : ICloudImageProvider
{
    public const string DisplayName = "Black Forest Labs (FLUX)";

    /// <summary>The statuses <c>GET /v1/get_result</c> answers (BFL's errors page; ComfyUI's <c>BFLStatus</c>).</summary>
    public const string Pending = "Pending", Ready = "Ready", Error = "Error", RequestModerated = "Request Moderated",
        ContentModerated = "Content Moderated", TaskNotFound = "Task not found";

    public CloudProviderId Provider => CloudProviderId.Bfl;

    public string Name => DisplayName;

    public IReadOnlyList<CloudModel> Models => BflCatalog.Models;

    public bool CanResume => true;

    private Uri BaseAddress => new(calls.Options.Bfl.BaseUrl.TrimEnd('/') + "/");

    public async Task<CloudSubmission> SubmitAsync(CloudImageRequest request, CloudKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        CloudRequestValidator.ThrowIfInvalid(this, request);
        var target = new Uri(BaseAddress, "v1/" + request.Model);
        var body = Body(request).ToJsonString();
        var handle = await calls.PostPaidAsync(http, Provider, Name, target, () => new StringContent(body, Encoding.UTF8, "application/json"), "x-key", key,
            RefusedAsync, root => Accepted(root, request.Model), ct);
        LogAccepted(handle.Id, request.Model);
        return new CloudAccepted(handle);
    }

    /// <summary>
    /// Polls the task (first after <see cref="CloudOptions.FirstPollInterval"/>, then longer by
    /// <see cref="CloudOptions.PollBackoff"/> up to <see cref="CloudOptions.MaxPollInterval"/>) until it ends or
    /// <see cref="CloudOptions.PollTimeout"/> passes, then fetches its picture. A poll that fails on the way (a 5xx, a
    /// 429, a dropped connection) is polled again: polling bills nothing. The key goes only to BFL's own hosts.
    /// </summary>
    public async Task<CloudResult> ResumeAsync(CloudTaskHandle task, CloudKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(key);
        var polling = PollingAddress(task);
        var options = calls.Options;
        var deadline = calls.Time.GetUtcNow() + options.PollTimeout;
        var interval = options.FirstPollInterval;
        var polls = 0;
        try
        {
            while (true)
            {
                await Task.Delay(interval, calls.Time, ct);
                polls++;
                var (status, result, wait) = await PollAsync(polling, task, key, ct);
                switch (status)
                {
                    case Ready:
                        LogReady(task.Id, polls);
                        return await FetchAsync(task, result, ct);
                    case null or Pending:
                        break;
                    default:
                        throw Ended(task, status, result);
                }
                interval = wait ?? Next(interval, options);
                if (calls.Time.GetUtcNow() + interval > deadline)
                {
                    throw new CloudProviderException(Provider, CloudFailure.TimedOut,
                        $"FLUX task {task.Id} was not ready after {options.PollTimeout.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} minutes ({Words.Count(polls, "poll")}); the app stopped waiting. BFL accepted and billed it; it can still be followed with its id while BFL keeps it.", true);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw new CloudCancelledException(
                $"Stopped following FLUX task {task.Id}. BFL has no cancel: it accepted the task and bills it, and it can still be followed with its id while BFL keeps it.", mayHaveBeenBilled: true, ct);
        }
    }

    /// <summary>The next wait between polls: longer by <see cref="CloudOptions.PollBackoff"/>, at most <see cref="CloudOptions.MaxPollInterval"/>, in whole milliseconds (what a timer takes).</summary>
    public static TimeSpan Next(TimeSpan interval, CloudOptions options) =>
        TimeSpan.FromMilliseconds(Math.Min(Math.Round(interval.TotalMilliseconds * options.PollBackoff, MidpointRounding.AwayFromZero), options.MaxPollInterval.TotalMilliseconds));

    /// <summary>
    /// The address to poll: the one BFL gave, if it is on BFL's host (or a host under the same domain, as BFL's regional
    /// <c>api.eu1.bfl.ai</c>); else the task is refused rather than the key sent elsewhere.
    /// </summary>
    private Uri PollingAddress(CloudTaskHandle task)
    {
        var home = BaseAddress;
        if (!Uri.TryCreate(task.PollingUrl, UriKind.Absolute, out var polling))
        {
            throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, $"The polling address of FLUX task {task.Id} is not a web address; the task cannot be followed.", true);
        }
        var domain = home.Host.Split('.') is { Length: > 2 } parts && home.HostNameType == UriHostNameType.Dns ? string.Join('.', parts[^2..]) : home.Host;
        var sameHost = string.Equals(polling.Host, home.Host, StringComparison.OrdinalIgnoreCase) && polling.Port == home.Port;
        var sameDomain = home.HostNameType == UriHostNameType.Dns && polling.Scheme == Uri.UriSchemeHttps
            && (string.Equals(polling.Host, domain, StringComparison.OrdinalIgnoreCase) || polling.Host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase));
        if ((!sameHost || polling.Scheme != home.Scheme) && !sameDomain)
        {
            throw new CloudProviderException(Provider, CloudFailure.InvalidResponse,
                $"The polling address of FLUX task {task.Id} is on {polling.Host}, not on BFL's {home.Host}; the key was not sent there.", true);
        }
        return polling;
    }

    /// <summary>One poll: the status and result, and how long to wait when BFL asked (429); (null, …) when this poll failed on the way.</summary>
    private async Task<(string? Status, JsonElement Result, TimeSpan? Wait)> PollAsync(Uri polling, CloudTaskHandle task, CloudKey key, CancellationToken ct)
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, polling);
            message.Headers.Add("x-key", key.Value);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                throw new CloudProviderException(Provider, CloudFailure.InvalidKey,
                    $"BFL refused the API key while FLUX task {task.Id} was being followed (it was changed or revoked); the task was accepted and billed. Store the key again and resume it.", true);
            }
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw Ended(task, TaskNotFound, default);
            }
            if (!response.IsSuccessStatusCode)
            {
                LogPollFailed(task.Id, (int)response.StatusCode);
                return (null, default, calls.RetryAfter(response.Headers));
            }
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var json = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
            var root = json.RootElement;
            var status = root.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (status is null)
            {
                throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, $"BFL's answer about FLUX task {task.Id} has no status.", true);
            }
            return (status, root.TryGetProperty(status == Ready ? "result" : "details", out var r) ? r.Clone() : default, null);
        }
        catch (Exception ex) when (ex is not CloudProviderException && calls.Failed(Provider, Name, polling, ex, paid: false, ct) is { } failure)
        {
            if (failure is CloudProviderException { SafeToResend: true })
            {
                LogPollFailed(task.Id, 0);
                return (null, default, null); // a poll bills nothing: poll again
            }
            throw failure;
        }
    }

    /// <summary>A task's end other than <c>Ready</c>, in words.</summary>
    private CloudProviderException Ended(CloudTaskHandle task, string status, JsonElement details)
    {
        var reason = details.ValueKind is JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.String ? Shorten(details.ToString()) : null;
        var said = reason is null ? string.Empty : $" ({reason})";
        return status switch
        {
            RequestModerated => new(Provider, CloudFailure.ContentRefused,
                $"BFL's moderation refused the request for FLUX task {task.Id}: the prompt or input image was flagged{said}. It was BFL's decision, after it accepted (and billed) the task.", true)
            { ProviderReason = reason },
            ContentModerated => new(Provider, CloudFailure.ContentRefused,
                $"BFL's moderation withheld the picture of FLUX task {task.Id}{said}. It was BFL's decision, after it accepted (and billed) the task.", true)
            { ProviderReason = reason },
            Error => new(Provider, CloudFailure.ProviderError, $"BFL reports that FLUX task {task.Id} failed{said}. It had accepted the task; it was not sent again.", true) { ProviderReason = reason },
            TaskNotFound => new(Provider, CloudFailure.TaskNotFound,
                $"BFL does not know FLUX task {task.Id} (\"Task not found\"): it may have expired, BFL keeps tasks for a limited time. It had been accepted; it was not sent again.", true),
            _ => new(Provider, CloudFailure.InvalidResponse, $"BFL answered the status \"{Shorten(status)}\" for FLUX task {task.Id}, which its API does not document; the app stopped following it.", true),
        };
    }

    /// <summary>The finished task's picture, fetched at once from its signed address (it expires within minutes).</summary>
    private async Task<CloudResult> FetchAsync(CloudTaskHandle task, JsonElement result, CancellationToken ct)
    {
        var sample = result.ValueKind == JsonValueKind.Object && result.TryGetProperty("sample", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        if (sample is null)
        {
            throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, $"BFL says FLUX task {task.Id} is ready but gives no picture address.", true);
        }
        var (bytes, type) = await calls.DownloadAsync(Provider, Name, sample, ct);
        long? seed = result.TryGetProperty("seed", out var seedValue) && seedValue.TryGetInt64(out var n) ? n : null;
        var prompt = result.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
        return new CloudResult(Provider, task.Model, [new CloudImage(bytes, type, seed, prompt)], task.Id, task.Cost);
    }

    /// <summary>The task from the submit's answer: <c>{"id", "polling_url", "cost", …}</c>.</summary>
    private CloudTaskHandle Accepted(JsonElement root, string model)
    {
        var id = root.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        if (string.IsNullOrEmpty(id))
        {
            throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, "BFL's answer to the submit has no task id; the task cannot be followed. It may have been billed; it was not sent again.", true);
        }
        var polling = root.TryGetProperty("polling_url", out var u) && u.ValueKind == JsonValueKind.String
            ? u.GetString()!
            : new Uri(BaseAddress, "v1/get_result?id=" + Uri.EscapeDataString(id)).ToString();
        var cost = root.TryGetProperty("cost", out var c) && c.TryGetDecimal(out var credits) ? new CloudCost(credits, "credits", "1 credit = 1 US cent") : null;
        return new CloudTaskHandle(Provider, model, id, polling, cost);
    }

    private static JsonObject Body(CloudImageRequest request)
    {
        var body = new JsonObject { ["prompt"] = request.Prompt };
        if (request.InputImage is { } input)
        {
            body["input_image"] = Convert.ToBase64String(input.Bytes); // Kontext: the picture to change
        }
        if (request.Seed is { } seed)
        {
            body["seed"] = seed;
        }
        if (request.Size is { } size && CloudRequestValidator.ParseSize(size) is { } s)
        {
            body["width"] = s.Width;
            body["height"] = s.Height;
        }
        if (request.AspectRatio is { } aspect)
        {
            body["aspect_ratio"] = aspect;
        }
        foreach (var (name, value) in request.Options)
        {
            body[name] = name switch
            {
                "safety_tolerance" => int.Parse(value, CultureInfo.InvariantCulture),
                "prompt_upsampling" or "raw" => value == "true",
                _ => value,
            };
        }
        return body;
    }

    /// <summary>BFL's refusals of a submit (403 key, 402 credit, 422 validation, 429 too many tasks or requests) in words.</summary>
    private async Task<CloudProviderException> RefusedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await CloudCalls.ReadErrorTextAsync(response.Content, ct);
        var detail = Detail(text);
        var said = detail is null ? string.Empty : $": {detail}";
        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new(Provider, CloudFailure.InvalidKey, "BFL refused the API key (it is wrong or revoked); an admin can replace it under API keys. Nothing was billed.", false),
            HttpStatusCode.PaymentRequired => new(Provider, CloudFailure.NoCredits, "BFL says the account has no credits left: buy credits in BFL's dashboard. Nothing was billed.", false) { ProviderReason = detail },
            HttpStatusCode.TooManyRequests => new(Provider, CloudFailure.RateLimited, $"BFL is not taking more tasks from this key now (too many active tasks, or too many requests){said}; {CloudCalls.When(calls.RetryAfter(response.Headers))}. Nothing was billed.", false)
            {
                RetryAfter = calls.RetryAfter(response.Headers),
                SafeToResend = true,
                ProviderReason = detail,
            },
            HttpStatusCode.BadRequest when detail is not null && (detail.StartsWith(RequestModerated, StringComparison.OrdinalIgnoreCase) || detail.StartsWith(ContentModerated, StringComparison.OrdinalIgnoreCase)) =>
                new(Provider, CloudFailure.ContentRefused, $"BFL's moderation refused the request (BFL's decision, not the app's){said}. Nothing was billed.", false) { ProviderReason = detail },
            _ when status is >= 400 and < 500 => new(Provider, CloudFailure.InvalidRequest, $"BFL refused the request ({status}){said}. Nothing was billed.", false) { ProviderReason = detail },
            _ => new(Provider, CloudFailure.ProviderError,
                $"BFL answered {status} (a server error{said}). BFL does not say whether such a task was accepted and billed, so it was not sent again; check BFL's dashboard before trying again.", true)
            { ProviderReason = detail },
        };
    }

    /// <summary>
    /// BFL's <c>detail</c>: a sentence, or FastAPI's list of problems (<c>[{"loc": ["body", "width"], "msg": …}]</c>)
    /// written as "width: Input should be …; …".
    /// </summary>
    private static string? Detail(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (!doc.RootElement.TryGetProperty("detail", out var detail))
            {
                return null;
            }
            if (detail.ValueKind == JsonValueKind.String)
            {
                return Shorten(detail.GetString()!);
            }
            if (detail.ValueKind == JsonValueKind.Array)
            {
                var problems = detail.EnumerateArray().Select(p =>
                {
                    var field = p.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array && loc.GetArrayLength() > 0 ? loc[loc.GetArrayLength() - 1].ToString() : "request";
                    var msg = p.TryGetProperty("msg", out var m) ? m.ToString() : "invalid";
                    return $"{field}: {msg}";
                });
                return Shorten(string.Join("; ", problems));
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length > 500 ? text[..500] + "…" : text;

    [LoggerMessage(Level = LogLevel.Information, Message = "FLUX task {TaskId} accepted ({Model})")]
    private partial void LogAccepted(string taskId, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "FLUX task {TaskId} ready after {Polls} poll(s)")]
    private partial void LogReady(string taskId, int polls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A poll of FLUX task {TaskId} failed ({Status}); polling again")]
    private partial void LogPollFailed(string taskId, int status);
}
