using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;

namespace ComfyStandIn;

/// <summary>What flows along a link: enough to draw the final picture.</summary>
internal sealed record Payload(int Width, int Height, int Batch, string Seed, string Text)
{
    public static readonly Payload Empty = new(0, 0, 0, string.Empty, string.Empty);

    /// <summary>A loaded picture (LoadImage and the preprocessors right after it): saved from its pixels, not painted.</summary>
    public string? ImagePath { get; init; }

    /// <summary>What a preprocessor did to <see cref="ImagePath"/>: <c>edges:&lt;threshold&gt;</c> or <c>depth</c>.</summary>
    public string? Filter { get; init; }
}

internal sealed record CacheEntry(Payload Output, JsonObject? Ui);

/// <summary>A node failed; becomes an <c>execution_error</c>.</summary>
internal sealed class NodeFailureException(string pyType, string message) : Exception(message)
{
    public string PyType { get; } = pyType;
}

/// <summary>The interrupt flag was seen at a checkpoint.</summary>
internal sealed class InterruptedException : Exception;

/// <summary>The single worker that runs prompts one at a time, like ComfyUI's <c>prompt_worker</c>.</summary>
internal sealed partial class Engine(NodeCatalog catalog, FileStore files, SocketHub hub, PromptQueue queue, StandInOptions options, StandInFaults faults,
    PreviewFrames? realisticPreviews = null, FrameLog? frameLog = null)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time = TimeProvider.System;
    private Dictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);
    private bool _clearCacheAfterRun;
    private TaskCompletionSource _interruptSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _interrupt;
    private string? _clientId;
    private string? _lastNodeId;
    private long _busyTicks;

    /// <summary>Total time spent running prompts (for throughput figures: busy time over wall time).</summary>
    public TimeSpan BusyTime => TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks));

    private long _starvedTicks;
    private long _firstStarted;
    private long _lastFinished;

    /// <summary>
    /// Time the worker stood idle with an empty queue between its first prompt and its last (for throughput figures:
    /// the idle time a client's scheduling caused, apart from before the first prompt and after the last).
    /// </summary>
    public TimeSpan StarvedTime => TimeSpan.FromTicks(Interlocked.Read(ref _starvedTicks));

    /// <summary>Timestamps (<see cref="TimeProvider.GetTimestamp"/>) of the first prompt's start and the last prompt's end; 0 before any.</summary>
    public (long FirstStarted, long LastFinished) Span => (Interlocked.Read(ref _firstStarted), Interlocked.Read(ref _lastFinished));

    /// <summary>The node last announced to the running prompt's owner, if <paramref name="sid"/> owns it.</summary>
    public string? CourtesyNodeFor(string sid)
    {
        lock (_lock) { return _clientId == sid ? _lastNodeId : null; }
    }

    public void Interrupt(string? promptId)
    {
        if (promptId is not null && queue.Running?.PromptId != promptId) { return; }
        lock (_lock)
        {
            _interrupt = true;
            _interruptSignal.TrySetResult();
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var item = await queue.TakeAsync(cancellationToken);
            var started = _time.GetTimestamp();
            if (Interlocked.Read(ref _lastFinished) is var idleSince and > 0)
            {
                Interlocked.Add(ref _starvedTicks, _time.GetElapsedTime(idleSince, started).Ticks);
            }
            Interlocked.CompareExchange(ref _firstStarted, started, 0);
            var (entry, clientId) = await ExecuteAsync(item, cancellationToken);
            var finished = _time.GetTimestamp();
            Interlocked.Add(ref _busyTicks, _time.GetElapsedTime(started, finished).Ticks);
            Interlocked.Exchange(ref _lastFinished, finished);
            queue.Done(item, entry);
            lock (_lock) { _lastNodeId = null; }
            if (clientId is not null)
            {
                hub.Send(clientId, "executing", new JsonObject { ["node"] = null, ["prompt_id"] = item.PromptId });
            }
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private void Checkpoint()
    {
        lock (_lock)
        {
            if (!_interrupt) { return; }
            _interrupt = false;
            _interruptSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        throw new InterruptedException();
    }

    private Task InterruptTask()
    {
        lock (_lock) { return _interruptSignal.Task; }
    }

    private sealed class Run(QueueItem item)
    {
        public QueueItem Item { get; } = item;
        public string? ClientId { get; } = item.ClientId;
        public JsonArray Messages { get; } = [];
        public JsonObject Outputs { get; } = [];
        public JsonObject Meta { get; } = [];
        public Dictionary<string, (string State, int Value, int Max)> States { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Payload> Results { get; } = new(StringComparer.Ordinal);
        public List<string> Executed { get; } = [];
        public string? CurrentNode { get; set; }
    }

    private async Task<(JsonObject Entry, string? ClientId)> ExecuteAsync(QueueItem item, CancellationToken cancellationToken)
    {
        var run = new Run(item);
        Dictionary<string, CacheEntry> cache;
        lock (_lock)
        {
            cache = _cache;
            _clearCacheAfterRun = false;
            _clientId = run.ClientId;
            _interrupt = false;
            _interruptSignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        var prompt = item.Prompt;
        var success = false;
        AddMessage(run, "execution_start", new JsonObject { ["prompt_id"] = item.PromptId }, broadcast: false);

        var signatures = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, _) in prompt) { Signature(prompt, id, signatures, []); }
        var cachedIds = prompt.Select(p => p.Key).Where(id => cache.ContainsKey(signatures[id])).ToList();
        var currentOutputs = cachedIds.ToList();
        AddMessage(run, "execution_cached", new JsonObject
        {
            ["nodes"] = new JsonArray(cachedIds.Select(i => (JsonNode?)i).ToArray()),
            ["prompt_id"] = item.PromptId,
        }, broadcast: false);
        foreach (var id in cachedIds) { run.Results[id] = cache[signatures[id]].Output; }

        var newCache = new Dictionary<string, CacheEntry>(StringComparer.Ordinal);
        foreach (var id in cachedIds) { newCache[signatures[id]] = cache[signatures[id]]; }
        try
        {
            foreach (var id in Schedule(prompt, item.Outputs, cachedIds.ToHashSet(StringComparer.Ordinal)))
            {
                run.CurrentNode = id;
                var classType = Py.Str(prompt[id]!["class_type"]);
                if (run.Results.ContainsKey(id))
                {
                    var ui = cache[signatures[id]].Ui;
                    if (run.ClientId is not null)
                    {
                        hub.Send(run.ClientId, "executed", new JsonObject { ["node"] = id, ["display_node"] = id, ["output"] = ui?.DeepClone(), ["prompt_id"] = item.PromptId });
                    }
                    if (ui is not null) { RecordUi(run, id, ui); }
                    SetState(run, id, "finished", 1, 1);
                    run.Executed.Add(id);
                    continue;
                }
                SetState(run, id, "running", 0, 1);
                if (run.ClientId is not null)
                {
                    lock (_lock) { _lastNodeId = id; }
                    hub.Send(run.ClientId, "executing", new JsonObject { ["node"] = id, ["display_node"] = id, ["prompt_id"] = item.PromptId });
                }
                Checkpoint();
                var (payload, nodeUi) = await RunNodeGuardedAsync(run, id, classType, cancellationToken);
                run.Results[id] = payload;
                newCache[signatures[id]] = new CacheEntry(payload, nodeUi);
                if (nodeUi is not null)
                {
                    if (run.ClientId is not null)
                    {
                        hub.Send(run.ClientId, "executed", new JsonObject { ["node"] = id, ["display_node"] = id, ["output"] = nodeUi.DeepClone(), ["prompt_id"] = item.PromptId });
                    }
                    RecordUi(run, id, nodeUi);
                }
                var (_, value, max) = run.States[id];
                SetState(run, id, "finished", value, max);
                run.Executed.Add(id);
            }
            success = true;
            AddMessage(run, "execution_success", new JsonObject { ["prompt_id"] = item.PromptId }, broadcast: false);
        }
        catch (InterruptedException)
        {
            AddMessage(run, "execution_interrupted", new JsonObject
            {
                ["prompt_id"] = item.PromptId,
                ["node_id"] = run.CurrentNode,
                ["node_type"] = Py.Str(prompt[run.CurrentNode!]?["class_type"]),
                ["executed"] = new JsonArray(run.Executed.Select(e => (JsonNode?)e).ToArray()),
            }, broadcast: true);
        }
        catch (NodeFailureException ex)
        {
            var id = run.CurrentNode!;
            var inputs = new JsonObject();
            foreach (var (name, value) in prompt[id]!["inputs"]!.AsObject())
            {
                inputs[name] = new JsonArray(value is JsonArray link ? $"<output {Py.Str(link[1])} of node {Py.Str(link[0])}>" : value?.DeepClone());
            }
            AddMessage(run, "execution_error", new JsonObject
            {
                ["prompt_id"] = item.PromptId,
                ["node_id"] = id,
                ["node_type"] = Py.Str(prompt[id]!["class_type"]),
                ["executed"] = new JsonArray(run.Executed.Select(e => (JsonNode?)e).ToArray()),
                ["exception_message"] = ex.Message,
                ["exception_type"] = ex.PyType,
                ["traceback"] = new JsonArray(Py.FakeTraceback("execution").Select(s => (JsonNode?)s).ToArray()),
                ["current_inputs"] = inputs,
                ["current_outputs"] = new JsonArray(currentOutputs.Select(e => (JsonNode?)e).ToArray()),
            }, broadcast: false);
        }
        lock (_lock)
        {
            _cache = _clearCacheAfterRun ? new Dictionary<string, CacheEntry>(StringComparer.Ordinal) : newCache;
            _clearCacheAfterRun = false;
        }

        var entry = new JsonObject
        {
            ["prompt"] = item.ToJson(withSensitive: false),
            ["outputs"] = run.Outputs,
            ["status"] = new JsonObject
            {
                ["status_str"] = success ? "success" : "error",
                ["completed"] = success,
                ["messages"] = run.Messages,
            },
            ["meta"] = run.Meta,
        };
        return (entry, run.ClientId);
    }

    private static void RecordUi(Run run, string id, JsonObject ui)
    {
        run.Outputs[id] = ui.DeepClone();
        run.Meta[id] = new JsonObject { ["node_id"] = id, ["display_node"] = id, ["parent_node"] = null, ["real_node_id"] = id };
    }

    private void AddMessage(Run run, string type, JsonObject data, bool broadcast)
    {
        data["timestamp"] = Now();
        run.Messages.Add(new JsonArray(type, data.DeepClone()));
        if (run.ClientId is not null || broadcast)
        {
            hub.Send(run.ClientId, type, data);
        }
    }

    private void SetState(Run run, string id, string state, int value, int max)
    {
        run.States[id] = (state, value, max);
        var nodes = new JsonObject();
        foreach (var (nodeId, s) in run.States)
        {
            nodes[nodeId] = new JsonObject
            {
                ["value"] = s.Value,
                ["max"] = s.Max,
                ["state"] = s.State,
                ["node_id"] = nodeId,
                ["prompt_id"] = run.Item.PromptId,
                ["display_node_id"] = nodeId,
                ["parent_node_id"] = null,
                ["real_node_id"] = nodeId,
            };
        }
        hub.Send(run.ClientId, "progress_state", new JsonObject { ["prompt_id"] = run.Item.PromptId, ["nodes"] = nodes });
    }

    /// <summary>Staged nodes in execution order: topological, preferring output nodes, then nodes feeding one.</summary>
    private List<string> Schedule(JsonObject prompt, IReadOnlyList<string> outputs, HashSet<string> cached)
    {
        var staged = new List<string>();
        var deps = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var stack = new Stack<string>(outputs.Reverse());
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (deps.ContainsKey(id)) { continue; }
            staged.Add(id);
            var d = new HashSet<string>(StringComparer.Ordinal);
            deps[id] = d;
            foreach (var (_, value) in prompt[id]!["inputs"]!.AsObject())
            {
                if (value is JsonArray { Count: 2 } link && link[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    var source = v.GetValue<string>();
                    if (cached.Contains(source)) { continue; }
                    d.Add(source);
                    stack.Push(source);
                }
            }
        }
        var isOutput = staged.ToDictionary(id => id, id => catalog.TryGet(Py.Str(prompt[id]!["class_type"]), out var def) && def.OutputNode, StringComparer.Ordinal);
        var order = new List<string>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        while (order.Count < staged.Count)
        {
            var ready = staged.Where(id => !done.Contains(id) && deps[id].All(done.Contains)).ToList();
            if (ready.Count == 0) { break; }
            var pick = ready.FirstOrDefault(id => isOutput[id])
                ?? ready.FirstOrDefault(id => staged.Any(o => isOutput[o] && !done.Contains(o) && deps[o].Contains(id)))
                ?? ready[0];
            order.Add(pick);
            done.Add(pick);
        }
        return order;
    }

    private string Signature(JsonObject prompt, string id, Dictionary<string, string> memo, HashSet<string> visiting)
    {
        if (memo.TryGetValue(id, out var s)) { return s; }
        if (prompt[id] is not JsonObject node || !visiting.Add(id)) { return "broken:" + id; }
        var sb = new StringBuilder(Py.Str(node["class_type"]));
        if (node["inputs"] is JsonObject inputs)
        {
            foreach (var (name, value) in inputs.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                sb.Append('|').Append(name).Append('=');
                if (value is JsonArray { Count: 2 } link && link[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    sb.Append('(').Append(Signature(prompt, v.GetValue<string>(), memo, visiting)).Append(")[").Append(link[1]?.ToJsonString()).Append(']');
                }
                else
                {
                    sb.Append(value?.ToJsonString() ?? "null");
                }
            }
            if (Py.Str(node["class_type"]) is "LoadImage" or "LoadImageMask" && inputs["image"] is JsonValue image
                && files.ResolveAnnotated(Py.Str(image)) is { } path && File.Exists(path))
            {
                sb.Append("|#").Append(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
            }
        }
        if (Py.Str(node["class_type"]) == "SaveImageWebsocket") { sb.Append("|never-cached:").Append(Guid.NewGuid()); }
        visiting.Remove(id);
        var result = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
        memo[id] = result;
        return result;
    }

    public void ClearCache()
    {
        lock (_lock)
        {
            _cache = new Dictionary<string, CacheEntry>(StringComparer.Ordinal);
            _clearCacheAfterRun = true;
        }
    }

    private async Task<(Payload Payload, JsonObject? Ui)> RunNodeGuardedAsync(Run run, string id, string classType, CancellationToken cancellationToken)
    {
        try
        {
            var result = await RunNodeAsync(run, id, classType, cancellationToken);
            var pixels = (long)result.Payload.Width * result.Payload.Height * Math.Max(1, result.Payload.Batch);
            if (pixels > 256L * 1024 * 1024)
            {
                throw new NodeFailureException("torch.OutOfMemoryError", $"Allocation on device of {pixels} pixels is too large for the stand-in.");
            }
            return result;
        }
        catch (PyException ex)
        {
            throw new NodeFailureException(ex.PyType, ex.Message);
        }
        catch (IOException ex)
        {
            throw new NodeFailureException("OSError", ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new NodeFailureException("PermissionError", ex.Message);
        }
    }

    private async Task<(Payload Payload, JsonObject? Ui)> RunNodeAsync(Run run, string id, string classType, CancellationToken cancellationToken)
    {
        var inputs = run.Item.Prompt[id]!["inputs"]!.AsObject();
        if (faults.HangAt(id, classType) is { } released)
        {
            await Task.WhenAny(InterruptTask(), released).WaitAsync(cancellationToken);
            Checkpoint();
        }
        if (faults.FailsAt(id, classType))
        {
            throw new NodeFailureException("RuntimeError", $"Stand-in fault injected at node {id}");
        }

        var linked = new Dictionary<string, Payload>(StringComparer.Ordinal);
        foreach (var (name, value) in inputs)
        {
            if (value is JsonArray { Count: 2 } link && run.Results.TryGetValue(Py.Str(link[0]), out var p)) { linked[name] = p; }
        }
        var basis = Merge(linked);
        if (catalog.TryGet(classType, out var nodeDef) && nodeDef.ApiNode)
        {
            return (ApiNodes.Run(run.Item.ExtraData, classType, inputs, linked, basis), null);
        }

        switch (classType)
        {
            case "CLIPTextEncode" or "CLIPTextEncodeSDXL" or "CLIPTextEncodeFlux" when inputs["text"] is JsonValue text:
                return (basis with { Text = Py.Str(text) }, null);
            case "KSampler" or "KSamplerAdvanced":
                var isAdvanced = classType == "KSamplerAdvanced";
                var seed = Py.Str(inputs[isAdvanced ? "noise_seed" : "seed"]);
                var steps = (int)Math.Clamp((long)Py.ToInt(inputs["steps"]), 0, 100000);
                if (isAdvanced)
                {
                    var start = (int)Math.Clamp((long)Py.ToInt(inputs["start_at_step"]), 0, 100000);
                    var end = (int)Math.Clamp((long)Py.ToInt(inputs["end_at_step"]), 0, 100000);
                    steps = Math.Max(0, Math.Min(end, steps) - start);
                }
                var latent = linked.GetValueOrDefault("latent_image") ?? basis;
                var positive = linked.GetValueOrDefault("positive")?.Text ?? basis.Text;
                var prior = latent.Text.Length > 0 ? "|" + latent.Text : string.Empty;
                var result = new Payload(latent.Width, latent.Height, Math.Max(1, latent.Batch), latent.Seed.Length > 0 ? latent.Seed + "+" + seed : seed, positive + prior);
                await SampleAsync(run, id, result, steps, cancellationToken);
                return (result, null);
            case "ImageScale" or "LatentUpscale":
                return (Resize(basis, (int)Py.ToInt(inputs["width"]), (int)Py.ToInt(inputs["height"])), null);
            case "ImageScaleBy" or "LatentUpscaleBy":
                var by = Py.ToFloat(inputs["scale_by"]);
                return (basis with { Width = (int)Math.Round(basis.Width * by), Height = (int)Math.Round(basis.Height * by) }, null);
            case "ImageCrop" or "CropMask":
                // ComfyUI clamps the crop to the image: x and y to the last pixel, the size to what is left.
                var cx = Math.Min((int)Py.ToInt(inputs["x"]), Math.Max(0, basis.Width - 1));
                var cy = Math.Min((int)Py.ToInt(inputs["y"]), Math.Max(0, basis.Height - 1));
                return (basis with
                {
                    Width = Math.Min((int)Py.ToInt(inputs["width"]), basis.Width - cx),
                    Height = Math.Min((int)Py.ToInt(inputs["height"]), basis.Height - cy),
                }, null);
            case "RepeatLatentBatch" or "RepeatImageBatch":
                return (basis with { Batch = Math.Max(1, basis.Batch) * (int)Py.ToInt(inputs["amount"]) }, null);
            case "ImageCompositeMasked" or "LatentCompositeMasked":
                // The destination's size and batch; the pixels that matter come from the source.
                var destination = linked.GetValueOrDefault("destination") ?? basis;
                var pasted = linked.GetValueOrDefault("source") ?? basis;
                return (basis with { Width = destination.Width, Height = destination.Height, Batch = destination.Batch, Seed = pasted.Seed.Length > 0 ? pasted.Seed : basis.Seed }, null);
            case "ImageUpscaleWithModel":
                return (basis with { Width = basis.Width * 4, Height = basis.Height * 4 }, null);
            case "UpscaleModelLoader":
                var modelName = Py.Str(inputs["model_name"]);
                if (!catalog.ListFor(classType, "model_name").Contains(modelName))
                {
                    throw new NodeFailureException("FileNotFoundError", $"Model in folder 'upscale_models' with filename '{modelName}' not found.");
                }
                return (basis with { Text = modelName }, null);
            case "Canny" when linked.GetValueOrDefault("image") is { ImagePath: not null } source:
                return (source with { Filter = "edges:" + Py.ToFloat(inputs["low_threshold"]).ToString(CultureInfo.InvariantCulture), Text = source.Text + "|canny" }, null);
            case "LineArtPreprocessor" when linked.GetValueOrDefault("image") is { ImagePath: not null } source:
                return (source with { Filter = "edges:0.2", Text = source.Text + "|lineart" }, null);
            case "DepthAnythingPreprocessor" when linked.GetValueOrDefault("image") is { ImagePath: not null } source:
                return (source with { Filter = "depth", Text = source.Text + "|depth" }, null);
            case "LoadImage" or "LoadImageMask":
                return (LoadImage(Py.Str(inputs["image"])), null);
            case Wd14Tagger.ClassType:
                return (basis, Wd14Tagger.Run(linked.GetValueOrDefault("image"), inputs));
            case "SaveImage":
                var saved = linked.GetValueOrDefault("images") is { ImagePath: not null } picture ? picture : basis;
                return (basis, await SaveImagesAsync(run, saved, Py.Str(inputs["filename_prefix"]), files.Output, "output", cancellationToken));
            case "SaveImageWebsocket":
                var sent = linked.GetValueOrDefault("images") is { ImagePath: not null } given ? given : basis;
                await SendImagesAsync(run, id, sent, cancellationToken);
                return (basis, null); // returns {}: no `executed`, nothing in the history's outputs, no file
            case "PreviewImage":
                var letters = new string(Enumerable.Range(0, 5).Select(_ => (char)('a' + Random.Shared.Next(26))).ToArray());
                var shown = linked.GetValueOrDefault("images") is { ImagePath: not null } loaded ? loaded : basis;
                return (basis, await SaveImagesAsync(run, shown, "ComfyUI_temp_" + letters, files.Temp, "temp", cancellationToken));
            default:
                if (basis.Width == 0 && inputs["width"] is JsonValue w && inputs["height"] is JsonValue h)
                {
                    var batch = inputs["batch_size"] is JsonValue b ? (int)Py.ToInt(b) : 1;
                    return (basis with { Width = (int)Py.ToInt(w), Height = (int)Py.ToInt(h), Batch = batch }, null);
                }
                return (basis, null);
        }
    }

    private static Payload Merge(Dictionary<string, Payload> linked)
    {
        string[] preferred = ["samples", "latent_image", "image", "pixels", "images"];
        var dims = preferred.Select(linked.GetValueOrDefault).FirstOrDefault(p => p is { Width: > 0 })
            ?? linked.Values.FirstOrDefault(p => p.Width > 0) ?? Payload.Empty;
        var text = string.Join("|", linked.OrderBy(p => p.Key == "positive" ? 0 : 1).Select(p => p.Value.Text).Where(t => t.Length > 0).Distinct());
        var seed = dims.Seed.Length > 0 ? dims.Seed : linked.Values.Select(p => p.Seed).FirstOrDefault(s => s.Length > 0) ?? string.Empty;
        return new Payload(dims.Width, dims.Height, Math.Max(dims.Batch, dims.Width > 0 ? 1 : 0), seed, text);
    }

    private static Payload Resize(Payload basis, int width, int height)
    {
        if (width == 0 && height == 0) { return basis; }
        if (width == 0) { width = Math.Max(1, (int)Math.Round((double)basis.Width * height / Math.Max(1, basis.Height))); }
        if (height == 0) { height = Math.Max(1, (int)Math.Round((double)basis.Height * width / Math.Max(1, basis.Width))); }
        return basis with { Width = width, Height = height };
    }

    private Payload LoadImage(string value)
    {
        var path = files.ResolveAnnotated(value);
        if (path is null || !File.Exists(path))
        {
            throw new NodeFailureException("FileNotFoundError", $"[Errno 2] No such file or directory: '{value}'");
        }
        var bytes = File.ReadAllBytes(path);
        try
        {
            var info = Image.Identify(bytes) ?? throw new NodeFailureException("PIL.UnidentifiedImageError", $"cannot identify image file '{value}'");
            return new Payload(info.Width, info.Height, 1, string.Empty, "image:" + Convert.ToHexString(SHA256.HashData(bytes))[..16]) { ImagePath = path };
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException)
        {
            throw new NodeFailureException("PIL.UnidentifiedImageError", $"cannot identify image file '{value}'");
        }
    }

    private async Task SampleAsync(Run run, string id, Payload result, int steps, CancellationToken cancellationToken)
    {
        for (var step = 1; step <= steps; step++)
        {
            var stepTime = faults.StepTime ?? options.StepTime;
            if (stepTime > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(stepTime, cancellationToken), InterruptTask());
                cancellationToken.ThrowIfCancellationRequested();
            }
            Checkpoint();
            (byte[]? jpeg, int frame) = !options.Previews ? (null, -1)
                : realisticPreviews is not null ? realisticPreviews.Next()
                : (Painter.Preview(result.Seed, result.Text, result.Width, result.Height, step, steps), -1);
            var logged = step;
            Action? sending = jpeg is null || frameLog is null ? null : () => frameLog.Sent(run.Item.PromptId, logged, frame, jpeg.Length);
            Progress(run, id, step, steps, jpeg, png: false, sending);
            if (faults.TakeDropAt(step)) { hub.DropAll(); }
            if (faults.HoldAfter(step) is { } hold)
            {
                await Task.WhenAny(hold, InterruptTask()).WaitAsync(cancellationToken);
                Checkpoint();
            }
        }
    }

    /// <summary>
    /// ComfyUI's progress hook: <c>progress_state</c>; the image as type 4 when the prompt's client negotiated
    /// <c>supports_preview_metadata</c>; <c>progress</c>; else the image as type 1 (format 1 JPEG, 2 PNG). Everything goes
    /// to the prompt's client only, or to every socket when the prompt has none.
    /// </summary>
    private void Progress(Run run, string id, int value, int max, byte[]? image, bool png, Action? sending = null)
    {
        SetState(run, id, "running", value, max);
        var negotiated = run.ClientId is not null && hub.SupportsPreviewMetadata(run.ClientId);
        if (image is not null && negotiated)
        {
            var meta = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["node_id"] = id,
                ["prompt_id"] = run.Item.PromptId,
                ["display_node_id"] = id,
                ["parent_node_id"] = null,
                ["real_node_id"] = id,
                ["image_type"] = png ? "image/png" : "image/jpeg",
            }.ToJsonString(Py.Wire));
            var frame = new byte[8 + meta.Length + image.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, 4);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)meta.Length);
            meta.CopyTo(frame, 8);
            image.CopyTo(frame, 8 + meta.Length);
            hub.SendBinary(run.ClientId, frame, sending);
        }
        hub.Send(run.ClientId, "progress", new JsonObject { ["value"] = value, ["max"] = max, ["prompt_id"] = run.Item.PromptId, ["node"] = id });
        if (image is not null && !negotiated)
        {
            var frame = new byte[8 + image.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frame, 1);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), png ? 2u : 1u);
            image.CopyTo(frame, 8);
            hub.SendBinary(run.ClientId, frame, sending);
        }
    }

    /// <summary>
    /// SaveImageWebsocket (<c>custom_nodes/websocket_image_save.py</c>): writes no file and returns no UI; each image of
    /// the batch goes through the progress hook as a full-size PNG without text chunks (<c>update_absolute(i, n)</c>:
    /// progress 0…n-1 of n), after the hook's interrupt check, whether or not previews are on.
    /// </summary>
    private async Task SendImagesAsync(Run run, string id, Payload image, CancellationToken cancellationToken)
    {
        var count = Math.Max(1, image.Batch);
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] png;
            using (var picture = image.ImagePath is { } source
                ? Painter.Filtered(source, image.Filter)
                : Painter.Render(image.Seed, image.Text, Math.Max(1, image.Width), Math.Max(1, image.Height), i))
            {
                png = Painter.Png(picture);
            }
            Checkpoint();
            Progress(run, id, i, count, png, png: true);
            if (faults.TakeDropAtImage(i + 1)) { hub.DropAll(); }
            await Task.Yield();
        }
    }

    private async Task<JsonObject> SaveImagesAsync(Run run, Payload image, string prefix, string baseDir, string type, CancellationToken cancellationToken)
    {
        var now = _time.GetLocalNow();
        prefix = prefix.Replace("%width%", image.Width.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%height%", image.Height.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%year%", now.Year.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%month%", now.Month.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%day%", now.Day.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%hour%", now.Hour.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%minute%", now.Minute.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("%second%", now.Second.ToString("00", CultureInfo.InvariantCulture), StringComparison.Ordinal);
        var normalized = prefix.Replace('\\', '/').Trim('/');
        var slash = normalized.LastIndexOf('/');
        var subfolder = slash >= 0 ? normalized[..slash] : string.Empty;
        var name = slash >= 0 ? normalized[(slash + 1)..] : normalized;
        var folder = FileStore.Within(baseDir, Path.Combine(baseDir, subfolder))
            ?? throw new NodeFailureException("Exception", "**** ERROR: Saving image outside the output folder is not allowed.");
        Directory.CreateDirectory(folder);
        var pattern = new Regex("^" + Regex.Escape(name) + "_(\\d+)_", RegexOptions.CultureInvariant);
        var counter = Directory.EnumerateFiles(folder)
            .Select(f => pattern.Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .DefaultIfEmpty(0).Max() + 1;

        var text = new List<KeyValuePair<string, string>>();
        if (type == "output")
        {
            // As SaveImage: `prompt`, then one chunk per extra_pnginfo key (the frontend's `workflow`), each json.dumps'd.
            text.Add(new("prompt", Py.Dumps(run.Item.Prompt)));
            if (run.Item.ExtraData["extra_pnginfo"] is JsonObject extra)
            {
                foreach (var (key, value) in extra) { text.Add(new(key, Py.Dumps(value))); }
            }
        }
        var images = new JsonArray();
        for (var i = 0; i < Math.Max(1, image.Batch); i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fileName = $"{name.Replace("%batch_num%", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)}_{counter:00000}_.png";
            using (var picture = image.ImagePath is { } source
                ? Painter.Filtered(source, image.Filter)
                : Painter.Render(image.Seed, image.Text, Math.Max(1, image.Width), Math.Max(1, image.Height), i))
            {
                Painter.SavePng(picture, Path.Combine(folder, fileName), text);
            }
            images.Add(new JsonObject { ["filename"] = fileName, ["subfolder"] = subfolder, ["type"] = type });
            counter++;
            await Task.Yield();
        }
        return new JsonObject { ["images"] = images };
    }
}
