using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CloudStandIn.OpenAi;

/// <summary>
/// OpenAI's Chat Completions (<c>POST /v1/chat/completions</c>) with image input, as its API reference and the vision
/// guide describe it (read 2026-12-07): <c>messages</c> of roles, a user message's <c>content</c> a string or an array of
/// <c>text</c> and <c>image_url</c> parts, an image as a base64 data URL (PNG, JPEG, GIF or WebP, up to 20 MB) or an
/// address. The answer is a <c>chat.completion</c> whose text describes the picture (its shape and colours), as tags
/// when the instructions ask for tags; no streaming.
/// </summary>
internal static class OpenAiChat
{
    /// <summary>The vision models the stand-in answers for.</summary>
    public static readonly IReadOnlyList<string> Models = ["gpt-4.1-mini", "gpt-4.1", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"];

    public static readonly IReadOnlyList<string> Roles = ["system", "assistant", "user", "function", "tool", "developer"];

    public static readonly IReadOnlyList<string> PartTypes = ["text", "image_url", "input_audio", "refusal", "audio", "file"];

    public static readonly IReadOnlyList<string> ImageFormats = ["png", "jpeg", "gif", "webp"];

    public const long MaxImageBytes = 20L * 1024 * 1024;

    /// <summary>The request parameters the reference lists; any other is "Unrecognized request argument supplied".</summary>
    public static readonly HashSet<string> Parameters = new(StringComparer.Ordinal)
    {
        "messages", "model", "audio", "frequency_penalty", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
        "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature", "tool_choice", "tools",
        "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
    };

    /// <summary>A prompt-style description of <paramref name="image"/>: its shape, its two main colours and its look; tags when asked.</summary>
    public static string Describe(byte[] image, string instructions)
    {
        using var picture = Image.Load<Rgb24>(image);
        var (width, height) = (picture.Width, picture.Height);
        picture.Mutate(p => p.Resize(4, 4));
        var colours = new List<string>();
        for (var y = 0; y < 4; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                colours.Add(ColourName(picture[x, y]));
            }
        }
        var main = colours.GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).Take(2).ToList();
        var shape = width == height ? "square" : width > height ? "landscape" : "portrait";
        var tags = instructions.Contains("tag", StringComparison.OrdinalIgnoreCase);
        return tags
            ? string.Join(", ", main.Prepend(shape).Concat(["gradient", "circles", "digital art"]))
            : $"a {shape} digital painting of soft circles on a smooth gradient, {string.Join(" and ", main)} tones, even lighting, clean composition";
    }

    private static string ColourName(Rgb24 p)
    {
        var (r, g, b) = (p.R, p.G, p.B);
        var max = Math.Max(r, Math.Max(g, b));
        var min = Math.Min(r, Math.Min(g, b));
        if (max < 50) { return "black"; }
        if (max - min < 30) { return max > 200 ? "white" : "grey"; }
        if (r == max) { return g > b + 40 ? (g > 160 ? "yellow" : "orange") : b > g + 40 ? "magenta" : "red"; }
        if (g == max) { return b > r + 40 ? "teal" : "green"; }
        return r > g + 40 ? "purple" : "blue";
    }

    /// <summary>OpenAI's usage for an answer: text tokens by the quarter-character rule, 85 per low-detail picture, 765 per other.</summary>
    public static JsonObject Usage(int promptTokens, int completionTokens) => new()
    {
        ["prompt_tokens"] = promptTokens,
        ["completion_tokens"] = completionTokens,
        ["total_tokens"] = promptTokens + completionTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 0, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0, ["accepted_prediction_tokens"] = 0, ["rejected_prediction_tokens"] = 0 },
    };
}

