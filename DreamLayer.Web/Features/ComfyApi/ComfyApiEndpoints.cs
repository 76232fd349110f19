using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// The routes of <c>/comfy</c> in ComfyUI's request and response shapes (PROTOCOL.md; <c>server.py</c>). Each acts as
/// the token's owner: a prompt is a job of theirs in the one queue (their caps, their turn, their gallery), and the
/// queue, history, files, interrupt and WebSocket show and touch only their own prompts. Another person's prompt id is
/// answered as ComfyUI answers an unknown one.
/// </summary>
internal static class ComfyApiEndpoints
{
    /// <summary>The name an imported-workflow job made by the face carries in the job list and the image's infotext.</summary>
    public const string JobName = "ComfyUI API";

    /// <summary>The largest JSON body of a route other than <c>/prompt</c> and <c>/upload/image</c>.</summary>
    public const int MaxSmallBody = 64 * 1024;

    /// <summary>The longest <c>prompt_id</c> or <c>client_id</c> taken.</summary>
    private const int MaxIdLength = 200;

    public static void Map(RouteGroupBuilder api, long maxUploadBytes)
    {
        api.MapPost("/prompt", PromptAsync);
        api.MapGet("/prompt", (SignedInUser user, ComfyPrompts prompts) => Results.Json(new JsonObject { ["exec_info"] = new JsonObject { ["queue_remaining"] = prompts.Remaining(user.Id) } }));
        api.MapGet("/ws", SocketAsync);
        api.MapGet("/history", History);
        // The person's prompt: {} while it waits or runs, as ComfyUI; an id they never sent (another person's too) is 404.
        api.MapGet("/history/{promptId}", (string promptId, SignedInUser user, ComfyPrompts prompts) =>
            !prompts.TryGet(user.Id, promptId, out var p) ? ComfyErrors.NotFound($"You sent no prompt {promptId}.")
                : Results.Json(p.History is { } h ? new JsonObject { [promptId] = h.DeepClone() } : []));
        api.MapGet("/view", ViewAsync);
        api.MapPost("/upload/image", (HttpContext http, SignedInUser user, ComfyUploads names, UploadStore uploads, UploadAccess access) => UploadAsync(http, user, names, uploads, access, maxUploadBytes));
        api.MapGet("/object_info", (ComfyCatalogue catalogue) => Results.Json(catalogue.Current().Json));
        api.MapGet("/object_info/{nodeClass}", (string nodeClass, ComfyCatalogue catalogue) =>
            Results.Json(catalogue.Current().Json[nodeClass] is { } node ? new JsonObject { [nodeClass] = node.DeepClone() } : []));
        api.MapGet("/queue", Queue);
        api.MapPost("/queue", ChangeQueueAsync);
        api.MapPost("/interrupt", InterruptAsync);
        api.MapGet("/system_stats", SystemStats);
    }

