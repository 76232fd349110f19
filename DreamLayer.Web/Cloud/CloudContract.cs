namespace DreamLayer.Web.Cloud;

/// <summary>The cloud image providers the app can send a job to.</summary>
public enum CloudProviderId
{
    /// <summary>OpenAI Images (gpt-image-1, DALL·E), through the official OpenAI SDK.</summary>
    OpenAi,

    /// <summary>Ideogram 3.0.</summary>
    Ideogram,

    /// <summary>FLUX by Black Forest Labs: submit, then poll.</summary>
    Bfl,
}

/// <summary>
/// A provider's API key, as the client sends it. It never shows itself: its text (in a log line, an interpolated
/// message, a record's generated <c>ToString</c>) is dots.
/// </summary>
public sealed class CloudKey
{
    public CloudKey(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value.Trim();
    }

    /// <summary>The key itself: read only where it is put in a request header.</summary>
    internal string Value { get; }

    public override string ToString() => "••••";
}

/// <summary>
/// What a cloud job asks for, the same shape for every provider; <see cref="CloudModel"/> says what the chosen model
/// takes and <see cref="CloudRequestValidator"/> checks it before anything is sent.
/// </summary>
/// <param name="Model">The provider's model id (<c>gpt-image-1</c>, <c>V_3</c>, <c>flux-pro-1.1</c>).</param>
/// <param name="Prompt">What the picture should show.</param>
public sealed record CloudImageRequest(string Model, string Prompt)
{
    /// <summary>What to avoid, for the models that take one.</summary>
    public string? NegativePrompt { get; init; }

    /// <summary>Width x height in pixels (<c>1024x1024</c>), or <c>auto</c> where the model offers it; null: the model's default.</summary>
    public string? Size { get; init; }

    /// <summary>An aspect ratio <c>W:H</c> (<c>16:9</c>), for the models sized by one; null: the model's default.</summary>
    public string? AspectRatio { get; init; }

    /// <summary>The seed, for the models that honour one; null: the provider picks.</summary>
    public long? Seed { get; init; }

    /// <summary>How many pictures (one request, one bill).</summary>
    public int Count { get; init; } = 1;

    /// <summary>The model's own options by their API names (<c>quality</c>, <c>style_type</c>, <c>safety_tolerance</c>), as text.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}

/// <summary>One picture a provider made: its bytes and their media type (read from the bytes), and what the provider said of it.</summary>
public sealed record CloudImage(byte[] Bytes, string MediaType, long? Seed, string? RevisedPrompt);

/// <summary>What a provider charged in its own unit: OpenAI's tokens, BFL's credits (1 credit = 1 US cent).</summary>
public sealed record CloudCost(decimal Amount, string Unit, string? Detail = null);

/// <summary>A finished cloud job: the pictures, the provider's id for the request, and the cost where it reports one.</summary>
public sealed record CloudResult(CloudProviderId Provider, string Model, IReadOnlyList<CloudImage> Images, string? RequestId, CloudCost? Cost);

/// <summary>
/// An accepted asynchronous task (BFL): everything needed to follow it again after a restart. The queue stores it
/// before it starts waiting, and hands it to <see cref="ICloudImageProvider.ResumeAsync"/>.
/// </summary>
public sealed record CloudTaskHandle(CloudProviderId Provider, string Model, string Id, string PollingUrl, CloudCost? Cost);

/// <summary>What a submit returns: the finished result (a synchronous provider), or an accepted task to follow.</summary>
public abstract record CloudSubmission;

/// <summary>The provider answered with the pictures (OpenAI, Ideogram).</summary>
public sealed record CloudFinished(CloudResult Result) : CloudSubmission;

/// <summary>The provider accepted a task (BFL): store the handle, then <see cref="ICloudImageProvider.ResumeAsync"/> it.</summary>
public sealed record CloudAccepted(CloudTaskHandle Task) : CloudSubmission;

/// <summary>
/// One cloud image provider. A paid request is sent <b>once</b>: it is sent again only when the provider cannot have
/// accepted it (a refused connection, a rate limit before acceptance, within <see cref="CloudOptions.MaxRetries"/> and
/// honouring <c>Retry-After</c>); when the outcome is unknown the call fails with
/// <see cref="CloudFailure.OutcomeUnknown"/> and says it may have been billed. Every failure is a
/// <see cref="CloudProviderException"/> in words; a cancel is a <see cref="CloudCancelledException"/> that says whether
/// the provider may still bill.
/// </summary>
public interface ICloudImageProvider
{
    CloudProviderId Provider { get; }

    /// <summary>The provider's name as people know it.</summary>
    string Name { get; }

    /// <summary>The models this client knows, with what each takes.</summary>
    IReadOnlyList<CloudModel> Models { get; }

    /// <summary>True when an accepted task can be followed again after a restart (<see cref="ResumeAsync"/>).</summary>
    bool CanResume { get; }

    /// <summary>Checks the request (nothing sent when it fails), then sends it once.</summary>
    Task<CloudSubmission> SubmitAsync(CloudImageRequest request, CloudKey key, CancellationToken ct);

    /// <summary>Follows an accepted task until its pictures are fetched (or it ends otherwise). Never sends the request again.</summary>
    Task<CloudResult> ResumeAsync(CloudTaskHandle task, CloudKey key, CancellationToken ct);
}
