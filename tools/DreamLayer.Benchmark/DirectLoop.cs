using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Benchmark;

/// <summary>
/// The least any ComfyUI client does per job, without DreamLayer: POST /prompt, wait on the WebSocket for
/// <c>executing</c> with <c>node: null</c>, then GET /view of the saved image.
/// </summary>
internal sealed class DirectLoop : IAsyncDisposable
{
    private readonly BenchmarkSettings _settings;
    private readonly WorkflowTemplate _template = new WorkflowLibrary(WorkflowLibrary.DefaultDirectory).Get(GenerationMode.Txt2Img);
    private readonly HttpClient _http;
    private readonly ComfySocket _socket;

    private DirectLoop(BenchmarkSettings settings, HttpClient http, ComfySocket socket)
    {
        _settings = settings;
        _http = http;
        _socket = socket;
    }

    /// <param name="token">
    /// A DreamLayer personal token, for the app's ComfyUI-compatible face (<c>{app}/comfy/</c>): sent as a bearer header,
    /// and in the WebSocket's address as <c>?token=</c>; null for a ComfyUI server.
    /// </param>
    public static async Task<DirectLoop> ConnectAsync(BenchmarkSettings settings, Uri standIn, CancellationToken ct, string? token = null)
    {
        var http = new HttpClient { BaseAddress = standIn };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }
        try
        {
            var clientId = Guid.NewGuid().ToString("N");
            return new DirectLoop(settings, http, await ComfySocket.ConnectAsync(standIn, clientId, ct, token));
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="count"/> jobs one after another to warm the server up (seeds of their own).</summary>
    public async Task WarmUpAsync(int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            await RunJobAsync(Workload.WarmUpSeed(i), ct);
        }
    }

    /// <summary>One job, from building its graph to holding the image's bytes, in ms.</summary>
    public async Task<double> RunJobAsync(ulong seed, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var graph = WorkflowBuilder.Build(_template, Workload.Request(_settings.ImageSize, seed), seed, "DreamLayer/bench/dl");
        var promptId = Guid.NewGuid().ToString();
        var finished = _socket.Expect(promptId);
        var body = new JsonObject { ["prompt"] = graph.ToJson(), ["client_id"] = _socket.ClientId, ["prompt_id"] = promptId };
        using (var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"))
        using (var response = await _http.PostAsync(new Uri("prompt", UriKind.Relative), content, ct))
        {
            response.EnsureSuccessStatusCode();
        }
        var image = await finished.WaitAsync(Workload.JobTimeout, ct);
        var query = $"view?filename={Uri.EscapeDataString(image.FileName)}&subfolder={Uri.EscapeDataString(image.Subfolder)}&type={Uri.EscapeDataString(image.Type)}";
        var bytes = await _http.GetByteArrayAsync(new Uri(query, UriKind.Relative), ct);
        if (bytes.Length == 0)
        {
            throw new InvalidDataException($"/view returned nothing for {image.FileName}.");
        }
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        await _socket.DisposeAsync();
        _http.Dispose();
    }
}

internal sealed record ImageRef(string FileName, string Subfolder, string Type);

/// <summary>A ComfyUI WebSocket that reports, per prompt id, the image of its last <c>executed</c> event when the prompt is done.</summary>
internal sealed class ComfySocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Task _receiving;

    private ComfySocket(ClientWebSocket socket, string clientId)
    {
        _socket = socket;
        ClientId = clientId;
        _receiving = Task.Run(() => ReceiveAsync(_stopping.Token));
    }

    public static async Task<ComfySocket> ConnectAsync(Uri baseAddress, string clientId, CancellationToken ct, string? token = null)
    {
        var socket = new ClientWebSocket();
        try
        {
            var query = "ws?clientId=" + clientId + (token is null ? string.Empty : "&token=" + Uri.EscapeDataString(token));
            var uri = new UriBuilder(new Uri(baseAddress, query)) { Scheme = baseAddress.Scheme == "https" ? "wss" : "ws" }.Uri;
            await socket.ConnectAsync(uri, ct);
            return new ComfySocket(socket, clientId);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public string ClientId { get; }

    /// <summary>Call before sending the prompt: the events can arrive before the HTTP reply.</summary>
    public Task<ImageRef> Expect(string promptId)
    {
        var pending = new Pending();
        _pending[promptId] = pending;
        return pending.Done.Task;
    }

    private async Task ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    Handle(message.GetBuffer().AsMemory(0, (int)message.Length));
                }
                message.SetLength(0); // binary frames are previews: not needed here
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Closing.
        }
        foreach (var pending in _pending.Values)
        {
            pending.Done.TrySetException(new WebSocketException("The ComfyUI WebSocket closed."));
        }
    }

    private void Handle(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (!root.TryGetProperty("data", out var data) || !data.TryGetProperty("prompt_id", out var idElement)
            || idElement.GetString() is not { } promptId || !_pending.TryGetValue(promptId, out var pending))
        {
            return;
        }
        switch (root.GetProperty("type").GetString())
        {
            case "executed" when data.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Object
                                 && output.TryGetProperty("images", out var images) && images.GetArrayLength() > 0:
                var first = images[0];
                pending.Image = new ImageRef(
                    first.GetProperty("filename").GetString() ?? string.Empty,
                    first.TryGetProperty("subfolder", out var sub) ? sub.GetString() ?? string.Empty : string.Empty,
                    first.TryGetProperty("type", out var type) ? type.GetString() ?? "output" : "output");
                break;
            case "executing" when data.TryGetProperty("node", out var node) && node.ValueKind == JsonValueKind.Null:
                _pending.TryRemove(promptId, out _);
                if (pending.Image is { } image)
                {
                    pending.Done.TrySetResult(image);
                }
                else
                {
                    pending.Done.TrySetException(new InvalidDataException($"Prompt {promptId} finished without an image."));
                }
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _receiving;
        }
        finally
        {
            _socket.Dispose();
            _stopping.Dispose();
        }
    }

    private sealed class Pending
    {
        public TaskCompletionSource<ImageRef> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ImageRef? Image { get; set; }
    }
}
