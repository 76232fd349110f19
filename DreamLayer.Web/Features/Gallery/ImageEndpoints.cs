using System.IO.Compression;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DreamLayer.Web.Features.Gallery;

public static class ImageEndpoints
{
    /// <summary>Most images one zip download carries.</summary>
    public const int MaxZipImages = 2000;

    /// <summary>
    /// Images are addressed by id only; the file path comes from the database row, so no request can name a
    /// file, and a row whose path would leave the images folder is never served. Each request is checked for
    /// the signed-in viewer: a private image is served to its owner and admins only (anyone else gets 404, as if
    /// it did not exist). Content never changes for an id, so responses are cacheable with an ETag.
    /// </summary>
    public static IEndpointRouteBuilder MapImages(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/images");
        group.MapGet("/{id:guid}", FileAsync);
        group.MapGet("/{id:guid}/thumb", ThumbnailAsync);
        // Several images as one zip, streamed as it is written. Ids the viewer may not see are left out.
        group.MapPost("/zip", async ([FromForm] IFormCollection form, SignedInUser user, GalleryService gallery, ImageStore store, HttpContext http, CancellationToken ct) =>
        {
            var ids = form["ids"].Select(v => Guid.TryParse(v, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).Distinct().Take(MaxZipImages).ToList();
            var images = await gallery.FindVisibleAsync(user, ids, ct);
            if (images.Count == 0)
            {
                return Results.NotFound();
            }
            http.Response.ContentType = "application/zip";
            http.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = $"dreamlayer-{images.Count}-images.zip" }.ToString();
            http.Response.Headers.CacheControl = "no-store";
            // ZipArchive still writes some headers synchronously when the output cannot seek (a response body).
            if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpBodyControlFeature>() is { } bodyControl)
            {
                bodyControl.AllowSynchronousIO = true;
            }
            await using (var zip = await ZipArchive.CreateAsync(http.Response.Body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, ct))
            {
                foreach (var image in images)
                {
                    if (store.Locate(image) is not { } path || !File.Exists(path))
                    {
                        continue;
                    }
                    var entry = zip.CreateEntry(DownloadName(image), CompressionLevel.NoCompression);
                    entry.LastWriteTime = new DateTimeOffset(image.CreatedAt, TimeSpan.Zero);
                    await using var target = await entry.OpenAsync(ct);
                    await using var source = File.OpenRead(path);
                    await source.CopyToAsync(target, ct);
                }
            }
            return Results.Empty;
        });
        // A stored upload (a source image or a painted mask), by id only; its content never changes. Only for those who
        // may see it (UploadAccess); anyone else is told it does not exist, as with a private image.
        app.MapGet("/uploads/{id:guid}", async (Guid id, SignedInUser user, UploadStore uploads, UploadAccess access, HttpContext http, CancellationToken ct) =>
        {
            if (uploads.Locate(id) is not { } path || !await access.MayViewAsync(user, id, ct))
            {
                return Results.NotFound();
            }
            SetCaching(http);
            return Results.File(path, "image/png", entityTag: new EntityTagHeaderValue($"\"u{id:N}\""));
        });
        return app;
    }

    /// <summary>An image's file for <paramref name="user"/>, or 404 when they may not see it (also the API's <c>/api/v1/images/{id}/file</c>).</summary>
    public static async Task<IResult> FileAsync(Guid id, bool? download, SignedInUser user, GalleryService gallery, ImageStore store, HttpContext http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(store);
        var image = await gallery.FindVisibleAsync(user, id, ct);
        if (image is null || store.Locate(image) is not { } path || !File.Exists(path))
        {
            return Results.NotFound();
        }
        SetCaching(http);
        return Results.File(path, ContentType(path), download == true ? DownloadName(image) : null,
            entityTag: new EntityTagHeaderValue($"\"{id:N}\""));
    }

    /// <summary>An image's thumbnail (JPEG, made now if it is not yet), or 404 as for <see cref="FileAsync"/>.</summary>
    public static async Task<IResult> ThumbnailAsync(Guid id, SignedInUser user, GalleryService gallery, ImageStore store, HttpContext http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(gallery);
        ArgumentNullException.ThrowIfNull(store);
        var image = await gallery.FindVisibleAsync(user, id, ct);
        if (image is null || await store.EnsureThumbnailAsync(image, ct) is not { } thumb)
        {
            return Results.NotFound();
        }
        SetCaching(http);
        return Results.File(thumb, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"t{id:N}\""));
    }

    /// <summary>A file name built from the row only (date and id), never from a prompt or a request.</summary>
    public static string DownloadName(Data.ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var extension = image.RelativePath.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? ".png" : ".jpg";
        return $"dreamlayer-{image.CreatedAt:yyyyMMdd-HHmmss}-{image.Id:N}{extension}";
    }

    private static string ContentType(string path) =>
        path.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : path.EndsWith(".webp", StringComparison.Ordinal) ? "image/webp" : "image/jpeg";

    private static void SetCaching(HttpContext http) =>
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
}
