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

    /// <summary>The picture to change (Img2Img, Inpaint), for the models that take one (<see cref="CloudEdits.Image"/>); null: made from the prompt alone.</summary>
    public CloudPicture? InputImage { get; init; }

    /// <summary>
    /// The part of <see cref="InputImage"/> to repaint (Inpaint), for the models that take one (<see cref="CloudEdits.Mask"/>):
    /// in the app's convention, a PNG whose painted (not fully transparent) pixels are repainted and whose transparent
    /// ones are kept. Each client turns it into its provider's own convention (<see cref="CloudMasks"/>).
    /// </summary>
    public CloudPicture? Mask { get; init; }

    /// <summary>How closely a remix follows <see cref="InputImage"/>, 1 to 100 (Ideogram's <c>image_weight</c>); null: the provider's default.</summary>
    public int? ImageWeight { get; init; }

    /// <summary>
    /// What the request does with a given picture: read from <see cref="InputImage"/> and <see cref="Mask"/>, or set
    /// where the pictures are not loaded (a job priced before it is sent asks for an edit all the same).
    /// </summary>
    public CloudEdits Edit
    {
        get => _edit ?? (InputImage is null ? CloudEdits.None : Mask is null ? CloudEdits.Image : CloudEdits.Image | CloudEdits.Mask);
        init => _edit = value;
    }

    private readonly CloudEdits? _edit;

    /// <summary>True when the request changes a given picture (Img2Img or Inpaint) rather than making one from the prompt.</summary>
    public bool IsEdit => Edit != CloudEdits.None;
}

/// <summary>
/// A picture sent to a provider (an input image or a mask): its bytes as they are sent, their media type and size in
/// pixels, read from the bytes (<see cref="Read"/>). Its size in bytes is bounded by the model's
/// <see cref="CloudEditInput.MaxBytes"/>, checked before anything is sent.
/// </summary>
public sealed record CloudPicture(byte[] Bytes, string MediaType, int Width, int Height)
{
    /// <summary>The picture in <paramref name="bytes"/> (PNG, JPEG or WebP, read from its header); null when it is none of these.</summary>
    public static CloudPicture? Read(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (CloudCalls.MediaTypeOf(bytes) is not { } type)
        {
            return null;
        }
        try
        {
            return SixLabors.ImageSharp.Image.Identify(bytes) is { } info ? new CloudPicture(bytes, type, info.Width, info.Height) : null;
        }
        catch (Exception ex) when (ex is SixLabors.ImageSharp.UnknownImageFormatException or SixLabors.ImageSharp.InvalidImageContentException)
        {
            return null;
        }
    }

    /// <summary>The file extension the media type has (<c>png</c>, <c>jpg</c>, <c>webp</c>), for a multipart file name.</summary>
    public string Extension => MediaType switch
    {
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        _ => "png",
    };

    public override string ToString() => $"{MediaType} {Width}x{Height}, {Bytes.Length} bytes";
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
