using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Models.Install;

/// <summary>How models are installed (section <c>ModelInstall</c>).</summary>
public sealed class InstallOptions
{
    public const string SectionName = "ModelInstall";

    /// <summary>
    /// Private, loopback or link-local networks a download may come from anyway (<c>10.0.0.0/8</c>, <c>127.0.0.1/32</c>),
    /// for a mirror on the LAN. Empty (the default): only public addresses.
    /// </summary>
    public List<string> AllowedPrivateNetworks { get; set; } = [];

    /// <summary>Redirects followed (each hop checked) before a download is given up.</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;

    /// <summary>Downloads running at once; the others wait in line.</summary>
    [Range(1, 8)]
    public int ParallelDownloads { get; set; } = 2;

    /// <summary>Downloads that may wait in line; one more is refused with a message.</summary>
    [Range(1, 1000)]
    public int QueueLength { get; set; } = 16;

    /// <summary>Times a dropped download is resumed (HTTP Range) before it fails.</summary>
    [Range(0, 100)]
    public int ResumeAttempts { get; set; } = 5;

    /// <summary>A download or upload that receives nothing for this long is treated as dropped.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The largest file an upload may send (default 64 GiB).</summary>
    [Range(1L, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Disk space left free after a model is written; an install that would leave less is refused.</summary>
    [Range(0L, long.MaxValue)]
    public long FreeSpaceMargin { get; set; } = 256L * 1024 * 1024;
}
