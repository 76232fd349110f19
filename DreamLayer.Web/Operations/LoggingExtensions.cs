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
        builder.Services.AddSerilog((services, config) => config
            .ReadFrom.Configuration(builder.Configuration, sinks)
            .ReadFrom.Services(services)
            .Enrich.FromLogContext());
        return builder;
    }

    public static WebApplication UseDreamLayerLogging(this WebApplication app)
    {
        app.UseSerilogRequestLogging(o => o.GetLevel = (http, _, ex) =>
            ex is not null || http.Response.StatusCode >= 500 ? Serilog.Events.LogEventLevel.Error
            : http.Request.Path.StartsWithSegments("/_blazor") || http.Request.Path.StartsWithSegments("/images") ? Serilog.Events.LogEventLevel.Debug
            : Serilog.Events.LogEventLevel.Information);
        return app;
    }
}
