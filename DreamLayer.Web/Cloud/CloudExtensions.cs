using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Security;
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
        // A key's Test goes where the pictures go, unless KeyChecks:BaseUrls says otherwise: one setting moves both.
        builder.Services.AddOptions<KeyCheckOptions>().PostConfigure<IOptions<CloudOptions>>((checks, cloud) =>
        {
            checks.BaseUrls.TryAdd(KeyProviders.OpenAI.Id, cloud.Value.OpenAI.BaseUrl);
            checks.BaseUrls.TryAdd(KeyProviders.Ideogram.Id, cloud.Value.Ideogram.BaseUrl);
            checks.BaseUrls.TryAdd(KeyProviders.BlackForestLabs.Id, cloud.Value.Bfl.BaseUrl);
        });
        builder.Services.AddSingleton<CloudCalls>();
        builder.Services.AddSingleton<CloudPrices>();
        builder.Services.AddSingleton<CloudBudgets>();
        builder.Services.AddSingleton<CloudUsage>();
        // No request log on the keyed clients: at Trace, HttpClient's header log hands every header's raw value (the key)
        // to structured sinks as a property, though its text shows "*". The clients log ids, statuses and waits themselves.
        builder.Services.AddHttpClient<OpenAiImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers).RemoveAllLoggers();
        builder.Services.AddHttpClient<OpenAiDescriber>(Timeout).AddHttpMessageHandler(ApiAnswers).RemoveAllLoggers();
        builder.Services.AddHttpClient<IdeogramImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers).RemoveAllLoggers();
        builder.Services.AddHttpClient<BflImageProvider>(Timeout).AddHttpMessageHandler(ApiAnswers).RemoveAllLoggers();
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
