using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.ComfyApi;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.Api.ApiTokenTests;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// The ComfyUI-compatible face (<c>/comfy</c>) as ComfyUI clients see it: the app's own <see cref="ComfyUiClient"/> (the
/// code that drives real ComfyUI servers and the stand-in) pointed at DreamLayer runs a prompt to the end, and every route
/// answers in ComfyUI's shapes (PROTOCOL.md), its refusals in ComfyUI's error shape.
/// </summary>
public sealed class ComfyApiTests
{
    internal static readonly string DefaultGraph = File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", "comfyui_default_txt2img_api.json"));

    /// <summary>The default txt2img graph made small and quick, with its own seed.</summary>
    internal static ComfyGraph SmallGraph(ulong seed = 77, int steps = 3)
    {
        var graph = ComfyGraph.Parse(DefaultGraph);
        graph["3"].Inputs["steps"] = steps;
        graph["3"].Inputs["seed"] = seed;
        graph["5"].Inputs["width"] = 64;
        graph["5"].Inputs["height"] = 64;
        return graph;
    }

    /// <summary>An HTTP client of the face with the person's token as a bearer header, and the app's ComfyUI client over it.</summary>
    internal static (HttpClient Http, ComfyUiClient Comfy) Face(DreamLayerApp app, string token)
    {
        var http = Bearer(app, token);
        return (http, new ComfyUiClient(http, new Uri(app.RootUri, ComfyApiExtensions.Prefix + "/")));
    }

    /// <summary>A WebSocket to <c>/comfy/ws</c>, the token in the address (as a browser client sends it).</summary>
    internal static async Task<ClientWebSocket> ConnectAsync(ComfyUiClient comfy, string clientId, string token)
    {
        var socket = new ClientWebSocket();
        var uri = new UriBuilder(comfy.WebSocketUri(clientId)) { };
        uri.Query = uri.Query.TrimStart('?') + "&token=" + Uri.EscapeDataString(token);
        await socket.ConnectAsync(uri.Uri, CancellationToken.None);
        return socket;
    }

    /// <summary>One frame: a parsed text event (with its raw JSON), or a binary preview frame.</summary>
    internal sealed record Frame(ComfyEvent? Event, JsonObject? Json, byte[]? Binary);

