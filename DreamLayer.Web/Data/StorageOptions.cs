using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Data;

/// <summary>Where the database and the image files live (section <c>Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Root for everything the app writes; relative paths are under the content root.</summary>
    [Required]
    public string DataDirectory { get; set; } = "data";

    /// <summary>Images folder; default <c>&lt;DataDirectory&gt;/images</c>.</summary>
    public string? ImagesDirectory { get; set; }

    /// <summary>SQLite database file; default <c>&lt;DataDirectory&gt;/dreamlayer.db</c>.</summary>
    public string? DatabasePath { get; set; }

    /// <summary>Largest image accepted from a server or an upload, in bytes.</summary>
    [Range(1024, long.MaxValue)]
    public long MaxImageBytes { get; set; } = 100 * 1024 * 1024;

    /// <summary>Largest image accepted, in pixels (width × height).</summary>
    [Range(1024, long.MaxValue)]
    public long MaxImagePixels { get; set; } = 16384L * 16384L;

    [Range(64, 1024)]
    public int ThumbnailSize { get; set; } = 320;
}

/// <summary>Resolved absolute paths. <see cref="UploadsDirectory"/> holds images users upload (<c>&lt;DataDirectory&gt;/uploads</c>).</summary>
public sealed record StoragePaths(string DataDirectory, string ImagesDirectory, string ThumbnailsDirectory, string DatabasePath, string UploadsDirectory)
{
    public static StoragePaths Resolve(StorageOptions options, string contentRoot)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = Path.GetFullPath(options.DataDirectory, contentRoot);
        var images = Path.GetFullPath(options.ImagesDirectory ?? Path.Combine(data, "images"), contentRoot);
        var db = Path.GetFullPath(options.DatabasePath ?? Path.Combine(data, "dreamlayer.db"), contentRoot);
        return new StoragePaths(data, images, Path.Combine(images, ".thumbs"), db, Path.Combine(data, "uploads"));
    }
}
