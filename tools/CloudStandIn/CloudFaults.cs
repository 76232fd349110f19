namespace CloudStandIn;

/// <summary>How a provider refuses a paid request before accepting it (nothing is billed).</summary>
public enum Rejection
{
    /// <summary>The key is refused (OpenAI 401 <c>invalid_api_key</c>, Ideogram 401, BFL 403); also on key checks and polls.</summary>
    Unauthorized,

    /// <summary>No money left (OpenAI 429 <c>insufficient_quota</c>, Ideogram 402, BFL 402).</summary>
    NoCredits,

    /// <summary>Rate limited (429), with <c>Retry-After</c> when <see cref="CloudFaults.RetryAfterSeconds"/> is set.</summary>
    RateLimited,

    /// <summary>The provider's safety system refuses the prompt (OpenAI 400, Ideogram 422; BFL moderates at polling instead).</summary>
    Moderated,

    /// <summary>500 in the provider's error shape.</summary>
    ServerError,

    /// <summary>503 in the provider's error shape.</summary>
    Unavailable,
}

/// <summary>Faults of one provider that a test can switch while the server runs. Thread-safe.</summary>
public sealed class CloudFaults
{
    private readonly Lock _lock = new();
    private Rejection? _reject;
    private int? _rejectCount;
    private int? _retryAfterSeconds;
    private double? _delayMs;
    private bool _dropAfterAccept;
    private bool _holdAnswers;
    private int? _pendingPolls;
    private double? _readyAfterMs;
    private string? _endIn;
    private double? _urlLifetimeSeconds;
    private Rejection? _keyCheckReject;
    private bool _keyCheckHang;
    private string? _chatRefusal;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Paid requests are refused this way, before acceptance (and <see cref="Rejection.Unauthorized"/> every keyed call).</summary>
    public Rejection? Reject
    {
        get { lock (_lock) { return _reject; } }
        set { lock (_lock) { _reject = value; } }
    }

    /// <summary>With <see cref="Reject"/>: only the next this-many requests are refused, then the fault clears itself; null refuses until cleared.</summary>
    public int? RejectCount
    {
        get { lock (_lock) { return _rejectCount; } }
        set { lock (_lock) { _rejectCount = value; } }
    }

    /// <summary>Seconds sent in <c>Retry-After</c> with a <see cref="Rejection.RateLimited"/> answer; null sends no header.</summary>
    public int? RetryAfterSeconds
    {
        get { lock (_lock) { return _retryAfterSeconds; } }
        set { lock (_lock) { _retryAfterSeconds = value; } }
    }

    /// <summary>A paid request is answered this much later, after it was accepted (a slow provider).</summary>
    public double? DelayMs
    {
        get { lock (_lock) { return _delayMs; } }
        set { lock (_lock) { _delayMs = value; } }
    }

    /// <summary>
    /// The next paid request is accepted (recorded, billed, a BFL task created) and then its connection is aborted
    /// without an answer: the client cannot know whether it was accepted. Resets itself after firing.
    /// </summary>
    public bool DropAfterAccept
    {
        get { lock (_lock) { return _dropAfterAccept; } }
        set { lock (_lock) { _dropAfterAccept = value; } }
    }

    /// <summary>
    /// Accepted paid requests wait for <see cref="ReleaseAnswers"/> before answering (in tests: a request seen
    /// in flight without racing the clock).
    /// </summary>
    public bool HoldAnswers
    {
        get { lock (_lock) { return _holdAnswers; } }
        set { lock (_lock) { _holdAnswers = value; } }
    }

    /// <summary>BFL: polls a task submitted from now on answers <c>Pending</c> before its end; null takes the option's.</summary>
    public int? PendingPolls
    {
        get { lock (_lock) { return _pendingPolls; } }
        set { lock (_lock) { _pendingPolls = value; } }
    }