internal sealed partial class OpenAiApi
{
    /// <summary>One chat completion request, checked as OpenAI checks it; what it asks for (its instructions and pictures) if valid.</summary>
    private async Task<PaidWork> ParseChatAsync(HttpContext ctx)
    {
        var body = await ReadJsonObjectAsync(ctx) ?? throw Invalid(StatusCodes.Status400BadRequest,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
        if (body.Select(p => p.Key).FirstOrDefault(k => !OpenAiChat.Parameters.Contains(k)) is { } unknown)
        {
            throw new ProviderError(StatusCodes.Status400BadRequest, Error($"Unrecognized request argument supplied: {unknown}", "invalid_request_error", null, null));
        }
        if (body["model"] is not JsonValue modelValue || modelValue.GetValueKind() != JsonValueKind.String)
        {
            throw new ProviderError(StatusCodes.Status400BadRequest, Error("you must provide a model parameter", "invalid_request_error", null, null));
        }
        var model = modelValue.GetValue<string>();
        if (!OpenAiChat.Models.Contains(model))
        {
            throw new ProviderError(StatusCodes.Status404NotFound, Error($"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", null, "model_not_found"));
        }
        if (body["stream"] is JsonValue stream && stream.GetValueKind() == JsonValueKind.True)
        {
            throw Bad("This stand-in does not stream: send 'stream': false or leave it out.", "stream", "unsupported_value");
        }
        var n = 1;
        if (body["n"] is { } nNode)
        {
            n = nNode is JsonValue nv && nv.GetValueKind() == JsonValueKind.Number && nv.TryGetValue<int>(out var parsed) ? parsed
                : throw Bad("Invalid type for 'n': expected an integer.", "n", "invalid_type");
            if (n is < 1 or > 128) { throw Bad($"Invalid 'n': expected a value between 1 and 128, but got {n} instead.", "n", "invalid_value"); }
        }
        foreach (var limit in new[] { "max_completion_tokens", "max_tokens" })
        {
            if (body[limit] is { } node && !(node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var tokens) && tokens >= 1))
            {
                throw Bad($"Invalid '{limit}': expected an integer of at least 1.", limit, "invalid_value");
            }
        }
        if (!body.TryGetPropertyValue("messages", out var messagesNode) || messagesNode is null)
        {
            throw Missing("messages");
        }
        if (messagesNode is not JsonArray messages)
        {
            throw Bad("Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type");
        }
        if (messages.Count == 0)
        {
            throw Bad("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
        }
        var texts = new List<string>();
        var pictures = new List<byte[]>();
        for (var i = 0; i < messages.Count; i++)
        {
            ReadMessage(messages[i], $"messages[{i}]", texts, pictures);
        }
        var instructions = string.Join("\n", texts);
        var prompt = pictures.Count > 0 ? $"[{pictures.Count} image(s)] {instructions}" : instructions;
        return new PaidWork(model, prompt, id => ChatAnswer(model, n, instructions, pictures, id));
    }

    private static void ReadMessage(JsonNode? node, string at, List<string> texts, List<byte[]> pictures)
    {
        if (node is not JsonObject message)
        {
            throw Bad($"Invalid type for '{at}': expected an object.", at, "invalid_type");
        }
        if (message["role"] is not JsonValue roleValue || roleValue.GetValueKind() != JsonValueKind.String)
        {
            throw Missing($"{at}.role");
        }
        var role = roleValue.GetValue<string>();
        if (!OpenAiChat.Roles.Contains(role))
        {
            throw Bad($"Invalid value: '{role}'. Supported values are: {Listed(OpenAiChat.Roles)}.", $"{at}.role", "invalid_value");
        }
        switch (message["content"])
        {
            case null:
                throw Missing($"{at}.content");
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                texts.Add(v.GetValue<string>());
                break;
            case JsonArray parts:
                for (var j = 0; j < parts.Count; j++)
                {
                    ReadPart(parts[j], role, at, $"{at}.content[{j}]", texts, pictures);
                }
                break;
            default:
                throw Bad($"Invalid type for '{at}.content': expected one of a string or array of objects.", $"{at}.content", "invalid_type");
        }
    }

    private static void ReadPart(JsonNode? node, string role, string messageAt, string at, List<string> texts, List<byte[]> pictures)
    {
        if (node is not JsonObject part || part["type"] is not JsonValue typeValue || typeValue.GetValueKind() != JsonValueKind.String)
        {
            throw Missing($"{at}.type");
        }
        var type = typeValue.GetValue<string>();
        if (!OpenAiChat.PartTypes.Contains(type))
        {
            throw Bad($"Invalid value: '{type}'. Supported values are: {Listed(OpenAiChat.PartTypes)}.", $"{at}.type", "invalid_value");
        }
        if (type == "text")
        {
            texts.Add(part["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : throw Missing($"{at}.text"));
            return;
        }
        if (type != "image_url")
        {
            throw Bad($"This stand-in takes only 'text' and 'image_url' parts, not '{type}'.", $"{at}.type", "unsupported_value");
        }
        if (role != "user")
        {
            throw Bad($"Invalid '{messageAt}'. Image URLs are only allowed for messages with role 'user', but this message with role '{role}' contains an image URL.", messageAt, "invalid_value");
        }
        if (part["image_url"] is not JsonObject image || image["url"] is not JsonValue urlValue || urlValue.GetValueKind() != JsonValueKind.String)
        {
            throw Missing($"{at}.image_url.url");
        }
        if (image["detail"] is JsonValue detail && !(detail.GetValueKind() == JsonValueKind.String && detail.GetValue<string>() is "auto" or "low" or "high"))
        {
            throw Bad($"Invalid value: '{detail.ToJsonString().Trim('"')}'. Supported values are: 'auto', 'low', and 'high'.", $"{at}.image_url.detail", "invalid_value");
        }
        pictures.Add(ReadPicture(urlValue.GetValue<string>(), $"{at}.image_url.url"));
    }

    /// <summary>The picture of a data URL; an address is refused as OpenAI refuses one it cannot download (the stand-in fetches nothing).</summary>
    private static byte[] ReadPicture(string url, string at)
    {
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw Bad($"Error while downloading {url}.", null, "invalid_image_url");
        }
        const string expected = "Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU=')";
        if (!url.StartsWith("data:", StringComparison.Ordinal))
        {
            throw Bad($"Invalid '{at}'. {expected}, but got a value without the 'data:' prefix.", at, "invalid_value");
        }
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        var header = comma < 0 ? url : url[..comma];
        if (comma < 0 || !header.EndsWith(";base64", StringComparison.Ordinal) || !header.StartsWith("data:image/", StringComparison.Ordinal))
        {
            throw Bad($"Invalid '{at}'. {expected}, but got an unsupported MIME type or encoding.", at, "invalid_value");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(url[(comma + 1)..]);
        }
        catch (FormatException)
        {
            throw Bad($"Invalid '{at}'. {expected}, but got an invalid base64 encoding.", at, "invalid_value");
        }
        var unsupported = Bad($"You uploaded an unsupported image. Please make sure your image is below 20 MB in size and is of one the following formats: {FormatList}.", null, "invalid_image_format");
        if (bytes.LongLength > OpenAiChat.MaxImageBytes)
        {
            throw unsupported;
        }
        try
        {
            var format = Image.DetectFormat(bytes);
            return format is not null && OpenAiChat.ImageFormats.Contains(format.Name.ToLowerInvariant()) && Image.Identify(bytes) is not null ? bytes : throw unsupported;
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException)
        {
            throw unsupported;
        }
    }

    private static string FormatList => "[" + string.Join(", ", OpenAiChat.ImageFormats.Select(f => $"'{f}'")) + "]";

    private JsonObject ChatAnswer(string model, int n, string instructions, List<byte[]> pictures, string id)
    {
        var refusal = Faults.ChatRefusal;
        var text = pictures.Count == 0 ? "There is no picture in this conversation to describe." : OpenAiChat.Describe(pictures[0], instructions);
        var choices = new JsonArray();
        for (var i = 0; i < n; i++)
        {
            choices.Add(new JsonObject
            {
                ["index"] = i,
                ["message"] = new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = refusal is null ? text : null,
                    ["refusal"] = refusal,
                    ["annotations"] = new JsonArray(),
                },
                ["logprobs"] = null,
                ["finish_reason"] = "stop",
            });
        }
        var promptTokens = Math.Max(1, instructions.Length / 4) + (765 * pictures.Count);
        var completionTokens = Math.Max(1, ((refusal ?? text).Length / 4) * n);
        return new JsonObject
        {
            ["id"] = "chatcmpl-" + id["req_".Length..],
            ["object"] = "chat.completion",
            ["created"] = State.Options.Time.GetUtcNow().ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = choices,
            ["usage"] = OpenAiChat.Usage(promptTokens, completionTokens),
            ["service_tier"] = "default",
            ["system_fingerprint"] = "fp_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(model)))[..10],
        };
    }
}
