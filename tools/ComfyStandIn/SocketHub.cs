using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ComfyStandIn;

/// <summary>One open WebSocket with its own ordered send queue.</summary>
internal sealed class SocketConnection(string sid, WebSocket socket)
{
    private readonly Channel<(bool Binary, byte[]? Data, Action? Sending)> _outbox = Channel.CreateUnbounded<(bool, byte[]?, Action?)>(new UnboundedChannelOptions { SingleReader = true });

    public string Sid { get; } = sid;

    public WebSocket Socket { get; } = socket;

    /// <summary>Queues a message; <paramref name="sending"/> runs as it is handed to the socket.</summary>
    public void Enqueue(bool binary, byte[] data, Action? sending = null) => _outbox.Writer.TryWrite((binary, data, sending));

    public void Complete() => _outbox.Writer.TryComplete();

    /// <summary>Aborts the socket once everything queued before it has been sent.</summary>
    public void EnqueueAbort() => _outbox.Writer.TryWrite((false, null, null));

    /// <summary>Set once the connection's cleanup ran, so it runs only once.</summary>
    public bool Unregistered { get; set; }

    public async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (binary, data, sending) in _outbox.Reader.ReadAllAsync(cancellationToken))
            {
                if (data is null)
                {
                    Socket.Abort();
                    return;
                }
                sending?.Invoke();
                await Socket.SendAsync(data, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket went away; events for it are dropped, like ComfyUI does.
        }
    }
}

/// <summary>The sid → socket routing table, with ComfyUI's quirks (sid reuse replaces; an old close removes).</summary>
internal sealed class SocketHub
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SocketConnection> _sockets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _previewMetadata = new(StringComparer.Ordinal);
    private readonly List<SocketConnection> _all = [];

    public void Register(SocketConnection connection)
    {
        lock (_lock)
        {
            _sockets[connection.Sid] = connection;
            _previewMetadata.Remove(connection.Sid);
            _all.Add(connection);
        }
    }

    public void Unregister(SocketConnection connection)
    {
        lock (_lock)
        {
            if (connection.Unregistered) { return; }
            connection.Unregistered = true;
            _all.Remove(connection);
            // Like ComfyUI: removes the sid even when a newer socket registered under it.
            _sockets.Remove(connection.Sid);
            _previewMetadata.Remove(connection.Sid);
        }
        connection.Complete();
    }

    public void SetPreviewMetadata(string sid, bool value)
    {
        lock (_lock) { _previewMetadata[sid] = value; }
    }

    public bool SupportsPreviewMetadata(string? sid)
    {
        if (sid is null) { return false; }
        lock (_lock) { return _previewMetadata.TryGetValue(sid, out var v) && v; }
    }

    /// <summary>Sends to <paramref name="sid"/>, or to every socket when it is null.</summary>
    public void Send(string? sid, string type, JsonObject data)
    {
        var json = new JsonObject { ["type"] = type, ["data"] = data };
        Deliver(sid, false, Encoding.UTF8.GetBytes(json.ToJsonString(Py.Wire)));
    }

    /// <summary>Sends a binary frame; <paramref name="sending"/> runs as it is handed to each socket.</summary>
    public void SendBinary(string? sid, byte[] frame, Action? sending = null) => Deliver(sid, true, frame, sending);

    /// <summary>Aborts every socket after what is already queued for it has gone out.</summary>
    public void DropAll()
    {
        SocketConnection[] all;
        lock (_lock) { all = [.. _all]; }
        foreach (var c in all) { c.EnqueueAbort(); }
    }

    public void AbortAll()
    {
        SocketConnection[] all;
        lock (_lock) { all = [.. _all]; }
        foreach (var c in all)
        {
            c.Socket.Abort();
            c.Complete();
        }
    }

    private void Deliver(string? sid, bool binary, byte[] data, Action? sending = null)
    {
        lock (_lock)
        {
            if (sid is null)
            {
                foreach (var c in _sockets.Values) { c.Enqueue(binary, data, sending); }
            }
            else if (_sockets.TryGetValue(sid, out var c))
            {
                c.Enqueue(binary, data, sending);
            }
        }
    }

    public static bool IsFeatureFlags(ReadOnlySpan<byte> message, out bool supportsPreviewMetadata)
    {
        supportsPreviewMetadata = false;
        try
        {
            using var doc = JsonDocument.Parse(message.ToArray());
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("type", out var type)
                || type.ValueKind != JsonValueKind.String
                || type.GetString() != "feature_flags")
            {
                return false;
            }
            supportsPreviewMetadata = doc.RootElement.TryGetProperty("data", out var data)
                && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("supports_preview_metadata", out var flag)
                && flag.ValueKind == JsonValueKind.True;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
