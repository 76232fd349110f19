using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The gallery (and trash, and board) page, found by labels, names and test ids.</summary>
public sealed class GalleryPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Grid => Page.GetByTestId("gallery-grid");
    public ILocator Items => Page.GetByTestId("gallery-item");
    public ILocator Count => Page.GetByTestId("gallery-count");
    public ILocator Search => Page.GetByLabel("Search prompts");
    public ILocator SelectionBar => Page.GetByTestId("selection-bar");

    public ILocator Item(string prompt) => Items.Filter(new() { Has = Page.GetByRole(AriaRole.Button, new() { Name = $"Open image: {prompt}", Exact = true }) });

    public ILocator Thumb(string prompt) => Page.GetByRole(AriaRole.Button, new() { Name = $"Open image: {prompt}", Exact = true });

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/gallery");

    /// <summary>Opens <paramref name="path"/> (default the gallery) and waits until the circuit is live.</summary>
    public async Task OpenAsync(string path = "/gallery")
    {
        await Page.GotoAsync(new Uri(root, path).ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Assertions.Expect(Grid).ToBeVisibleAsync();
    }

    public async Task SelectAsync(string prompt) => await Item(prompt).GetByRole(AriaRole.Checkbox).CheckAsync();

    public ILocator SelectionButton(string name) => SelectionBar.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>Picks <paramref name="option"/> in the MudBlazor select labelled <paramref name="label"/>.</summary>
    public async Task ChooseAsync(string label, string option)
    {
        await Page.GetByLabel(label, new() { Exact = true }).ClickAsync();
        await Page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    public async Task ToggleAsync(string label) => await Page.GetByLabel(label, new() { Exact = true }).ClickAsync();
}
