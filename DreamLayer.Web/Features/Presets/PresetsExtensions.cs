namespace DreamLayer.Web.Features.Presets;

public static class PresetsExtensions
{
    /// <summary>The team's saved presets of the generation pages.</summary>
    public static IHostApplicationBuilder AddPresets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TeamPresets>();
        return builder;
    }
}
