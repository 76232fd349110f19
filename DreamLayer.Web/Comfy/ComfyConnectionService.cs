using System.Buffers;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Comfy;

/// <summary>
/// Owns one WebSocket per ComfyUI server. Reconnects with backoff and jitter, reloads the node catalogue
/// on every connect, and hands every event to <see cref="IServerEvents"/> (the job pipeline routes them by prompt id).
/// </summary>
public sealed partial class ComfyConnectionService(
    BackendPool pool,
    IServerEvents serverEvents,
    WorkflowLibrary workflows,
    IOptions<ComfyUiOptions> options,
    IOptions<DreamLayer.Web.Data.StorageOptions> storage,
    TimeProvider time,
    ILogger<ComfyConnectionService> logger) : BackgroundService
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly Dictionary<ComfyBackend, (CancellationTokenSource Stop, Task Loop)> _loops = [];

    /// <summary>Keeps one connection loop per enabled server, following the pool as admins change it.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var changed = new SemaphoreSlim(0);
        void OnListChanged()
        {
            if (changed.CurrentCount == 0)
            {
                changed.Release();
            }
        }
        var listSubscription = pool.SubscribeList(_ => OnListChanged());
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await SyncLoopsAsync(OnListChanged, stoppingToken);
                await changed.WaitAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        finally
        {
            listSubscription.Dispose();
            foreach (var (stop, _) in _loops.Values)
            {
                await stop.CancelAsync();
            }
            await Task.WhenAll(_loops.Values.Select(l => l.Loop));
            foreach (var (stop, _) in _loops.Values)
            {
                stop.Dispose();
            }
        }
    }

    private async Task SyncLoopsAsync(Action wake, CancellationToken stoppingToken)
    {
        var wanted = pool.Backends.Where(b => b.IsEnabled).ToHashSet();
        // A loop that ended by itself (a bug it did not survive) is started again, so the server is never left unwatched.
        foreach (var (backend, (stop, loop)) in _loops.Where(l => l.Value.Loop.IsCompleted && !l.Value.Stop.IsCancellationRequested).ToList())
        {
            _loops.Remove(backend);
            stop.Dispose();
            LogLoopRestarted(backend.Name);
        }
        foreach (var backend in _loops.Keys.Where(b => !wanted.Contains(b)).ToList())
        {
            var (stop, loop) = _loops[backend];
            _loops.Remove(backend);
            await stop.CancelAsync();
            await loop;
            stop.Dispose();
            serverEvents.Disconnected(backend);
        }
        foreach (var backend in wanted.Where(b => !_loops.ContainsKey(b)))
        {
            var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _loops[backend] = (stop, SuperviseAsync(backend, wake, stop.Token));
        }
    }

    /// <summary>Reads the server's node catalogue again (on connect, and when an admin asks after adding models).</summary>
    public async Task RefreshCatalogueAsync(ComfyBackend backend, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var info = await pool.ClientFor(backend).GetObjectInfoAsync(ct);
        var unsupported = workflows.FindUnsupportedModes(info);
        foreach (var (mode, reason) in unsupported)
        {
            LogUnsupported(backend.Name, mode, reason);
        }
        backend.SetObjectInfo(info, unsupported);
    }

    /// <summary>Runs a server's connection loop; if it ever ends by itself, logs why and wakes the owner, which starts it again.</summary>
    private async Task SuperviseAsync(ComfyBackend backend, Action wake, CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(backend, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopped
        }
#pragma warning disable CA1031 // a loop that died must be reported and restarted, never take the app down
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogLoopDied(backend.Name, ex);
        }
        finally
        {
            if (!stoppingToken.IsCancellationRequested)
            {
                wake();
            }
        }
    }

    private async Task RunAsync(ComfyBackend backend, CancellationToken stoppingToken)
    {
        var delay = options.Value.ReconnectMinDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var connected = false;
            Task<string?>? health = null;
            try
            {
                using var socket = new ClientWebSocket();
                socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
                var client = pool.ClientFor(backend);
                using (var connectCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    connectCts.CancelAfter(ConnectTimeout);
                    await socket.ConnectAsync(client.WebSocketUri(backend.ClientId), connectCts.Token);
                    await socket.SendAsync(ComfyMessageParser.FeatureFlagsMessage, WebSocketMessageType.Text, true, connectCts.Token);
                    backend.SetSystemStats(await client.GetSystemStatsAsync(connectCts.Token));
                    await RefreshCatalogueAsync(backend, connectCts.Token);
                }
                await serverEvents.CatalogueReadAsync(backend, stoppingToken);
                connected = true;
                delay = options.Value.ReconnectMinDelay;
                backend.SetState(BackendState.Online, null, time.GetUtcNow().UtcDateTime);
                LogConnected(backend.Name, backend.BaseAddress);
                await serverEvents.ConnectedAsync(backend, stoppingToken);
                using var healthStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                health = WatchHealthAsync(backend, client, socket, healthStop.Token);
                try
                {
                    await ReceiveAsync(socket, backend, stoppingToken);
                }
                finally
                {
                    await healthStop.CancelAsync();
                }
                var silent = await health;
                LogDisconnected(backend.Name, silent ?? "the server closed the connection");
                backend.SetState(BackendState.Offline, silent ?? $"{backend.BaseAddress} closed the connection.", time.GetUtcNow().UtcDateTime);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // whatever broke this connection (the network, an answer it could not read, a bug), it is retried
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var unhealthy = health is { IsCompletedSuccessfully: true } ? await health : null;
                var reason = unhealthy is not null ? unhealthy
                    : connected
                    ? $"Lost the connection to {backend.BaseAddress}: {ex.Message}"
                    : $"Could not reach ComfyUI at {backend.BaseAddress}: {ex.Message}";
                if (backend.State != BackendState.Offline)
                {
                    LogDisconnected(backend.Name, reason);
                }
                backend.SetState(BackendState.Offline, reason, time.GetUtcNow().UtcDateTime);
            }
            backend.RunningPromptId = null;
            serverEvents.Disconnected(backend);

            // Exponential backoff with ±20% jitter so that many app instances don't reconnect in lockstep.
            var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
            try
            {
                await Task.Delay(delay * jitter, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.ReconnectMaxDelay.Ticks));
        }
    }

    /// <summary>
    /// Reads <c>/system_stats</c> every <see cref="ComfyUiOptions.HealthPollInterval"/> while connected. A server that
    /// stops answering (a hung process, a half-open socket) has its socket aborted, which takes it offline; returns why.
    /// </summary>
    private async Task<string?> WatchHealthAsync(ComfyBackend backend, ComfyUiClient client, ClientWebSocket socket, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(options.Value.HealthPollInterval, time, ct);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(ConnectTimeout);
                try
                {
                    backend.SetSystemStats(await client.GetSystemStatsAsync(timeout.Token));
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException)
                {
                    socket.Abort();
                    return $"{backend.BaseAddress} stopped answering /system_stats: {ex.Message}";
                }
#pragma warning disable CA1031 // the server answered; what could not be made of it is logged, and polling goes on
                catch (Exception ex) when (!ct.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    LogHealthCheckFailed(backend.Name, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task ReceiveAsync(ClientWebSocket socket, ComfyBackend backend, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var message = new ArrayBufferWriter<byte>(64 * 1024);
        // A frame holds at most one image (and its 8-byte header and metadata): anything larger is read past, not kept.
        var limit = storage.Value.MaxImageBytes + (16 * 1024);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                message.ResetWrittenCount();
                long length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }
                    length += result.Count;
                    if (length <= limit)
                    {
                        message.Write(buffer.AsSpan(0, result.Count));
                    }
                }
                while (!result.EndOfMessage);

                if (length > limit)
                {
                    LogFrameTooLarge(backend.Name, length);
                    if (result.MessageType == WebSocketMessageType.Binary)
                    {
                        serverEvents.Received(backend, new FrameTooLargeEvent(length, storage.Value.MaxImageBytes));
                    }
                    continue;
                }
                var evt = result.MessageType == WebSocketMessageType.Text
                    ? ParseTextSafely(message.WrittenSpan, backend)
                    : ComfyMessageParser.ParseBinary(message.WrittenMemory.ToArray());
                if (evt is not null)
                {
                    HandleSafely(backend, evt);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One event that cannot be handled (a bug, a page's handler) is logged; the connection and the other jobs go on.</summary>
    private void HandleSafely(ComfyBackend backend, ComfyEvent evt)
    {
        try
        {
            serverEvents.Received(backend, evt);
        }
#pragma warning disable CA1031 // dropping the connection would not help: the next events are still wanted
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogEventFailed(backend.Name, evt.GetType().Name, ex);
        }
    }

    private ComfyEvent? ParseTextSafely(ReadOnlySpan<byte> utf8, ComfyBackend backend)
    {
        try
        {
            return ComfyMessageParser.ParseText(utf8);
        }
        catch (System.Text.Json.JsonException ex)
        {
            LogBadMessage(backend.Name, ex.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to ComfyUI {Backend} at {Url}")]
    private partial void LogConnected(string backend, Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComfyUI {Backend} offline: {Reason}")]
    private partial void LogDisconnected(string backend, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComfyUI {Backend} cannot run {Mode}: {Reason}")]
    private partial void LogUnsupported(string backend, DreamLayer.Domain.Generation.GenerationMode mode, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a message of {Bytes} bytes from ComfyUI {Backend}: over the image size limit")]
    private partial void LogFrameTooLarge(string backend, long bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "The connection loop of ComfyUI {Backend} ended unexpectedly; starting it again")]
    private partial void LogLoopDied(string backend, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Restarting the connection loop of ComfyUI {Backend}")]
    private partial void LogLoopRestarted(string backend);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not read the health of ComfyUI {Backend}; checking again later")]
    private partial void LogHealthCheckFailed(string backend, Exception ex);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not handle a {EventType} from ComfyUI {Backend}")]
    private partial void LogEventFailed(string backend, string eventType, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed message from ComfyUI {Backend}: {Error}")]
    private partial void LogBadMessage(string backend, string error);
}
