namespace ComfyStandIn;

/// <summary>Faults a test can switch on while the server runs. Thread-safe.</summary>
public sealed class StandInFaults
{
    private readonly Lock _lock = new();
    private TimeSpan? _stepTime;
    private string? _failAtNode;
    private string? _hangAtNode;
    private int? _dropSocketsAtStep;
    private int? _dropSocketsAtImage;
    private bool _finishOnHistoryRead;
    private int? _holdAfterStep;
    private TaskCompletionSource _holdReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _hangReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Overrides <see cref="StandInOptions.StepTime"/> when set.</summary>
    public TimeSpan? StepTime
    {
        get { lock (_lock) { return _stepTime; } }
        set { lock (_lock) { _stepTime = value; } }
    }

    /// <summary>Node id or class_type that raises an execution_error.</summary>
    public string? FailAtNode
    {
        get { lock (_lock) { return _failAtNode; } }
        set { lock (_lock) { _failAtNode = value; } }
    }

    /// <summary>Node id or class_type that never finishes until interrupted.</summary>
    public string? HangAtNode
    {
        get { lock (_lock) { return _hangAtNode; } }
        set { lock (_lock) { _hangAtNode = value; } }
    }

    /// <summary>During the next sampler run, at this step, every open WebSocket is aborted. Reset after firing.</summary>
    public int? DropSocketsAtStep
    {
        get { lock (_lock) { return _dropSocketsAtStep; } }
        set { lock (_lock) { _dropSocketsAtStep = value; } }
    }

    /// <summary>
    /// The next time a SaveImageWebsocket node has sent this many images (1 = its first), every open WebSocket is
    /// aborted; the prompt keeps running and later frames go to whoever reconnects under the prompt's client id. Reset after firing.
    /// </summary>
    public int? DropSocketsAtImage
    {
        get { lock (_lock) { return _dropSocketsAtImage; } }
        set { lock (_lock) { _dropSocketsAtImage = value; } }
    }

    /// <summary>
    /// The next time <c>/history/{id}</c> is read for the prompt that is hanging at <see cref="HangAtNode"/>, the server
    /// lets that prompt finish before it answers, and answers as it was when the read arrived (not finished yet): the
    /// prompt finishes between that read and the client's next one. Clears <see cref="HangAtNode"/>; resets after firing.
    /// </summary>
    public bool FinishOnHistoryRead
    {
        get { lock (_lock) { return _finishOnHistoryRead; } }
        set { lock (_lock) { _finishOnHistoryRead = value; } }
    }

    /// <summary>
    /// A sampler stops after sending this step's progress and preview, as a slow GPU would between two steps, until
    /// <see cref="ReleaseHold"/>: a test then sees the job running with its frames without racing the clock.
    /// </summary>
    public int? HoldAfterStep
    {
        get { lock (_lock) { return _holdAfterStep; } }
        set { lock (_lock) { _holdAfterStep = value; } }
    }

    /// <summary>Lets a sampler held at <see cref="HoldAfterStep"/> go on; set the next hold (or null) first.</summary>
    public void ReleaseHold()
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            released = _holdReleased;
            _holdReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        released.TrySetResult();
    }

    /// <summary>The task a sampler waits for after <paramref name="step"/>; null when it is not held there.</summary>
    internal Task? HoldAfter(int step)
    {
        lock (_lock)
        {
            return _holdAfterStep == step ? _holdReleased.Task : null;
        }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _holdAfterStep = null;
            _holdReleased.TrySetResult();
            _holdReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stepTime = null;
            _failAtNode = null;
            _hangAtNode = null;
            _dropSocketsAtStep = null;
            _dropSocketsAtImage = null;
            _finishOnHistoryRead = false;
        }
    }

    /// <summary>
    /// When node <paramref name="id"/> (of <paramref name="classType"/>) is to hang, the task that completes when
    /// <see cref="FinishOnHistoryRead"/> lets it go; null when it is not to hang. One atomic read, so a node can never
    /// start hanging just after the fault let it go.
    /// </summary>
    internal Task? HangAt(string id, string classType)
    {
        lock (_lock)
        {
            return Matches(_hangAtNode, id, classType) ? _hangReleased.Task : null;
        }
    }

    /// <summary>Whether node <paramref name="id"/> (of <paramref name="classType"/>) is to raise an execution_error.</summary>
    internal bool FailsAt(string id, string classType)
    {
        lock (_lock)
        {
            return Matches(_failAtNode, id, classType);
        }
    }

    /// <summary>A node fault names a node by its id or its class_type.</summary>
    private static bool Matches(string? fault, string id, string classType) => fault is not null && (fault == id || fault == classType);

    /// <summary>Returns true once when <see cref="FinishOnHistoryRead"/> should fire, and lets the hanging node go.</summary>
    internal bool TakeFinishOnHistoryRead()
    {
        lock (_lock)
        {
            if (!_finishOnHistoryRead)
            {
                return false;
            }
            _finishOnHistoryRead = false;
            _hangAtNode = null;
            _hangReleased.SetResult();
            _hangReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return true;
        }
    }

    /// <summary>Returns true once when the drop fault should fire at <paramref name="step"/>.</summary>
    internal bool TakeDropAt(int step)
    {
        lock (_lock)
        {
            if (_dropSocketsAtStep == step)
            {
                _dropSocketsAtStep = null;
                return true;
            }
            return false;
        }
    }

    /// <summary>Returns true once when the drop fault should fire after SaveImageWebsocket's image <paramref name="image"/>.</summary>
    internal bool TakeDropAtImage(int image)
    {
        lock (_lock)
        {
            if (_dropSocketsAtImage == image)
            {
                _dropSocketsAtImage = null;
                return true;
            }
            return false;
        }
    }

    internal FaultsDto ToDto()
    {
        lock (_lock)
        {
            return new FaultsDto(_stepTime?.TotalMilliseconds, _failAtNode, _hangAtNode, _dropSocketsAtStep, _finishOnHistoryRead, _dropSocketsAtImage);
        }
    }

    internal void Apply(FaultsDto dto)
    {
        lock (_lock)
        {
            _stepTime = dto.StepTimeMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
            _failAtNode = dto.FailAtNode;
            _hangAtNode = dto.HangAtNode;
            _dropSocketsAtStep = dto.DropSocketsAtStep;
            _finishOnHistoryRead = dto.FinishOnHistoryRead ?? false;
            _dropSocketsAtImage = dto.DropSocketsAtImage;
        }
    }
}

/// <summary>The wire shape of <c>/__standin/faults</c>.</summary>
internal sealed record FaultsDto(double? StepTimeMs, string? FailAtNode, string? HangAtNode, int? DropSocketsAtStep, bool? FinishOnHistoryRead = null, int? DropSocketsAtImage = null);
