using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The PNG Info page, found by labels, names and test ids.</summary>
public sealed class PngInfoPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator File => Page.GetByTestId("file-input");
    public ILocator FileSummary => Page.GetByTestId("file-summary");
    public ILocator FileError => Page.GetByTestId("file-error");
    public ILocator Tool => Page.GetByTestId("tool");
    public ILocator Prompt => Page.GetByTestId("prompt");
    public ILocator NegativePrompt => Page.GetByTestId("negative-prompt");
    public ILocator Parameters => Page.GetByTestId("parameters");
    public ILocator OutputTitles => Page.GetByTestId("output-title");
    public ILocator NoData => Page.GetByTestId("no-data");
    public ILocator RawTexts => Page.GetByTestId("raw-texts");
    public ILocator SendToTxt2Img => Page.GetByRole(AriaRole.Button, new() { Name = "Send to Txt2Img", Exact = true });

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/");

    /// <summary>Opens the page from the navigation menu and waits until the circuit is live, so uploads reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(root.ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Page.GetByRole(AriaRole.Link, new() { Name = "PNG Info", Exact = true }).ClickAsync();
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "PNG Info", Exact = true })).ToBeVisibleAsync();
        // Blazor's InputFile listens for chosen files only after a script call that follows its first render.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=file-input]')?._blazorInputFileNextFileId !== undefined");
    }

    public Task ChooseAsync(string path) => File.SetInputFilesAsync(path);

    public Task ChooseAsync(string name, byte[] content) =>
        File.SetInputFilesAsync(new FilePayload { Name = name, MimeType = "image/png", Buffer = content });
}
