using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.ComfyStandIn;

public sealed class ExecutionTests : IAsyncLifetime
{
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync();

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private static List<string> Types(IEnumerable<WsMessage> messages) => messages.Select(m => m.ToString()).ToList();

    [Fact]
    public async Task Prompt_FreshGraph_EventsFollowProtocolOrderAndEndWithExecutingNull()
    {
        await using var ws = await _standIn.ConnectAsync("owner");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2), "owner");
        var events = await ws.UntilDoneAsync(id);

        var json = events.Where(e => e.Type is not null and not "progress_state").ToList();
        Assert.Equal(
            ["status", "status", "execution_start", "execution_cached",
             "executing", "executing", "executing", "executing", "executing", "progress", "progress", "executing", "executing", "executed",
             "execution_success", "status", "executing"],
            Types(json));
        Assert.Equal(1, json[0].Data!["status"]!["exec_info"]!["queue_remaining"]!.GetValue<int>());
        Assert.Equal(0, json[^2].Data!["status"]!["exec_info"]!["queue_remaining"]!.GetValue<int>());
        Assert.Equal("3", json[8].Data!["node"]!.GetValue<string>());
        Assert.Equal("3", json[8].Data!["display_node"]!.GetValue<string>());
        Assert.Equal([1, 2], json.Where(e => e.Type == "progress").Select(e => e.Data!["value"]!.GetValue<int>()));
        Assert.All(json.Where(e => e.Type == "progress"), e => Assert.Equal("3", e.Data!["node"]!.GetValue<string>()));
        Assert.Equal("9", json[^4].Data!["node"]!.GetValue<string>());
        Assert.True(json[^1].IsDone(id));
        Assert.All(json.Skip(2), e => Assert.True(e.Type == "status" || e.PromptId == id));

        // progress_state: running before each executing, finished after, snapshots of every non-pending node.
        var firstExecutingIndex = events.FindIndex(e => e.Type == "executing");
        Assert.Equal("progress_state", events[firstExecutingIndex - 1].Type);
        var last = events.Last(e => e.Type == "progress_state").Data!["nodes"]!.AsObject();
        Assert.Equal(7, last.Count);
        Assert.All(last, n => Assert.Equal("finished", n.Value!["state"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Prompt_PreviewsOn_SendsType1JpegAfterEachProgress()
    {
        await using var ws = await _standIn.ConnectAsync("previews");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 3), "previews");
        var events = await ws.UntilDoneAsync(id);

        var frames = events.Where(e => e.Binary is not null).ToList();
        Assert.Equal(3, frames.Count);
        foreach (var frame in frames)
        {
            var index = events.IndexOf(frame);
            Assert.Equal("progress", events[index - 1].Type);
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(frame.Binary));
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(frame.Binary.AsSpan(4)));
            using var jpeg = Image.Load(frame.Binary.AsSpan(8));
            Assert.Equal(512, Math.Max(jpeg.Width, jpeg.Height));
            Assert.Equal(384, jpeg.Height);
            Assert.Equal("JPEG", Image.DetectFormat(frame.Binary.AsSpan(8)).Name);
        }
    }

    [Fact]
    public async Task Prompt_FeatureFlagsNegotiated_SendsType4BeforeProgressInstead()
    {
        await using var ws = await _standIn.ConnectAsync("meta", negotiate: true);

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2), "meta");
        var events = await ws.UntilDoneAsync(id);

        var frames = events.Where(e => e.Binary is not null).ToList();
        Assert.Equal(2, frames.Count);
        foreach (var frame in frames)
        {
            var index = events.IndexOf(frame);
            Assert.Equal("progress_state", events[index - 1].Type);
            Assert.Equal("progress", events[index + 1].Type);
            Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(frame.Binary));
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.Binary.AsSpan(4));
            var meta = JsonNode.Parse(Encoding.UTF8.GetString(frame.Binary!, 8, length))!;
            Assert.Equal("3", meta["node_id"]!.GetValue<string>());
            Assert.Equal(id, meta["prompt_id"]!.GetValue<string>());
            Assert.Equal("image/jpeg", meta["image_type"]!.GetValue<string>());
            using var jpeg = Image.Load(frame.Binary.AsSpan(8 + length));
            Assert.Equal(512, jpeg.Width);
        }
    }

    [Fact]
    public async Task Prompt_PreviewsOff_ProgressFlowsWithoutFrames()
    {
        await using var standIn = await StandInHarness.StartAsync(o => o.Previews = false);
        await using var ws = await standIn.ConnectAsync("nopreview");

        var id = await standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2), "nopreview");
        var events = await ws.UntilDoneAsync(id);

        Assert.DoesNotContain(events, e => e.Binary is not null);
        Assert.Equal(2, events.Count(e => e.Type == "progress"));
        var argv = (await standIn.GetJsonAsync("/system_stats"))["system"]!["argv"]!.AsArray().Select(a => a!.GetValue<string>());
        Assert.DoesNotContain("--preview-method", argv);
    }

    [Fact]
    public async Task Prompt_OtherClient_SeesStatusButNoExecutionEvents()
    {
        await using var owner = await _standIn.ConnectAsync("alice");
        await using var other = await _standIn.ConnectAsync("bob");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2), "alice");
        await owner.UntilDoneAsync(id);
        var marker = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 2), "bob");
        var seen = await other.UntilDoneAsync(marker);

        var beforeMarker = seen.TakeWhile(e => e.PromptId != marker).ToList();
        Assert.Contains(beforeMarker, e => e.Type == "status");
        Assert.DoesNotContain(seen, e => e.PromptId == id);
        Assert.DoesNotContain(beforeMarker, e => e.Binary is not null);
    }

    [Fact]
    public async Task Prompt_WithoutClientId_BroadcastsProgressAndType1ButNotExecuting()
    {
        await using var watcher = await _standIn.ConnectAsync("watcher");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2));
        var events = await watcher.UntilAsync(e => e.Type == "status" && e.Data!["status"]!["exec_info"]!["queue_remaining"]!.GetValue<int>() == 0);

        Assert.Equal(2, events.Count(e => e.Type == "progress" && e.PromptId == id));
        Assert.Equal(2, events.Count(e => e.Binary is not null));
        Assert.Contains(events, e => e.Type == "progress_state");
        Assert.DoesNotContain(events, e => e.Type is "executing" or "execution_start" or "executed" or "execution_success");
        Assert.Equal("success", (await _standIn.HistoryEntryAsync(id))["status"]!["status_str"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prompt_IdenticalResubmission_IsCachedWithOldImagesAndNoNewFiles()
    {
        await using var ws = await _standIn.ConnectAsync("cache");
        var graph = StandInHarness.Txt2Img(steps: 2);
        var first = await _standIn.QueueAsync(graph, "cache");
        await ws.UntilDoneAsync(first);
        var filesBefore = Directory.GetFiles(Path.Combine(_standIn.DataDirectory, "output"));

        var second = await _standIn.QueueAsync(graph, "cache");
        var events = await ws.UntilDoneAsync(second);

        var json = events.Where(e => e.Type is not null and not "progress_state" and not "status").ToList();
        Assert.Equal(["execution_start", "execution_cached", "executed", "execution_success", "executing"], Types(json));
        Assert.Equal(["3", "4", "5", "6", "7", "8", "9"], json[1].Data!["nodes"]!.AsArray().Select(n => n!.GetValue<string>()));
        var firstOutputs = (await _standIn.HistoryEntryAsync(first))["outputs"]!["9"]!.ToJsonString();
        Assert.Equal(firstOutputs, json[2].Data!["output"]!.ToJsonString());
        Assert.Equal(firstOutputs, (await _standIn.HistoryEntryAsync(second))["outputs"]!["9"]!.ToJsonString());
        Assert.Equal(filesBefore, Directory.GetFiles(Path.Combine(_standIn.DataDirectory, "output")));
    }

    [Fact]
    public async Task Free_WithFreeMemory_ClearsCacheSoIdenticalGraphRunsAgain()
    {
        await using var ws = await _standIn.ConnectAsync("free");
        var graph = StandInHarness.Txt2Img(steps: 1);
        var first = await _standIn.QueueAsync(graph, "free");
        await ws.UntilDoneAsync(first);

        var (status, _) = await _standIn.PostJsonAsync("/free", new JsonObject { ["free_memory"] = true });
        var second = await _standIn.QueueAsync(graph, "free");
        var events = await ws.UntilDoneAsync(second);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(events.Single(e => e.Type == "execution_cached").Data!["nodes"]!.AsArray());
        Assert.Equal("ComfyUI_00002_.png", (await _standIn.HistoryEntryAsync(second))["outputs"]!["9"]!["images"]![0]!["filename"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ImageScale", 100, 75)]
    [InlineData("LatentUpscaleBy", 96, 72)]
    public async Task Prompt_ScalingNode_ChangesTheSavedImageSize(string scaler, int width, int height)
    {
        await using var ws = await _standIn.ConnectAsync("scale");
        var graph = StandInHarness.Txt2Img(steps: 1);
        if (scaler == "ImageScale")
        {
            graph["30"] = new JsonObject { ["class_type"] = "ImageScale", ["inputs"] = new JsonObject { ["image"] = new JsonArray("8", 0), ["upscale_method"] = "bilinear", ["width"] = 100, ["height"] = 0, ["crop"] = "disabled" } };
            graph["9"]!["inputs"]!["images"] = new JsonArray("30", 0);
        }
        else
        {
            graph["30"] = new JsonObject { ["class_type"] = "LatentUpscaleBy", ["inputs"] = new JsonObject { ["samples"] = new JsonArray("3", 0), ["upscale_method"] = "bilinear", ["scale_by"] = 1.5 } };
            graph["8"]!["inputs"]!["samples"] = new JsonArray("30", 0);
        }

        var id = await _standIn.QueueAsync(graph, "scale");
        await ws.UntilDoneAsync(id);

        var info = Image.Identify(await ReadOutputAsync(id));
        Assert.Equal((width, height), (info.Width, info.Height));
    }

    [Fact]
    public async Task Prompt_ChangedSeed_RunsSamplerAgainWithDifferentPixels()
    {
        await using var ws = await _standIn.ConnectAsync("seeds");
        var a = await _standIn.QueueAsync(StandInHarness.Txt2Img(seed: 1), "seeds");
        await ws.UntilDoneAsync(a);

        var b = await _standIn.QueueAsync(StandInHarness.Txt2Img(seed: 2), "seeds");
        var events = await ws.UntilDoneAsync(b);

        var cached = events.Single(e => e.Type == "execution_cached").Data!["nodes"]!.AsArray().Select(n => n!.GetValue<string>());
        Assert.Equal(["4", "5", "6", "7"], cached);
        var fileA = await ReadOutputAsync(a);
        var fileB = await ReadOutputAsync(b);
        Assert.NotEqual(fileA, fileB);
    }

    [Fact]
    public async Task Interrupt_TargetedAtOtherThenRunningPrompt_OnlyTheRunningOneIsInterrupted()
    {
        _standIn.Server.Faults.StepTime = TimeSpan.FromMilliseconds(20);
        await using var ws = await _standIn.ConnectAsync("int");
        var running = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 10_000), "int");
        var pending = await _standIn.QueueAsync(StandInHarness.Txt2Img(seed: 3), "int");
        await ws.UntilAsync(e => e.Type == "progress" && e.Data!["value"]!.GetValue<int>() == 1);

        await _standIn.PostJsonAsync("/interrupt", new JsonObject { ["prompt_id"] = pending });
        var afterWrongTarget = await ws.UntilAsync(e => e.Type == "progress" && e.Data!["value"]!.GetValue<int>() == 3);
        await _standIn.PostJsonAsync("/interrupt", new JsonObject { ["prompt_id"] = running });
        var events = await ws.UntilDoneAsync(running);
        _standIn.Server.Faults.StepTime = null;
        await ws.UntilDoneAsync(pending);

        Assert.DoesNotContain(afterWrongTarget, e => e.Type == "execution_interrupted");
        var interrupted = events.Single(e => e.Type == "execution_interrupted").Data!;
        Assert.Equal("3", interrupted["node_id"]!.GetValue<string>());
        Assert.Equal("KSampler", interrupted["node_type"]!.GetValue<string>());
        Assert.Equal(["4", "5", "6", "7"], interrupted["executed"]!.AsArray().Select(x => x!.GetValue<string>()).Order());
        var entry = await _standIn.HistoryEntryAsync(running);
        Assert.Equal("error", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.False(entry["status"]!["completed"]!.GetValue<bool>());
        Assert.Equal("execution_interrupted", entry["status"]!["messages"]!.AsArray()[^1]![0]!.GetValue<string>());
        Assert.Equal("success", (await _standIn.HistoryEntryAsync(pending))["status"]!["status_str"]!.GetValue<string>());
    }

    [Fact]
    public async Task Interrupt_GlobalDuringSampling_StopsAtNextStep()
    {
        _standIn.Server.Faults.StepTime = TimeSpan.FromMilliseconds(20);
        await using var ws = await _standIn.ConnectAsync("global");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 10_000), "global");
        await ws.UntilAsync(e => e.Type == "progress" && e.Data!["value"]!.GetValue<int>() == 2);

        using var empty = new StringContent(string.Empty);
        using var response = await _standIn.Http.PostAsync(new Uri("/api/interrupt", UriKind.Relative), empty);
        var events = await ws.UntilDoneAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Contains(events, e => e.Type == "execution_interrupted");
        Assert.DoesNotContain(events, e => e.Type == "execution_success");
        Assert.True(events.Where(e => e.Type == "progress").Select(e => e.Data!["value"]!.GetValue<int>()).DefaultIfEmpty(2).Max() < 10_000);
    }

    [Fact]
    public async Task Queue_FrontAndNumber_RunBeforeNormalItemsInPriorityOrder()
    {
        _standIn.Server.Faults.HangAtNode = "blocker";
        await using var ws = await _standIn.ConnectAsync("prio");
        var graph = StandInHarness.Txt2Img(steps: 1);
        var blocker = graph.DeepClone().AsObject();
        blocker["blocker"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("8", 0) } };
        var first = await _standIn.QueueAsync(blocker, "prio");
        await ws.UntilAsync(e => e.Type == "executing" && e.Data!["node"]?.GetValue<string>() == "blocker");

        var normal = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 11), "prio");
        var front = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 12), "prio", b => b["front"] = true);
        var (_, numbered) = await _standIn.PostPromptAsync(StandInHarness.Txt2Img(steps: 1, seed: 13), "prio", b => b["number"] = -100);
        var pending = (await _standIn.GetJsonAsync("/queue"))["queue_pending"]!.AsArray().Select(i => i![1]!.GetValue<string>()).ToList();
        _standIn.Server.Faults.HangAtNode = null;
        await _standIn.PostJsonAsync("/interrupt", new JsonObject());
        var events = await ws.UntilDoneAsync(normal);

        var numberedId = numbered!["prompt_id"]!.GetValue<string>();
        Assert.Equal("-100.0", numbered["number"]!.ToJsonString());
        Assert.Equal([numberedId, front, normal], pending);
        var starts = events.Where(e => e.Type == "execution_start").Select(e => e.PromptId).ToList();
        Assert.Equal([numberedId, front, normal], starts);
        Assert.Contains(events, e => e.Type == "execution_interrupted" && e.PromptId == first);
    }

    [Fact]
    public async Task QueueDelete_PendingPrompt_NeverRuns()
    {
        _standIn.Server.Faults.HangAtNode = "KSampler";
        await using var ws = await _standIn.ConnectAsync("del");
        var running = await _standIn.QueueAsync(StandInHarness.Txt2Img(), "del");
        await ws.UntilAsync(e => e.Type == "execution_start" && e.PromptId == running);
        var doomed = await _standIn.QueueAsync(StandInHarness.Txt2Img(seed: 9), "del");
        var queue = await _standIn.GetJsonAsync("/queue");
        Assert.Equal(doomed, queue["queue_pending"]![0]![1]!.GetValue<string>());

        var (status, body) = await _standIn.PostJsonAsync("/queue", new JsonObject { ["delete"] = new JsonArray(doomed) });
        var after = await _standIn.GetJsonAsync("/queue");
        await _standIn.PostJsonAsync("/interrupt", new JsonObject());
        _standIn.Server.Faults.HangAtNode = null;
        await ws.UntilDoneAsync(running);
        var marker = await _standIn.QueueAsync(StandInHarness.Txt2Img(seed: 10), "del");
        var events = await ws.UntilDoneAsync(marker);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body);
        Assert.Empty(after["queue_pending"]!.AsArray());
        Assert.Single(after["queue_running"]!.AsArray());
        Assert.DoesNotContain(events, e => e.PromptId == doomed);
        Assert.Empty((await _standIn.GetJsonAsync("/history/" + doomed)).AsObject());
    }

    [Fact]
    public async Task FinishOnHistoryRead_HangingPrompt_FinishesBeforeTheStaleAnswerLeaves()
    {
        _standIn.Server.Faults.HangAtNode = "KSampler";
        _standIn.Server.Faults.FinishOnHistoryRead = true;
        await using var ws = await _standIn.ConnectAsync("race");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "race");
        await ws.UntilAsync(e => e.Type == "executing" && e.Data?["node"]?.GetValue<string>() == "3" && e.PromptId == id);

        var atRead = await _standIn.GetJsonAsync("/history/" + id);
        var queue = await _standIn.GetJsonAsync("/queue");
        var entry = await _standIn.GetJsonAsync("/history/" + id);

        Assert.Empty(atRead.AsObject()); // as it was when the read arrived
        Assert.Empty(queue["queue_running"]!.AsArray()); // yet it finished before that answer left
        Assert.Empty(queue["queue_pending"]!.AsArray());
        Assert.Equal("success", entry[id]!["status"]!["status_str"]!.GetValue<string>());
        Assert.False(_standIn.Server.Faults.FinishOnHistoryRead); // fires once
        Assert.Null(_standIn.Server.Faults.HangAtNode);
    }

    [Fact]
    public async Task Prompt_FailAtNode_SendsExecutionErrorAndRecordsError()
    {
        _standIn.Server.Faults.FailAtNode = "8";
        await using var ws = await _standIn.ConnectAsync("fail");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "fail");
        var events = await ws.UntilDoneAsync(id);

        var error = events.Single(e => e.Type == "execution_error").Data!;
        Assert.Equal(id, error["prompt_id"]!.GetValue<string>());
        Assert.Equal("8", error["node_id"]!.GetValue<string>());
        Assert.Equal("VAEDecode", error["node_type"]!.GetValue<string>());
        Assert.Equal("RuntimeError", error["exception_type"]!.GetValue<string>());
        Assert.Equal("Stand-in fault injected at node 8", error["exception_message"]!.GetValue<string>());
        Assert.Contains("3", error["executed"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.IsType<JsonArray>(error["traceback"]);
        Assert.IsType<JsonObject>(error["current_inputs"]);
        Assert.IsType<JsonArray>(error["current_outputs"]);
        Assert.True(error["timestamp"]!.GetValue<long>() > 0);
        Assert.DoesNotContain(events, e => e.Type is "execution_success" or "executed");
        var order = Types(events.Where(e => e.Type is "execution_error" or "status" or "executing").TakeLast(3));
        Assert.Equal(["execution_error", "status", "executing"], order);
        var entry = await _standIn.HistoryEntryAsync(id);
        Assert.Equal("error", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal("execution_error", entry["status"]!["messages"]!.AsArray()[^1]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Prompt_HangAtNodeThenInterrupt_EndsInterrupted()
    {
        _standIn.Server.Faults.HangAtNode = "VAEDecode";
        await using var ws = await _standIn.ConnectAsync("hang");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "hang");
        await ws.UntilAsync(e => e.Type == "executing" && e.Data!["node"]?.GetValue<string>() == "8");

        await _standIn.PostJsonAsync("/interrupt", new JsonObject { ["prompt_id"] = id });
        var events = await ws.UntilDoneAsync(id);

        Assert.Equal("8", events.Single(e => e.Type == "execution_interrupted").Data!["node_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prompt_SocketsDroppedMidRun_PromptStillFinishes()
    {
        _standIn.Server.Faults.DropSocketsAtStep = 2;
        var ws = await _standIn.ConnectAsync("drop");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 4), "drop");

        await ws.Closed;
        var beforeDrop = ws.Drain();
        await ws.DisposeAsync();
        // A fresh sid: like ComfyUI, the server forgets a sid when its old socket's handler ends, which can come after
        // a reconnect under the same sid and would silence the new socket.
        await using var again = await _standIn.ConnectAsync("drop-again");
        var marker = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 5), "drop-again");
        await again.UntilDoneAsync(marker);
        var history = await _standIn.HistoryEntryAsync(id);

        Assert.Null(_standIn.Server.Faults.DropSocketsAtStep);
        Assert.DoesNotContain(beforeDrop, e => e.Type == "progress" && e.Data!["value"]!.GetValue<int>() > 2);
        Assert.DoesNotContain(beforeDrop, e => e.IsDone(id));
        Assert.Equal("success", history["status"]!["status_str"]!.GetValue<string>());
        Assert.Single(history["outputs"]!["9"]!["images"]!.AsArray());
    }

    [Fact]
    public async Task Connect_OwnerReconnectsWhileRunning_GetsCourtesyExecutingWithoutPromptId()
    {
        _standIn.Server.Faults.HangAtNode = "KSampler";
        var first = await _standIn.ConnectAsync("again");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(), "again");
        await first.UntilAsync(e => e.Type == "executing" && e.Data!["node"]?.GetValue<string>() == "3");
        await first.CloseAsync();
        await first.DisposeAsync();

        await using var second = await _standIn.ConnectAsync("again");
        var courtesy = await second.NextAsync();
        await _standIn.PostJsonAsync("/interrupt", new JsonObject());
        await second.UntilDoneAsync(id);

        Assert.Equal("executing", courtesy.Type);
        Assert.Equal("3", courtesy.Data!["node"]!.GetValue<string>());
        Assert.False(courtesy.Data.ContainsKey("prompt_id"));
        Assert.False(courtesy.Data.ContainsKey("display_node"));
    }

    [Fact]
    public async Task Connect_SameClientIdTwiceThenOldCloses_NewSocketLosesRouting()
    {
        var old = await _standIn.ConnectAsync("reused");
        await using var fresh = await _standIn.ConnectAsync("reused");
        await old.CloseAsync();
        await old.DisposeAsync();
        await using var observer = await _standIn.ConnectAsync("observer");

        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "reused");
        var marker = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 77), "observer");
        await observer.UntilDoneAsync(marker);
        await fresh.CloseAsync();

        Assert.Equal("success", (await _standIn.HistoryEntryAsync(id))["status"]!["status_str"]!.GetValue<string>());
        Assert.Empty(fresh.Drain());
    }

    [Fact]
    public async Task Stop_ThenStartOnSamePort_RefusesThenForgetsHistoryButKeepsFiles()
    {
        await using var ws = await _standIn.ConnectAsync("restart");
        var id = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "restart");
        await ws.UntilDoneAsync(id);
        var image = (await _standIn.HistoryEntryAsync(id))["outputs"]!["9"]!["images"]![0]!;
        var port = _standIn.Server.BaseAddress.Port;
        var preview = Path.Combine(_standIn.DataDirectory, "temp", "left-over.png");
        await File.WriteAllBytesAsync(preview, ValidationTests.TinyPng());

        await _standIn.Server.StopAsync();
        using var client = new TcpClient();
        var refused = await Assert.ThrowsAsync<SocketException>(() => client.ConnectAsync(IPAddress.Loopback, port));
        await _standIn.RestartAsync();

        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        Assert.Equal(port, _standIn.Server.BaseAddress.Port);
        Assert.Empty((await _standIn.GetJsonAsync("/history")).AsObject());
        Assert.Empty((await _standIn.GetJsonAsync("/queue"))["queue_pending"]!.AsArray());
        Assert.False(File.Exists(preview));
        using var view = await _standIn.Http.GetAsync(new Uri($"/view?filename={image["filename"]}&type=output&subfolder=", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        Assert.Equal("image/png", view.Content.Headers.ContentType!.MediaType);
    }

    private async Task<byte[]> ReadOutputAsync(string id)
    {
        var image = (await _standIn.HistoryEntryAsync(id))["outputs"]!["9"]!["images"]![0]!;
        return await _standIn.Http.GetByteArrayAsync(new Uri($"/view?filename={image["filename"]}&type=output", UriKind.Relative));
    }
}
