using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Comfy;

public enum BackendState
{
    Connecting,
    Online,
    Offline,
}

/// <summary>The app's view of one ComfyUI server: its address, its connection state and its live node catalogue.</summary>
public sealed class ComfyBackend
{
    private readonly Lock _lock = new();
    private ObjectInfo _objectInfo = ObjectInfo.Empty;
    private GenerationLimits? _limits;

    public ComfyBackend(string name, Uri baseAddress)
    {
        Name = name;
        BaseAddress = baseAddress;
    }

    public string Name { get; }

    public Uri BaseAddress { get; }

    /// <summary>Stable for the life of the process: prompts queued with it keep routing to us across reconnects.</summary>
    public string ClientId { get; } = Guid.NewGuid().ToString("N");

    public BackendState State { get; private set; } = BackendState.Connecting;

    public string? StateReason { get; private set; }

    public DateTime StateChangedAt { get; private set; }

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

    public bool IsOnline => State == BackendState.Online;

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

    public void SetState(BackendState state, string? reason, DateTime at)
    {
        if (State == state && StateReason == reason)
        {
            return;
        }
        State = state;
        StateReason = reason;
        StateChangedAt = at;
        Changed?.Invoke(this);
    }
}
