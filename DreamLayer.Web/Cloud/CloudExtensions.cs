using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;
using DreamLayer.Web.Cloud.Pricing;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Cloud;

public static class CloudExtensions
{
    /// <summary>
    /// The cloud image providers' clients (OpenAI through its SDK, Ideogram and BFL through typed clients), each with the
    /// <c>Cloud</c> section's base address and timeout, and every answer bounded; the queue asks for them as
    /// <see cref="ICloudImageProvider"/>; and the prices, budgets and usage of cloud pictures.
    /// </summary>
    public static IHostApplicationBuilder AddCloud(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<CloudOptions>().BindConfiguration(CloudOptions.SectionName);
        builder.Services.AddSingleton<CloudCalls>();
        builder.Services.AddSingleton<CloudPrices>();
        builder.Services.AddSingleton<CloudBudgets>();
        builder.Services.AddSingleton<CloudUsage>();
        builder.Services.AddHttpClient<OpenAiImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers);
        builder.Services.AddHttpClient<IdeogramImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers);
        builder.Services.AddHttpClient<BflImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers);
        builder.Services.AddHttpClient(CloudCalls.DownloadClient, Timeout)
            .AddHttpMessageHandler(sp => new BoundedResponseHandler(sp.GetRequiredService<IOptions<CloudOptions>>().Value.MaxImageBytes));
        builder.Services.AddTransient<ICloudImageProvider>(sp => sp.GetRequiredService<OpenAiImageProvider>());
        builder.Services.AddTransient<ICloudImageProvider>(sp => sp.GetRequiredService<IdeogramImageProvider>());
        builder.Services.AddTransient<ICloudImageProvider>(sp => sp.GetRequiredService<BflImageProvider>());
        return builder;
    }

    private static void Timeout(IServiceProvider services, HttpClient client) =>
        client.Timeout = services.GetRequiredService<IOptions<CloudOptions>>().Value.RequestTimeout;

    private static BoundedResponseHandler ApiAnswers(IServiceProvider services) =>
        new(services.GetRequiredService<IOptions<CloudOptions>>().Value.MaxResponseBytes);
}
