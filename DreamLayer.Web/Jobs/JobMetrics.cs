using System.Diagnostics;
using System.Diagnostics.Metrics;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Operations;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// The app's figures for operators (meter <c>DreamLayer</c>, scraped at <c>/metrics</c>): jobs by outcome, time
/// waiting in line and running per model and server, servers online, jobs waiting, preview frames shown and dropped.
/// </summary>
public sealed class JobMetrics
{
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _execution;

    public JobMetrics(IMeterFactory meters, BackendPool pool, JobEvents events, Func<int> waiting)
    {
        ArgumentNullException.ThrowIfNull(meters);
        var meter = meters.Create(PrometheusMetrics.MeterName);
        _finished = meter.CreateCounter<long>("dreamlayer.jobs.finished", "{job}", "Jobs that reached an end, by outcome (succeeded, failed, cancelled).");
        _queueWait = meter.CreateHistogram<double>("dreamlayer.job.queue_wait", "s", "From queued to running on a server, per model and server.");
        _execution = meter.CreateHistogram<double>("dreamlayer.job.execution", "s", "From running to finished on a server, per model and server.");
        meter.CreateObservableGauge("dreamlayer.servers.online", () => pool.Backends.Count(b => b.IsOnline), "{server}", "ComfyUI servers connected now.");
        meter.CreateObservableGauge("dreamlayer.servers.enabled", () => pool.Backends.Count(b => b.IsEnabled), "{server}", "ComfyUI servers that are not disabled.");
        meter.CreateObservableGauge("dreamlayer.jobs.waiting", waiting, "{job}", "Jobs waiting for a server.");
        meter.CreateObservableCounter("dreamlayer.previews.received", () => events.PreviewsReceived, "{frame}", "Preview frames received from servers.");
        meter.CreateObservableCounter("dreamlayer.previews.sent", () => events.PreviewsShown, "{frame}", "Preview frames sent to at least one page.");
        meter.CreateObservableCounter("dreamlayer.previews.dropped", () => events.PreviewsDropped, "{frame}", "Preview frames replaced by a newer one before any page took them.");
    }

    public void Finished(JobStatus status, string model, string? server, double? queueWaitMs, double? executionMs)
    {
        _finished.Add(1, new KeyValuePair<string, object?>("outcome", status.ToString().ToLowerInvariant()));
        var tags = new TagList { { "model", model }, { "server", server ?? "none" } };
        if (queueWaitMs is { } wait)
        {
            _queueWait.Record(wait / 1000, tags);
        }
        if (executionMs is { } run)
        {
            _execution.Record(run / 1000, tags);
        }
    }
}
