using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Comfy;

/// <summary>The ComfyUI servers this app sends work to (section <c>ComfyUi</c>).</summary>
public sealed class ComfyUiOptions
{
    public const string SectionName = "ComfyUi";

    [Required, MinLength(1)]
    public List<ComfyServerOptions> Servers { get; set; } = [];

    /// <summary>Jobs handed to one server at once (running plus waiting inside ComfyUI).</summary>
    [Range(1, 64)]
    public int MaxJobsInFlight { get; set; } = 2;

    /// <summary>First and longest wait between WebSocket reconnect attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>With no WebSocket event for this long, in-flight jobs are checked through <c>/history</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan QuietPollInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public sealed class ComfyServerOptions
{
    [Required]
    public string Name { get; set; } = "local";

    [Required, Url]
    public string Url { get; set; } = "http://127.0.0.1:8188";
}
