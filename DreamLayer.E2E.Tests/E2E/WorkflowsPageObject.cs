using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Workflows library page and a workflow's run page, found by labels, names and test ids.</summary>
public sealed class WorkflowsPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator File => Page.GetByTestId("workflow-file");
    public ILocator ImportError => Page.GetByTestId("import-error");
    public ILocator Editor => Page.GetByTestId("workflow-editor");
    public ILocator CompatibleNote => Page.GetByTestId("compat-ok");
    public ILocator Save => Page.GetByRole(AriaRole.Button, new() { Name = "Save to library", Exact = true });
    public ILocator LibraryItems => Page.GetByTestId("library-item");
    public ILocator Generate => Page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true });
    public ILocator JobCards => Page.GetByTestId("job-card");
    public JobCardObject NewestCard => new(JobCards.First);

    /// <summary>The editor row of the field of this meaning (Prompt, Steps, ...) on this node.</summary>
    public ILocator FieldRow(string kind, string node) => Page.Locator($"[data-testid=field-row][data-kind={kind}][data-node='{node}']");

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/workflows");

    /// <summary>Opens the library and waits until the circuit is live and the file input listens, so clicks and files reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, "/workflows").ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        // Blazor's InputFile listens for chosen files only after a script call that follows its first interactive render.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=workflow-file]')?._blazorInputFileNextFileId !== undefined");
    }

    /// <summary>Types into a field and leaves it, as a person would (MudBlazor fields bind on change).</summary>
    public static async Task FillAsync(ILocator field, string value)
    {
        await field.FillAsync(value);
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }
}
