namespace DreamLayer.Web.Features.Gallery;

public static class GalleryExtensions
{
    public static IHostApplicationBuilder AddGallery(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GalleryEvents>();
        builder.Services.AddSingleton<GalleryService>();
        builder.Services.AddSingleton<BoardService>();
        builder.Services.AddSingleton<FolderImport>();
        builder.Services.AddSingleton<UploadAccess>();
        return builder;
    }
}
