using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ComfyStandIn;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>A stand-in server on a free port with its own data directory, plus an HTTP client for it.</summary>
internal sealed class StandInHarness : IAsyncDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private StandInHarness(StandInServer server, StandInOptions options)
    {
        Server = server;
        Options = options;
        Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = Guard };
    }

    public StandInServer Server { get; private set; }

    public StandInOptions Options { get; }

    public HttpClient Http { get; private set; }

    public string DataDirectory => Options.DataDirectory!;

    public static async Task<StandInHarness> StartAsync(Action<StandInOptions>? configure = null)
    {
        var options = new StandInOptions
        {
            Port = 0,
            ObjectInfoPath = TestPaths.ObjectInfoJson,
            StepTime = TimeSpan.FromMilliseconds(5),
            DataDirectory = Path.Combine(Path.GetTempPath(), "standin-tests-" + Guid.NewGuid().ToString("N")),
        };
        configure?.Invoke(options);
        return new StandInHarness(await StandInServer.StartAsync(options), options);
    }

    /// <summary>Stops the server and starts a new one on the same port and data directory.</summary>
    public async Task RestartAsync()
    {
        await Server.StopAsync();
        await Server.DisposeAsync();
        Http.Dispose();
        Options.Port = Server.BaseAddress.Port;
        Server = await StandInServer.StartAsync(Options);
        Http = new HttpClient { BaseAddress = Server.BaseAddress, Timeout = Guard };
    }

    public static JsonObject Txt2Img(int steps = 3, long seed = 8566257, string text = "a red fox")
    {
        var graph = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", "comfyui_default_txt2img_api.json")))!.AsObject();
        graph["3"]!["inputs"]!["steps"] = steps;
        graph["3"]!["inputs"]!["seed"] = seed;
        graph["5"]!["inputs"]!["width"] = 64;
        graph["5"]!["inputs"]!["height"] = 48;
        graph["6"]!["inputs"]!["text"] = text;
        return graph;
    }

    public async Task<(HttpStatusCode Status, JsonObject? Body)> PostPromptAsync(JsonObject prompt, string? clientId = null, Action<JsonObject>? extend = null)
    {
        var body = new JsonObject { ["prompt"] = prompt.DeepClone() };
        if (clientId is not null) { body["client_id"] = clientId; }
        extend?.Invoke(body);
        return await PostJsonAsync("/prompt", body);
    }

    public async Task<(HttpStatusCode Status, JsonObject? Body)> PostJsonAsync(string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await Http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    public async Task<string> QueueAsync(JsonObject prompt, string? clientId = null, Action<JsonObject>? extend = null)
    {
        var (status, body) = await PostPromptAsync(prompt, clientId, extend);
        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
        return body!["prompt_id"]!.GetValue<string>();
    }

    public async Task<JsonNode> GetJsonAsync(string path) =>
        JsonNode.Parse(await Http.GetStringAsync(new Uri(path, UriKind.Relative)))!;

    public async Task<JsonObject> HistoryEntryAsync(string promptId) =>
        (await GetJsonAsync("/history/" + promptId))[promptId]!.AsObject();

    public Task<ComfyWs> ConnectAsync(string? clientId, bool negotiate = false) => ComfyWs.ConnectAsync(Server.BaseAddress, clientId, negotiate);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort clean-up of the temporary data directory.
        }
    }
}

/// <summary>One WebSocket message: a JSON event or a binary frame.</summary>
internal sealed record WsMessage(string? Type, JsonObject? Data, byte[]? Binary)
{
    public string? PromptId => Data?["prompt_id"]?.GetValue<string>();

    public bool IsDone(string promptId) => Type == "executing" && Data!.ContainsKey("node") && Data["node"] is null && PromptId == promptId;

    public override string ToString() => Type ?? $"binary[{Binary![3]}]";
}

/// <summary>A test WebSocket client that queues every received message for inspection.</summary>
internal sealed class ComfyWs : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly Channel<WsMessage> _messages = Channel.CreateUnbounded<WsMessage>();
    private readonly Task _loop;

    private ComfyWs(ClientWebSocket socket)
    {
        _socket = socket;
        _loop = Task.Run(ReceiveLoopAsync);
    }

    public WebSocketState State => _socket.State;

    public static async Task<ComfyWs> ConnectAsync(Uri baseAddress, string? clientId, bool negotiate)
    {
        var socket = new ClientWebSocket();
        var uri = new Uri($"ws://{baseAddress.Authority}/ws" + (clientId is null ? string.Empty : "?clientId=" + clientId));
        using var cts = new CancellationTokenSource(StandInHarness.Guard);
        await socket.ConnectAsync(uri, cts.Token);
        if (negotiate)
        {
            var flags = Encoding.UTF8.GetBytes("{\"type\":\"feature_flags\",\"data\":{\"supports_preview_metadata\":true}}");
            await socket.SendAsync(flags, WebSocketMessageType.Text, true, cts.Token);
        }
        var ws = new ComfyWs(socket);
        var first = await ws.NextAsync();
        Assert.Equal("status", first.Type);
        if (negotiate)
        {
            Assert.Equal("feature_flags", (await ws.NextAsync()).Type);
        }
        return ws;
    }

    public async Task<WsMessage> NextAsync()
    {
        using var cts = new CancellationTokenSource(StandInHarness.Guard);
        return await _messages.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Collects messages up to and including the first that matches <paramref name="stop"/>.</summary>
    public async Task<List<WsMessage>> UntilAsync(Func<WsMessage, bool> stop)
    {
        var list = new List<WsMessage>();
        while (true)
        {
            var m = await NextAsync();
            list.Add(m);
            if (stop(m)) { return list; }
        }
    }

    public Task<List<WsMessage>> UntilDoneAsync(string promptId) => UntilAsync(m => m.IsDone(promptId));

    /// <summary>Messages already received, without waiting.</summary>
    public List<WsMessage> Drain()
    {
        var list = new List<WsMessage>();
        while (_messages.Reader.TryRead(out var m)) { list.Add(m); }
        return list;
    }

    /// <summary>Completes when the server side closes or aborts the socket.</summary>
    public Task Closed => _loop;

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(StandInHarness.Guard);
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        }
        await _loop;
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close) { break; }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) { continue; }
                var bytes = message.ToArray();
                message.SetLength(0);
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    _messages.Writer.TryWrite(new WsMessage(null, null, bytes));
                }
                else
                {
                    var json = JsonNode.Parse(bytes)!.AsObject();
                    _messages.Writer.TryWrite(new WsMessage(json["type"]!.GetValue<string>(), json["data"] as JsonObject, null));
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server aborted the connection, or the test disposed it.
        }
        _messages.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _loop;
        _socket.Dispose();
    }
}
