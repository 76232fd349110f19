using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CloudStandIn.Bfl;

/// <summary>
/// Black Forest Labs' FLUX API: <c>POST /v1/{model}</c> (JSON, <c>x-key</c> header) answers <c>{id, polling_url}</c>;
/// <c>GET /v1/get_result?id=</c> answers the task's status until it ends. Tasks live as long as the stand-in runs,
/// so a client that restarts polls the same id again. <c>GET /v1/credits</c> is the unbilled key check.
/// </summary>
internal sealed class BflApi(CloudState state) : ProviderApi(state, CloudProvider.Bfl)
{
    private readonly Lock _lock = new();
    /// <summary>Tasks kept at most; beyond it the oldest ended ones are forgotten (then "Task not found", as BFL forgets old tasks).</summary>
    private const int MaxTasks = 10_000;

    private readonly OrderedDictionary<string, BflTask> _tasks = new(StringComparer.Ordinal);
    private double _credits = state.Options.BflCredits;

    /// <summary>One submitted task and where it stands.</summary>
    private sealed class BflTask
    {
        public required string Id { get; init; }
        public required string Prompt { get; init; }
        public required long Seed { get; init; }
        public required int Width { get; init; }
        public required int Height { get; init; }
        public required string Format { get; init; }
        public required string Source { get; init; }
        /// <summary>Kontext's input picture: the result is drawn over it.</summary>
        public byte[]? Input { get; init; }
        public required string End { get; init; }
        public required DateTimeOffset Submitted { get; init; }
        public int PendingLeft { get; set; }

        /// <summary>With the <see cref="CloudFaults.ReadyAfterMs"/> fault: when the task stops being pending.</summary>
        public DateTimeOffset? ReadyAt { get; init; }
        public string? Sample { get; set; }
        public DateTimeOffset? Finished { get; set; }
        public bool Active => Finished is null;
    }

    public override void Map(IEndpointRouteBuilder app)
    {
        foreach (var model in BflModels.All)
        {
            app.MapPost("/v1/" + model.Path, Paid(c => ParseAsync(c, model)));
        }
        app.MapGet("/v1/get_result", ctx => KeyedAsync(ctx, Poll));
        app.MapGet("/v1/credits", ctx => KeyCheckAsync(ctx, (_, _) =>
        {
            lock (_lock) { return (StatusCodes.Status200OK, new JsonObject { ["credits"] = _credits }); }
        }));
    }

    protected override string? ReadKey(HttpRequest request) =>
        request.Headers.TryGetValue("x-key", out var key) && key.Count > 0 ? key.ToString() : null;

    protected override ProviderError Refusal(Rejection kind, string? key, int? retryAfter, PaidWork? work) => kind switch
    {
        Rejection.Unauthorized => Detail(StatusCodes.Status403Forbidden, key is null ? "Not authenticated" : "Invalid API key"),
        Rejection.NoCredits => Detail(StatusCodes.Status402PaymentRequired, "Insufficient credits. Add credits to your account to continue using the API."),
        Rejection.RateLimited => new(StatusCodes.Status429TooManyRequests, new JsonObject { ["detail"] = "Rate limit exceeded. Please try again later." }, retryAfter),
        Rejection.Moderated => Detail(StatusCodes.Status400BadRequest, "Request Moderated: the prompt was flagged by content moderation."),
        Rejection.ServerError => Detail(StatusCodes.Status500InternalServerError, "Internal Server Error"),
        _ => Detail(StatusCodes.Status503ServiceUnavailable, "Service Unavailable"),
    };

    protected override ProviderError Invalid(int status, string message) => status == StatusCodes.Status422UnprocessableEntity
        ? Validation([Problem("value_error", "body", message, null)])
        : Detail(status, message);

