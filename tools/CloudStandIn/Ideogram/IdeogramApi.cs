using System.Globalization;
using System.Text.Json.Nodes;

namespace CloudStandIn.Ideogram;

/// <summary>
/// Ideogram 3.0: <c>POST /v1/ideogram-v3/generate</c>, <c>/edit</c> and <c>/remix</c>, multipart forms with an
/// <c>Api-Key</c> header, answering synchronously with expiring image URLs; and the unbilled account call
/// <c>GET /v2/account/api-keys</c> (the organization's keys, redacted, for an organization admin's key; 404 for a
/// member's), the only documented call that checks a key without generating.
/// </summary>
internal sealed class IdeogramApi(CloudState state) : ProviderApi(state, CloudProvider.Ideogram)
{
    /// <summary>Generate's and remix's parameters that edit does not take (its result keeps the image's size).</summary>
    private static readonly string[] NotForEdit = ["resolution", "aspect_ratio", "negative_prompt", "image_weight"];

    private enum Kind
    {
        Generate,
        Edit,
        Remix,
    }

    public override void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/ideogram-v3/generate", Paid(c => ParseAsync(c, Kind.Generate)));
        app.MapPost("/v1/ideogram-v3/edit", Paid(c => ParseAsync(c, Kind.Edit)));
        app.MapPost("/v1/ideogram-v3/remix", Paid(c => ParseAsync(c, Kind.Remix)));
        app.MapGet("/v2/account/api-keys", ctx => KeyCheckAsync(ctx, (_, key) => key == State.Options.IdeogramMemberKey
            ? (StatusCodes.Status404NotFound, new JsonObject { ["error"] = "No organization with billing access was found for this credential." })
            : (StatusCodes.Status200OK, new JsonObject
            {
                ["api_keys"] = new JsonArray(
                    ApiKeyJson("admin", State.Options.Keys[CloudProvider.Ideogram]),
                    ApiKeyJson("member", State.Options.IdeogramMemberKey)),
            })));
    }

    protected override bool Accepts(string key) => base.Accepts(key) || key == State.Options.IdeogramMemberKey;

    /// <summary>One key as the account endpoint lists it: an id, its first four characters, when it was made, its status.</summary>
    private static JsonObject ApiKeyJson(string id, string key) => new()
    {
        ["api_key_id"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(id)),
        ["redacted_api_key"] = key[..Math.Min(4, key.Length)] + "…",
        ["creation_time"] = "2026-12-01T00:00:00Z",
        ["status"] = "ACTIVE",
    };

    protected override string? ReadKey(HttpRequest request) =>
        request.Headers.TryGetValue("Api-Key", out var key) && key.Count > 0 ? key.ToString() : null;

    protected override ProviderError Refusal(Rejection kind, string? key, int? retryAfter, PaidWork? work) => kind switch
    {
        Rejection.Unauthorized => Error(StatusCodes.Status401Unauthorized, "Not authorized to generate an image: the Api-Key header is missing or not a valid key."),
        Rejection.NoCredits => Error(StatusCodes.Status402PaymentRequired, "Insufficient credits: add credits to your API account to generate images."),
        Rejection.RateLimited => new(StatusCodes.Status429TooManyRequests, new JsonObject { ["error"] = "Too many requests." }, retryAfter),
        Rejection.Moderated => Error(StatusCodes.Status422UnprocessableEntity, "Prompt or provided image failed the safety checks."),
        Rejection.ServerError => Error(StatusCodes.Status500InternalServerError, "Internal server error."),
        _ => Error(StatusCodes.Status503ServiceUnavailable, "Service temporarily unavailable."),
    };

    protected override ProviderError Invalid(int status, string message) => Error(status, message);

    private async Task<PaidWork> ParseAsync(HttpContext ctx, Kind kind)
    {
        var form = await ReadFormAsync(ctx) ?? throw Invalid(StatusCodes.Status400BadRequest,
            $"Invalid input: the request must be multipart/form-data, not {ctx.Request.ContentType ?? "empty"}.");
        var prompt = form["prompt"].ToString();
        if (!form.ContainsKey("prompt") || prompt.Length == 0) { throw Invalid(StatusCodes.Status400BadRequest, "Invalid input: prompt is required."); }
        var source = string.Empty;
        (int Width, int Height)? inputSize = null;
        byte[]? input = null, maskBytes = null;
        var weight = 50L;
        if (kind is Kind.Edit or Kind.Remix)
        {
            var (bytes, width, height) = await UploadAsync(form, "image", ctx.RequestAborted);
            source = Fingerprint(bytes);
            input = bytes;
            inputSize = (width, height);
            if (kind == Kind.Edit)
            {
                var (mask, maskWidth, maskHeight) = await UploadAsync(form, "mask", ctx.RequestAborted);
                if (maskWidth != width || maskHeight != height)
                {
                    throw Invalid(StatusCodes.Status400BadRequest, $"Invalid input: the mask ({maskWidth}x{maskHeight}) must have the same dimensions as the image ({width}x{height}).");
                }
                if (!BlackAndWhite(mask))
                {
                    throw Invalid400("Invalid input: the mask must be a black and white image; black marks the regions to edit.");
                }
                if (NotForEdit.FirstOrDefault(form.ContainsKey) is { } unknown)
                {
                    throw Invalid400($"Invalid input: {unknown} is not a parameter of edit; the result keeps the image's size.");
                }
                source += Fingerprint(mask);
                maskBytes = mask;
            }
            else if (Number(form, "image_weight", 1, 100) is { } imageWeight)
            {
                weight = imageWeight;
                source += "w" + weight.ToString(CultureInfo.InvariantCulture);
            }
        }
        var size = kind == Kind.Edit ? inputSize!.Value : OutputSize(form);
        var n = (int)(Number(form, "num_images", 1, IdeogramModels.MaxImages) ?? 1);
        var seed = Number(form, "seed", 0, IdeogramModels.MaxSeed);
        OneOf(form, "rendering_speed", IdeogramModels.RenderingSpeeds);
        var magic = OneOf(form, "magic_prompt", IdeogramModels.MagicPrompt) ?? "AUTO";
        var style = OneOf(form, "style_type", IdeogramModels.StyleTypes) ?? "AUTO";
        return new PaidWork("V_3", prompt, id =>
        {
            var data = new JsonArray();
            for (var i = 0; i < n; i++)
            {
                var imageSeed = seed ?? StableSeed(id + i.ToString(CultureInfo.InvariantCulture));
                var seedText = imageSeed.ToString(CultureInfo.InvariantCulture) + source;
                var bytes = input is null
                    ? Pictures.Draw(seedText, prompt, size.Width, size.Height, i, "png")
                    : Pictures.DrawEdit(seedText, prompt, size.Width, size.Height, i, "png", input, maskBytes, p => p.R < 128, weight / 100.0);
                data.Add(new JsonObject
                {
                    ["prompt"] = magic == "ON" ? $"{prompt}. A carefully composed, detailed image." : prompt,
                    ["resolution"] = $"{size.Width}x{size.Height}",
                    ["is_image_safe"] = true,
                    ["seed"] = imageSeed,
                    ["style_type"] = style == "AUTO" ? "GENERAL" : style,
                    ["url"] = State.Files.Put(CloudState.BaseOf(ctx), Provider, bytes, "image/png", State.UrlLifetime(Provider)),
                });
            }
            return new JsonObject
            {
                ["created"] = State.Options.Time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture),
                ["data"] = data,
            };
        });
    }

    /// <summary>The size asked by <c>resolution</c> or <c>aspect_ratio</c> (not both); 1x1 when neither.</summary>
    private static (int Width, int Height) OutputSize(IFormCollection form)
    {
        var resolution = OneOf(form, "resolution", IdeogramModels.Resolutions);
        var aspect = OneOf(form, "aspect_ratio", [.. IdeogramModels.AspectRatios.Keys]);
        if (resolution is not null && aspect is not null)
        {
            throw Invalid400("Invalid input: resolution and aspect_ratio cannot be used together.");
        }
        if (resolution is null) { return IdeogramModels.AspectRatios[aspect ?? "1x1"]; }
        var x = resolution.IndexOf('x', StringComparison.Ordinal);
        return (int.Parse(resolution[..x], CultureInfo.InvariantCulture), int.Parse(resolution[(x + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task<(byte[] Bytes, int Width, int Height)> UploadAsync(IFormCollection form, string name, CancellationToken cancellationToken)
    {
        var file = form.Files.GetFile(name) ?? throw Invalid400($"Invalid input: {name} is required.");
        if (file.Length > IdeogramModels.MaxUploadBytes)
        {
            throw Invalid400($"Invalid input: {name} is {file.Length} bytes; the limit is {IdeogramModels.MaxUploadBytes} bytes.");
        }
        var (bytes, info) = await ReadImageAsync(file, IdeogramModels.UploadFormats, cancellationToken)
            ?? throw Invalid400($"Invalid input: {name} must be a JPEG, PNG or WebP image.");
        return (bytes, info.Width, info.Height);
    }

    /// <summary>True when every pixel of the mask is black or white (within a little JPEG noise), as Ideogram's edit asks.</summary>
    private static bool BlackAndWhite(byte[] mask)
    {
        using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(mask);
        var ok = true;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height && ok; y++)
            {
                foreach (var p in rows.GetRowSpan(y))
                {
                    var low = Math.Min(p.R, Math.Min(p.G, p.B));
                    var high = Math.Max(p.R, Math.Max(p.G, p.B));
                    if (p.A < 250 || high - low > 16 || (low > 32 && high < 224)) { ok = false; break; }
                }
            }
        });
        return ok;
    }

    private static long? Number(IFormCollection form, string name, long min, long max)
    {
        if (!form.TryGetValue(name, out var raw)) { return null; }
        return long.TryParse(raw.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Invalid400($"Invalid input: {name} must be an integer from {min} to {max}, got '{raw}'.");
    }

    private static string? OneOf(IFormCollection form, string name, IReadOnlyList<string> values)
    {
        if (!form.TryGetValue(name, out var raw)) { return null; }
        var value = raw.ToString();
        return values.Contains(value) ? value : throw Invalid400($"Invalid input: {name} must be one of {string.Join(", ", values)}, got '{value}'.");
    }

    private static ProviderError Invalid400(string message) => Error(StatusCodes.Status400BadRequest, message);

    private static ProviderError Error(int status, string message) => new(status, new JsonObject { ["error"] = message });
}
