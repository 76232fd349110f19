namespace DreamLayer.Web.Comfy;

public static class ComfyUiExtensions
{
    /// <summary>How long one call to a server may take, retries included, before it counts as unanswered.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The ComfyUI servers: their options, the HTTP client, the pool with each server's state, the stored servers, model hashing.</summary>
    public static IHostApplicationBuilder AddComfyUi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ComfyUiOptions>().BindConfiguration(ComfyUiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddTransient<SafeRetryHandler>();
        builder.Services.AddHttpClient(BackendPool.HttpClientName, client => client.Timeout = RequestTimeout)
            .AddHttpMessageHandler<SafeRetryHandler>();
        builder.Services.AddSingleton<BackendPool>();
        builder.Services.AddSingleton<BackendSettings>();
        builder.Services.AddSingleton(_ => new WorkflowLibrary(WorkflowLibrary.DefaultDirectory));
        builder.Services.AddSingleton<ModelHashes>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelHashes>());
        // The stored servers join the configured ones before anything (restoring jobs, connecting) looks them up.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BackendSettings>());
        return builder;
    }

    /// <summary>
    /// One WebSocket per server, handing what it receives to <see cref="IServerEvents"/>. Registered apart from
    /// <see cref="AddComfyUi"/> because hosted services start in registration order: the connections start after the
    /// service that implements <see cref="IServerEvents"/> has restored the jobs that a connect reconciles.
    /// </summary>
    public static IHostApplicationBuilder AddComfyConnections(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ComfyConnectionService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ComfyConnectionService>());
        return builder;
    }
}
