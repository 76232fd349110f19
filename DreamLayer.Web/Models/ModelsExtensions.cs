namespace DreamLayer.Web.Models;

public static class ModelsExtensions
{
    /// <summary>
    /// Model management: where each server's models folder is reachable, the admins' settings per model (in memory
    /// and in the database), the catalogue over every server, who may use which model, what replaces a checkpoint no server has, each model's preview picture, and freeing GPU memory.
    /// </summary>
    public static IHostApplicationBuilder AddModels(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IModelFolders, ModelFolders>();
        builder.Services.AddSingleton<ModelSettings>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelSettings>());
        builder.Services.AddSingleton<ModelCatalogue>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelCatalogue>());
        builder.Services.AddSingleton<ModelAccess>();
        builder.Services.AddSingleton<ModelOverview>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelOverview>());
        builder.Services.AddSingleton<ModelFallback>();
        builder.Services.AddSingleton<ModelPreviews>();
        builder.Services.AddSingleton<ServerMemory>();
        builder.Services.AddSingleton<JobModelHashes>();
        return builder;
    }
}
