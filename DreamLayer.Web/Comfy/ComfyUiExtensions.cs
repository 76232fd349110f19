using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Comfy;

public static class ComfyUiExtensions
{
    /// <summary>How long one call to a server may take, retries included, before it counts as unanswered.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>ComfyUI servers, their connections and the job pipeline that uses them.</summary>
    public static IHostApplicationBuilder AddComfyUi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ComfyUiOptions>().BindConfiguration(ComfyUiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddTransient<SafeRetryHandler>();
        builder.Services.AddHttpClient(BackendPool.HttpClientName, client => client.Timeout = RequestTimeout)
            .AddHttpMessageHandler<SafeRetryHandler>();
        builder.Services.AddSingleton<BackendPool>();
        builder.Services.AddSingleton<BackendSettings>();
        builder.Services.AddSingleton(_ => new WorkflowLibrary(WorkflowLibrary.DefaultDirectory));
        builder.Services.AddSingleton<JobEvents>();
        builder.Services.AddSingleton<JobSignal>();
        builder.Services.AddSingleton<JobCaps>();
        builder.Services.AddSingleton<ModelHashes>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelHashes>());
        builder.Services.AddSingleton<JobTracker>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton(sp => new JobMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<BackendPool>(),
            sp.GetRequiredService<JobEvents>(), () => sp.GetRequiredService<JobQueue>().WaitingCount));
        builder.Services.AddSingleton<JobCompletion>();
        builder.Services.AddSingleton<JobUploads>();
        builder.Services.AddSingleton<JobDispatcher>();
        builder.Services.AddSingleton<ComfyConnectionService>();
        // `WarmUp: false` starts without the warm-ups, only to measure what they save (the benchmark's `--no-warmup`).
        if (builder.Configuration.GetValue("WarmUp", defaultValue: true))
        {
            builder.Services.AddHostedService<StartupWarmUp>();
            builder.Services.AddSingleton<PipelineWarmUp>();
        }
        else
        {
            builder.Services.AddSingleton(sp => ActivatorUtilities.CreateInstance<PipelineWarmUp>(sp).SwitchedOff());
        }
        // Start order matters: the stored servers join the configured ones, restore unfinished jobs, then connect
        // (which reconciles them), then collect results.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BackendSettings>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobDispatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobCompletion>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ComfyConnectionService>());
        return builder;
    }
}