    /// <summary>
    /// <c>POST /prompt</c>: the graph is checked against the online servers' joined catalogue with ComfyUI's own rules,
    /// each LoadImage must name a picture the person sent to <c>/upload/image</c>, and the graph is queued as sent, as
    /// the person's imported-workflow job (its images reach the server first, under their own names).
    /// </summary>
    private static async Task<IResult> PromptAsync(HttpContext http, SignedInUser user, ComfyPrompts prompts, ComfyCatalogue catalogue, ComfyUploads uploads,
        JobQueue queue, BackendPool pool)
    {
        var (body, refusal) = await ReadJsonAsync(http, ComfyApiExtensions.MaxPromptBytes);
        if (refusal is not null)
        {
            return refusal;
        }
        if (body is not JsonObject request)
        {
            return ComfyErrors.BadRequest("The body is a JSON object: {\"prompt\": {…}, \"client_id\": \"…\"}.");
        }
        if (!request.TryGetPropertyValue("prompt", out var promptNode) || promptNode is null)
        {
            return ComfyErrors.Error(StatusCodes.Status400BadRequest, "no_prompt", "No prompt provided", "No prompt provided");
        }
        var clientId = OptionalString(request, "client_id", out var badClient);
        var promptId = OptionalString(request, "prompt_id", out var badPromptId);
        if ((badClient ?? badPromptId) is { } badId)
        {
            return ComfyErrors.BadRequest(badId);
        }
        ComfyGraph graph;
        try
        {
            graph = ComfyGraph.FromJson(promptNode);
        }
        catch (ComfyGraphFormatException ex)
        {
            return ComfyErrors.Error(StatusCodes.Status400BadRequest, "invalid_prompt", "Invalid prompt", ex.Message);
        }
        if (!pool.Backends.Any(b => b.IsOnline))
        {
            return ComfyErrors.Error(StatusCodes.Status503ServiceUnavailable, "no_server", "No server online", "No ComfyUI server is online; try again when one is.");
        }
        var info = catalogue.Current().Info;
        var validation = PromptValidator.Validate(graph, info);
        if (!validation.IsValid)
        {
            return ComfyErrors.Invalid(validation);
        }
        var (images, imageErrors) = ImageInputs(graph, info, user, uploads, validation.GoodOutputs);
        if (imageErrors.Count > 0)
        {
            return ComfyErrors.Invalid(new PromptValidationResult(
                new ComfyError("prompt_outputs_failed_validation", "Prompt outputs failed validation",
                    string.Join("\n", imageErrors.Values.SelectMany(n => n.Errors).Select(e => $"{e.Message}: {e.Details}"))),
                imageErrors, []));
        }

        var number = Number(request, prompts);
        var job = Request(graph, images, info);
        switch (await queue.SubmitAsync(job, user.Id, http.RequestAborted))
        {
            case SubmitInvalid invalid:
                return ComfyErrors.Error(StatusCodes.Status400BadRequest, "invalid_prompt", "Prompt refused",
                    string.Join("\n", invalid.Errors.Select(e => e.Message)));
            case SubmitAccepted accepted:
                var jobId = accepted.JobIds[0];
                var id = promptId ?? jobId.ToString();
                var outputs = WorkflowImporter.OrderedIds(graph).Intersect(validation.GoodOutputs, StringComparer.Ordinal).ToList();
                prompts.Add(new ComfyPrompt(id, jobId, user.Id, clientId, number, graph.ToJson(), outputs));
                return Results.Json(new JsonObject
                {
                    ["prompt_id"] = id,
                    ["number"] = number.DeepClone(),
                    ["node_errors"] = ComfyErrors.NodeErrors(validation.NodeErrors),
                });
            default:
                throw new InvalidOperationException("Unknown submit result.");
        }
    }

