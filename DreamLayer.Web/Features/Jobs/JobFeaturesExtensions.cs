namespace DreamLayer.Web.Features.Jobs;

public static class JobFeaturesExtensions
{
    /// <summary>What the generation pages share to hand jobs in: one submitter per circuit.</summary>
    public static IHostApplicationBuilder AddJobFeatures(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<GenerationSubmitter>();
        return builder;
    }
}
