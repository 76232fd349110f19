using DreamLayer.Web.Components.Shared;
using MudBlazor.Services;

namespace DreamLayer.Web.Components;

public static class UiExtensions
{
    /// <summary>Blazor's interactive server components, MudBlazor, and the state the layout and shared components keep per circuit.</summary>
    public static IHostApplicationBuilder AddDreamLayerUi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddScoped<GenerationDrafts>();
        builder.Services.AddScoped<StartingSettings>();
        builder.Services.AddScoped<ThemeState>();
        builder.Services.AddScoped<ViewerClock>();
        return builder;
    }
}