    internal static async Task<Frame> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // a failure guard only
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, timeout.Token);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);
        var bytes = buffer.ToArray();
        return result.MessageType == WebSocketMessageType.Text
            ? new Frame(ComfyMessageParser.ParseText(bytes), JsonNode.Parse(bytes)!.AsObject(), null)
            : new Frame(ComfyMessageParser.ParseBinary(bytes), null, bytes);
    }

    /// <summary>Every frame until <c>executing</c> with node null for <paramref name="promptId"/> (ComfyUI's "done").</summary>
    internal static async Task<List<Frame>> FollowToEndAsync(ClientWebSocket socket, string promptId)
    {
        var frames = new List<Frame>();
        while (true)
        {
            var frame = await ReceiveAsync(socket);
            frames.Add(frame);
            if (frame.Event is ExecutingEvent { Node: null } done && done.PromptId == promptId)
            {
                return frames;
            }
        }
    }

    [Fact]
    public async Task TheAppsOwnComfyUiClient_RunsAPromptThroughDreamLayer_EventsInComfyUisOrder_HistoryAndViewGiveTheImage()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(60));
        var token = (await MakeTokenAsync(app, app.Alice)).Token;
        var (http, comfy) = Face(app, token);
        using var _ = http;
        var clientId = Guid.NewGuid().ToString("N");
        using var socket = await ConnectAsync(comfy, clientId, token);
        var first = await ReceiveAsync(socket);
        Assert.Equal(clientId, Assert.IsType<StatusEvent>(first.Event).Sid);
        Assert.Equal(0, ((StatusEvent)first.Event!).QueueRemaining);

        // A picture for a LoadImage, sent as the app sends its own (POST /upload/image), then a graph that uses it.
        using var png = new MemoryStream(ApiClient.Png(64, 64, new Rgba32(200, 40, 40)));
        var uploaded = Assert.IsType<ComfyUploaded>(await comfy.UploadImageAsync(png, "red.png", "mine", default));
        Assert.Equal(("red.png", "mine", "input"), (uploaded.Name, uploaded.Subfolder, uploaded.Type));
        var graph = SmallGraph();
        graph.Add("20", new ComfyNode("LoadImage").Set("image", uploaded.GraphValue));
        graph.Add("21", new ComfyNode("PreviewImage").Link("images", "20", 0));

        var promptId = Guid.NewGuid().ToString();
        var accepted = Assert.IsType<PromptAccepted>(await comfy.QueuePromptAsync(graph, clientId, promptId, ComfyUiClient.WorkflowExtraData(graph, app.Backend.ObjectInfo), default));
        Assert.Equal(promptId, accepted.PromptId);
        Assert.Empty(accepted.Warnings);

        var frames = await FollowToEndAsync(socket, promptId);
        var types = frames.Where(f => f.Json is not null).Select(f => (string)f.Json!["type"]!).ToList();
        // ComfyUI's order (PROTOCOL.md §4.7): queued, started, each node with its steps, outputs, success, the queue shrinks, done.
        Assert.Equal("status", types[0]);
        var start = types.IndexOf("execution_start");
        Assert.True(start > 0 && types[start + 1] == "execution_cached", string.Join(",", types));
        var executing = types.Select((t, i) => (t, i)).Where(x => x.t == "executing").Select(x => x.i).ToList();
        var progress = types.IndexOf("progress");
        var executed = types.IndexOf("executed");
        var success = types.IndexOf("execution_success");
        Assert.True(start < executing[0] && executing[0] < progress && progress < executed && executed < success, string.Join(",", types));
        Assert.Equal(["status", "executing"], types[(success + 1)..]);
        Assert.All(frames.Select(f => f.Event).OfType<ProgressEvent>(), p => Assert.Equal((promptId, "3", 3), (p.PromptId!, p.Node!, p.Max)));
        Assert.Contains(frames.Select(f => f.Event).OfType<ExecutingEvent>(), e => e.Node == "3" && e.PromptId == promptId);
        // Preview frames as ComfyUI's binary type 1 with an image format (1 JPEG, 2 PNG).
        Assert.Contains(frames, f => f.Binary is { Length: > 8 } b && b[3] == 1 && b[7] is 1 or 2);

        // /history: ComfyUI's entry with the outputs of both output nodes; /view: the stored PNG, with the graph in it.
        var history = await comfy.GetHistoryAsync(promptId, default);
        Assert.NotNull(history);
        Assert.True(history.Succeeded);
        var saved = Assert.Single(history.Outputs["9"]);
        Assert.Single(history.Outputs["21"]);
        var bytes = await comfy.GetImageAsync(saved, default);
        Assert.True(bytes.AsSpan().StartsWith(PngSignature));
        var prompt = JsonNode.Parse(PngTextChunks.Find(bytes, "prompt")!)!;
        Assert.Equal(77UL, prompt["3"]!["inputs"]!["seed"]!.GetValue<ulong>()); // the graph ran as sent: its own seed
        var executedImages = frames.Select(f => f.Event).OfType<ExecutedEvent>().SelectMany(e => e.Images).ToList();
        Assert.Contains(executedImages, i => i.Filename == saved.Filename);

        // It is Alice's job of the one queue, and its images are in the gallery as hers.
        var job = app.Get<JobEvents>().Active();
        Assert.Empty(job);
        var images = await app.Get<GalleryService>().FindVisibleAsync(As(app.Alice), Guid.Parse(saved.Filename[..^4]), default);
        Assert.NotNull(images);
        Assert.Equal(app.Alice.Id, images.OwnerId);
        Assert.Equal(nameof(GenerationMode.Workflow), images.Mode);
        Assert.Equal("masterpiece best quality girl", images.Prompt);
        Assert.Contains("Seed: 77", images.Parameters, StringComparison.Ordinal);

        using var raw = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/comfy/history/{promptId}", UriKind.Relative)));
        var entry = raw.RootElement.GetProperty(promptId);
        Assert.Equal("success", entry.GetProperty("status").GetProperty("status_str").GetString());
        Assert.True(entry.GetProperty("status").GetProperty("completed").GetBoolean());
        Assert.Equal(promptId, entry.GetProperty("prompt")[1].GetString());
        Assert.Equal(clientId, entry.GetProperty("prompt")[3].GetProperty("client_id").GetString());
        Assert.Equal(["execution_start", "execution_success"], entry.GetProperty("status").GetProperty("messages").EnumerateArray().Select(m => m[0].GetString()!));
    }

    [Fact]
    public async Task Prompt_WithoutClientId_ItsProgressAndPreviewsReachEachOfThePersonsSockets_NotAnothersNorTheOtherEvents()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(60));
        var token = (await MakeTokenAsync(app, app.Alice)).Token;
        var bobsToken = (await MakeTokenAsync(app, app.Bob)).Token;
        var (http, comfy) = Face(app, token);
        var (bobsHttp, bobsComfy) = Face(app, bobsToken);
        using var _ = http;
        using var __ = bobsHttp;
        var (aliceId, bobId) = (Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N"));
        using var alices = await ConnectAsync(comfy, aliceId, token);
        using var bobs = await ConnectAsync(bobsComfy, bobId, bobsToken);
        Assert.IsType<StatusEvent>((await ReceiveAsync(alices)).Event);
        Assert.IsType<StatusEvent>((await ReceiveAsync(bobs)).Event);

        // Queued as a script that only polls /history does: no client_id.
        var body = new JsonObject { ["prompt"] = SmallGraph().ToJson() };
        using var queued = await http.PostAsync(new Uri("/comfy/prompt", UriKind.Relative), new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        var silent = JsonNode.Parse(await queued.Content.ReadAsStringAsync())!["prompt_id"]!.GetValue<string>();
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.Active().Count == 0, "the prompt without client_id to end");

        // A prompt with each socket's client id marks where the first one's frames end (a socket keeps its order).
        var alicesMark = Assert.IsType<PromptAccepted>(await comfy.QueuePromptAsync(SmallGraph(), aliceId, Guid.NewGuid().ToString(), null, default)).PromptId;
        var alicesFrames = await FollowToEndAsync(alices, alicesMark);
        var bobsMark = Assert.IsType<PromptAccepted>(await bobsComfy.QueuePromptAsync(SmallGraph(), bobId, Guid.NewGuid().ToString(), null, default)).PromptId;
        var bobsFrames = await FollowToEndAsync(bobs, bobsMark);

        var before = alicesFrames.TakeWhile(f => f.Event is not ExecutionStartEvent { PromptId: var p } || p != alicesMark).ToList();
        var types = before.Where(f => f.Json is not null && (string?)f.Json["data"]?["prompt_id"] == silent).Select(f => (string)f.Json!["type"]!).Distinct().ToList();
        Assert.Equal(["progress"], types); // ComfyUI's §4.5: progress still goes out; start, executing, executed and success do not
        Assert.Contains(before.Select(f => f.Event).OfType<ProgressEvent>(), p => p.PromptId == silent && p.Value == p.Max);
        Assert.Contains(before, f => f.Binary is { Length: > 8 } b && b[3] == 1); // and its previews
        Assert.DoesNotContain(bobsFrames, f => f.Json?.ToJsonString().Contains(silent, StringComparison.Ordinal) == true);
        var bobsBefore = bobsFrames.TakeWhile(f => f.Event is not ExecutionStartEvent).ToList();
        Assert.DoesNotContain(bobsBefore, f => f.Binary is not null || f.Event is ProgressEvent);
    }

    [Fact]
    public async Task Prompt_RefusesWhatComfyUiRefuses_InItsErrorShape_NeverA500()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var token = (await MakeTokenAsync(app, app.Alice)).Token;
        var (http, _) = Face(app, token);
        using var __ = http;

        async Task<JsonElement> RefusedAsync(HttpContent content, HttpStatusCode status, string type)
        {
            using var response = await http.PostAsync(new Uri("/comfy/prompt", UriKind.Relative), content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
            var body = JsonDocument.Parse(text).RootElement.Clone();
            var error = body.GetProperty("error");
            Assert.Equal(type, error.GetProperty("type").GetString());
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            Assert.Equal(JsonValueKind.String, error.GetProperty("details").ValueKind);
            Assert.Equal(JsonValueKind.Object, error.GetProperty("extra_info").ValueKind);
            Assert.Equal(JsonValueKind.Object, body.GetProperty("node_errors").ValueKind);
            return body;
        }
        static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");
        JsonObject Body(ComfyGraph graph) => new() { ["prompt"] = graph.ToJson(), ["client_id"] = "c" };

        await RefusedAsync(Json("{not json"), HttpStatusCode.BadRequest, "invalid_prompt");
        await RefusedAsync(Json("[1,2]"), HttpStatusCode.BadRequest, "invalid_prompt");
        await RefusedAsync(Json("""{"client_id":"c"}"""), HttpStatusCode.BadRequest, "no_prompt");
        await RefusedAsync(Json("""{"prompt":{"1":"not a node"}}"""), HttpStatusCode.BadRequest, "invalid_prompt");
        await RefusedAsync(Json("""{"prompt":{},"client_id":5}"""), HttpStatusCode.BadRequest, "invalid_prompt");

        var unknown = SmallGraph();
        unknown.Add("50", new ComfyNode("NoSuchNode"));
        var unknownBody = await RefusedAsync(Json(Body(unknown).ToJsonString()), HttpStatusCode.BadRequest, "invalid_prompt");
        Assert.Contains("NoSuchNode", unknownBody.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        var badValue = SmallGraph();
        badValue["4"].Inputs["ckpt_name"] = "nowhere.safetensors";
        var badValueBody = await RefusedAsync(Json(Body(badValue).ToJsonString()), HttpStatusCode.BadRequest, "prompt_outputs_failed_validation");
        var nodeError = badValueBody.GetProperty("node_errors").GetProperty("4");
        Assert.Equal("value_not_in_list", nodeError.GetProperty("errors")[0].GetProperty("type").GetString());
        Assert.Equal("ckpt_name", nodeError.GetProperty("errors")[0].GetProperty("extra_info").GetProperty("input_name").GetString());
        Assert.Equal(["9"], nodeError.GetProperty("dependent_outputs").EnumerateArray().Select(o => o.GetString()!));
        Assert.Equal("CheckpointLoaderSimple", nodeError.GetProperty("class_type").GetString());

        var cycle = SmallGraph();
        cycle["6"].Inputs["clip"] = ComfyLink.ToJson("99", 0);
        cycle.Add("99", new ComfyNode("CLIPSetLastLayer").Set("stop_at_clip_layer", -1).Link("clip", "99", 0));
        await RefusedAsync(Json(Body(cycle).ToJsonString()), HttpStatusCode.BadRequest, "prompt_outputs_failed_validation");

        var missing = SmallGraph();
        missing["6"].Inputs["clip"] = ComfyLink.ToJson("404", 1);
        await RefusedAsync(Json(Body(missing).ToJsonString()), HttpStatusCode.BadRequest, "prompt_outputs_failed_validation");

        var notUploaded = SmallGraph();
        notUploaded.Add("20", new ComfyNode("LoadImage").Set("image", "someone-elses.png"));
        notUploaded.Add("21", new ComfyNode("PreviewImage").Link("images", "20", 0));
        var notUploadedBody = await RefusedAsync(Json(Body(notUploaded).ToJsonString()), HttpStatusCode.BadRequest, "prompt_outputs_failed_validation");
        Assert.Equal("custom_validation_failed", notUploadedBody.GetProperty("node_errors").GetProperty("20").GetProperty("errors")[0].GetProperty("type").GetString());

        var huge = new ByteArrayContent(new byte[ComfyApiExtensions.MaxPromptBytes + 1]);
        huge.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await RefusedAsync(huge, HttpStatusCode.RequestEntityTooLarge, "request_too_large");

        // Nothing of it was queued.
        Assert.Empty(app.Get<JobEvents>().Active());
        using var upload = await http.PostAsync(new Uri("/comfy/upload/image", UriKind.Relative), Json("{}"));
        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
    }

    [Fact]
    public async Task Routes_AnswerInComfyUisShapes_ObjectInfoIsTheServersUnion_UploadNamesAsComfyUi()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var token = (await MakeTokenAsync(app, app.Alice)).Token;
        var (http, _) = Face(app, token);
        using var __ = http;
        async Task<JsonElement> GetAsync(string path)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative)));
            return doc.RootElement.Clone();
        }

        var info = await GetAsync("/comfy/object_info");
        Assert.True(info.GetProperty("KSampler").GetProperty("output_node").ValueKind == JsonValueKind.False);
        Assert.Contains("v1-5-pruned-emaonly.safetensors", info.GetProperty("CheckpointLoaderSimple").GetProperty("input").GetProperty("required").GetProperty("ckpt_name")[0].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["KSampler"], (await GetAsync("/comfy/object_info/KSampler")).EnumerateObject().Select(p => p.Name));
        Assert.Empty((await GetAsync("/comfy/object_info/NoSuchNode")).EnumerateObject());
        Assert.True((await GetAsync("/comfy/api/object_info/KSampler")).TryGetProperty("KSampler", out _)); // every route also under /api, as ComfyUI

        var stats = await GetAsync("/comfy/system_stats");
        Assert.Equal(JsonValueKind.String, stats.GetProperty("system").GetProperty("os").ValueKind);
        Assert.Contains(DreamLayerApp.ServerName(0), Assert.Single(stats.GetProperty("devices").EnumerateArray()).GetProperty("name").GetString(), StringComparison.Ordinal);

        var queue = await GetAsync("/comfy/queue");
        Assert.Empty(queue.GetProperty("queue_running").EnumerateArray());
        Assert.Empty(queue.GetProperty("queue_pending").EnumerateArray());
        Assert.Equal(0, (await GetAsync("/comfy/prompt")).GetProperty("exec_info").GetProperty("queue_remaining").GetInt32());
        Assert.Empty((await GetAsync("/comfy/history")).EnumerateObject());

        // Uploads: the same name with other bytes becomes "name (1)", the same bytes keep the name, overwrite replaces.
        async Task<JsonElement> UploadAsync(byte[] png, bool overwrite = false, string type = "input")
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(png), "image", "a.png" }, { new StringContent(type), "type" } };
            if (overwrite)
            {
                form.Add(new StringContent("true"), "overwrite");
            }
            using var response = await http.PostAsync(new Uri("/comfy/upload/image", UriKind.Relative), form);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        var red = ApiClient.Png(16, 16, new Rgba32(255, 0, 0));
        var blue = ApiClient.Png(16, 16, new Rgba32(0, 0, 255));
        Assert.Equal("a.png", (await UploadAsync(red)).GetProperty("name").GetString());
        Assert.Equal("a.png", (await UploadAsync(red)).GetProperty("name").GetString());
        Assert.Equal("a (1).png", (await UploadAsync(blue)).GetProperty("name").GetString());
        Assert.Equal("a.png", (await UploadAsync(blue, overwrite: true)).GetProperty("name").GetString());
        var viewed = await http.GetByteArrayAsync(new Uri("/comfy/view?filename=a.png&type=input&subfolder=", UriKind.Relative));
        Assert.True(viewed.AsSpan().StartsWith(PngSignature));
        using var notAPicture = new MultipartFormDataContent { { new ByteArrayContent("hello"u8.ToArray()), "image", "x.png" } };
        using var refused = await http.PostAsync(new Uri("/comfy/upload/image", UriKind.Relative), notAPicture);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_image", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("type").GetString());

        // /view refuses climbing out, and has nothing that is not the person's.
        using var dots = await http.GetAsync(new Uri("/comfy/view?filename=../../appsettings.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, dots.StatusCode);
        using var climb = await http.GetAsync(new Uri("/comfy/view?filename=a.png&subfolder=../..&type=input", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, climb.StatusCode);
        using var none = await http.GetAsync(new Uri($"/comfy/view?filename={Guid.NewGuid()}.png", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task QueueInterruptHistoryAndView_ReachOnlyTheAskersOwnPrompts_AnothersPromptIs404()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(300));
        var bobsToken = (await MakeTokenAsync(app, app.Bob)).Token;
        var (bobHttp, bob) = Face(app, bobsToken);
        var (aliceHttp, _) = Face(app, (await MakeTokenAsync(app, app.Alice)).Token);
        var (adminHttp, _) = Face(app, (await MakeTokenAsync(app, app.Admin)).Token);
        using var a = bobHttp;
        using var b = aliceHttp;
        using var c = adminHttp;
        using var socket = await ConnectAsync(bob, "bobs-tab", bobsToken);
        await ReceiveAsync(socket);

        var running = Assert.IsType<PromptAccepted>(await bob.QueuePromptAsync(SmallGraph(1, steps: 40), "bobs-tab", "running-one", null, default)).PromptId;
        var waiting = Assert.IsType<PromptAccepted>(await bob.QueuePromptAsync(SmallGraph(2, steps: 40), "bobs-tab", "waiting-one", null, default)).PromptId;
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.Active().Any(j => j.Status == JobStatus.Running && j.StepValue >= 1), "Bob's first prompt to run");

        foreach (var other in new[] { aliceHttp, adminHttp })
        {
            using var othersHistory = await other.GetAsync(new Uri($"/comfy/history/{running}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, othersHistory.StatusCode);
            using var queue = JsonDocument.Parse(await other.GetStringAsync(new Uri("/comfy/queue", UriKind.Relative)));
            Assert.Empty(queue.RootElement.GetProperty("queue_running").EnumerateArray());
            Assert.Empty(queue.RootElement.GetProperty("queue_pending").EnumerateArray());
            using var interrupt = await other.PostAsync(new Uri("/comfy/interrupt", UriKind.Relative), JsonContent(new JsonObject { ["prompt_id"] = running }));
            Assert.Equal(HttpStatusCode.OK, interrupt.StatusCode);
            using var globalInterrupt = await other.PostAsync(new Uri("/comfy/interrupt", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, globalInterrupt.StatusCode);
            using var delete = await other.PostAsync(new Uri("/comfy/queue", UriKind.Relative), JsonContent(new JsonObject { ["delete"] = new JsonArray(waiting), ["clear"] = true }));
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        Assert.Equal(2, events.Active().Count); // nobody else stopped Bob's prompts

        using (var queue = JsonDocument.Parse(await bobHttp.GetStringAsync(new Uri("/comfy/queue", UriKind.Relative))))
        {
            Assert.Equal(running, Assert.Single(queue.RootElement.GetProperty("queue_running").EnumerateArray())[1].GetString());
            var pending = Assert.Single(queue.RootElement.GetProperty("queue_pending").EnumerateArray());
            Assert.Equal(waiting, pending[1].GetString());
            Assert.Equal("CheckpointLoaderSimple", pending[2].GetProperty("4").GetProperty("class_type").GetString());
            Assert.Equal(["9"], pending[4].EnumerateArray().Select(o => o.GetString()!));
        }
        using (var pendingHistory = JsonDocument.Parse(await bobHttp.GetStringAsync(new Uri($"/comfy/history/{waiting}", UriKind.Relative))))
        {
            Assert.Empty(pendingHistory.RootElement.EnumerateObject()); // ComfyUI's answer while it waits
        }

        using (var delete = await bobHttp.PostAsync(new Uri("/comfy/queue", UriKind.Relative), JsonContent(new JsonObject { ["delete"] = new JsonArray(waiting) })))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        using (var interrupt = await bobHttp.PostAsync(new Uri("/comfy/interrupt", UriKind.Relative), JsonContent(new JsonObject { ["prompt_id"] = running })))
        {
            Assert.Equal(HttpStatusCode.OK, interrupt.StatusCode);
        }
        var frames = await FollowToEndAsync(socket, running);
        Assert.Contains(frames.Select(f => f.Event), e => e is ExecutionInterruptedEvent i && i.PromptId == running);
        var history = await bob.GetHistoryAsync(running, default);
        Assert.NotNull(history);
        Assert.True(history.Interrupted);
        Assert.False(history.Succeeded);
        await DreamLayerApp.WaitUntilAsync(() => events.Active().Count == 0, "both prompts to end");
        using var none = JsonDocument.Parse(await bobHttp.GetStringAsync(new Uri("/comfy/history", UriKind.Relative)));
        Assert.Equal([running], none.RootElement.EnumerateObject().Select(p => p.Name)); // a prompt deleted while waiting leaves no history
    }

    [Fact]
    public async Task TheTokenInTheAddress_Works_AndIsNeverLogged()
    {
        var logs = new CapturedLog();
        await using var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Serilog:MinimumLevel:Default"] = "Debug",
                ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Debug", // the framework's request lines write the query string
            },
            services: s => s.AddSingleton<ILogEventSink>(logs));
        var token = (await MakeTokenAsync(app, app.Alice)).Token;
        using var anonymous = app.CreateAnonymousClient();
        using var withToken = await anonymous.GetAsync(new Uri($"/comfy/object_info/KSampler?token={token}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        var comfy = new ComfyUiClient(anonymous, new Uri(app.RootUri, "/comfy/"));
        using (var socket = await ConnectAsync(comfy, "logged", token))
        {
            Assert.IsType<StatusEvent>((await ReceiveAsync(socket)).Event);
        }
        using var wrong = await anonymous.GetAsync(new Uri("/comfy/object_info?token=dl_wrong", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        await DreamLayerApp.WaitUntilAsync(() => logs.Lines.Any(l => l.Contains("token=", StringComparison.Ordinal)), "the requests to be logged");
        Assert.DoesNotContain(token[ApiTokens.Prefix.Length..], string.Join('\n', logs.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RevokedToken_ItsSocketIsClosedAtOnce_SayingWhy_TheOwnersOtherSocketStays()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var revoked = await MakeTokenAsync(app, app.Alice, "old laptop");
        var kept = (await MakeTokenAsync(app, app.Alice, "desktop")).Token;
        var (http, comfy) = Face(app, kept);
        using var _ = http;
        using var old = await ConnectAsync(comfy, "old", revoked.Token);
        using var current = await ConnectAsync(comfy, "current", kept);
        Assert.IsType<StatusEvent>((await ReceiveAsync(old)).Event);
        Assert.IsType<StatusEvent>((await ReceiveAsync(current)).Event);

        Assert.True(await app.Get<ApiTokens>().RevokeAsync(As(app.Alice), revoked.Row.Id, default));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // a failure guard only
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await old.ReceiveAsync(buffer, timeout.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);
        Assert.Contains("revoked", old.CloseStatusDescription, StringComparison.Ordinal);
        // The socket of the token still good gets the events of a prompt sent with it.
        using var sent = await http.PostAsync(new Uri("/comfy/prompt", UriKind.Relative),
            JsonContent(new JsonObject { ["prompt"] = SmallGraph().ToJson(), ["client_id"] = "current" }));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var promptId = (string)JsonNode.Parse(await sent.Content.ReadAsStringAsync())!["prompt_id"]!;
        await FollowToEndAsync(current, promptId);
    }

    [Fact]
    public async Task RateLimit_IsAnsweredInComfyUisErrorShape_WithRetryAfter()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Accounts:ApiRequests"] = "2", ["Accounts:ApiWindow"] = "00:10:00" });
        var (http, _) = Face(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var __ = http;
        (await http.GetAsync(new Uri("/comfy/system_stats", UriKind.Relative))).EnsureSuccessStatusCode();
        (await http.GetAsync(new Uri("/comfy/queue", UriKind.Relative))).EnsureSuccessStatusCode();

        using var limited = await http.GetAsync(new Uri("/comfy/system_stats", UriKind.Relative));

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter?.Delta);
        var error = JsonNode.Parse(await limited.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("rate_limited", (string?)error["type"]);
        Assert.Contains("too many requests", (string?)error["details"], StringComparison.Ordinal);
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    internal static StringContent JsonContent(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}
