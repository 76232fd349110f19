using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The admin's Models page, found by labels, names and test ids.</summary>
public sealed class ModelsPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Name = "Models", Exact = true });
    public ILocator AccessDenied => Page.GetByTestId("access-denied");
    public ILocator Editor => Page.GetByTestId("model-editor");
    public ILocator Save => Editor.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true });
    public ILocator VisibleToMembers => Editor.GetByLabel("Visible to members", new() { Exact = true });

    public ILocator Row(string file) => Page.Locator($"[data-testid=model-row][data-model='{file}']");
    public ILocator Title(string file) => Row(file).GetByTestId("model-title");
    public ILocator Family(string file) => Row(file).GetByTestId("model-family");
    public ILocator Visibility(string file) => Row(file).GetByTestId("model-visibility");

    /// <summary>Opens the page and waits until the circuit is live, so clicks reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, "/models").ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
    }

    /// <summary>Ticks a model's row for the bulk actions.</summary>
    public async Task SelectAsync(string file) => await Row(file).GetByRole(AriaRole.Checkbox).CheckAsync();

    public async Task EditAsync(string file)
    {
        await Row(file).GetByTestId("model-edit").ClickAsync();
        await Assertions.Expect(Editor).ToBeVisibleAsync();
    }

    /// <summary>Types into one of the editor's fields and leaves it (MudBlazor fields bind on change).</summary>
    public async Task FillAsync(string label, string value)
    {
        var field = Editor.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(value);
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }
}