    /// <summary>
    /// BFL: a task submitted from now on answers <c>Pending</c> until this many milliseconds after it was accepted
    /// (by the stand-in's clock), then its end: a provider that takes that long to make the picture. It replaces
    /// <see cref="PendingPolls"/> for those tasks; null counts polls instead. The moment the task became ready is
    /// <see cref="CloudStandInServer.BflReadyAt"/>.
    /// </summary>
    public double? ReadyAfterMs
    {
        get { lock (_lock) { return _readyAfterMs; } }
        set
        {
            if (value is < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "A task cannot be ready before it was accepted.");
            }
            lock (_lock) { _readyAfterMs = value; }
        }
    }

    /// <summary>
    /// BFL: how a task submitted from now on ends after its pending polls: <c>Ready</c> (null), <c>Error</c>,
    /// <c>Content Moderated</c>, <c>Request Moderated</c> or <c>Task not found</c> (the task is forgotten).
    /// </summary>
    public string? EndIn
    {
        get { lock (_lock) { return _endIn; } }
        set
        {
            if (value is not null && !BflStatus.Ends.Contains(value))
            {
                throw new ArgumentException($"'{value}' is not one of {string.Join(", ", BflStatus.Ends)}.", nameof(value));
            }
            lock (_lock) { _endIn = value; }
        }
    }

    /// <summary>Result URLs made from now on expire after this many seconds (0: already expired); null takes the option's.</summary>
    public double? UrlLifetimeSeconds
    {
        get { lock (_lock) { return _urlLifetimeSeconds; } }
        set { lock (_lock) { _urlLifetimeSeconds = value; } }
    }

    /// <summary>
    /// The unbilled key checks (OpenAI's <c>GET /v1/models</c>, Ideogram's <c>GET /v2/account/api-keys</c>, BFL's
    /// <c>GET /v1/credits</c>) are refused this way after the key was read, until cleared: a rate limit, a 500 or 503 in
    /// the provider's shape (<see cref="Rejection.Unauthorized"/> refuses the key itself).
    /// </summary>
    public Rejection? KeyCheckReject
    {
        get { lock (_lock) { return _keyCheckReject; } }
        set { lock (_lock) { _keyCheckReject = value; } }
    }

    /// <summary>The key checks never answer: the request stays open until the client gives up (a hanging server).</summary>
    public bool KeyCheckHang
    {
        get { lock (_lock) { return _keyCheckHang; } }
        set { lock (_lock) { _keyCheckHang = value; } }
    }

    /// <summary>Lets every answer held by <see cref="HoldAnswers"/> go; clear <see cref="HoldAnswers"/> first to hold no more.</summary>
    /// <summary>
    /// OpenAI chat completions: the model's <c>refusal</c> text; while set, an accepted request is answered 200 with
    /// <c>content</c> null and this refusal (the documented shape of a model that declines), so a client sees no text.
    /// </summary>
    public string? ChatRefusal
    {
        get { lock (_lock) { return _chatRefusal; } }
        set { lock (_lock) { _chatRefusal = value; } }
    }

    public void ReleaseAnswers()
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            released = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        released.TrySetResult();
    }

    public void Reset()
    {
        lock (_lock)
        {
            _reject = null;
            _rejectCount = null;
            _retryAfterSeconds = null;
            _delayMs = null;
            _dropAfterAccept = false;
            _holdAnswers = false;
            _pendingPolls = null;
            _readyAfterMs = null;
            _endIn = null;
            _urlLifetimeSeconds = null;
            _keyCheckReject = null;
            _keyCheckHang = false;
            _chatRefusal = null;
        }
        ReleaseAnswers();
    }

    /// <summary>The rejection for this request, counting it against <see cref="RejectCount"/>; null to go on.</summary>
    internal (Rejection Kind, int? RetryAfter)? TakeRejection(bool paid)
    {
        lock (_lock)
        {
            if (_reject is not { } kind || (!paid && kind != Rejection.Unauthorized))
            {
                return null;
            }
            if (_rejectCount is { } left)
            {
                _rejectCount = left - 1;
                if (left - 1 <= 0)
                {
                    _reject = null;
                    _rejectCount = null;
                }
            }
            return (kind, _retryAfterSeconds);
        }
    }

    /// <summary>Returns true once when the drop fault should fire.</summary>
    internal bool TakeDrop()
    {
        lock (_lock)
        {
            var drop = _dropAfterAccept;
            _dropAfterAccept = false;
            return drop;
        }
    }

    /// <summary>What an accepted request waits for before answering: the hold, then the delay.</summary>
    internal async Task WaitBeforeAnswerAsync(CancellationToken cancellationToken)
    {
        Task? hold;
        TimeSpan delay;
        lock (_lock)
        {
            hold = _holdAnswers ? _released.Task : null;
            delay = _delayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
        }
        if (hold is not null) { await hold.WaitAsync(cancellationToken); }
        if (delay > TimeSpan.Zero) { await Task.Delay(delay, cancellationToken); }
    }

    internal CloudFaultsDto ToDto()
    {
        lock (_lock)
        {
            return new CloudFaultsDto(_reject, _rejectCount, _retryAfterSeconds, _delayMs, _dropAfterAccept, _pendingPolls, _endIn, _urlLifetimeSeconds,
                _keyCheckReject, _keyCheckHang, _readyAfterMs, _chatRefusal);
        }
    }

    internal void Apply(CloudFaultsDto dto)
    {
        if (dto.EndIn is not null && !BflStatus.Ends.Contains(dto.EndIn))
        {
            throw new ArgumentException($"endIn '{dto.EndIn}' is not one of {string.Join(", ", BflStatus.Ends)}.");
        }
        if (dto.ReadyAfterMs is < 0)
        {
            throw new ArgumentException($"readyAfterMs {dto.ReadyAfterMs} is negative: a task cannot be ready before it was accepted.");
        }
        lock (_lock)
        {
            _reject = dto.Reject;
            _rejectCount = dto.RejectCount;
            _retryAfterSeconds = dto.RetryAfterSeconds;
            _delayMs = dto.DelayMs;
            _dropAfterAccept = dto.DropAfterAccept ?? false;
            _pendingPolls = dto.PendingPolls;
            _readyAfterMs = dto.ReadyAfterMs;
            _endIn = dto.EndIn;
            _urlLifetimeSeconds = dto.UrlLifetimeSeconds;
            _keyCheckReject = dto.KeyCheckReject;
            _keyCheckHang = dto.KeyCheckHang ?? false;
            _chatRefusal = dto.ChatRefusal;
        }
    }

    /// <summary>What a key check meets: a hang (wait until the client gives up), then a refusal, or null to answer.</summary>
    internal async Task<(Rejection Kind, int? RetryAfter)?> KeyCheckFaultAsync(CancellationToken requestAborted)
    {
        bool hang;
        lock (_lock) { hang = _keyCheckHang; }
        if (hang)
        {
            await Task.Delay(Timeout.Infinite, requestAborted);
        }
        lock (_lock)
        {
            return _keyCheckReject is { } kind ? (kind, _retryAfterSeconds) : null;
        }
    }
}

/// <summary>The wire shape of <c>/__standin/faults/{provider}</c>.</summary>
internal sealed record CloudFaultsDto(
    Rejection? Reject,
    int? RejectCount,
    int? RetryAfterSeconds,
    double? DelayMs,
    bool? DropAfterAccept,
    int? PendingPolls,
    string? EndIn,
    double? UrlLifetimeSeconds,
    Rejection? KeyCheckReject = null,
    bool? KeyCheckHang = null,
    double? ReadyAfterMs = null,
    string? ChatRefusal = null);
