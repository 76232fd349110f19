using System.Collections.Concurrent;
using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// Every event the app's Serilog pipeline writes (Serilog takes the sinks registered as services): pass
/// <c>services: s => s.AddSingleton&lt;ILogEventSink&gt;(log)</c> to <see cref="DreamLayerApp.StartAsync"/>, then search
/// <see cref="Lines"/> for what must never be logged.
/// </summary>
public sealed class CapturedLog : ILogEventSink
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>Each event's message, its properties and its exception, one line per event.</summary>
    public IEnumerable<string> Lines => _lines;

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        using var text = new StringWriter();
        logEvent.RenderMessage(text, CultureInfo.InvariantCulture);
        _lines.Enqueue($"{text} {string.Join(' ', logEvent.Properties.Select(p => $"{p.Key}={p.Value}"))} {logEvent.Exception}");
    }
}
