using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using OpenAI;
using OpenAI.Images;

// The SDK marks gpt-image-1's parameters (background, output format and compression, moderation, usage, size auto) as
// "for evaluation"; they are what OpenAI's API reference documents for the model, and this is the one file that uses them.
#pragma warning disable OPENAI001

namespace DreamLayer.Web.Cloud.OpenAi;

/// <summary>
/// OpenAI Images through the official OpenAI SDK. The SDK's own retries are off (<see cref="ClientRetryPolicy"/> of 0:
/// with them a request cut after OpenAI accepted it is sent and billed twice); <see cref="CloudCalls.SendPaidAsync"/>
/// decides. Its HTTP goes through the app's typed client, so every answer is bounded and the timeout is the app's.
/// </summary>
public sealed class OpenAiImageProvider(HttpClient http, CloudCalls calls) : ICloudImageProvider
{
    public const string DisplayName = "OpenAI";

    public CloudProviderId Provider => CloudProviderId.OpenAi;

    public string Name => DisplayName;

    public IReadOnlyList<CloudModel> Models => OpenAiCatalog.Models;

    public bool CanResume => false;

    private Uri Endpoint => new(calls.Options.OpenAI.BaseUrl.TrimEnd('/'));

    public async Task<CloudSubmission> SubmitAsync(CloudImageRequest request, CloudKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        CloudRequestValidator.ThrowIfInvalid(this, request);
        var client = new ImageClient(request.Model, new ApiKeyCredential(key.Value), new OpenAIClientOptions
        {
            Endpoint = Endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            Transport = new HttpClientPipelineTransport(http),
            NetworkTimeout = calls.Options.RequestTimeout,
        });
        var edits = request.InputImage is not null;
        var target = new Uri(Endpoint + (edits ? "/images/edits" : "/images/generations"));
        var answer = await calls.SendPaidAsync(Provider, Name, async attempt =>
        {
            try
            {
                return edits ? await EditAsync(client, request, attempt) : await client.GenerateImagesAsync(request.Prompt, request.Count, Options(request), attempt);
            }
            catch (ClientResultException ex) when (ex.Status >= 400)
            {
                throw Refused(ex, request.Model, calls);
            }
            catch (Exception ex) when (calls.Failed(Provider, Name, target, ex, paid: true, attempt) is { } failure)
            {
                throw failure;
            }
        }, ct);

        var images = new List<CloudImage>(answer.Value.Count);
        foreach (var image in answer.Value)
        {
            var (bytes, type) = image.ImageBytes is { } data
                ? (data.ToArray(), CloudCalls.MediaTypeOf(data.ToMemory().Span))
                : image.ImageUri is { } uri ? await calls.DownloadAsync(Provider, Name, uri.ToString(), ct) : (Array.Empty<byte>(), null);
            if (type is null)
            {
                throw new CloudProviderException(Provider, CloudFailure.InvalidResponse, "OpenAI's answer holds no PNG, JPEG or WebP picture. It was billed; it was not sent again.", true);
            }
            images.Add(new CloudImage(bytes, type, Seed: null, image.RevisedPrompt));
        }
        var raw = answer.GetRawResponse();
        var requestId = raw.Headers.TryGetValue("x-request-id", out var id) ? id : null;
        var cost = answer.Value.Usage is { } usage
            ? new CloudCost(usage.TotalTokenCount, "tokens", string.Create(CultureInfo.InvariantCulture, $"{usage.InputTokenCount} input, {usage.OutputTokenCount} output"))
            : null;
        return new CloudFinished(new CloudResult(Provider, request.Model, images, requestId, cost));
    }

    public Task<CloudResult> ResumeAsync(CloudTaskHandle task, CloudKey key, CancellationToken ct) =>
        throw new CloudProviderException(Provider, CloudFailure.OutcomeUnknown,
            "OpenAI answers while the request is open; a request that was in flight when the app stopped cannot be followed again. It may have been billed.", true);

    /// <summary>
    /// One edit through the SDK's <c>GenerateImageEditsAsync</c> (<c>POST /v1/images/edits</c>): the picture, the mask in
    /// OpenAI's convention (<see cref="CloudMasks.ToOpenAi"/>) when there is one, and the edit's options. The streams are
    /// made for each attempt, so a request sent again sends the whole picture again.
    /// </summary>
    private static async Task<ClientResult<GeneratedImageCollection>> EditAsync(ImageClient client, CloudImageRequest request, CancellationToken ct)
    {
        var input = request.InputImage!;
        var options = EditOptions(request);
        using var image = new MemoryStream(input.Bytes, writable: false);
        if (request.Mask is not { } appMask)
        {
            return await client.GenerateImageEditsAsync(image, "image." + input.Extension, request.Prompt, request.Count, options, ct);
        }
        var mask = CloudMasks.ToOpenAi(appMask);
        using var maskStream = new MemoryStream(mask.Bytes, writable: false);
        return await client.GenerateImageEditsAsync(image, "image." + input.Extension, request.Prompt, maskStream, "mask.png", request.Count, options, ct);
    }

    /// <summary>The SDK's edit options from the request: the size and the options an edit takes (the validator has checked them).</summary>
    private static ImageEditOptions EditOptions(CloudImageRequest request)
    {
        var shared = Shared.From(request);
        return new ImageEditOptions
        {
            Size = shared.Size,
            Quality = shared.Quality,
            Background = shared.Background,
            OutputFileFormat = shared.Format,
            OutputCompressionFactor = shared.Compression,
        };
    }

