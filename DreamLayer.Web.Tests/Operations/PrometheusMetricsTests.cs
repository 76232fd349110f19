using System.Diagnostics.Metrics;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Operations;

/// <summary>What a Prometheus server scraping <c>/metrics</c> reads after some jobs finished.</summary>
public sealed class PrometheusMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public void Finished_jobs_are_counted_by_outcome_and_timed_in_cumulative_buckets_per_model_and_server()
    {
        var (metrics, prometheus) = Create(_services.GetRequiredService<IMeterFactory>(), waiting: 3);
        using (prometheus)
        {
            metrics.Finished(JobStatus.Succeeded, "sd/a \"b\".safetensors", "gpu-1", queueWaitMs: 500, executionMs: 1500);
            metrics.Finished(JobStatus.Succeeded, "sd/a \"b\".safetensors", "gpu-1", queueWaitMs: 200, executionMs: 40_000);
            metrics.Finished(JobStatus.Failed, "other.safetensors", null, null, null);

            var text = prometheus.Write();

            Assert.Contains("# TYPE dreamlayer_jobs_finished_total counter\n", text, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_jobs_finished_total{outcome=\"succeeded\"} 2\n", text, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_jobs_finished_total{outcome=\"failed\"} 1\n", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE dreamlayer_job_execution_seconds histogram\n", text, StringComparison.Ordinal);
            const string labels = "model=\"sd/a \\\"b\\\".safetensors\",server=\"gpu-1\"";
            Assert.Contains($"dreamlayer_job_execution_seconds_bucket{{{labels},le=\"1\"}} 0\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_bucket{{{labels},le=\"2.5\"}} 1\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_bucket{{{labels},le=\"30\"}} 1\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_bucket{{{labels},le=\"60\"}} 2\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_bucket{{{labels},le=\"+Inf\"}} 2\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_sum{{{labels}}} 41.5\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_execution_seconds_count{{{labels}}} 2\n", text, StringComparison.Ordinal);
            Assert.Contains($"dreamlayer_job_queue_wait_seconds_sum{{{labels}}} 0.7\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain("model=\"other.safetensors\"", text, StringComparison.Ordinal); // a failed job has no timings
        }
    }

    [Fact]
    public void Gauges_and_running_totals_are_read_at_scrape_time()
    {
        var waiting = 3;
        var (_, prometheus) = Create(_services.GetRequiredService<IMeterFactory>(), () => waiting);
        using (prometheus)
        {
            var first = prometheus.Write();
            waiting = 0;
            var second = prometheus.Write();

            Assert.Contains("# TYPE dreamlayer_jobs_waiting gauge\n", first, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_jobs_waiting 3\n", first, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_jobs_waiting 0\n", second, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_servers_online 0\n", second, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_servers_enabled 1\n", second, StringComparison.Ordinal);
            Assert.Contains("dreamlayer_previews_dropped_total 0\n", second, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_start_up_warm_up_shows_nowhere_in_a_scrape()
    {
        var (metrics, prometheus) = Create(_services.GetRequiredService<IMeterFactory>(), waiting: 0);
        using (prometheus)
        {
            var before = prometheus.Write();

            prometheus.WarmUp();
            var after = prometheus.Write();
            metrics.Finished(JobStatus.Succeeded, "m.safetensors", "gpu-1", queueWaitMs: 100, executionMs: 1000);

            Assert.Equal(before, after);
            Assert.DoesNotContain("warm", prometheus.Write(), StringComparison.OrdinalIgnoreCase);
            Assert.Contains("dreamlayer_jobs_finished_total{outcome=\"succeeded\"} 1\n", prometheus.Write(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Another_app_in_the_same_process_keeps_its_own_figures()
    {
        using var otherServices = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var (_, prometheus) = Create(_services.GetRequiredService<IMeterFactory>(), waiting: 0);
        var (other, otherPrometheus) = Create(otherServices.GetRequiredService<IMeterFactory>(), waiting: 0);
        using (prometheus)
        using (otherPrometheus)
        {
            other.Finished(JobStatus.Cancelled, "m.safetensors", "gpu-1", null, null);

            Assert.DoesNotContain("outcome=\"cancelled\"", prometheus.Write(), StringComparison.Ordinal);
            Assert.Contains("dreamlayer_jobs_finished_total{outcome=\"cancelled\"} 1\n", otherPrometheus.Write(), StringComparison.Ordinal);
        }
    }

    private static (JobMetrics Metrics, PrometheusMetrics Prometheus) Create(IMeterFactory meters, int waiting) => Create(meters, () => waiting);

    private static (JobMetrics Metrics, PrometheusMetrics Prometheus) Create(IMeterFactory meters, Func<int> waiting)
    {
        var pool = new BackendPool(Options.Create(new ComfyUiOptions { Servers = [new ComfyServerOptions { Name = "gpu-1", Url = "http://127.0.0.1:9" }] }), new NoHttpClients());
        var metrics = new JobMetrics(meters, pool, new JobEvents(), waiting);
        return (metrics, new PrometheusMetrics(meters));
    }

    public void Dispose() => _services.Dispose();

    private sealed class NoHttpClients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("No server is called in these tests.");
    }
}
