using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ComfyStandIn;

/// <summary>The HTTP and WebSocket routes, each also under <c>/api/</c>.</summary>
internal static class Routes
{
    private static readonly JsonSerializerOptions FaultsJson = new(JsonSerializerDefaults.Web);

    private static readonly string[] ModelFolders =
    [
        "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision", "style_models",
        "embeddings", "diffusers", "vae_approx", "controlnet", "gligen", "upscale_models", "custom_nodes",
        "hypernetworks", "photomaker", "classifiers", "model_patches", "audio_encoders",
    ];

    public static void Map(WebApplication app, StandInServer.State state)
    {
        void Both(string method, string path, Func<HttpContext, Task> handler)
        {
            app.MapMethods(path, [method], handler);
            app.MapMethods("/api" + path, [method], handler);
        }

        Both("GET", "/ws", ctx => WebSocketAsync(ctx, state));
        Both("GET", "/prompt", ctx => Json(ctx, new JsonObject { ["exec_info"] = state.Queue.StatusData()["exec_info"]!.DeepClone() }));
        Both("POST", "/prompt", ctx => PostPromptAsync(ctx, state));
        Both("GET", "/queue", ctx => Json(ctx, state.Queue.QueueJson()));
        Both("POST", "/queue", async ctx =>
        {
            var body = await ReadJsonOrNullAsync(ctx);
            if (body?["clear"] is JsonValue clear && Py.ToBool(clear)) { state.Queue.Clear(); }
            if (body?["delete"] is JsonArray delete) { state.Queue.Delete(delete.Select(Py.Str)); }
        });
        Both("POST", "/interrupt", async ctx =>
        {
            var body = await ReadJsonOrNullAsync(ctx);
            state.Engine.Interrupt(body?["prompt_id"] is JsonValue id ? Py.Str(id) : null);
        });
        Both("POST", "/free", async ctx =>
        {
            // server.py: each flag is read only when present; free_memory implies unloading the models too.
            var body = await ReadJsonOrNullAsync(ctx);
            var unload = body?["unload_models"] is JsonValue u && Py.ToBool(u);
            var free = body?["free_memory"] is JsonValue f && Py.ToBool(f);
            if (free) { state.Engine.ClearCache(); }
            state.Freed(unload || free, free);
        });
        Both("GET", "/history", ctx =>
        {
            int? max = int.TryParse(ctx.Request.Query["max_items"], out var m) ? m : null;
            var offset = int.TryParse(ctx.Request.Query["offset"], out var o) ? o : -1;
            return Json(ctx, state.Queue.History(max, offset));
        });
        Both("GET", "/history/{id}", async ctx =>
        {
            var id = (string)ctx.Request.RouteValues["id"]!;
            var entry = state.Queue.HistoryOf(id);
            if (state.Queue.Running?.PromptId == id && state.Faults.TakeFinishOnHistoryRead())
            {
                await FinishedAsync(state.Queue, id, ctx.RequestAborted); // the fault: it finishes before this answer leaves
            }
            await Json(ctx, entry);
        });
        Both("POST", "/history", async ctx =>
        {
            var body = await ReadJsonOrNullAsync(ctx);
            if (body?["clear"] is JsonValue clear && Py.ToBool(clear)) { state.Queue.ClearHistory(); }
            if (body?["delete"] is JsonArray delete) { state.Queue.DeleteHistory(delete.Select(Py.Str)); }
        });
        Both("GET", "/view", ctx => ViewAsync(ctx, state.Files));
        Both("POST", "/upload/image", ctx => UploadAsync(ctx, state, mask: false));
        Both("POST", "/upload/mask", ctx => UploadAsync(ctx, state, mask: true));
        Both("GET", "/object_info", ctx =>
        {
            state.Catalog.RescanModels();
            return Json(ctx, state.Catalog.Snapshot());
        });
        Both("GET", "/object_info/{node_class}", ctx =>
        {
            state.Catalog.RescanModels(); // one node's info reads its loaders' folders again, as the whole list does
            return Json(ctx, state.Catalog.Snapshot((string)ctx.Request.RouteValues["node_class"]!));
        });
        Both("GET", "/system_stats", ctx => Json(ctx, SystemStats(state.Options)));
        Both("GET", "/features", ctx => Json(ctx, Features()));
        if (!state.Options.NoModelsRoutes)
        {
            MapModelRoutes(Both, state);
        }
        Both("GET", "/view_metadata/{folder}", ctx => ViewMetadataAsync(ctx, state.Catalog));
        Both("GET", "/embeddings", ctx => Json(ctx, new JsonArray()));



        app.MapGet("/__standin/faults", ctx => Json(ctx, JsonSerializer.SerializeToNode(state.Faults.ToDto(), FaultsJson)!));
        app.MapPost("/__standin/faults", async ctx =>
        {
            try
            {
                var dto = await JsonSerializer.DeserializeAsync<FaultsDto>(ctx.Request.Body, FaultsJson, ctx.RequestAborted);
                if (dto is null)
                {
                    ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
                    return;
                }
                state.Faults.Apply(dto);
                await Json(ctx, JsonSerializer.SerializeToNode(state.Faults.ToDto(), FaultsJson)!);
            }
            catch (JsonException)
            {
                ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
        });
    }

    private static void MapModelRoutes(Action<string, string, Func<HttpContext, Task>> both, StandInServer.State state)
    {
        both("GET", "/models", ctx => Json(ctx, new JsonArray(ModelFolders.Select(f => (JsonNode?)f).ToArray())));
        both("GET", "/models/{folder}", ctx =>
        {
            var folder = (string)ctx.Request.RouteValues["folder"]!;
            var list = ModelFolders.Contains(folder) ? state.Catalog.ListModels(folder) ?? ModelList(state.Catalog, folder) : null;
            if (list is null)
            {
                ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return Json(ctx, new JsonArray(list.Order(StringComparer.Ordinal).Select(f => (JsonNode?)f).ToArray()));
        });
    }

    /// <summary>
    /// server.py's <c>view_metadata</c>: the safetensors header's <c>__metadata__</c> object; 404 for a name that does
    /// not end in <c>.safetensors</c>, a file the folder lacks, a header over 1 MiB or damaged, or a header without
    /// <c>__metadata__</c> (ComfyUI has no <c>{}</c> answer).
    /// </summary>
    private static async Task ViewMetadataAsync(HttpContext ctx, NodeCatalog catalog)
    {
        var folder = (string)ctx.Request.RouteValues["folder"]!;
        var filename = ctx.Request.Query["filename"].ToString();
        if (!ctx.Request.Query.ContainsKey("filename") || !filename.EndsWith(".safetensors", StringComparison.Ordinal)
            || catalog.ModelsDirectory is not { } models || !ModelFolders.Contains(folder))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var root = Path.GetFullPath(Path.Combine(models, folder)) + Path.DirectorySeparatorChar;
        var path = Path.GetFullPath(Path.Combine(root, filename));
        if (!path.StartsWith(root, StringComparison.Ordinal) || !File.Exists(path))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        // comfy.utils.safetensors_header(path, max_size=1024*1024): the 8-byte little-endian length, then the JSON.
        await using var file = File.OpenRead(path);
        var lengthBytes = new byte[8];
        if (await file.ReadAtLeastAsync(lengthBytes, 8, throwOnEndOfStream: false, ctx.RequestAborted) < 8)
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError; // struct.unpack of a short read raises
            return;
        }
        var length = BitConverter.ToUInt64(lengthBytes);
        if (length > 1024 * 1024)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var header = new byte[(int)length];
        var read = await file.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ctx.RequestAborted);
        JsonNode? parsed;
        try
        {
            parsed = JsonNode.Parse(header.AsSpan(0, read));
        }
        catch (JsonException)
        {
            // json.loads raises: aiohttp answers 500
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        if (parsed?["__metadata__"] is not JsonObject metadata)
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        await Json(ctx, metadata.DeepClone());
    }

    /// <summary>Waits until the prompt is in the history (it has finished), for at most 30 s.</summary>
    private static async Task FinishedAsync(PromptQueue queue, string promptId, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (queue.HistoryOf(promptId).Count == 0 && System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(5, ct);
        }
    }

    private static async Task Json(HttpContext ctx, JsonNode node, int status = StatusCodes.Status200OK)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(node.ToJsonString(Py.Wire), ctx.RequestAborted);
    }

