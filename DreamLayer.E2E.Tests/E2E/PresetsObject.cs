using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The preset picker above a generation form, found by its labels.</summary>
public sealed class PresetsObject(IPage page)
{
    public ILocator Picker => page.GetByLabel("Preset", new() { Exact = true });
    public ILocator Apply => page.GetByRole(AriaRole.Button, new() { Name = "Apply preset", Exact = true });
    public ILocator SaveAsPreset => page.GetByRole(AriaRole.Button, new() { Name = "Save as preset", Exact = true });
    public ILocator Name => page.GetByLabel("Preset name", new() { Exact = true });
    public ILocator Shared => page.GetByLabel("Shared with the team", new() { Exact = true });
    public ILocator Save => page.GetByRole(AriaRole.Button, new() { Name = "Save preset", Exact = true });
    public ILocator Delete => page.GetByRole(AriaRole.Button, new() { Name = "Delete preset", Exact = true });
    public ILocator Rename => page.GetByRole(AriaRole.Button, new() { Name = "Rename or share preset", Exact = true });
    public ILocator Description => page.GetByTestId("preset-description");
    public ILocator Applied => page.GetByTestId("preset-applied");
    public ILocator Skipped => page.GetByTestId("preset-skipped");
    public ILocator Message => page.GetByTestId("preset-message");

    public ILocator Group(string label) => page.GetByLabel(label, new() { Exact = true });

    /// <summary>Picks a preset by name in the list.</summary>
    public async Task ChooseAsync(string name)
    {
        await Picker.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = name, Exact = true }).ClickAsync();
        await Assertions.Expect(SelectValue("preset")).ToHaveValueAsync(name);
    }

    public async Task ApplyAsync(string name)
    {
        await ChooseAsync(name);
        await Apply.ClickAsync();
        await Assertions.Expect(Applied).ToContainTextAsync($"Applied '{name}'");
    }

    /// <summary>Picks <paramref name="option"/> in the MudBlazor select labelled <paramref name="label"/>.</summary>
    public async Task ChooseInSelectAsync(string label, string inputId, string option)
    {
        var select = page.GetByLabel(label, new() { Exact = true });
        await select.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
        await Assertions.Expect(SelectValue(inputId)).ToHaveValueAsync(option);
    }

    /// <summary>
    /// The input that holds a MudBlazor select's value (by its InputId): a select whose item shows its own content
    /// renders that content in a combobox div and keeps the value in a hidden input.
    /// </summary>
    public ILocator SelectValue(string inputId) => page.Locator($"input#{inputId}");
}
