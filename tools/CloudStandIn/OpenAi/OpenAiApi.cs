using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

namespace CloudStandIn.OpenAi;

/// <summary>
/// OpenAI's Images API: <c>POST /v1/images/generations</c> (JSON), <c>POST /v1/images/edits</c> (multipart) and the
/// unbilled key check <c>GET /v1/models</c>, with <c>Authorization: Bearer</c> keys and errors as
/// <c>{"error":{"message","type","param","code"}}</c>.
/// </summary>
internal sealed partial class OpenAiApi(CloudState state) : ProviderApi(state, CloudProvider.OpenAi)
{
    private static readonly string[] CommonParameters = ["prompt", "model", "n", "size", "quality", "user"];
    private static readonly string[] GptImageParameters = ["background", "output_format", "output_compression", "moderation"];

    public override void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", ctx => KeyCheckAsync(ctx, (_, _) => (StatusCodes.Status200OK, new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray(OpenAiModels.All.Select(m => (JsonNode?)ModelJson(m)).ToArray()),
        })));
        app.MapGet("/v1/models/{id}", ctx => KeyCheckAsync(ctx, (c, _) =>
        {
            var id = (string)c.Request.RouteValues["id"]!;
            return OpenAiModels.Find(id) is { } model
                ? (StatusCodes.Status200OK, ModelJson(model))
                : (StatusCodes.Status404NotFound, Error($"The model '{id}' does not exist", "invalid_request_error", "model", "model_not_found"));
        }));
        app.MapPost("/v1/images/generations", Paid(ParseGenerationAsync));
        app.MapPost("/v1/images/edits", Paid(ParseEditAsync));
        app.MapPost("/v1/chat/completions", Paid(ParseChatAsync));
    }

    protected override string NewId() => "req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    protected override void Decorate(HttpResponse response, string id)
    {
        response.Headers["x-request-id"] = id;
        response.Headers["openai-processing-ms"] = "1";
    }

    protected override string? ReadKey(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }

    protected override ProviderError Refusal(Rejection kind, string? key, int? retryAfter, PaidWork? work) => kind switch
    {
        Rejection.Unauthorized when key is null => new(StatusCodes.Status401Unauthorized, Error(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            "invalid_request_error", null, null)),
        Rejection.Unauthorized => new(StatusCodes.Status401Unauthorized, Error(
            $"Incorrect API key provided: {Mask(key!)}. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error", null, "invalid_api_key")),
        Rejection.NoCredits => new(StatusCodes.Status429TooManyRequests, Error(
            "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
            "insufficient_quota", null, "insufficient_quota")),
        Rejection.RateLimited => new(StatusCodes.Status429TooManyRequests, Error(
            $"Rate limit reached for images per minute. Please try again in {retryAfter ?? 1}s.",
            "requests", null, "rate_limit_exceeded"), retryAfter),
        Rejection.Moderated when work?.Model is { } chat && OpenAiChat.Models.Contains(chat) => new(StatusCodes.Status400BadRequest, Error(
            "Invalid prompt: your prompt was flagged as potentially violating our usage policy. Please try again with a different prompt: https://platform.openai.com/docs/guides/reasoning#advice-on-prompting",
            "invalid_request_error", null, "invalid_prompt")),
        Rejection.Moderated when work?.Model == "gpt-image-1" => new(StatusCodes.Status400BadRequest, Error(
            "Your request was rejected by the safety system. If you believe this is an error, contact us at help.openai.com and include the request ID. safety_violations=[violence].",
            "image_generation_user_error", null, "moderation_blocked")),
        Rejection.Moderated => new(StatusCodes.Status400BadRequest, Error(
            "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
            "invalid_request_error", null, "content_policy_violation")),
        Rejection.ServerError => new(StatusCodes.Status500InternalServerError, Error(
            "The server had an error while processing your request. Sorry about that!", "server_error", null, null)),
        _ => new(StatusCodes.Status503ServiceUnavailable, Error(
            "The server is overloaded or not ready yet.", "server_error", null, null)),
    };

    protected override ProviderError Invalid(int status, string message) => new(status, Error(message, "invalid_request_error", null, null));

    private async Task<PaidWork> ParseGenerationAsync(HttpContext ctx)
    {
        var body = await ReadJsonObjectAsync(ctx) ?? throw Invalid(StatusCodes.Status400BadRequest,
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
        var args = new Args(body.ToDictionary(p => p.Key, p => p.Value), fromForm: false);
        var model = ChooseModel(args, edits: false);
        var allowed = Allowed(model, edits: false);
        var request = Validate(args, model, allowed);
        return new PaidWork(model.Id, request.Prompt, id => Answer(ctx, model, request, id, source: string.Empty));
    }

    private async Task<PaidWork> ParseEditAsync(HttpContext ctx)
    {
        var form = await ReadFormAsync(ctx) ?? throw Invalid(StatusCodes.Status400BadRequest,
            $"Invalid Content-Type header ({ctx.Request.ContentType}), expected multipart/form-data.");
        var args = new Args(form.ToDictionary(f => f.Key, f => (JsonNode?)JsonValue.Create(f.Value.ToString())), fromForm: true);
        var model = ChooseModel(args, edits: true);
        var edits = model.Edits!;
        var images = form.Files.GetFiles("image").Concat(form.Files.GetFiles("image[]")).ToList();
        if (images.Count == 0) { throw Missing("image"); }
        if (images.Count > edits.MaxImages)
        {
            throw Bad($"Invalid 'image': array too long. Expected an array with maximum length {edits.MaxImages}, but got an array with length {images.Count} instead.", "image", "array_above_max_length");
        }
        var hash = new StringBuilder();
        Size? first = null;
        byte[]? source = null;
        for (var i = 0; i < images.Count; i++)
        {
            var (bytes, info) = await CheckImageAsync(images[i], $"image {i + 1}", edits.ImageFormats, edits.MaxImageBytes, hash, ctx.RequestAborted);
            source ??= bytes;
            if (edits.SquareOnly && info.Width != info.Height)
            {
                throw Bad($"Invalid input image - image must be square, got {info.Width}x{info.Height}.", "image", "invalid_value");
            }
            first ??= new Size(info.Width, info.Height);
        }
        byte[]? maskBytes = null;
        if (form.Files.GetFile("mask") is { } mask)
        {
            (maskBytes, var info) = await CheckImageAsync(mask, "mask", ["png"], 4L * 1024 * 1024, hash, ctx.RequestAborted);
            if (info.Width != first!.Value.Width || info.Height != first.Value.Height)
            {
                throw Bad($"Invalid 'mask': the mask ({info.Width}x{info.Height}) and the image ({first.Value.Width}x{first.Value.Height}) must have the same dimensions.", "mask", "invalid_value");
            }
            if (!HasAlpha(mask))
            {
                throw Bad("Invalid 'mask': the mask must have an alpha channel (RGBA); its fully transparent pixels mark where the image is edited.", "mask", "invalid_value");
            }
        }
        else if (model.Id == "dall-e-2" && !HasAlpha(images[0]))
        {
            throw Bad("Invalid input image - without a mask the image must have transparency (format must be in ['RGBA', 'LA']).", "image", "invalid_value");
        }
        var request = Validate(args, model, Allowed(model, edits: true));
        var input = new EditInput(source!, maskBytes);
        return new PaidWork(model.Id, request.Prompt, id => Answer(ctx, model, request, id, hash.ToString(), input));
    }

    /// <summary>The model the request names, or the documented default (dall-e-2, unless a GPT image parameter is used).</summary>
    private static OpenAiModel ChooseModel(Args args, bool edits)
    {
        var name = args.Str("model");
        if (name is null)
        {
            return OpenAiModels.Find(GptImageParameters.Any(args.Has) ? "gpt-image-1" : OpenAiModels.Default)!;
        }
        var supported = OpenAiModels.All.Where(m => !edits || m.Edits is not null).Select(m => m.Id).ToList();
        var model = OpenAiModels.Find(name);
        return model is not null && supported.Contains(model.Id)
            ? model
            : throw Bad($"Invalid value: '{name}'. Supported values are: {Listed(supported)}.", "model", "invalid_value");
    }

    private static HashSet<string> Allowed(OpenAiModel model, bool edits)
    {
        var allowed = new HashSet<string>(CommonParameters, StringComparer.Ordinal);
        if (model.Backgrounds.Count > 0) { allowed.UnionWith(GptImageParameters); }
        if (edits) { allowed.Remove("moderation"); } // the edits endpoint documents no moderation parameter
        if (model.Styles.Count > 0 && !edits) { allowed.Add("style"); }
        if (model.TakesResponseFormat) { allowed.Add("response_format"); }
        return allowed;
    }

    /// <summary>A request that passed validation, with every option resolved to what the model will do.</summary>
    private sealed record ImageRequest(string Prompt, int N, string Size, string Quality, string? Background, string? OutputFormat, int Compression, string? Style, string ResponseFormat);

    private static ImageRequest Validate(Args args, OpenAiModel model, HashSet<string> allowed)
    {
        if (args.Names.FirstOrDefault(n => !allowed.Contains(n)) is { } unknown)
        {
            throw Bad($"Unknown parameter: '{unknown}'.", unknown, "unknown_parameter");
        }
        var prompt = args.Str("prompt") ?? throw Missing("prompt");
        if (prompt.Length == 0)
        {
            throw Bad("Invalid 'prompt': string too short. Expected a string with minimum length 1, but got an empty string instead.", "prompt", "string_below_min_length");
        }
        if (prompt.Length > model.MaxPromptLength)
        {
            throw Bad($"Invalid 'prompt': string too long. Expected a string with maximum length {model.MaxPromptLength}, but got a string with length {prompt.Length} instead.", "prompt", "string_above_max_length");
        }
        var n = args.Int("n") ?? 1;
        if (n < 1) { throw Bad($"Invalid 'n': integer below minimum value. Expected a value >= 1, but got {n} instead.", "n", "integer_below_min_value"); }
        if (n > model.MaxN) { throw Bad($"Invalid 'n': integer above maximum value. Expected a value <= {model.MaxN}, but got {n} instead.", "n", "integer_above_max_value"); }
        var size = OneOf(args, "size", model.Sizes) ?? model.DefaultSize;
        var quality = OneOf(args, "quality", model.Qualities) ?? "auto";
        var background = OneOf(args, "background", model.Backgrounds);
        var format = OneOf(args, "output_format", model.OutputFormats);
        OneOf(args, "moderation", ["low", "auto"]);
        var compression = args.Int("output_compression") ?? 100;
        if (compression is < 0 or > 100)
        {
            throw Bad($"Invalid 'output_compression': expected a value between 0 and 100, but got {compression} instead.", "output_compression", "invalid_value");
        }
        if (background == "transparent" && format == "jpeg")
        {
            throw Bad("Invalid value: 'transparent'. A transparent background needs output_format 'png' or 'webp'.", "background", "invalid_value");
        }
        var style = OneOf(args, "style", model.Styles);
        var responseFormat = OneOf(args, "response_format", model.TakesResponseFormat ? ["url", "b64_json"] : []) ?? (model.TakesResponseFormat ? "url" : "b64_json");
        return new ImageRequest(prompt, n, size, quality, background, format, compression, style, responseFormat);
    }

    /// <summary>An edit's first input picture and its mask (OpenAI's convention: fully transparent pixels are edited).</summary>
    private sealed record EditInput(byte[] Image, byte[]? Mask);

    private JsonObject Answer(HttpContext ctx, OpenAiModel model, ImageRequest request, string id, string source, EditInput? edit = null)
    {
        var size = request.Size == "auto" ? "1024x1024" : request.Size;
        var (width, height) = ParseSize(size);
        var gptImage = model.Backgrounds.Count > 0;
        var quality = request.Quality == "auto" ? (gptImage ? "medium" : "standard") : request.Quality;
        var format = request.OutputFormat ?? "png";
        var background = request.Background is null or "auto" ? "opaque" : request.Background;
        var data = new JsonArray();
        for (var i = 0; i < request.N; i++)
        {
            var bytes = edit is null
                ? Pictures.Draw(id + source, request.Prompt, width, height, i, format, background == "transparent", request.Compression)
                : Pictures.DrawEdit(id + source, request.Prompt, width, height, i, format, edit.Image, edit.Mask, p => p.A == 0, sourceWeight: 0.5);
            var item = new JsonObject();
            if (request.ResponseFormat == "url")
            {
                item["url"] = State.Files.Put(CloudState.BaseOf(ctx), Provider, bytes, Pictures.MediaType(format), State.UrlLifetime(Provider));
            }
            else
            {
                item["b64_json"] = Convert.ToBase64String(bytes);
            }
            if (model.RevisesPrompt) { item["revised_prompt"] = $"{request.Prompt}, rendered as a detailed digital picture"; }
            data.Add(item);
        }
        var answer = new JsonObject { ["created"] = State.Options.Time.GetUtcNow().ToUnixTimeSeconds(), ["data"] = data };
        if (model.ReportsUsage)
        {
            var perImage = OpenAiModels.GptImageOutputTokens[(quality, size)];
            var textTokens = Math.Max(1, request.Prompt.Length / 4);
            var imageTokens = source.Length == 0 ? 0 : 323;
            answer["background"] = background;
            answer["output_format"] = format;
            answer["quality"] = quality;
            answer["size"] = size;
            answer["usage"] = new JsonObject
            {
                ["input_tokens"] = textTokens + imageTokens,
                ["input_tokens_details"] = new JsonObject { ["image_tokens"] = imageTokens, ["text_tokens"] = textTokens },
                ["output_tokens"] = perImage * request.N,
                ["total_tokens"] = textTokens + imageTokens + (perImage * request.N),
            };
        }
        return answer;
    }

    private static async Task<(byte[] Bytes, IImageInfo Info)> CheckImageAsync(IFormFile file, string what, IReadOnlyList<string> formats, long maxBytes, StringBuilder hash, CancellationToken cancellationToken)
    {
        var param = what.StartsWith("image", StringComparison.Ordinal) ? "image" : what;
        if (file.Length > maxBytes)
        {
            throw Bad($"Invalid '{what}': the file is {file.Length} bytes; it must be less than {maxBytes} bytes.", param, "invalid_value");
        }
        var (bytes, info) = await ReadImageAsync(file, formats, cancellationToken)
            ?? throw Bad($"Invalid image file or mode for {what}, please check your image file. Supported formats: {string.Join(", ", formats)}.", param, "invalid_image_format");
        hash.Append(Fingerprint(bytes));
        return (bytes, info);
    }

    private static bool HasAlpha(IFormFile image)
    {
        using var stream = image.OpenReadStream();
        var info = Image.Identify(stream);
        return info?.Metadata.GetPngMetadata() is { } png
            && (png.ColorType is PngColorType.RgbWithAlpha or PngColorType.GrayscaleWithAlpha || png.HasTransparency);
    }

    private static string? OneOf(Args args, string name, IReadOnlyList<string> values)
    {
        var value = args.Str(name);
        if (value is null) { return null; }
        return values.Contains(value) ? value : throw Bad($"Invalid value: '{value}'. Supported values are: {Listed(values)}.", name, "invalid_value");
    }

    private static (int Width, int Height) ParseSize(string size)
    {
        var x = size.IndexOf('x', StringComparison.Ordinal);
        return (int.Parse(size[..x], CultureInfo.InvariantCulture), int.Parse(size[(x + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary><c>'a', 'b', and 'c'</c>, as OpenAI lists supported values.</summary>
    private static string Listed(IReadOnlyList<string> values) => values.Count switch
    {
        1 => $"'{values[0]}'",
        2 => $"'{values[0]}' and '{values[1]}'",
        _ => string.Join(", ", values.SkipLast(1).Select(v => $"'{v}'")) + $", and '{values[^1]}'",
    };

    /// <summary>A key as OpenAI shows it in an error: its first three and last four characters.</summary>
    private static string Mask(string key) => key.Length <= 8 ? new string('*', key.Length) : key[..3] + new string('*', key.Length - 7) + key[^4..];

    private static JsonObject ModelJson(OpenAiModel model) => new()
    {
        ["id"] = model.Id,
        ["object"] = "model",
        ["created"] = 1698785189,
        ["owned_by"] = "system",
    };

    private static ProviderError Missing(string name) =>
        Bad($"Missing required parameter: '{name}'.", name, "missing_required_parameter");

    private static ProviderError Bad(string message, string? param, string? code) =>
        new(StatusCodes.Status400BadRequest, Error(message, "invalid_request_error", param, code));

    private static JsonObject Error(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
    };

    /// <summary>A request's parameters, from JSON (typed) or from a form (all strings); JSON nulls count as absent.</summary>
    private sealed class Args(Dictionary<string, JsonNode?> values, bool fromForm)
    {
        public IEnumerable<string> Names => values.Where(v => v.Value is not null).Select(v => v.Key);

        public bool Has(string name) => values.TryGetValue(name, out var v) && v is not null;

        public string? Str(string name)
        {
            if (!values.TryGetValue(name, out var node) || node is null) { return null; }
            return node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw WrongType(name, "a string", node);
        }

        public int? Int(string name)
        {
            if (!values.TryGetValue(name, out var node) || node is null) { return null; }
            if (fromForm && node is JsonValue s && s.GetValueKind() == JsonValueKind.String)
            {
                return int.TryParse(s.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw WrongType(name, "an integer", node);
            }
            return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i : throw WrongType(name, "an integer", node);
        }

        private static ProviderError WrongType(string name, string expected, JsonNode node) => Bad(
            $"Invalid type for '{name}': expected {expected}, but got {Kind(node)} instead.", name, "invalid_type");

        private static string Kind(JsonNode node) => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Array => "an array",
            _ => "an object",
        };
    }
}
