using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DreamLayer.Web.Operations;

/// <summary>Health endpoints for a reverse proxy or service manager, and a Prometheus scrape endpoint.</summary>
public static class OperationsExtensions
{
    private const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddOperations(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<BackendsHealthCheck>("backends", tags: [ReadyTag]);
        builder.Services.AddSingleton<PrometheusMetrics>();
        builder.Services.AddSingleton<MemoryTrim>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MemoryTrim>());
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c> (the process answers), <c>/health/ready</c> (database reachable and a server online) and
    /// <c>/metrics</c> (Prometheus text format). None needs sign-in: restrict them at the reverse proxy if needed.
    /// </summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).AllowAnonymous();
        // Listening from start-up, so that no job finished before the first scrape is missed.
        var metrics = app.Services.GetRequiredService<PrometheusMetrics>();
        app.MapGet("/metrics", () => Results.Text(metrics.Write(), "text/plain; version=0.0.4; charset=utf-8")).AllowAnonymous();
        return app;
    }

    /// <summary>The overall status, then one line per check with its reason.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var lines = report.Entries.Select(e => $"{e.Key}: {e.Value.Status} {e.Value.Description}".TrimEnd());
        return context.Response.WriteAsync(string.Join('\n', lines.Prepend(report.Status.ToString())) + "\n");
    }
}

internal sealed class DatabaseHealthCheck(IDbContextFactory<DreamLayerDbContext> dbFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy("reachable")
            : HealthCheckResult.Unhealthy("the database cannot be opened");
    }
}

internal sealed class BackendsHealthCheck(BackendPool pool) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var enabled = pool.Backends.Where(b => b.IsEnabled).ToList();
        var online = enabled.Count(b => b.IsOnline);
        var text = $"{online} of {enabled.Count} ComfyUI servers online";
        return Task.FromResult(online > 0 ? HealthCheckResult.Healthy(text) : HealthCheckResult.Unhealthy(text));
    }
}
