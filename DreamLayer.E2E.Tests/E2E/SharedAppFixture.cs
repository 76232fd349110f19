using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// One app (and its stand-in) for all the tests of a class that do not need a fresh one: starting an app per test
/// is most of a browser test's time. Tests sharing it must not count what other tests of the class leave behind.
/// </summary>
public sealed class SharedAppFixture : IAsyncLifetime
{
    private DreamLayerApp? _app;

    public DreamLayerApp App => _app ?? throw new InvalidOperationException("The app is not started.");

    public async Task InitializeAsync() => _app = await DreamLayerApp.StartAsync();

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
