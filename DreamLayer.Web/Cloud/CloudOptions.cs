namespace DreamLayer.Web.Cloud;

/// <summary>Where one provider's API is (tests and proxies point it elsewhere).</summary>
public sealed class CloudEndpoint
{
    public string BaseUrl { get; set; } = string.Empty;
}

/// <summary>
/// The <c>Cloud</c> section: each provider's base address (<c>Cloud:OpenAI:BaseUrl</c>, <c>Cloud:Ideogram:BaseUrl</c>,
/// <c>Cloud:Bfl:BaseUrl</c>), how long a call may take, when a refused request may be sent again, BFL's polling, and
/// the largest answer read.
/// </summary>
public sealed class CloudOptions
{
    public const string SectionName = "Cloud";

    /// <summary>OpenAI's API root, with its version (the SDK's endpoint).</summary>
    public CloudEndpoint OpenAI { get; set; } = new() { BaseUrl = "https://api.openai.com/v1" };

    public CloudEndpoint Ideogram { get; set; } = new() { BaseUrl = "https://api.ideogram.ai" };

    public CloudEndpoint Bfl { get; set; } = new() { BaseUrl = "https://api.bfl.ai" };

    /// <summary>The OpenAI model Img2Txt describes pictures with (<c>Cloud:OpenAIVisionModel</c>): any chat model that takes images.</summary>
    public string OpenAIVisionModel { get; set; } = "gpt-4.1-mini";

    /// <summary>
    /// How long one HTTP call may take (a synchronous generation included: gpt-image-1 at high quality takes minutes).
    /// A paid call that runs out of it ends as "unknown, may have been billed".
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many times a request the provider cannot have accepted (refused connection, rate limit) is sent again.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>The longest <c>Retry-After</c> waited for; a longer one ends the call as rate limited, saying when to retry.</summary>
    public TimeSpan MaxRetryWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The wait before sending again when the provider did not say (multiplied by the attempt number).</summary>
    public TimeSpan DefaultRetryWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest API answer read (OpenAI's base64 pictures are in it: 10 pictures of a few MB each).</summary>
    public long MaxResponseBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>The largest picture downloaded from a result address.</summary>
    public long MaxImageBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>BFL: the first wait between polls; it grows by <see cref="PollBackoff"/> up to <see cref="MaxPollInterval"/>.</summary>
    public TimeSpan FirstPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public double PollBackoff { get; set; } = 1.5;

    /// <summary>BFL: how long a task is followed before the call ends as timed out (the task may still finish: resume it).</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
