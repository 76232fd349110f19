using Serilog;
using Serilog.Settings.Configuration;

namespace DreamLayer.Web.Operations;

public static class LoggingExtensions
{
    /// <summary>Serilog from the <c>Serilog</c> section of appsettings.json: console plus rolling files under data/logs.</summary>
    public static IHostApplicationBuilder AddDreamLayerLogging(this IHostApplicationBuilder builder)
    {
        // The sinks' assemblies are named, so Serilog need not scan every dependency of the app for them at start-up.
        var sinks = new ConfigurationReaderOptions(typeof(ConsoleLoggerConfigurationExtensions).Assembly, typeof(FileLoggerConfigurationExtensions).Assembly);
        // The app's own logger, not the process-wide Log.Logger: without preserveStaticLogger the logging factory writes
        // through the static logger, which the last app built in the process owns, and which the first app disposed
        // replaces with a silent one (Log.CloseAndFlush). Two apps in one process (the tests, or a host that builds the
        // app again) would each write into the other's sinks, or into none.
        builder.Services.AddSerilog((services, config) => config
            .ReadFrom.Configuration(builder.Configuration, sinks)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext()
            .Enrich.With<AccessTokenRedaction>(), preserveStaticLogger: true);
        return builder;
    }

    public static WebApplication UseDreamLayerLogging(this WebApplication app)
    {
        // The request log line goes through the app's logger too (without one the middleware takes the static logger).
        var logger = app.Services.GetRequiredService<Serilog.ILogger>();
        app.UseSerilogRequestLogging(o =>
        {
            o.Logger = logger;
            // The path alone: a hub's query carries the caller's token (access_token).
            o.IncludeQueryInRequestPath = false;
            o.GetLevel = (http, _, ex) => RequestLevel(http, ex);
        });
        return app;
    }

    /// <summary>
    /// The level of a request's log line: errors as errors; the circuit, pictures and preview frames (many per page and
    /// per job: each open tab fetches every frame it shows) at Debug, so they neither fill the log nor cost a line each;
    /// everything else at Information.
    /// </summary>
    internal static Serilog.Events.LogEventLevel RequestLevel(HttpContext http, Exception? ex) =>
        ex is not null || http.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
        : http.Request.Path.StartsWithSegments("/_blazor") || http.Request.Path.StartsWithSegments("/images") || http.Request.Path.StartsWithSegments("/previews")
            ? Serilog.Events.LogEventLevel.Debug
        : Serilog.Events.LogEventLevel.Information;
}

/// <summary>
/// Takes the value of every <c>access_token=</c> and <c>token=</c> out of what is logged: SignalR clients send a personal
/// API token in the first query parameter to <c>/hubs/jobs</c>, ComfyUI clients in the second to <c>/comfy</c>, and the framework's own request lines (<c>Microsoft.AspNetCore.Hosting</c>, at
/// Information when an admin turns it up) write the query string whole.
/// </summary>
internal sealed partial class AccessTokenRedaction : Serilog.Core.ILogEventEnricher
{
    public void Enrich(Serilog.Events.LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        List<(string Name, string Value)>? redacted = null;
        foreach (var (name, value) in logEvent.Properties)
        {
            if (value is Serilog.Events.ScalarValue { Value: string text } && text.Contains("token=", StringComparison.OrdinalIgnoreCase))
            {
                (redacted ??= []).Add((name, Redact(text)));
            }
        }
        foreach (var (name, text) in redacted ?? [])
        {
            logEvent.AddOrUpdateProperty(new Serilog.Events.LogEventProperty(name, new Serilog.Events.ScalarValue(text)));
        }
    }

    /// <summary><paramref name="text"/> with each <c>access_token</c> and <c>token</c> value replaced by <c>[redacted]</c>.</summary>
    internal static string Redact(string text) => AccessToken().Replace(text, "$1[redacted]");

    [System.Text.RegularExpressions.GeneratedRegex("((?:access_)?token=)[^&#\\s\"]*", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex AccessToken();
}
