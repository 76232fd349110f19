using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Comfy;

/// <summary>The ComfyUI servers this app sends work to (section <c>ComfyUi</c>).</summary>
public sealed class ComfyUiOptions
{
    public const string SectionName = "ComfyUi";

    [Required, MinLength(1)]
    public List<ComfyServerOptions> Servers { get; set; } = [];

    /// <summary>Jobs handed to one server at once (running plus waiting inside ComfyUI), unless the server sets its own.</summary>
    [Range(1, 64)]
    public int MaxJobsInFlight { get; set; } = 2;

    /// <summary>Jobs one person may have on servers at once; the rest wait their turn.</summary>
    [Range(1, 1000)]
    public int MaxJobsPerUser { get; set; } = 4;

    /// <summary>How long a server may be offline before the jobs it holds are moved to other servers.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan FailoverAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a job that was running on a server that went away is started again elsewhere (0: it fails).</summary>
    [Range(0, 10)]
    public int RetriesAfterServerLoss { get; set; } = 1;

    /// <summary>How often each connected server's <c>/system_stats</c> is read; a server that does not answer is offline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HealthPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First and longest wait between WebSocket reconnect attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>With no WebSocket event for this long, in-flight jobs are checked through <c>/history</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan QuietPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// ComfyUI's <c>models</c> folder, if the app can read it (same machine or a shared folder): checkpoints and LoRAs
    /// are then hashed once in the background for the <c>Model hash</c> and <c>Lora hashes</c> of saved images.
    /// </summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>
    /// Pays the job pipeline's one-time costs at start-up and before the first server is shown online
    /// (<c>StartupWarmUp</c>, <c>PipelineWarmUp</c>), so that the first job of the day is as fast as the others. Only
    /// the first job's speed depends on it; the tests, which start hundreds of apps, switch it off.
    /// </summary>
    public bool WarmUp { get; set; } = true;
}

public sealed class ComfyServerOptions
{
    [Required]
    public string Name { get; set; } = "local";

    [Required, Url]
    public string Url { get; set; } = "http://127.0.0.1:8188";

    /// <summary>This server's jobs in flight; null takes <see cref="ComfyUiOptions.MaxJobsInFlight"/>.</summary>
    [Range(1, 64)]
    public int? MaxJobsInFlight { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>This server's ComfyUI <c>models</c> folder as the app reaches it; null takes <see cref="ComfyUiOptions.ModelsDirectory"/>.</summary>
    public string? ModelsDirectory { get; set; }
}
