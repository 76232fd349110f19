using System.Globalization;
using System.Net;
using System.Text.Json;

namespace DreamLayer.Web.Cloud.Ideogram;

/// <summary>
/// Ideogram 3.0 through a typed <see cref="HttpClient"/>: <c>POST /v1/ideogram-v3/generate</c>, <c>/remix</c> (a
/// picture to follow) or <c>/edit</c> (a picture and a mask, in Ideogram's convention: <see cref="CloudMasks.ToIdeogram"/>),
/// multipart with the key in <c>Api-Key</c>, answer with expiring picture addresses, fetched at once.
/// </summary>
public sealed class IdeogramImageProvider(HttpClient http, CloudCalls calls) : ICloudImageProvider
{
    public const string DisplayName = "Ideogram";

    public CloudProviderId Provider => CloudProviderId.Ideogram;

    public string Name => DisplayName;

    public IReadOnlyList<CloudModel> Models => IdeogramCatalog.Models;

    public bool CanResume => false;

    public async Task<CloudSubmission> SubmitAsync(CloudImageRequest request, CloudKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        CloudRequestValidator.ThrowIfInvalid(this, request);
        var endpoint = request switch
        {
            { InputImage: null } => "generate",
            { Mask: null } => "remix",
            _ => "edit",
        };
        var target = new Uri(new Uri(calls.Options.Ideogram.BaseUrl.TrimEnd('/') + "/"), "v1/ideogram-v3/" + endpoint);
        var mask = request.Mask is { } appMask ? CloudMasks.ToIdeogram(appMask) : null;
        var data = await calls.PostPaidAsync(http, Provider, Name, target, () => Form(request, mask), "Api-Key", key, RefusedAsync, Read, ct);

        var images = new List<CloudImage>(data.Count);
        foreach (var item in data.Where(d => d.Url is not null))
        {
            var (bytes, type) = await calls.DownloadAsync(Provider, Name, item.Url!, ct);
            images.Add(new CloudImage(bytes, type, item.Seed, item.Prompt is { } p && p != request.Prompt ? p : null));
        }
        if (images.Count == 0)
        {
            throw new CloudProviderException(Provider, CloudFailure.ContentRefused,
                "Ideogram withheld every picture as unsafe (its safety check, not the app's). The request was billed.", true);
        }
        return new CloudFinished(new CloudResult(Provider, request.Model, images, RequestId: null, Cost: null));
    }

    public Task<CloudResult> ResumeAsync(CloudTaskHandle task, CloudKey key, CancellationToken ct) =>
        throw new CloudProviderException(Provider, CloudFailure.OutcomeUnknown,
            "Ideogram answers while the request is open; a request that was in flight when the app stopped cannot be followed again. It may have been billed.", true);

    private sealed record Item(string? Url, long? Seed, string? Prompt);

    private static MultipartFormDataContent Form(CloudImageRequest request, CloudPicture? mask)
    {
        var form = new MultipartFormDataContent { { new StringContent(request.Prompt), "prompt" } };
        foreach (var (name, picture) in new[] { ("image", request.InputImage), ("mask", mask) })
        {
            if (picture is not null)
            {
                var file = new ByteArrayContent(picture.Bytes);
                file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(picture.MediaType);
                form.Add(file, name, $"{name}.{picture.Extension}");
            }
        }
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                form.Add(new StringContent(value), name);
            }
        }
        Add("negative_prompt", string.IsNullOrEmpty(request.NegativePrompt) ? null : request.NegativePrompt);
        Add("seed", request.Seed?.ToString(CultureInfo.InvariantCulture));
        Add("num_images", request.Count.ToString(CultureInfo.InvariantCulture));
        Add("resolution", request.Size);
        Add("aspect_ratio", request.AspectRatio?.Replace(':', 'x'));
        Add("image_weight", request.ImageWeight?.ToString(CultureInfo.InvariantCulture));
        foreach (var (name, value) in request.Options)
        {
            Add(name, value);
        }
        return form;
    }

    /// <summary>The answer's pictures: <c>{"created", "data": [{"url", "seed", "prompt", "is_image_safe", …}]}</c>.</summary>
    private List<Item> Read(JsonElement root)
    {
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, "Ideogram's answer has no pictures (no \"data\" list). The request was billed; it was not sent again.", true);
        }
        return [.. data.EnumerateArray().Select(d => new Item(
            d.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String ? url.GetString() : null,
            d.TryGetProperty("seed", out var seed) && seed.TryGetInt64(out var s) ? s : null,
            d.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String ? prompt.GetString() : null))];
    }

    /// <summary>Ideogram's refusals (400 invalid, 401 key, 402 credit, 422 safety, 429 rate) in words.</summary>
    private async Task<CloudProviderException> RefusedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await CloudCalls.ReadErrorTextAsync(response.Content, ct);
        var said = CloudCalls.JsonText(text, "error") ?? CloudCalls.JsonText(text, "detail") ?? CloudCalls.JsonText(text, "message");
        var reason = said is null ? string.Empty : $": {said}";
        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new(Provider, CloudFailure.InvalidKey, "Ideogram refused the API key (it is wrong or revoked); an admin can replace it under API keys. Nothing was billed.", false),
            HttpStatusCode.PaymentRequired => new(Provider, CloudFailure.NoCredits, "Ideogram says the account has no credit left: add credit to the Ideogram API account. Nothing was billed.", false) { ProviderReason = said },
            HttpStatusCode.UnprocessableEntity => new(Provider, CloudFailure.ContentRefused, $"Ideogram's safety check refused the prompt (Ideogram's decision, not the app's){reason}", false) { ProviderReason = said },
            HttpStatusCode.TooManyRequests => new(Provider, CloudFailure.RateLimited, $"Ideogram is rate-limiting this key; {CloudCalls.When(calls.RetryAfter(response.Headers))}. Nothing was billed.", false)
            {
                RetryAfter = calls.RetryAfter(response.Headers),
                SafeToResend = true,
            },
            _ when status is >= 400 and < 500 => new(Provider, CloudFailure.InvalidRequest, $"Ideogram refused the request ({status}){reason}. Nothing was billed.", false) { ProviderReason = said },
            _ => new(Provider, CloudFailure.ProviderError,
                $"Ideogram answered {status} (a server error{reason}). Ideogram does not say whether such a request was made and billed, so it was not sent again; check Ideogram's usage page before trying again.", true)
            { ProviderReason = said },
        };
    }
}
