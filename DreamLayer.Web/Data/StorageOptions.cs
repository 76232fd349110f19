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
    public long MaxImageBytes { get; set; } = DefaultMaxImageBytes;

    public const long DefaultMaxImageBytes = 100 * 1024 * 1024;

    /// <summary>
    /// Largest image accepted from a server, a folder import or PNG Info, in pixels (width × height). Pictures people
    /// upload to work from have the tighter limits below.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxImagePixels { get; set; } = 16384L * 16384L;

    /// <summary>
    /// Largest picture to generate from, in pixels: an Img2Img or Inpaint source (and its mask), a ControlNet picture, a
    /// workflow's image field. 4096×4096 is twice the side any SD 1.5, SDXL or Flux checkpoint generates at (the source is
    /// fitted to the generation size before it is sent), holds a 4K frame or a 12-megapixel phone photo, and decodes into
    /// at most 64 MiB.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxSourcePixels { get; set; } = 4096L * 4096L;

    /// <summary>
    /// Largest picture Extras upscales, in pixels: 8192×4096 holds a 32-megapixel photo; twice its size is still within
    /// <see cref="MaxImagePixels"/>, the limit on the result the server sends back.
    /// </summary>
    [Range(1024, long.MaxValue)]
    public long MaxUpscaleSourcePixels { get; set; } = 8192L * 4096L;

    /// <summary>
    /// Memory that image decodes together may hold at once, in bytes (each is counted by its pixels, its pixel format and
    /// its decoder's working memory); a decode that does not fit waits for others to finish. One larger than this runs alone.
    /// </summary>
    [Range(16L * 1024 * 1024, long.MaxValue)]
    public long DecodeMemoryBytes { get; set; } = 256L * 1024 * 1024;

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
