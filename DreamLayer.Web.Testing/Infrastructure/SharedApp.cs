namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// One app and its stand-in for a whole test class (<c>IClassFixture&lt;SharedApp&gt;</c>), in the integration and the
/// browser tests alike: starting an app is most of such a test's time. The tests sharing it must not count on what the
/// class's other tests leave behind (their own images and jobs, not totals); a test that changes what the others see
/// (a setting, an account, a sign-in lock-out) starts its own <see cref="DreamLayerApp"/>.
/// </summary>
public sealed class SharedApp : IAsyncLifetime
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
