using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Jobs;

public static class JobsExtensions
{
    /// <summary>
    /// The job pipeline: the queue pages submit to, the dispatcher that sends jobs to servers, the tracker that follows
    /// them, the completion workers that store their images, and the start-up warm-ups.
    /// </summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<JobEvents>();
        builder.Services.AddSingleton<JobSignal>();
        builder.Services.AddSingleton<JobCaps>();
        builder.Services.AddSingleton<JobTracker>();
        builder.Services.AddSingleton<CloudBackends>();
        builder.Services.AddSingleton<CloudRunner>();
        builder.Services.AddSingleton<JobQueue>();
        builder.Services.AddSingleton(sp => new JobMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<BackendPool>(),
            sp.GetRequiredService<JobEvents>(), () => sp.GetRequiredService<JobQueue>().WaitingCount));
        builder.Services.AddSingleton<JobCompletion>();
        builder.Services.AddSingleton<JobUploads>();
        builder.Services.AddSingleton<JobHistory>();
        builder.Services.AddSingleton<JobDispatcher>();
        builder.Services.AddSingleton<PipelineWarmUp>();
        builder.Services.AddSingleton<IServerEvents, JobServerEvents>();
        builder.Services.AddHostedService<StartupWarmUp>();
        // Start order matters: unfinished jobs are restored before the servers connect (which reconciles them).
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobDispatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobCompletion>());
        return builder;
    }
}
