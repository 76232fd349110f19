namespace DreamLayer.Web.Data;

/// <summary>A saved image file under the images folder.</summary>
public sealed class ImageEntity
{
    public Guid Id { get; set; }
    public Guid JobId { get; set; }
    public JobEntity? Job { get; set; }

    /// <summary>Position in the job's latent batch.</summary>
    public int Index { get; set; }

    /// <summary>Path relative to the images folder, always with '/' separators; never taken from user input.</summary>
    public string RelativePath { get; set; } = string.Empty;
    public int Width { get; set; }
    public int Height { get; set; }
    public long SizeBytes { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>The A1111-style infotext embedded in the file.</summary>
    public string Parameters { get; set; } = string.Empty;
}
