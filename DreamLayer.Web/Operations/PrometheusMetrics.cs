using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace DreamLayer.Web.Operations;

/// <summary>
/// Keeps the app's own meter (<see cref="MeterName"/>, from this app's <see cref="IMeterFactory"/>; the job pipeline's
/// figures, <c>Jobs/JobMetrics.cs</c>, are recorded on it, whenever its instruments are created) and
/// writes it in the Prometheus text format: counters as <c>_total</c>, histograms as cumulative <c>_bucket</c>
/// lines with <c>_sum</c> and <c>_count</c>, gauges as they are read at scrape time. A unit of seconds adds
/// <c>_seconds</c> to the name, as the OpenTelemetry exporter does.
/// </summary>
public sealed class PrometheusMetrics : IDisposable
{
    /// <summary>Upper bounds of the histogram buckets, in the instrument's unit (seconds for the job timings).</summary>
    public static readonly double[] Buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private readonly Lock _scrape = new();

    /// <summary>The name of the app's meter: the only one <c>/metrics</c> shows.</summary>
    public const string MeterName = "DreamLayer";

    public PrometheusMetrics(IMeterFactory meters)
    {
        // Instruments created later (the job pipeline's, when it starts) are published to the listener then.
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                _series[instrument] = new Series(instrument);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>
    /// Sends a measurement of each kind the jobs record through the listener, and one through a series, on instruments
    /// of a meter of their own that no scrape shows: the first job's figures then find that path compiled.
    /// </summary>
    public void WarmUp()
    {
        using var meter = new Meter(MeterName + ".WarmUp");
        var counter = meter.CreateCounter<long>("warm_up");
        var histogram = meter.CreateHistogram<double>("warm_up", "s");
        _listener.EnableMeasurementEvents(counter);
        _listener.EnableMeasurementEvents(histogram);
        counter.Add(1, new KeyValuePair<string, object?>("outcome", "warm-up"));
        histogram.Record(1, new TagList { { "model", "warm-up" }, { "server", "warm-up" } });
        new Series(histogram).Record(1, Labels([new("model", "warm-up"), new("server", "warm-up")]));
    }

    /// <summary>Every series, observable instruments read now.</summary>
    public string Write()
    {
        var text = new StringBuilder();
        lock (_scrape)
        {
            foreach (var series in _series.Values.Where(s => s.IsObservable))
            {
                series.ClearLast();
            }
            _listener.RecordObservableInstruments();
            foreach (var series in _series.Values.OrderBy(s => s.Name, StringComparer.Ordinal))
            {
                series.WriteTo(text);
            }
        }
        return text.ToString();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_series.TryGetValue(instrument, out var series))
        {
            series.Record(value, Labels(tags));
        }
    }

    /// <summary>The label part of a line, <c>{a="1",b="2"}</c>, sorted by key and escaped; empty without tags.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return string.Empty;
        }
        var pairs = tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? string.Empty)}\"");
        return "{" + string.Join(',', pairs) + "}";
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's values by label set.</summary>
    private sealed class Series(Instrument instrument)
    {
        private readonly ConcurrentDictionary<string, Point> _points = new(StringComparer.Ordinal);

        private readonly string _type = PrometheusType(instrument);

        public string Name { get; } = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : string.Empty)
            + (PrometheusType(instrument) == "counter" ? "_total" : string.Empty);

        public bool IsObservable => instrument.IsObservable;

        private bool IsHistogram => _type == "histogram";

        /// <summary><c>counter</c> (only ever grows), <c>histogram</c>, or <c>gauge</c> (anything else).</summary>
        private static string PrometheusType(Instrument instrument) =>
            (instrument.GetType() is { IsGenericType: true } t ? t.GetGenericTypeDefinition() : null) switch
            {
                var d when d == typeof(Histogram<>) => "histogram",
                var d when d == typeof(Counter<>) || d == typeof(ObservableCounter<>) => "counter",
                _ => "gauge",
            };

        /// <summary>An observable instrument reports its current value at every scrape; one that stops reporting a label set drops it.</summary>
        public void ClearLast() => _points.Clear();

        public void Record(double value, string labels)
        {
            var point = _points.GetOrAdd(labels, _ => new Point(IsHistogram ? new long[Buckets.Length] : null));
            lock (point)
            {
                if (instrument.IsObservable)
                {
                    point.Value = value; // observable counters report their running total
                    return;
                }
                point.Value += value;
                point.Count++;
                if (point.BucketCounts is { } counts)
                {
                    var i = Array.FindIndex(Buckets, b => value <= b);
                    if (i >= 0)
                    {
                        counts[i]++;
                    }
                }
            }
        }

        public void WriteTo(StringBuilder text)
        {
            if (instrument.Description is { Length: > 0 } help)
            {
                text.Append("# HELP ").Append(Name).Append(' ').Append(help.Replace("\n", " ", StringComparison.Ordinal)).Append('\n');
            }
            text.Append("# TYPE ").Append(Name).Append(' ').Append(_type).Append('\n');
            foreach (var (labels, point) in _points.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                lock (point)
                {
                    if (point.BucketCounts is not { } counts)
                    {
                        text.Append(Name).Append(labels).Append(' ').Append(Number(point.Value)).Append('\n');
                        continue;
                    }
                    var inner = labels.Length == 0 ? string.Empty : labels[1..^1] + ",";
                    long cumulative = 0;
                    for (var i = 0; i < Buckets.Length; i++)
                    {
                        cumulative += counts[i];
                        text.Append(Name).Append("_bucket{").Append(inner).Append("le=\"").Append(Number(Buckets[i])).Append("\"} ").Append(cumulative).Append('\n');
                    }
                    text.Append(Name).Append("_bucket{").Append(inner).Append("le=\"+Inf\"} ").Append(point.Count).Append('\n');
                    text.Append(Name).Append("_sum").Append(labels).Append(' ').Append(Number(point.Value)).Append('\n');
                    text.Append(Name).Append("_count").Append(labels).Append(' ').Append(point.Count).Append('\n');
                }
            }
        }
    }

    private sealed class Point(long[]? bucketCounts)
    {
        public double Value { get; set; }

        public long Count { get; set; }

        public long[]? BucketCounts { get; } = bucketCounts;
    }
}
