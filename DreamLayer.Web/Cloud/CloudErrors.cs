namespace DreamLayer.Web.Cloud;

/// <summary>Why a cloud call failed, as the queue needs to tell it apart.</summary>
public enum CloudFailure
{
    /// <summary>The request is not one the model takes (checked before sending, or refused by the provider): fix it first.</summary>
    InvalidRequest,

    /// <summary>The key is missing, wrong or revoked.</summary>
    InvalidKey,

    /// <summary>The account has no credit or quota left.</summary>
    NoCredits,

    /// <summary>The provider asks to wait (<see cref="CloudProviderException.RetryAfter"/> when it says how long).</summary>
    RateLimited,

    /// <summary>The provider's moderation refused the prompt or withheld the picture (its decision, with its reason).</summary>
    ContentRefused,

    /// <summary>The provider answered with a server error (5xx) or reported the task failed.</summary>
    ProviderError,

    /// <summary>The provider could not be reached; the request was not sent.</summary>
    Unreachable,

    /// <summary>The request was sent and no usable answer came (a cut connection, a timeout): it may have been billed, and was not sent again.</summary>
    OutcomeUnknown,

    /// <summary>An accepted task did not finish within the time allowed; it may still finish at the provider.</summary>
    TimedOut,

    /// <summary>The provider does not know the task (BFL's <c>Task not found</c>).</summary>
    TaskNotFound,

    /// <summary>The result's address had expired before the picture was fetched.</summary>
    ResultExpired,

    /// <summary>The provider's answer was larger than the limit and was cut off.</summary>
    ResponseTooLarge,

    /// <summary>The provider's answer could not be read (not JSON, not a picture, missing fields).</summary>
    InvalidResponse,
}

/// <summary>A field of a <see cref="CloudImageRequest"/> the model does not take, in words that name it.</summary>
public sealed record CloudFieldError(string Field, string Message);

/// <summary>A cloud call that failed, with a message a person understands (never the raw answer alone, never a key).</summary>
public sealed class CloudProviderException : Exception
{
    public CloudProviderException(CloudProviderId provider, CloudFailure failure, string message, bool mayHaveBeenBilled = false, Exception? inner = null)
        : base(message, inner)
    {
        Provider = provider;
        Failure = failure;
        MayHaveBeenBilled = mayHaveBeenBilled;
    }

    public CloudProviderException()
    {
    }

    public CloudProviderException(string message)
        : base(message)
    {
    }

    public CloudProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CloudProviderId Provider { get; }

    public CloudFailure Failure { get; }

    /// <summary>True when the provider may have accepted (and billed) the request: it must not be sent again without a person deciding.</summary>
    public bool MayHaveBeenBilled { get; }

    /// <summary>How long the provider asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The provider's own words (a moderation reason, a validation message), when it gave some.</summary>
    public string? ProviderReason { get; init; }

    /// <summary>For <see cref="CloudFailure.InvalidRequest"/> found before sending: each field and what is wrong with it.</summary>
    public IReadOnlyList<CloudFieldError> Fields { get; init; } = [];

    /// <summary>True when the client may send the same request again by itself: the provider cannot have accepted it.</summary>
    internal bool SafeToResend { get; init; }
}

/// <summary>
/// A cloud call stopped by its caller. Still an <see cref="OperationCanceledException"/>; the message says whether the
/// provider may still bill (a request already sent cannot be called back: OpenAI and Ideogram have no cancel, and BFL
/// goes on with an accepted task).
/// </summary>
public sealed class CloudCancelledException : OperationCanceledException
{
    public CloudCancelledException(string message, bool mayHaveBeenBilled, CancellationToken token)
        : base(message, null, token)
    {
        MayHaveBeenBilled = mayHaveBeenBilled;
    }

    public CloudCancelledException()
    {
    }

    public CloudCancelledException(string message)
        : base(message)
    {
    }

    public CloudCancelledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public bool MayHaveBeenBilled { get; }
}
