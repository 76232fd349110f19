using System.Text.Json;

namespace DreamLayer.Web.Tests.Operations;

/// <summary>
/// The runtime settings the app is built with (decision 0018), read from the <c>DreamLayer.Web.runtimeconfig.json</c>
/// the runtime reads when the app starts: idle thread-pool workers sleep instead of spinning for work, and methods are
/// recompiled once (no instrumented tier), which is where most of the app's CPU time went while pages were open.
/// </summary>
public sealed class RuntimeSettingsTests
{
    private static JsonElement ConfigProperties()
    {
        var path = Path.ChangeExtension(typeof(Program).Assembly.Location, ".runtimeconfig.json");
        Assert.True(File.Exists(path), $"The app's runtime configuration is missing: {path}");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").Clone();
    }

    [Fact]
    public void ThreadPoolWorkers_WaitingForWork_SleepInsteadOfSpinning()
    {
        var properties = ConfigProperties();

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit", out var limit), "the spin limit is not set");
        Assert.Equal("0", limit.ToString());
    }

    [Fact]
    public void HotMethods_AreRecompiledOnce_WithoutAnInstrumentedTier()
    {
        var properties = ConfigProperties();

        Assert.True(properties.TryGetProperty("System.Runtime.TieredPGO", out var pgo), "TieredPGO is not set");
        Assert.False(pgo.GetBoolean());
    }
}
