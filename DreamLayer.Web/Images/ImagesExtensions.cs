using DreamLayer.Web.Data;
using DreamLayer.Web.Operations;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Images;

public static class ImagesExtensions
{
    /// <summary>Image files: the store of generated images and thumbnails, uploads, and the gate that bounds decoding memory.</summary>
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        ImageGate.ConfigureMemory(storage);
        // Once the last decode gives its memory back, the app gives it back to the system when quiet (MemoryTrim).
        builder.Services.AddSingleton(sp => new ImageGate(sp.GetRequiredService<IOptions<StorageOptions>>(), sp.GetRequiredService<MemoryTrim>().ImageWorkDone));
        builder.Services.AddSingleton<ImageStore>();
        builder.Services.AddSingleton<UploadStore>();
        builder.Services.AddSingleton<ThumbnailQueue>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ThumbnailQueue>());
        return builder;
    }
}
