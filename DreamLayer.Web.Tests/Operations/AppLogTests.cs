using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace DreamLayer.Web.Tests.Operations;

/// <summary>
/// Each app writes its log through its own logger: two apps in one process (as the tests run them, or a host that
/// builds the app again) never write into each other's sinks, and one stopping does not silence the other.
/// </summary>
public sealed class AppLogTests
{
    [Fact]
    public async Task TwoAppsInOneProcess_EachLogsItsOwnRequests_AndKeepsLoggingAfterTheOtherStops()
    {
        // Requests are logged at Information (the tests' apps log warnings only unless told otherwise).
        var information = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Information" };
        var firstLog = new CapturedLog();
        await using var first = await DreamLayerApp.StartAsync(settings: information, services: s => s.AddSingleton<ILogEventSink>(firstLog));
        var secondLog = new CapturedLog();
        var second = await DreamLayerApp.StartAsync(settings: information, services: s => s.AddSingleton<ILogEventSink>(secondLog));
        await second.DisposeAsync();

        // A request to the first app, after the second one (the last built) stopped: logged by the first app alone.
        var path = "/no-such-page-" + Guid.NewGuid().ToString("N");
        using var client = first.CreateAnonymousClient();
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        await DreamLayerApp.WaitUntilAsync(() => firstLog.Lines.Any(l => l.Contains(path, StringComparison.Ordinal)), "the first app to log the request");
        Assert.DoesNotContain(secondLog.Lines, l => l.Contains(path, StringComparison.Ordinal));
    }
}