    private static async Task<JsonNode?> ReadJsonOrNullAsync(HttpContext ctx)
    {
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(ctx.RequestAborted);
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task PostPromptAsync(HttpContext ctx, StandInServer.State state)
    {
        state.Catalog.RescanModels(); // validate_prompt lists each loader's folder again

        JsonObject? body;
        try
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            body = JsonNode.Parse(await reader.ReadToEndAsync(ctx.RequestAborted)) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }
        if (body is null)
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        double number;
        JsonNode numberNode;
        if (body.ContainsKey("number"))
        {
            try
            {
                number = Py.ToFloat(body["number"]);
            }
            catch (PyException)
            {
                ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }
            numberNode = Py.FloatNode(number);
        }
        else
        {
            var counter = state.NextNumber();
            number = body["front"] is { } front && Py.ToBool(front) ? -counter : counter;
            numberNode = JsonValue.Create((long)number);
        }

        if (!body.ContainsKey("prompt"))
        {
            await Json(ctx, new JsonObject
            {
                ["error"] = PromptValidator.Error("no_prompt", "No prompt provided", "No prompt provided"),
                ["node_errors"] = new JsonObject(),
            }, StatusCodes.Status400BadRequest);
            return;
        }
        if (body["prompt"] is not JsonObject prompt)
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        var promptId = body.ContainsKey("prompt_id") ? Py.Str(body["prompt_id"]) : Guid.NewGuid().ToString();
        var validation = new PromptValidator(state.Catalog, state.Files).Validate(prompt, body["partial_execution_targets"] as JsonArray);
        var extra = body["extra_data"] as JsonObject ?? [];
        if (body.ContainsKey("client_id")) { extra["client_id"] = body["client_id"]?.DeepClone(); }
        if (!validation.Ok)
        {
            await Json(ctx, new JsonObject { ["error"] = validation.Error, ["node_errors"] = validation.NodeErrors }, StatusCodes.Status400BadRequest);
            return;
        }
        extra = extra.DeepClone().AsObject();
        prompt = prompt.DeepClone().AsObject();
        state.Queue.Put(new QueueItem(number, numberNode, promptId, prompt, extra, validation.GoodOutputs));
        state.Accepted(promptId, extra["api_key_comfy_org"] is JsonValue key && key.GetValueKind() == JsonValueKind.String ? key.GetValue<string>() : null);
        await Json(ctx, new JsonObject { ["prompt_id"] = promptId, ["number"] = numberNode.DeepClone(), ["node_errors"] = validation.NodeErrors });
    }

