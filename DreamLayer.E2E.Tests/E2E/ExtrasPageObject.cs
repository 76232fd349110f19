using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Extras page, found by labels, names and test ids.</summary>
public sealed class ExtrasPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Files => Page.GetByTestId("file-input");
    public ILocator FileItems => Page.GetByTestId("file-item");
    public ILocator Upscale => Page.GetByRole(AriaRole.Button, new() { Name = "Upscale", Exact = true });
    public ILocator NoModels => Page.GetByTestId("no-models");
    public ILocator JobCards => Page.GetByTestId("job-card");
    public JobCardObject NewestCard => new(JobCards.First);

    public ILocator FileItem(string name) => FileItems.Filter(new() { HasText = name });

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/extras");

    /// <summary>Opens the page and waits until the circuit is live, so clicks reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, "/extras").ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        // Blazor's InputFile starts listening for chosen files in a script call after its first interactive
        // render (it then numbers files on the element); files chosen before that are lost.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=file-input]')?._blazorInputFileNextFileId !== undefined");
    }
}
