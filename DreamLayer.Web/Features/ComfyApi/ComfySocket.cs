using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// One WebSocket of the face (<c>/comfy/ws?clientId=…</c>). Publishers only queue: JSON events in a bounded queue
/// (<see cref="MaxQueued"/>; a client that lets it fill is too far behind to follow and is closed, its prompts go on),
/// and preview frames latest-wins: the socket remembers only which job has a new frame, and its send loop sends the
/// newest frame <see cref="JobEvents"/> keeps when its turn comes, as ComfyUI's binary type 1 (format 1 JPEG, 2 PNG).
/// </summary>
internal sealed class ComfySocket(WebSocket socket, string owner, string sid, JobEvents events) : IDisposable
{
    /// <summary>JSON events waiting to be sent to one socket at most (a prompt sends a few per step).</summary>
    public const int MaxQueued = 1024;

    private readonly Channel<JsonObject> _messages = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(MaxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Guid? _preview;
    private string? _endedBecause;

    public string Owner { get; } = owner;

    /// <summary>The session id: the <c>clientId</c> it was opened with, or one made for it.</summary>
    public string Sid { get; } = sid;

    /// <summary>Queues a JSON event; a socket whose queue is full is closed.</summary>
    public void Send(JsonObject message)
    {
        if (!_messages.Writer.TryWrite(message))
        {
            Stop();
            return;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Closes the socket, telling the client <paramref name="reason"/> (its sign-in is no longer good).</summary>
    public void End(string reason)
    {
        _endedBecause = reason;
        Stop();
    }

    /// <summary>Notes that <paramref name="jobId"/> has a new preview frame (replacing any frame not yet sent).</summary>
    public void OfferPreview(Guid jobId)
    {
        lock (_lock)
        {
            _preview = jobId;
        }
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Sends until the client closes, the app stops, or the client falls too far behind.</summary>
    public async Task RunAsync(JsonObject first, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        var token = linked.Token;
        // The receive has its own stop: cancelling a pending receive aborts the socket, and the close frame saying why
        // must go out first.
        using var receiveStop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var receiving = ReceiveAsync(receiveStop.Token);
        try
        {
            await SendTextAsync(first, token);
            while (await _wake.Reader.WaitToReadAsync(token))
            {
                _wake.Reader.TryRead(out _);
                while (_messages.Reader.TryRead(out var message))
                {
                    await SendTextAsync(message, token);
                }
                Guid? preview;
                lock (_lock)
                {
                    (preview, _preview) = (_preview, null);
                }
                if (preview is { } jobId && events.TryGetPreview(jobId, out var frame))
                {
                    await SendPreviewAsync(frame, token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // The client went away, the app stops, or the client did not keep up.
        }
        finally
        {
            await _stop.CancelAsync();
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                var (status, reason) = socket.State == WebSocketState.CloseReceived ? (WebSocketCloseStatus.NormalClosure, "Closed by the client.")
                    : ct.IsCancellationRequested ? (WebSocketCloseStatus.EndpointUnavailable, "The server is stopping.")
                    : (WebSocketCloseStatus.PolicyViolation, _endedBecause ?? "The client did not read its events.");
                using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.CloseOutputAsync(status, reason, closing.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
                {
                    // Closed meanwhile.
                }
            }
            // A client answers the close, which ends the receive; one that does not is cut off.
            receiveStop.CancelAfter(TimeSpan.FromSeconds(2));
            await receiving;
        }
    }

    public void Dispose() => _stop.Dispose();

    private void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private Task SendTextAsync(JsonObject message, CancellationToken ct) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, ct);

    private async Task SendPreviewAsync(PreviewFrame frame, CancellationToken ct)
    {
        var bytes = new byte[8 + frame.Image.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 1);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), frame.MediaType == "image/png" ? 2u : 1u);
        frame.Image.Span.CopyTo(bytes.AsSpan(8));
        await socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage: true, ct);
    }

    /// <summary>
    /// Reads what the client sends: its first <c>feature_flags</c> message is answered (previews stay type 1, which
    /// every client reads), everything else is ignored, as ComfyUI does; a close ends the socket.
    /// </summary>
    private async Task ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[4096];
        var first = true;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, ct);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                if (first && result.MessageType == WebSocketMessageType.Text && result.EndOfMessage
                    && System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count).Contains("\"feature_flags\"", StringComparison.Ordinal))
                {
                    Send(new JsonObject
                    {
                        ["type"] = "feature_flags",
                        ["data"] = new JsonObject { ["supports_preview_metadata"] = false },
                    });
                }
                first = first && !result.EndOfMessage;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Gone.
        }
        await _stop.CancelAsync();
    }
}