    private static async Task WebSocketAsync(HttpContext ctx, StandInServer.State state)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var requested = ctx.Request.Query["clientId"].ToString();
        var sid = requested.Length > 0 ? requested : Guid.NewGuid().ToString("N");
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
        var connection = new SocketConnection(sid, socket);
        state.Hub.Register(connection);
        var stopping = state.Stopping.Token;
        var pump = connection.PumpAsync(stopping);
        try
        {
            connection.Enqueue(false, Encoding.UTF8.GetBytes(new JsonObject
            {
                ["type"] = "status",
                ["data"] = new JsonObject { ["status"] = state.Queue.StatusData(), ["sid"] = sid },
            }.ToJsonString(Py.Wire)));
            if (state.Engine.CourtesyNodeFor(sid) is { } node)
            {
                connection.Enqueue(false, Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["type"] = "executing",
                    ["data"] = new JsonObject { ["node"] = node },
                }.ToJsonString(Py.Wire)));
            }
            var first = true;
            var buffer = new byte[16 * 1024];
            using var message = new MemoryStream();
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, stopping);
                if (result.MessageType == WebSocketMessageType.Close) { break; }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) { continue; }
                if (result.MessageType == WebSocketMessageType.Text && first)
                {
                    first = false;
                    if (state.Options.PreviewMetadata && SocketHub.IsFeatureFlags(message.ToArray(), out var supports))
                    {
                        state.Hub.SetPreviewMetadata(sid, supports);
                        var reply = Features();
                        connection.Enqueue(false, Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "feature_flags", ["data"] = reply }.ToJsonString(Py.Wire)));
                    }
                }
                message.SetLength(0);
            }
            if (socket.State == WebSocketState.CloseReceived)
            {
                state.Hub.Unregister(connection);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, stopping);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or the server stops.
        }
        finally
        {
            state.Hub.Unregister(connection);
            await pump;
        }
    }

    private static JsonObject Features() => new()
    {
        ["supports_preview_metadata"] = true,
        ["max_upload_size"] = Py.FloatNode(StandInServer.MaxUploadBytes),
    };

    private static JsonObject SystemStats(StandInOptions options)
    {
        var argv = new JsonArray("main.py", "--listen", options.Host, "--port", options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (options.Previews)
        {
            argv.Add("--preview-method");
            argv.Add("auto");
        }
        return new JsonObject
        {
            ["system"] = new JsonObject
            {
                ["os"] = OperatingSystem.IsWindows() ? "nt" : "posix",
                ["ram_total"] = options.RamTotal,
                ["ram_free"] = options.RamFree,
                ["comfyui_version"] = "0.3.64",
                ["required_frontend_version"] = "1.27.10",
                ["installed_templates_version"] = null,
                ["required_templates_version"] = null,
                ["python_version"] = "3.12.0 (ComfyStandIn)",
                ["pytorch_version"] = "none (ComfyStandIn)",
                ["embedded_python"] = false,
                ["argv"] = argv,
            },
            ["devices"] = new JsonArray(new JsonObject
            {
                ["name"] = "cpu",
                ["type"] = "cpu",
                ["index"] = null,
                ["vram_total"] = options.VramTotal,
                ["vram_free"] = options.VramFree,
                ["torch_vram_total"] = 0,
                ["torch_vram_free"] = 0,
            }),
        };
    }

    private static IReadOnlyList<string>? ModelList(NodeCatalog catalog, string folder) => folder switch
    {
        "checkpoints" => catalog.ListFor("CheckpointLoaderSimple", "ckpt_name"),
        "loras" => catalog.ListFor("LoraLoader", "lora_name"),
        "vae" => catalog.ListFor("VAELoader", "vae_name").Where(v => v is not ("taesd" or "taesdxl" or "taesd3" or "taef1" or "pixel_space")).ToList(),
        "controlnet" => catalog.ListFor("ControlNetLoader", "control_net_name"),
        "upscale_models" => catalog.ListFor("UpscaleModelLoader", "model_name"),
        "configs" => catalog.ListFor("CheckpointLoader", "config_name"),
        "diffusion_models" => catalog.ListFor("UNETLoader", "unet_name"),
        "text_encoders" => catalog.ListFor("CLIPLoader", "clip_name"),
        "clip_vision" => catalog.ListFor("CLIPVisionLoader", "clip_name"),
        _ when ModelFolders.Contains(folder) => [],
        _ => null,
    };

    private static async Task ViewAsync(HttpContext ctx, FileStore files)
    {
        var query = ctx.Request.Query;
        if (!query.ContainsKey("filename"))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var (filename, annotatedType) = FileStore.Annotated(query["filename"].ToString());
        if (filename.Length == 0 || filename[0] == '/' || filename.Contains("..", StringComparison.Ordinal))
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var dir = files.DirectoryFor(annotatedType ?? (query.ContainsKey("type") ? query["type"].ToString() : "output"));
        if (dir is null)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        if (query.ContainsKey("subfolder"))
        {
            var sub = FileStore.Within(dir, Path.Combine(dir, query["subfolder"].ToString()));
            if (sub is null)
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            dir = sub;
        }
        var file = Path.Combine(dir, Path.GetFileName(filename));
        if (!File.Exists(file))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var name = Path.GetFileName(file);
        var preview = query["preview"].ToString();
        if (preview.Length > 0)
        {
            var parts = preview.Split(';');
            var quality = parts.Length > 1 && int.TryParse(parts[1], out var q) ? q : 90;
            var jpeg = parts[0] == "jpeg" && !query["channel"].ToString().Contains('a', StringComparison.Ordinal);
            using var image = await Image.LoadAsync<Rgba32>(file, ctx.RequestAborted);
            using var ms = new MemoryStream();
            if (jpeg) { await image.SaveAsJpegAsync(ms, new JpegEncoder { Quality = quality }, ctx.RequestAborted); }
            else { await image.SaveAsWebpAsync(ms, new WebpEncoder { Quality = quality }, ctx.RequestAborted); }
            ctx.Response.ContentType = jpeg ? "image/jpeg" : "image/webp";
            ctx.Response.Headers.ContentDisposition = $"filename=\"{name}\"";
            await ctx.Response.Body.WriteAsync(ms.ToArray(), ctx.RequestAborted);
            return;
        }
        var channel = query["channel"].ToString();
        if (channel is "rgb" or "a")
        {
            using var image = await Image.LoadAsync<Rgba32>(file, ctx.RequestAborted);
            image.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    foreach (ref var p in rows.GetRowSpan(y))
                    {
                        p = channel == "rgb" ? new Rgba32(p.R, p.G, p.B, 255) : new Rgba32(0, 0, 0, p.A);
                    }
                }
            });
            using var ms = new MemoryStream();
            await image.SaveAsPngAsync(ms, ctx.RequestAborted);
            ctx.Response.ContentType = "image/png";
            ctx.Response.Headers.ContentDisposition = $"filename=\"{name}\"";
            await ctx.Response.Body.WriteAsync(ms.ToArray(), ctx.RequestAborted);
            return;
        }
        ctx.Response.ContentType = Path.GetExtension(name).ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".webp" => "image/webp",
            ".gif" => "image/gif",
            ".json" => "application/json",
            ".txt" => "text/plain",
            _ => "application/octet-stream",
        };
        ctx.Response.Headers.ContentDisposition = $"filename=\"{name}\"";
        await ctx.Response.SendFileAsync(file, ctx.RequestAborted);
    }

    private static async Task UploadAsync(HttpContext ctx, StandInServer.State state, bool mask)
    {
        var files = state.Files;
        if (!ctx.Request.HasFormContentType)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        if (state.Options.StrictMultipart && await StrictMultipart.CheckAsync(ctx.Request, ctx.RequestAborted) is { } problem)
        {
            // As a strict proxy in front of ComfyUI answers; aiohttp itself would take it.
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsync(problem, ctx.RequestAborted);
            return;
        }
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var type = form.ContainsKey("type") ? form["type"].ToString() : "input";
        var dir = type switch { "input" or "" => files.Input, "temp" => files.Temp, "output" => files.Output, _ => null };
        if (dir is null)
        {
            ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        if (type.Length == 0) { type = "input"; }
        var image = form.Files["image"];
        if (image is null || string.IsNullOrEmpty(image.FileName))
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var subfolder = form["subfolder"].ToString();
        var folder = Path.GetFullPath(Path.Combine(dir, subfolder));
        var filename = Path.GetFileName(image.FileName);
        if (FileStore.Within(dir, Path.Combine(folder, filename)) is null)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        Directory.CreateDirectory(folder);
        byte[] content;
        using (var ms = new MemoryStream())
        {
            await image.CopyToAsync(ms, ctx.RequestAborted);
            content = ms.ToArray();
        }
        if (mask)
        {
            content = await ApplyMaskAsync(files, form["original_ref"].ToString(), content, ctx.RequestAborted) ?? [];
            if (content.Length == 0)
            {
                await Json(ctx, new JsonObject { ["name"] = filename, ["subfolder"] = subfolder, ["type"] = type });
                return;
            }
        }
        var overwrite = form["overwrite"].ToString() is "true" or "1";
        var path = Path.Combine(folder, filename);
        var duplicate = false;
        if (!overwrite)
        {
            var stem = Path.GetFileNameWithoutExtension(image.FileName);
            var ext = Path.GetExtension(image.FileName);
            var hash = SHA256.HashData(content);
            for (var i = 1; File.Exists(path); i++)
            {
                if (SHA256.HashData(await File.ReadAllBytesAsync(path, ctx.RequestAborted)).AsSpan().SequenceEqual(hash))
                {
                    duplicate = true;
                    break;
                }
                filename = $"{stem} ({i}){ext}";
                path = Path.Combine(folder, filename);
            }
        }
        if (!duplicate) { await File.WriteAllBytesAsync(path, content, ctx.RequestAborted); }
        await Json(ctx, new JsonObject { ["name"] = filename, ["subfolder"] = subfolder, ["type"] = type });
    }

    private static async Task<byte[]?> ApplyMaskAsync(FileStore files, string originalRef, byte[] maskBytes, CancellationToken cancellationToken)
    {
        try
        {
            var reference = JsonNode.Parse(originalRef) as JsonObject;
            var name = Py.Str(reference?["filename"]);
            var dir = files.DirectoryFor(reference?["type"] is { } t ? Py.Str(t) : "input");
            if (dir is null || name.Length == 0 || name.Contains("..", StringComparison.Ordinal)) { return null; }
            var path = FileStore.Within(dir, Path.Combine(dir, reference?["subfolder"] is { } s ? Py.Str(s) : string.Empty, name));
            if (path is null || !File.Exists(path)) { return null; }
            using var original = await Image.LoadAsync<Rgba32>(path, cancellationToken);
            using var maskImage = Image.Load<Rgba32>(maskBytes);
            maskImage.Mutate(m => m.Resize(original.Width, original.Height));
            for (var y = 0; y < original.Height; y++)
            {
                for (var x = 0; x < original.Width; x++)
                {
                    var p = original[x, y];
                    p.A = maskImage[x, y].A;
                    original[x, y] = p;
                }
            }
            using var ms = new MemoryStream();
            await original.SaveAsPngAsync(ms, cancellationToken);
            return ms.ToArray();
        }
        catch (Exception ex) when (ex is JsonException or UnknownImageFormatException or InvalidImageContentException or IOException)
        {
            return null;
        }
    }
}
