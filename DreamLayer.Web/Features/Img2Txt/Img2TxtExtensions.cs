namespace DreamLayer.Web.Features.Img2Txt;

public static class Img2TxtExtensions
{
    /// <summary>Img2Txt's describers (OpenAI's vision model, the servers' captioning nodes).</summary>
    public static IHostApplicationBuilder AddImg2Txt(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ImageDescriptions>();
        return builder;
    }
}