    private async Task<PaidWork> ParseAsync(HttpContext ctx, BflModel model)
    {
        var body = await ReadJsonObjectAsync(ctx) ?? throw Validation([Problem("json_invalid", "body", "JSON decode error", null)]);
        var problems = new List<JsonObject>();
        var prompt = Text(body, "prompt", problems);
        if (model.PromptRequired && prompt is null && !problems.Any(p => (string?)p["loc"]![1] == "prompt"))
        {
            problems.Add(Problem("missing", "prompt", "Field required", null));
        }
        var seed = Integer(body, "seed", 0, long.MaxValue, problems);
        var editing = model.ImageField == "input_image" && body["input_image"] is not null;
        Integer(body, "safety_tolerance", 0, editing ? BflModels.MaxEditSafetyTolerance : BflModels.MaxSafetyTolerance, problems);
        foreach (var flag in model.Flags)
        {
            if (body[flag] is { } value && value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                problems.Add(Problem("bool_type", flag, "Input should be a valid boolean", value));
            }
        }
        var format = Text(body, "output_format", problems) ?? "jpeg";
        if (!BflModels.OutputFormats.Contains(format))
        {
            problems.Add(Problem("enum", "output_format", "Input should be 'jpeg' or 'png'", body["output_format"]));
        }
        var source = string.Empty;
        byte[]? input = null;
        if (Text(body, model.ImageField, problems) is { Length: > 0 } image)
        {
            input = Base64Image(image);
            if (input is null) { problems.Add(Problem("value_error", model.ImageField, $"Value error, {model.ImageField} must be a base64 encoded JPEG, PNG or WebP image", null)); }
            else { source = Fingerprint(input); }
        }
        var (width, height) = Size(body, model, problems, editing ? input : null);
        if (problems.Count > 0) { throw Validation(problems); }

        lock (_lock)
        {
            if (_tasks.Values.Count(t => t.Active) >= State.Options.BflActiveTaskLimit)
            {
                throw Detail(StatusCodes.Status429TooManyRequests, $"You have reached the limit of {State.Options.BflActiveTaskLimit} active tasks. Wait for some to finish before submitting more.");
            }
            if (_credits < model.Credits)
            {
                throw Detail(StatusCodes.Status402PaymentRequired, "Insufficient credits. Add credits to your account to continue using the API.");
            }
        }
        var pendingPolls = Faults.PendingPolls ?? State.Options.BflPendingPolls;
        var readyAfter = Faults.ReadyAfterMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var end = Faults.EndIn ?? BflStatus.Ready;
        var baseAddress = CloudState.BaseOf(ctx);
        return new PaidWork(model.Path, prompt ?? string.Empty, id =>
        {
            var submitted = State.Options.Time.GetUtcNow();
            var task = new BflTask
            {
                Id = id,
                Prompt = prompt ?? string.Empty,
                Seed = seed ?? StableSeed(id),
                Width = width,
                Height = height,
                Format = format,
                Source = source,
                Input = editing ? input : null,
                End = end,
                Submitted = submitted,
                PendingLeft = readyAfter is null ? pendingPolls : 0,
                ReadyAt = submitted + readyAfter,
            };
            lock (_lock)
            {
                _tasks[id] = task;
                _credits -= model.Credits;
                for (var i = 0; _tasks.Count > MaxTasks && i < _tasks.Count;)
                {
                    if (_tasks.GetAt(i).Value.Active) { i++; } else { _tasks.RemoveAt(i); }
                }
            }
            return new JsonObject
            {
                ["id"] = id,
                ["polling_url"] = new Uri(baseAddress, "v1/get_result?id=" + Uri.EscapeDataString(id)).ToString(),
                ["cost"] = model.Credits,
                ["input_mp"] = source.Length > 0 ? 1.0 : 0.0,
                ["output_mp"] = Math.Round(width * height / 1_000_000.0, 2),
            };
        });
    }

    private (int Status, JsonNode Body) Poll(HttpContext ctx)
    {
        var id = ctx.Request.Query["id"].ToString();
        if (!ctx.Request.Query.ContainsKey("id"))
        {
            return (StatusCodes.Status422UnprocessableEntity, Validation([Problem("missing", "id", "Field required", null, "query")]).Body);
        }
        BflTask? task;
        string status;
        lock (_lock)
        {
            if (!_tasks.TryGetValue(id, out task))
            {
                return (StatusCodes.Status200OK, Result(id, BflStatus.TaskNotFound, null));
            }
            var now = State.Options.Time.GetUtcNow();
            if (task.PendingLeft > 0 || now < task.ReadyAt)
            {
                task.PendingLeft = Math.Max(0, task.PendingLeft - 1);
                return (StatusCodes.Status200OK, Result(id, BflStatus.Pending, null));
            }
            status = task.End;
            task.Finished ??= task.ReadyAt ?? now;
            if (status == BflStatus.TaskNotFound)
            {
                _tasks.Remove(id); // the task ends forgotten: from now on it is not found
            }
        }
        if (status != BflStatus.Ready)
        {
            return (StatusCodes.Status200OK, Result(id, status, null));
        }
        lock (_lock)
        {
            task.Sample ??= State.Files.Put(CloudState.BaseOf(ctx), Provider,
                task.Input is { } input
                    ? Pictures.DrawEdit(task.Seed.ToString(CultureInfo.InvariantCulture) + task.Source, task.Prompt, task.Width, task.Height, 0, task.Format, input, null, _ => true, sourceWeight: 0.5)
                    : Pictures.Draw(task.Seed.ToString(CultureInfo.InvariantCulture) + task.Source, task.Prompt, task.Width, task.Height, 0, task.Format),
                Pictures.MediaType(task.Format), State.UrlLifetime(Provider));
        }
        var started = task.Submitted.ToUnixTimeMilliseconds() / 1000.0;
        var ended = task.Finished!.Value.ToUnixTimeMilliseconds() / 1000.0;
        return (StatusCodes.Status200OK, Result(id, BflStatus.Ready, new JsonObject
        {
            ["sample"] = task.Sample,
            ["prompt"] = task.Prompt,
            ["seed"] = task.Seed,
            ["start_time"] = started,
            ["end_time"] = ended,
            ["duration"] = ended - started,
        }));
    }

