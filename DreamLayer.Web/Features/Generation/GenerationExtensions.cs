namespace DreamLayer.Web.Features.Generation;

public static class GenerationExtensions
{
    /// <summary>Services of the generation pages' shared parts (LoRA, ControlNet, Advanced panel, the cloud models offered).</summary>
    public static IHostApplicationBuilder AddGenerationFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ControlMapPreview>();
        builder.Services.AddSingleton<CloudOffers>();
        return builder;
    }
}
