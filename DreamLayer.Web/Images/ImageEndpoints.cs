using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace DreamLayer.Web.Images;

public static class ImageEndpoints
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ImageStore>();
        builder.Services.AddSingleton<UploadStore>();
        return builder;
    }

    /// <summary>
    /// Images are addressed by id only; the file path comes from the database row, so no request can
    /// name a file. Content never changes for an id, so responses are immutable with an ETag.
    /// </summary>
    public static IEndpointRouteBuilder MapImages(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/images");
        group.MapGet("/{id:guid}", async (Guid id, bool? download, IDbContextFactory<DreamLayerDbContext> dbFactory, ImageStore store, HttpContext http, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var image = await db.Images.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
            if (image is null || store.Locate(image) is not { } path || !File.Exists(path))
            {
                return Results.NotFound();
            }
            SetCaching(http, id);
            var contentType = path.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : "image/jpeg";
            return Results.File(path, contentType, download == true ? $"dreamlayer-{id:N}{Path.GetExtension(path)}" : null,
                entityTag: new EntityTagHeaderValue($"\"{id:N}\""));
        });
        group.MapGet("/{id:guid}/thumb", async (Guid id, IDbContextFactory<DreamLayerDbContext> dbFactory, ImageStore store, HttpContext http, CancellationToken ct) =>
        {
            var thumb = store.ThumbnailPath(id);
            if (!File.Exists(thumb))
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var image = await db.Images.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
                if (image is null || await store.EnsureThumbnailAsync(image, ct) is null)
                {
                    return Results.NotFound();
                }
            }
            SetCaching(http, id);
            return Results.File(thumb, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"t{id:N}\""));
        });
        // A stored upload (a source image or a painted mask), by id only; its content never changes.
        app.MapGet("/uploads/{id:guid}", (Guid id, UploadStore uploads, HttpContext http) =>
        {
            if (uploads.Locate(id) is not { } path)
            {
                return Results.NotFound();
            }
            SetCaching(http, id);
            return Results.File(path, "image/png", entityTag: new EntityTagHeaderValue($"\"u{id:N}\""));
        });
        return app;
    }

    private static void SetCaching(HttpContext http, Guid _) =>
        http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
}
