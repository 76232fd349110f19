using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// A bUnit context set up like the app's layout: MudBlazor services, loose JS interop and a rendered
/// <see cref="MudPopoverProvider"/> so that selects can open their lists.
/// </summary>
public abstract class MudComponentTest : BunitContext, IAsyncLifetime
{
    protected MudComponentTest()
        : this(_ => { })
    {
    }

    /// <param name="services">Adds what the component under test injects (services are fixed once anything renders).</param>
    protected MudComponentTest(Action<IServiceCollection> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        services(Services);
        Popovers = Render<MudPopoverProvider>();
    }

    /// <summary>Where open select lists and menus render.</summary>
    protected IRenderedComponent<MudPopoverProvider> Popovers { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor registers services that can only be disposed asynchronously; xunit 2 calls this before Dispose.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();
}
