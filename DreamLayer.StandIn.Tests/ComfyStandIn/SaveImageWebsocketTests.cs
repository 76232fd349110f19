using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>
/// ComfyUI's <c>SaveImageWebsocket</c> (custom_nodes/websocket_image_save.py) as the stand-in runs it: no file, nothing in
/// the history, each image a full-size PNG frame through the progress hook, only to the prompt's client.
/// </summary>
public sealed class SaveImageWebsocketTests : IAsyncLifetime
{
    /// <summary>The id ComfyUI's own script_examples/websockets_api_example_ws_images.py gives the node.</summary>
    internal const string NodeId = "save_image_websocket_node";

    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync();

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    /// <summary>The default txt2img graph with its Save Image replaced by SaveImageWebsocket.</summary>
    internal static JsonObject Graph(int batch = 2, long seed = 8566257)
    {
        var graph = StandInHarness.Txt2Img(steps: 2, seed: seed);
        graph["5"]!["inputs"]!["batch_size"] = batch;
        graph.Remove("9");
        graph[NodeId] = new JsonObject { ["class_type"] = "SaveImageWebsocket", ["inputs"] = new JsonObject { ["images"] = new JsonArray("8", 0) } };
        return graph;
    }

    private static bool IsPngFrame(WsMessage m) => m.Binary is { Length: > 8 } b && BinaryPrimitives.ReadUInt32BigEndian(b) == 1 && BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(4)) == 2;

    [Fact]
    public async Task Run_Legacy_SendsEachImageAsType1PngWhileTheNodeRunsAndOnlyToItsClient()
    {
        await using var owner = await _standIn.ConnectAsync("ws-owner");
        await using var other = await _standIn.ConnectAsync("ws-other");

        var id = await _standIn.QueueAsync(Graph(batch: 2), "ws-owner");
        var events = await owner.UntilDoneAsync(id);
        var files = Directory.EnumerateFiles(_standIn.DataDirectory, "*", SearchOption.AllDirectories).ToList();
        var marker = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: 5), "ws-other");
        var seenByOther = await other.UntilDoneAsync(marker);

        // Between `executing` of the node and the next `executing` (here the final null): progress i of 2, then the PNG.
        var start = events.FindIndex(e => e.Type == "executing" && e.Data!["node"]?.GetValue<string>() == NodeId);
        var end = events.FindIndex(start + 1, e => e.Type == "executing");
        Assert.True(start > 0 && end > start);
        var frames = events.Where(IsPngFrame).ToList();
        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.InRange(events.IndexOf(f), start + 1, end - 1));
        for (var i = 0; i < frames.Count; i++)
        {
            var progress = events[events.IndexOf(frames[i]) - 1];
            Assert.Equal("progress", progress.Type);
            Assert.Equal((i, 2, NodeId), (progress.Data!["value"]!.GetValue<int>(), progress.Data["max"]!.GetValue<int>(), progress.Data["node"]!.GetValue<string>()));
            var png = frames[i].Binary.AsSpan(8);
            Assert.Equal("PNG", Image.DetectFormat(png).Name);
            var info = Image.Identify(png.ToArray());
            Assert.Equal((64, 48), (info.Width, info.Height)); // full size, not a 512 preview
            Assert.Empty(info.Metadata.GetPngMetadata().TextData); // "no metadata will be put in the images"
        }
        Assert.NotEqual(frames[0].Binary, frames[1].Binary);
        // The sampler's previews are type 1 too, but JPEG (format 1) and while the KSampler runs.
        Assert.Equal(2, events.Count(e => e.Binary is not null && !IsPngFrame(e)));

        // Nothing else: no `executed`, no history output, no file; nobody else got a frame.
        Assert.DoesNotContain(events, e => e.Type == "executed");
        var entry = await _standIn.HistoryEntryAsync(id);
        Assert.Empty(entry["outputs"]!.AsObject());
        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Empty(files); // not in output/, temp/ or anywhere else
        Assert.DoesNotContain(seenByOther, e => e.Binary is not null && IsPngFrame(e));
        Assert.DoesNotContain(seenByOther, e => e.PromptId == id);
    }

    [Fact]
    public async Task Run_Negotiated_SendsType4PngWithTheNodeInsteadOfType1()
    {
        await using var owner = await _standIn.ConnectAsync("ws-meta", negotiate: true);

        var id = await _standIn.QueueAsync(Graph(batch: 1), "ws-meta");
        var events = await owner.UntilDoneAsync(id);

        var frames = events.Where(e => e.Binary is not null).Select(e => (Message: e, Meta: Meta(e.Binary!))).ToList();
        var saved = Assert.Single(frames, f => f.Meta["image_type"]!.GetValue<string>() == "image/png");
        Assert.Equal((NodeId, NodeId, id), (saved.Meta["node_id"]!.GetValue<string>(), saved.Meta["display_node_id"]!.GetValue<string>(), saved.Meta["prompt_id"]!.GetValue<string>()));
        var index = events.IndexOf(saved.Message);
        Assert.Equal("progress_state", events[index - 1].Type);
        Assert.Equal("progress", events[index + 1].Type);
        Assert.DoesNotContain(events, IsPngFrame);
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(saved.Message.Binary.AsSpan(4));
        Assert.Equal(64, Image.Identify(saved.Message.Binary.AsSpan(8 + length).ToArray()).Width);
    }

    [Fact]
    public async Task Run_WithoutClientId_BroadcastsTheFramesAsComfyUiDoes()
    {
        await using var watcher = await _standIn.ConnectAsync("watcher");

        var id = await _standIn.QueueAsync(Graph(batch: 1));
        var events = await watcher.UntilAsync(e => e.Type == "status" && e.Data!["status"]!["exec_info"]!["queue_remaining"]!.GetValue<int>() == 0);

        Assert.Single(events, IsPngFrame);
        Assert.Empty((await _standIn.HistoryEntryAsync(id))["outputs"]!.AsObject());
    }

    [Fact]
    public async Task Run_SameGraphTwice_TheNodeIsNeverCachedAndSendsAgain()
    {
        await using var owner = await _standIn.ConnectAsync("ws-again");

        var first = await _standIn.QueueAsync(Graph(batch: 1), "ws-again");
        var firstEvents = await owner.UntilDoneAsync(first);
        var second = await _standIn.QueueAsync(Graph(batch: 1), "ws-again");
        var secondEvents = await owner.UntilDoneAsync(second);

        var cached = secondEvents.Single(e => e.Type == "execution_cached").Data!["nodes"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("8", cached);
        Assert.DoesNotContain(NodeId, cached);
        Assert.Equal(firstEvents.Single(IsPngFrame).Binary, secondEvents.Single(IsPngFrame).Binary);
    }

    [Fact]
    public async Task DropSocketsAtImage_AbortsAfterThatImageAndThePromptFinishes()
    {
        await using var owner = await _standIn.ConnectAsync("ws-drop");
        _standIn.Server.Faults.DropSocketsAtImage = 1;

        var id = await _standIn.QueueAsync(Graph(batch: 3), "ws-drop");
        await owner.Closed;
        var received = owner.Drain();

        // Aborted after the first image was queued for it, before the end. A reset connection may lose whatever was still
        // in flight, the node's `executing` among it, so only what cannot have been sent yet is asserted: no second image,
        // no end; the fault was taken at the image (it is cleared).
        Assert.InRange(received.Count(IsPngFrame), 0, 1);
        Assert.DoesNotContain(received, e => e.IsDone(id));
        Assert.Null(_standIn.Server.Faults.DropSocketsAtImage);
        var entry = await WaitForHistoryAsync(id);
        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
    }

    private async Task<JsonObject> WaitForHistoryAsync(string id)
    {
        using var cts = new CancellationTokenSource(StandInHarness.Guard);
        while (true)
        {
            var history = await _standIn.GetJsonAsync("/history/" + id);
            if (history[id] is JsonObject entry) { return entry; }
            await Task.Delay(20, cts.Token);
        }
    }

    private static JsonNode Meta(byte[] frame)
    {
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(frame));
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(4));
        return JsonNode.Parse(Encoding.UTF8.GetString(frame, 8, length))!;
    }
}
