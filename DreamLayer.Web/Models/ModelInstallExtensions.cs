using DreamLayer.Web.Models.Install;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models;

public static class ModelInstallExtensions
{
    /// <summary>
    /// Installing model files (each server's models folder is <see cref="IModelFolders"/>, registered by <c>AddModels</c>): the installs under way, the downloads (a bounded
    /// line, a client that reaches only allowed addresses and follows redirects by hand), and the file actions.
    /// </summary>
    public static IHostApplicationBuilder AddModelInstall(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<InstallOptions>().BindConfiguration(InstallOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => new DownloadAddresses(sp.GetRequiredService<IOptions<InstallOptions>>().Value.AllowedPrivateNetworks));
        builder.Services.AddHttpClient(ModelDownloads.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var addresses = sp.GetRequiredService<DownloadAddresses>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    AutomaticDecompression = System.Net.DecompressionMethods.None,
                    ConnectTimeout = TimeSpan.FromSeconds(30),
                    ConnectCallback = (context, ct) => addresses.ConnectAsync(context.DnsEndPoint, ct),
                };
            })
            .RemoveAllLoggers(); // the framework's request log would write the address, whose query can hold a key
        builder.Services.AddSingleton<IPartFiles, PartFiles>();
        builder.Services.AddSingleton<ModelInstalls>();
        builder.Services.AddSingleton<ModelFiles>();
        builder.Services.AddSingleton<ModelDownloads>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelDownloads>());
        return builder;
    }
}
