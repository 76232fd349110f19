using System.Collections.Concurrent;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Comfy;

public enum BackendState
{
    Connecting,
    Online,
    Offline,
    Disabled,
}

/// <summary>The app's view of one ComfyUI server: its address, its connection state and its live node catalogue.</summary>
public sealed class ComfyBackend
{
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, byte> _abandoned = new(StringComparer.Ordinal);
    private ObjectInfo _objectInfo = ObjectInfo.Empty;
    private GenerationLimits? _limits;

    public ComfyBackend(string name, Uri baseAddress, int maxJobsInFlight = 2, bool enabled = true)
    {
        Name = name;
        BaseAddress = baseAddress;
        MaxJobsInFlight = maxJobsInFlight;
        if (!enabled)
        {
            State = BackendState.Disabled;
            StateReason = "Disabled by an admin.";
        }
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    /// <summary>This server's own models folder as the app reaches it (Backends page or appsettings.json), if set.</summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>Jobs handed to this server at once (running plus waiting inside ComfyUI).</summary>
    public int MaxJobsInFlight { get; set; }

    /// <summary>Stable for the life of the process: prompts queued with it keep routing to us across reconnects.</summary>
    public string ClientId { get; } = Guid.NewGuid().ToString("N");

    public BackendState State { get; private set; } = BackendState.Connecting;

    public string? StateReason { get; private set; }

    public DateTime StateChangedAt { get; private set; }

    /// <summary>The GPU (or CPU) the server reported in <c>/system_stats</c>, with its version; null until read.</summary>
    public ComfySystemStats? SystemStats { get; private set; }

    public ObjectInfo ObjectInfo
    {
        get
        {
            lock (_lock)
            {
                return _objectInfo;
            }
        }
    }

    /// <summary>Lists and ranges for the generation form; null until the catalogue has been read once.</summary>
    public GenerationLimits? Limits
    {
        get
        {
            lock (_lock)
            {
                return _limits;
            }
        }
    }

    /// <summary>The prompt the server is running now, from the last <c>executing</c>; type-1 previews belong to it.</summary>
    public string? RunningPromptId { get; set; }

    /// <summary>The checkpoint of the last job sent here: it is (or soon will be) the one loaded on the GPU.</summary>
    public string? LastCheckpoint { get; set; }

    public bool IsOnline => State == BackendState.Online;

    public bool IsEnabled => State != BackendState.Disabled;

    /// <summary>Raised after any change of state or catalogue.</summary>
    public event Action<ComfyBackend>? Changed;

    /// <summary>Why a mode's template cannot run on this server (missing nodes, no models), by mode; empty when all can.</summary>
    public IReadOnlyDictionary<GenerationMode, string> UnsupportedModes { get; private set; } = new Dictionary<GenerationMode, string>();

    public void SetObjectInfo(ObjectInfo info, IReadOnlyDictionary<GenerationMode, string> unsupportedModes)
    {
        lock (_lock)
        {
            _objectInfo = info;
            _limits = GenerationLimits.From(info);
            UnsupportedModes = unsupportedModes;
        }
        Changed?.Invoke(this);
    }

    public void SetSystemStats(ComfySystemStats stats)
    {
        if (SystemStats != stats)
        {
            SystemStats = stats;
            Changed?.Invoke(this);
        }
    }

    public void SetState(BackendState state, string? reason, DateTime at)
    {
        if (State == state && StateReason == reason)
        {
            return;
        }
        if (State == BackendState.Disabled && state != BackendState.Disabled)
        {
            return; // a closing connection of a disabled server must not bring it back
        }
        State = state;
        StateReason = reason;
        StateChangedAt = at;
        Changed?.Invoke(this);
    }

    /// <summary>
    /// A prompt this server held when it went away and that now runs elsewhere: if the server comes back with it,
    /// it is deleted from its queue (or interrupted) so the GPU does not do the work twice.
    /// </summary>
    public void Abandon(string promptId) => _abandoned[promptId] = 0;

    /// <summary>Takes the abandoned prompt ids (each returned once).</summary>
    public IReadOnlyList<string> TakeAbandoned()
    {
        var ids = _abandoned.Keys.ToList();
        foreach (var id in ids)
        {
            _abandoned.TryRemove(id, out _);
        }
        return ids;
    }
}
