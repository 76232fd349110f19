namespace DreamLayer.Web.Comfy;

/// <summary>
/// What a server's connection tells the rest of the app. Declared here, beside the connection, and implemented by the
/// job pipeline (<c>Jobs/JobServerEvents.cs</c>), so that the connection knows nothing of jobs and dependencies run
/// one way: Jobs uses Comfy, never the reverse. Calls for one server come from its connection loop, one at a time.
/// </summary>
public interface IServerEvents
{
    /// <summary>The server's catalogue was just read, before the server is marked online.</summary>
    Task CatalogueReadAsync(ComfyBackend backend, CancellationToken ct);

    /// <summary>The server is online again: find out what happened to the work sent there while nobody listened.</summary>
    Task ConnectedAsync(ComfyBackend backend, CancellationToken ct);

    /// <summary>One event or binary frame, on the connection's receive loop: must return quickly.</summary>
    void Received(ComfyBackend backend, ComfyEvent evt);

    /// <summary>The connection ended (or the server was disabled or removed).</summary>
    void Disconnected(ComfyBackend backend);
}
