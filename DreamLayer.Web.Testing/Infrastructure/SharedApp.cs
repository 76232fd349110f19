namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// One app and its stand-in for a whole test class (<c>IClassFixture&lt;SharedApp&gt;</c>), for tests that only look
/// at it: no job, no setting, no account, no sign-in attempt. A test that changes the app's state starts its own
/// <see cref="DreamLayerApp"/>, so that no test sees another's leftovers.
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