    /// <summary>The SDK's options from the request: only what the model takes (the validator has checked the values).</summary>
    private static ImageGenerationOptions Options(CloudImageRequest request)
    {
        var shared = Shared.From(request);
        var o = request.Options;
        return new ImageGenerationOptions
        {
            Size = shared.Size,
            Quality = shared.Quality,
            Background = shared.Background,
            OutputFileFormat = shared.Format,
            OutputCompressionFactor = shared.Compression,
            ModerationLevel = o.TryGetValue("moderation", out var moderation) ? new GeneratedImageModerationLevel(moderation) : default(GeneratedImageModerationLevel?),
            Style = o.TryGetValue("style", out var style) ? new GeneratedImageStyle(style) : default(GeneratedImageStyle?),
            // dall-e: the pictures in the answer, no expiring address to fetch.
            ResponseFormat = request.Model.StartsWith("dall-e", StringComparison.Ordinal) ? GeneratedImageFormat.Bytes : default(GeneratedImageFormat?),
        };
    }

    /// <summary>What generations and edits take alike: the size, quality, background, format and compression; null where not given.</summary>
    private sealed record Shared(GeneratedImageSize? Size, GeneratedImageQuality? Quality, GeneratedImageBackground? Background, GeneratedImageFileFormat? Format, int? Compression)
    {
        public static Shared From(CloudImageRequest request)
        {
            var o = request.Options;
            return new(
                request.Size switch
                {
                    null => default(GeneratedImageSize?),
                    "auto" => GeneratedImageSize.Auto,
                    var size => CloudRequestValidator.ParseSize(size) is { } s ? new GeneratedImageSize(s.Width, s.Height) : null,
                },
                o.TryGetValue("quality", out var quality) ? new GeneratedImageQuality(quality) : default(GeneratedImageQuality?),
                o.TryGetValue("background", out var background) ? new GeneratedImageBackground(background) : default(GeneratedImageBackground?),
                o.TryGetValue("output_format", out var format) ? new GeneratedImageFileFormat(format) : default(GeneratedImageFileFormat?),
                o.TryGetValue("output_compression", out var compression) ? int.Parse(compression, CultureInfo.InvariantCulture) : null);
        }
    }

    /// <summary>OpenAI's refusal (<c>{"error":{"message","type","param","code"}}</c>) of an Images or a Chat Completions request, in words. OpenAI's 401 message shows part of the key: it is not repeated.</summary>
    internal static CloudProviderException Refused(ClientResultException ex, string model, CloudCalls calls)
    {
        var body = ex.GetRawResponse() is { } raw ? SafeText(raw) : string.Empty;
        var message = CloudCalls.JsonText(body, "error", "message");
        var code = CloudCalls.JsonText(body, "error", "code");
        var type = CloudCalls.JsonText(body, "error", "type");
        var param = CloudCalls.JsonText(body, "error", "param");
        var said = message is null ? string.Empty : $": {message}";
        switch (ex.Status)
        {
            case 401:
                // Not kept as the inner exception: OpenAI's answer shows the key's first and last characters.
                return new(CloudProviderId.OpenAi, CloudFailure.InvalidKey, "OpenAI refused the API key (it is wrong, revoked or expired); an admin can replace it under API keys. Nothing was billed.", false);
            case 403:
                return new(CloudProviderId.OpenAi, CloudFailure.InvalidKey, $"OpenAI does not let this key use {model}{said}. Nothing was billed.", false, ex) { ProviderReason = message };
            case 429 when code == "insufficient_quota" || type == "insufficient_quota":
                return new(CloudProviderId.OpenAi, CloudFailure.NoCredits, "OpenAI says the account's quota or credit is used up (insufficient_quota): add credit or raise the limit in OpenAI's billing settings. Nothing was billed.", false, ex);
            case 429:
                var retryAfter = ex.GetRawResponse() is { } r && r.Headers.TryGetValue("Retry-After", out var value) ? calls.RetryAfter(value) : null;
                return new(CloudProviderId.OpenAi, CloudFailure.RateLimited, $"OpenAI is rate-limiting this key; {CloudCalls.When(retryAfter)}. Nothing was billed.", false, ex)
                {
                    RetryAfter = retryAfter,
                    SafeToResend = true,
                    ProviderReason = message,
                };
            case 400 when code is "moderation_blocked" or "content_policy_violation" or "invalid_prompt":
                return new(CloudProviderId.OpenAi, CloudFailure.ContentRefused, $"OpenAI's safety system refused the request (OpenAI's decision, not the app's){said}", false, ex) { ProviderReason = message };
            case >= 400 and < 500:
                return new(CloudProviderId.OpenAi, CloudFailure.InvalidRequest, $"OpenAI refused the request{(param is null ? string.Empty : $" (parameter {param})")}{said}. Nothing was billed.", false, ex) { ProviderReason = message };
            default:
                return new(CloudProviderId.OpenAi, CloudFailure.ProviderError,
                    $"OpenAI answered {ex.Status} (a server error{said}). OpenAI does not say whether such a request was made and billed, so it was not sent again; check OpenAI's usage page before trying again.", true, ex)
                { ProviderReason = message };
        }
    }

    internal static string SafeText(PipelineResponse response)
    {
        try
        {
            var text = response.Content.ToString();
            return text.Length > 16 * 1024 ? text[..(16 * 1024)] : text;
        }
        catch (InvalidOperationException)
        {
            return string.Empty; // the body was not buffered: the status says enough
        }
    }
}