    /// <summary>
    /// When task <paramref name="id"/> ended (became <c>Ready</c>, or its other end), by the stand-in's clock: the moment
    /// its <see cref="CloudFaults.ReadyAfterMs"/> ran out, or else the poll that first saw its end; null while it is pending
    /// or unknown.
    /// </summary>
    public DateTimeOffset? EndedAt(string id)
    {
        lock (_lock)
        {
            if (!_tasks.TryGetValue(id, out var task))
            {
                return null;
            }
            return task.Finished ?? (task.ReadyAt is { } at && at <= State.Options.Time.GetUtcNow() ? at : null);
        }
    }

    private static JsonObject Result(string id, string status, JsonObject? result) => new()
    {
        ["id"] = id,
        ["status"] = status,
        ["result"] = result,
        ["progress"] = null,
        ["details"] = null,
    };

    /// <summary>The size to draw; without an <c>aspect_ratio</c>, Kontext keeps the <paramref name="input"/> picture's ratio (within 21:9 to 9:21).</summary>
    private static (int Width, int Height) Size(JsonObject body, BflModel model, List<JsonObject> problems, byte[]? input = null)
    {
        if (model.Shape == BflShape.WidthHeight)
        {
            var width = Integer(body, "width", BflModels.MinSide, BflModels.MaxSide, problems) ?? model.DefaultWidth;
            var height = Integer(body, "height", BflModels.MinSide, BflModels.MaxSide, problems) ?? model.DefaultHeight;
            foreach (var (name, side) in new[] { ("width", width), ("height", height) })
            {
                if (side % BflModels.SideStep != 0)
                {
                    problems.Add(Problem("value_error", name, $"Value error, {name} must be a multiple of {BflModels.SideStep}", body[name]));
                }
            }
            return ((int)width, (int)height);
        }
        if (body["aspect_ratio"] is null && input is not null && SixLabors.ImageSharp.Image.Identify(input) is { } info)
        {
            var ratio = Math.Clamp((double)info.Width / info.Height, 1 / BflModels.MaxRatio, BflModels.MaxRatio);
            return BflModels.SizeFor(ratio, model.Megapixels);
        }
        var aspect = Text(body, "aspect_ratio", problems) ?? model.DefaultAspectRatio;
        var colon = aspect.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0
            && int.TryParse(aspect[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var w)
            && int.TryParse(aspect[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && w > 0 && h > 0 && (double)w / h <= BflModels.MaxRatio + 1e-9 && (double)h / w <= BflModels.MaxRatio + 1e-9)
        {
            return BflModels.SizeFor((double)w / h, model.Megapixels);
        }
        problems.Add(Problem("value_error", "aspect_ratio", "Value error, aspect_ratio must be 'W:H' between 21:9 and 9:21", body["aspect_ratio"]));
        return (0, 0);
    }

    private static string? Text(JsonObject body, string name, List<JsonObject> problems)
    {
        var node = body[name];
        if (node is null) { return null; }
        if (node.GetValueKind() == JsonValueKind.String) { return node.GetValue<string>(); }
        problems.Add(Problem("string_type", name, "Input should be a valid string", node));
        return null;
    }

    private static long? Integer(JsonObject body, string name, long min, long max, List<JsonObject> problems)
    {
        var node = body[name];
        if (node is null) { return null; }
        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<long>(out var value))
        {
            problems.Add(Problem("int_type", name, "Input should be a valid integer", node));
            return null;
        }
        if (value < min) { problems.Add(Problem("greater_than_equal", name, $"Input should be greater than or equal to {min}", node)); }
        else if (value > max) { problems.Add(Problem("less_than_equal", name, $"Input should be less than or equal to {max}", node)); }
        return value;
    }

    private static byte[]? Base64Image(string text)
    {
        var comma = text.StartsWith("data:", StringComparison.Ordinal) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        var payload = comma >= 0 ? text[(comma + 1)..] : text;
        var buffer = new byte[payload.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64String(payload, buffer, out var written)) { return null; }
        var bytes = buffer[..written];
        try
        {
            return SixLabors.ImageSharp.Image.Identify(bytes) is null ? null : bytes;
        }
        catch (SixLabors.ImageSharp.InvalidImageContentException)
        {
            return null;
        }
    }

    /// <summary>One entry of a FastAPI validation error, as BFL's 422 answers list them.</summary>
    private static JsonObject Problem(string type, string field, string message, JsonNode? input, string where = "body") => new()
    {
        ["type"] = type,
        ["loc"] = new JsonArray(where, field),
        ["msg"] = message,
        ["input"] = input?.DeepClone(),
    };

    private static ProviderError Validation(IEnumerable<JsonObject> problems) =>
        new(StatusCodes.Status422UnprocessableEntity, new JsonObject { ["detail"] = new JsonArray([.. problems]) });

    private static ProviderError Detail(int status, string message) => new(status, new JsonObject { ["detail"] = message });
}
