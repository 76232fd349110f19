namespace DreamLayer.Web.Comfy;

/// <summary>How a server is doing, in the words the pages use: online, busy, offline, disabled, connecting.</summary>
public static class BackendHealth
{
    public static string Label(ComfyBackend backend, int inFlight)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return backend.State switch
        {
            BackendState.Online => inFlight > 0 ? "busy" : "online",
            BackendState.Offline => "offline",
            BackendState.Disabled => "disabled",
            _ => "connecting",
        };
    }

    /// <summary>The state with its reason, e.g. <c>offline: Could not reach ComfyUI at http://gpu2:8188/ ...</c>.</summary>
    public static string Describe(ComfyBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var state = backend.State.ToString().ToLowerInvariant();
        return backend.StateReason is { } reason ? $"{state}: {reason}" : state;
    }
}
