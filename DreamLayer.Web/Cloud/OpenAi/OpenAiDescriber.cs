using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace DreamLayer.Web.Cloud.OpenAi;

/// <summary>A picture's description from a vision model: the text, the provider's request id and the tokens it reported.</summary>
public sealed record CloudDescription(string Text, string Model, string? RequestId, int? InputTokens, int? OutputTokens);

/// <summary>
/// Describes a picture as a prompt with OpenAI's Chat Completions (<c>POST /v1/chat/completions</c>) through the official
/// SDK's <see cref="ChatClient"/>: a system message saying what to write, the person's instructions and the picture as
/// an image part. The model is <see cref="CloudOptions.OpenAIVisionModel"/>. Sent as the image clients send
/// (<see cref="CloudCalls.SendPaidAsync"/>: once, again only when OpenAI cannot have accepted it; the SDK's own retries
/// off), refusals in the same words (<see cref="OpenAiImageProvider.Refused"/>).
/// </summary>
public sealed class OpenAiDescriber(HttpClient http, CloudCalls calls)
{
    /// <summary>The most a description may be (a prompt is a paragraph; this bounds what a model that rambles costs).</summary>
    public const int MaxOutputTokens = 400;

    /// <summary>OpenAI's limit for one picture in a request.</summary>
    public const long MaxImageBytes = 20L * 1024 * 1024;

    private const string System =
        "You write prompts for an image generator (Stable Diffusion, FLUX). Describe the picture you are given as one prompt: " +
        "the subject, setting, composition, lighting, colours, medium and style, as a comma-separated phrase list, no more than 75 words, " +
        "with no preamble and no quotes. Follow the person's instructions when there are some (they may ask for tags instead).";

    public string Model => calls.Options.OpenAIVisionModel;

    public async Task<CloudDescription> DescribeAsync(byte[] image, string mediaType, string? instructions, CloudKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(key);
        var endpoint = new Uri(calls.Options.OpenAI.BaseUrl.TrimEnd('/'));
        var client = new ChatClient(Model, new ApiKeyCredential(key.Value), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(0),
            Transport = new HttpClientPipelineTransport(http),
            NetworkTimeout = calls.Options.RequestTimeout,
        });
        var target = new Uri(endpoint + "/chat/completions");
        List<ChatMessage> messages =
        [
            new SystemChatMessage(System),
            new UserChatMessage(
                ChatMessageContentPart.CreateTextPart(string.IsNullOrWhiteSpace(instructions) ? "Describe this picture as a prompt." : instructions),
                ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(image), mediaType, ChatImageDetailLevel.Auto)),
        ];
        var options = new ChatCompletionOptions { MaxOutputTokenCount = MaxOutputTokens };
        var answer = await calls.SendPaidAsync(CloudProviderId.OpenAi, OpenAiImageProvider.DisplayName, async attempt =>
        {
            try
            {
                return await client.CompleteChatAsync(messages, options, attempt);
            }
            catch (ClientResultException ex) when (ex.Status >= 400)
            {
                throw OpenAiImageProvider.Refused(ex, Model, calls);
            }
            catch (Exception ex) when (calls.Failed(CloudProviderId.OpenAi, OpenAiImageProvider.DisplayName, target, ex, paid: true, attempt) is { } failure)
            {
                throw failure;
            }
        }, ct);

        var completion = answer.Value;
        var text = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text)).Trim();
        if (text.Length == 0)
        {
            var why = string.IsNullOrWhiteSpace(completion.Refusal) ? "OpenAI's answer held no text." : $"{Model} declined to describe the picture: {completion.Refusal}";
            throw new CloudProviderException(CloudProviderId.OpenAi, CloudFailure.ContentRefused, why + " It was billed.", mayHaveBeenBilled: true) { ProviderReason = completion.Refusal };
        }
        var raw = answer.GetRawResponse();
        var requestId = raw.Headers.TryGetValue("x-request-id", out var id) ? id : null;
        return new CloudDescription(text, completion.Model ?? Model, requestId, completion.Usage?.InputTokenCount, completion.Usage?.OutputTokenCount);
    }
}
