namespace DreamLayer.Web.Features.Generation;

public static class GenerationExtensions
{
    /// <summary>Services of the generation pages' shared parts (LoRA, ControlNet, Advanced panel).</summary>
    public static IHostApplicationBuilder AddGenerationFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ControlMapPreview>();
        return builder;
    }
}