    /// <summary>A string field, absent or null allowed; the reason when it is of another kind or too long.</summary>
    private static string? OptionalString(JsonObject body, string name, out string? error)
    {
        error = null;
        if (!body.TryGetPropertyValue(name, out var value) || value is null)
        {
            return null;
        }
        if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() is not { } text)
        {
            error = $"{name} is a string.";
            return null;
        }
        if (text.Length > MaxIdLength)
        {
            error = $"{name} may be at most {MaxIdLength} characters.";
            return null;
        }
        return text.Length == 0 ? null : text;
    }

    /// <summary>ComfyUI's priority: <c>number</c> as a float when given; else the counter, negated with <c>front</c>.</summary>
    private static JsonValue Number(JsonObject request, ComfyPrompts prompts)
    {
        if (request["number"] is JsonValue n && n.GetValueKind() == JsonValueKind.Number && n.TryGetValue<double>(out var given))
        {
            return JsonValue.Create(given);
        }
        var counter = prompts.NextNumber();
        return JsonValue.Create(request["front"] is JsonValue f && f.GetValueKind() == JsonValueKind.True ? -counter : counter);
    }

    /// <summary>
    /// The pictures the graph loads (inputs that take an uploaded image, such as LoadImage's <c>image</c>) as the person's
    /// uploads, or ComfyUI's <c>custom_validation_failed</c> for each one they did not send, on the nodes the outputs use.
    /// </summary>
    private static (List<WorkflowImageInput> Images, Dictionary<string, ComfyNodeErrors> Errors) ImageInputs(ComfyGraph graph, ObjectInfo info, SignedInUser user,
        ComfyUploads uploads, IReadOnlyList<string> outputs)
    {
        var images = new List<WorkflowImageInput>();
        var errors = new Dictionary<string, ComfyNodeErrors>(StringComparer.Ordinal);
        foreach (var (id, node) in graph.Nodes)
        {
            if (!info.TryGetNode(node.ClassType, out var definition))
            {
                continue;
            }
            foreach (var (name, value) in node.Inputs)
            {
                if (!definition.TryGetInput(name, out var spec) || !TakesUpload(spec) || value is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
                {
                    continue;
                }
                var file = v.GetValue<string>();
                if (uploads.Resolve(user.Id, file) is { } upload)
                {
                    images.Add(new WorkflowImageInput(id, name, upload.Upload));
                }
                else
                {
                    errors[id] = new ComfyNodeErrors(id, node.ClassType,
                        [new ComfyInputError("custom_validation_failed", "Custom validation failed for node", $"{name} - Invalid image file: {file}", name)], outputs);
                }
            }
        }
        return (images, errors);
    }

    /// <summary>An input whose value names a file of the input folder (<c>image_upload</c> in its options).</summary>
    private static bool TakesUpload(InputSpec spec) =>
        spec.Raw is JsonArray { Count: > 1 } raw && raw[1] is JsonObject options && options["image_upload"] is JsonValue flag && flag.GetValueKind() == JsonValueKind.True;

    /// <summary>
    /// The job: the graph as sent, run as an imported workflow (nothing of it replaced but the pictures' names on the
    /// server). Its prompt, model and sampling values are read from the graph for the gallery, its seed from the first
    /// seed input (the graph keeps its own seeds).
    /// </summary>
    private static GenerationRequest Request(ComfyGraph graph, List<WorkflowImageInput> images, ObjectInfo info)
    {
        var analysed = WorkflowImporter.Analyse(graph.Clone());
        var seedBinding = analysed.Bindings.FirstOrDefault(b => b.Kind == BindingKind.Seed);
        ulong seed = 0;
        if (seedBinding is not null && graph.TryGetNode(seedBinding.Node, out var seedNode) && seedNode.Inputs.TryGetValue(seedBinding.Input, out var value)
            && value is JsonValue sv && sv.GetValueKind() == JsonValueKind.Number)
        {
            _ = ulong.TryParse(sv.ToJsonString(), NumberStyles.None, CultureInfo.InvariantCulture, out seed);
        }
        var bindings = analysed.Bindings.Select(b => b with { Default = graph.TryGetNode(b.Node, out var n) && n.Inputs.TryGetValue(b.Input, out var v) ? v?.DeepClone() : b.Default }).ToList();
        var request = WorkflowRun.CreateRequest(new SavedWorkflowRef(Guid.Empty, JobName, graph, bindings), [], images, SeedMode.Fixed, seed, 1, info);
        return request with { Workflow = request.Workflow! with { SeedTargets = [], SeedMax = null } };
    }

    /// <summary>
    /// <c>GET /ws?clientId=</c>: a WebSocket with ComfyUI's events of the person's prompts sent with that client id, and
    /// <c>status</c> for all of theirs. The first message is <c>status</c> with the session id.
    /// </summary>
    private static async Task SocketAsync(HttpContext http, SignedInUser user, ComfyPrompts prompts, JobEvents events, IHostApplicationLifetime lifetime,
        AccountAccess access, ApiTokens tokens, ILogger<ComfySocket> logger)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await ComfyErrors.BadRequest("This address takes a WebSocket (ws://…/comfy/ws?clientId=…).").ExecuteAsync(http);
            return;
        }
        var asked = http.Request.Query["clientId"].ToString();
        var sid = asked.Length is > 0 and <= MaxIdLength ? asked : Guid.NewGuid().ToString("N");
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var connection = new ComfySocket(socket, user.Id, sid, events);
        // The token was checked once, when the socket opened: a change to its account (disabled, deleted, the token
        // revoked) checks it again and ends the socket if it is no longer good, as the hub's connections do.
        using var accountChanges = access.Subscribe(changed =>
        {
            if (string.Equals(changed, user.Id, StringComparison.Ordinal))
            {
                _ = RecheckAsync(http.User, connection, tokens, access, logger);
            }
        });
        prompts.Register(connection);
        try
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            await connection.RunAsync(prompts.Status(user.Id, sid), stop.Token);
        }
        finally
        {
            prompts.Unregister(connection);
        }
    }

    private static async Task RecheckAsync(ClaimsPrincipal user, ComfySocket connection, ApiTokens tokens, AccountAccess access, ILogger logger)
    {
        if (!await ApiAccess.IsStillSignedInAsync(user, tokens, access, logger, "a /comfy/ws socket"))
        {
            connection.End("This token was revoked or has expired, or its account was disabled.");
        }
    }

    /// <summary><c>GET /history?max_items=&amp;offset=</c>: the person's ended prompts, oldest first; with max_items alone, the last ones.</summary>
    private static IResult History(SignedInUser user, ComfyPrompts prompts, HttpRequest request)
    {
        var ended = prompts.Of(user.Id).Where(p => p.History is not null).ToList();
        int? max = int.TryParse(request.Query["max_items"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m >= 0 ? m : null;
        int? offset = int.TryParse(request.Query["offset"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) && o >= 0 ? o : null;
        IEnumerable<ComfyPrompt> chosen = ended;
        if (offset is { } skip)
        {
            chosen = chosen.Skip(skip);
            if (max is { } take)
            {
                chosen = chosen.Take(take);
            }
        }
        else if (max is { } last)
        {
            chosen = chosen.TakeLast(last);
        }
        var result = new JsonObject();
        foreach (var p in chosen)
        {
            result[p.PromptId] = p.History!.DeepClone();
        }
        return Results.Json(result);
    }

    /// <summary>
    /// <c>GET /view?filename=&amp;subfolder=&amp;type=</c>: an output image of one of the person's prompts (from the
    /// gallery), or a picture they uploaded (<c>type=input</c> or <c>temp</c>). Nothing else: a name with <c>..</c> or a
    /// leading <c>/</c> is 400, a subfolder that climbs out 403, anything not theirs 404.
    /// </summary>
    private static async Task<IResult> ViewAsync(HttpRequest request, SignedInUser user, ComfyPrompts prompts, ComfyUploads names, GalleryService gallery,
        ImageStore images, UploadStore uploads, CancellationToken ct)
    {
        var filename = request.Query["filename"].ToString();
        var subfolder = request.Query["subfolder"].ToString();
        var type = request.Query["type"].ToString() is { Length: > 0 } t ? t : "output";
        if (filename.Length == 0)
        {
            return ComfyErrors.NotFound("Name the file: ?filename=…");
        }
        foreach (var folder in new[] { "output", "input", "temp" })
        {
            if (filename.EndsWith($" [{folder}]", StringComparison.Ordinal))
            {
                (type, filename) = (folder, filename[..^(folder.Length + 3)]);
                break;
            }
        }
        if (filename.StartsWith('/') || filename.Contains("..", StringComparison.Ordinal))
        {
            return ComfyErrors.Error(StatusCodes.Status400BadRequest, "invalid_filename", "Invalid file name", "A file name may not start with / or contain ..");
        }
        if (subfolder.StartsWith('/') || subfolder.Split('/', '\\').Contains(".."))
        {
            return ComfyErrors.Error(StatusCodes.Status403Forbidden, "forbidden", "Outside the folder", "The subfolder climbs out of its folder.");
        }
        if (type is not ("output" or "input" or "temp"))
        {
            return ComfyErrors.Error(StatusCodes.Status400BadRequest, "invalid_type", "Invalid type", "type is output, input or temp.");
        }
        if (type == "output")
        {
            if (subfolder.Length == 0 && filename.EndsWith(".png", StringComparison.Ordinal) && Guid.TryParseExact(filename[..^4], "D", out var imageId)
                && await gallery.FindVisibleAsync(user, imageId, ct) is { DeletedAt: null } image
                && string.Equals(image.OwnerId, user.Id, StringComparison.Ordinal) && prompts.IsPromptOf(user.Id, image.JobId)
                && images.Locate(image) is { } path && File.Exists(path))
            {
                return Results.File(path, "image/png", filename);
            }
            return ComfyErrors.NotFound($"There is no output {filename} of your prompts.");
        }
        if (names.Find(user.Id, ComfyUploads.Key(type, subfolder, filename)) is { } upload && uploads.Locate(upload.Upload) is { } stored && File.Exists(stored))
        {
            return Results.File(stored, "image/png", filename);
        }
        return ComfyErrors.NotFound($"You sent no picture named {filename}.");
    }

    /// <summary>
    /// <c>POST /upload/image</c> (multipart: <c>image</c>, <c>type</c>, <c>subfolder</c>, <c>overwrite</c>): the picture
    /// is checked and stored as the pages store an upload, and named for the person's later prompts. A name already
    /// taken by other bytes becomes <c>name (1).ext</c> unless <c>overwrite</c>; the same bytes again keep the name.
    /// </summary>
    private static async Task<IResult> UploadAsync(HttpContext http, SignedInUser user, ComfyUploads names, UploadStore uploads, UploadAccess access, long maxUploadBytes)
    {
        if (http.Request.ContentLength > maxUploadBytes)
        {
            return ComfyErrors.TooLarge(maxUploadBytes);
        }
        if (!http.Request.HasFormContentType)
        {
            return ComfyErrors.BadRequest("Send the picture as multipart/form-data with the file in the field \"image\".");
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ComfyErrors.TooLarge(maxUploadBytes);
        }
        catch (InvalidDataException ex)
        {
            return ComfyErrors.BadRequest($"The form could not be read: {ex.Message}");
        }
        if (form.Files.GetFile("image") is not { } file || file.FileName.Length == 0)
        {
            return ComfyErrors.BadRequest("The form has no file in the field \"image\".");
        }
        var type = form["type"].ToString() is { Length: > 0 } t ? t : "input";
        var subfolder = form["subfolder"].ToString().Replace('\\', '/').Trim('/');
        var name = Path.GetFileName(file.FileName.Replace('\\', '/'));
        if (type is not ("input" or "temp" or "output"))
        {
            return ComfyErrors.BadRequest("type is input, temp or output.");
        }
        if (name.Length == 0 || name.Contains("..", StringComparison.Ordinal) || subfolder.Split('/').Contains("..") || subfolder.Length > MaxIdLength || name.Length > MaxIdLength)
        {
            return ComfyErrors.BadRequest("The file name or subfolder climbs out of its folder or is too long.");
        }
        var overwrite = form["overwrite"].ToString() is "true" or "1";
        byte[] bytes;
        await using (var read = file.OpenReadStream())
        using (var copy = new MemoryStream())
        {
            await read.CopyToAsync(copy, http.RequestAborted);
            bytes = copy.ToArray();
        }
        var sha = Convert.ToHexString(SHA256.HashData(bytes));
        var finalName = name;
        if (!overwrite)
        {
            for (var i = 1; names.Find(user.Id, ComfyUploads.Key(type, subfolder, finalName)) is { } taken; i++)
            {
                if (taken.Sha256 == sha)
                {
                    return Uploaded(finalName, subfolder, type); // the same picture again: ComfyUI keeps the file and its name
                }
                finalName = $"{Path.GetFileNameWithoutExtension(name)} ({i}){Path.GetExtension(name)}";
            }
        }
        using var content = new MemoryStream(bytes, writable: false);
        switch (await uploads.SaveAsync(content, name, ImagePurpose.Source, http.RequestAborted))
        {
            case UploadAccepted accepted:
                access.RecordOwner(accepted.Id, user);
                names.Set(user.Id, ComfyUploads.Key(type, subfolder, finalName), new ComfyUpload(accepted.Id, sha));
                return Uploaded(finalName, subfolder, type);
            case UploadRejected rejected:
                return ComfyErrors.Error(rejected.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, "invalid_image", "Picture refused", rejected.Message);
            default:
                return ComfyErrors.BadRequest("The picture could not be stored.");
        }
    }

    private static IResult Uploaded(string name, string subfolder, string type) =>
        Results.Json(new JsonObject { ["name"] = name, ["subfolder"] = subfolder, ["type"] = type });

    /// <summary><c>GET /queue</c>: the person's prompts running on a server and waiting, as ComfyUI's queue items.</summary>
    private static IResult Queue(SignedInUser user, ComfyPrompts prompts, JobEvents events)
    {
        var running = new JsonArray();
        var pending = new JsonArray();
        foreach (var p in prompts.Of(user.Id).Where(p => !p.Ended))
        {
            var status = events.TryGet(p.JobId, out var job) ? job.Status : JobStatus.Queued;
            (status == JobStatus.Running ? running : pending).Add(p.QueueItem());
        }
        return Results.Json(new JsonObject { ["queue_running"] = running, ["queue_pending"] = pending });
    }

    /// <summary><c>POST /queue</c>: <c>{"delete": [ids]}</c> and/or <c>{"clear": true}</c> take the person's waiting prompts out; a running one is left to <c>/interrupt</c>.</summary>
    private static async Task<IResult> ChangeQueueAsync(HttpContext http, SignedInUser user, ComfyPrompts prompts, JobEvents events, JobQueue queue)
    {
        var (body, refusal) = await ReadJsonAsync(http, MaxSmallBody);
        if (refusal is not null)
        {
            return refusal;
        }
        if (body is not JsonObject request)
        {
            return ComfyErrors.BadRequest("The body is a JSON object: {\"delete\": [\"prompt id\", …]} or {\"clear\": true}.");
        }
        var chosen = new List<ComfyPrompt>();
        if (request["clear"] is JsonValue clear && clear.GetValueKind() == JsonValueKind.True)
        {
            chosen.AddRange(prompts.Of(user.Id));
        }
        if (request["delete"] is JsonArray delete)
        {
            foreach (var id in delete.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()))
            {
                if (prompts.TryGet(user.Id, id, out var p))
                {
                    chosen.Add(p);
                }
            }
        }
        foreach (var p in chosen.Distinct())
        {
            if (!p.Ended && events.TryGet(p.JobId, out var job) && job.Status is JobStatus.Queued or JobStatus.Submitted)
            {
                await queue.CancelAsync(p.JobId, user.Id, isAdmin: false, http.RequestAborted);
            }
        }
        return Results.Ok();
    }

    /// <summary>
    /// <c>POST /interrupt</c> (optional <c>{"prompt_id"}</c>): stops the person's prompt that runs now, that one only when
    /// named; never anyone else's, an admin's asking included. Always 200, as ComfyUI.
    /// </summary>
    private static async Task<IResult> InterruptAsync(HttpContext http, SignedInUser user, ComfyPrompts prompts, JobEvents events, JobQueue queue)
    {
        var (body, refusal) = await ReadJsonAsync(http, MaxSmallBody, allowEmpty: true);
        if (refusal is not null && refusal is not IStatusCodeHttpResult { StatusCode: StatusCodes.Status400BadRequest })
        {
            return refusal; // too large; an unreadable body is a global interrupt in ComfyUI
        }
        var named = body is JsonObject o && o["prompt_id"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        foreach (var p in prompts.Of(user.Id).Where(p => !p.Ended && (named is null || p.PromptId == named)))
        {
            if (events.TryGet(p.JobId, out var job) && job.Status == JobStatus.Running)
            {
                await queue.CancelAsync(p.JobId, user.Id, isAdmin: false, http.RequestAborted);
            }
        }
        return Results.Ok();
    }

    /// <summary>
    /// <c>GET /system_stats</c> in ComfyUI's shape, describing DreamLayer: the servers' ComfyUI version, their RAM summed,
    /// and each online server as a device (named by the server), plus a <c>dreamlayer</c> part listing every server's state.
    /// </summary>
    private static IResult SystemStats(BackendPool pool)
    {
        var online = pool.Backends.Where(b => b.IsOnline).ToList();
        var devices = new JsonArray();
        for (var i = 0; i < online.Count; i++)
        {
            var stats = online[i].SystemStats;
            var device = stats?.Device ?? "unknown";
            var colon = device.IndexOf(':', StringComparison.Ordinal);
            devices.Add(new JsonObject
            {
                ["name"] = $"{online[i].Name}: {device}",
                ["type"] = colon > 0 ? device[..colon] : device,
                ["index"] = i,
                ["vram_total"] = stats?.VramTotal ?? 0,
                ["vram_free"] = stats?.VramFree ?? 0,
                ["torch_vram_total"] = stats?.VramTotal ?? 0,
                ["torch_vram_free"] = stats?.VramFree ?? 0,
            });
        }
        return Results.Json(new JsonObject
        {
            ["system"] = new JsonObject
            {
                ["os"] = OperatingSystem.IsWindows() ? "nt" : "posix",
                ["ram_total"] = online.Sum(b => b.SystemStats?.RamTotal ?? 0),
                ["ram_free"] = online.Sum(b => b.SystemStats?.RamFree ?? 0),
                ["comfyui_version"] = online.Select(b => b.SystemStats?.ComfyUiVersion).FirstOrDefault(v => v is not null) ?? string.Empty,
                ["required_frontend_version"] = string.Empty,
                ["installed_templates_version"] = null,
                ["required_templates_version"] = null,
                ["python_version"] = $"DreamLayer on .NET {Environment.Version}",
                ["pytorch_version"] = string.Empty,
                ["embedded_python"] = false,
                ["argv"] = new JsonArray("dreamlayer"),
            },
            ["devices"] = devices,
            ["dreamlayer"] = new JsonObject
            {
                ["servers"] = new JsonArray([.. pool.Backends.Select(b => (JsonNode)new JsonObject { ["name"] = b.Name, ["state"] = b.State.ToString() })]),
            },
        });
    }

    /// <summary>
    /// The body as JSON, never read past <paramref name="limit"/> bytes (413, announced or found while reading); a body
    /// that is not JSON is 400 saying where. An empty body is null when <paramref name="allowEmpty"/>, else 400.
    /// </summary>
    internal static async Task<(JsonNode? Body, IResult? Refusal)> ReadJsonAsync(HttpContext http, long limit, bool allowEmpty = false)
    {
        if (http.Request.ContentLength > limit)
        {
            return (null, ComfyErrors.TooLarge(limit));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (null, ComfyErrors.TooLarge(limit));
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ComfyErrors.TooLarge(limit));
        }
        if (buffer.Length == 0)
        {
            return (null, allowEmpty ? null : ComfyErrors.BadRequest("The body is empty; send a JSON object."));
        }
        try
        {
            return (JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), documentOptions: new JsonDocumentOptions { MaxDepth = 256 }), null);
        }
        catch (JsonException ex)
        {
            return (null, ComfyErrors.BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
    }
}
