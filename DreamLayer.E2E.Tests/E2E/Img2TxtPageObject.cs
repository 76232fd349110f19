using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Img2Txt page, found by labels, names and test ids.</summary>
public sealed class Img2TxtPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator File => Page.GetByTestId("file-input");
    public ILocator Picture => Page.GetByTestId("picture");
    public ILocator PictureSummary => Page.GetByTestId("picture-summary");
    public ILocator PictureError => Page.GetByTestId("picture-error");
    public ILocator Describer => Page.GetByTestId("describer");
    public ILocator Instructions => Page.Locator("#img2txt-instructions");
    public ILocator Describe => Page.GetByRole(AriaRole.Button, new() { Name = "Describe", Exact = true });
    public ILocator Description => Page.Locator("#img2txt-description");
    public ILocator DescribeError => Page.GetByTestId("describe-error");
    public ILocator NoDescriber => Page.GetByTestId("no-describer");
    public ILocator SendToTxt2Img => Page.GetByRole(AriaRole.Button, new() { Name = "Send to Txt2Img", Exact = true });

    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/");

    /// <summary>Opens the page (from the menu when it is shown, else by address) and waits until uploads reach the server.</summary>
    public async Task OpenAsync(bool fromMenu = true)
    {
        if (fromMenu)
        {
            await Page.GotoAsync(root.ToString());
            await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
            await Page.GetByRole(AriaRole.Link, new() { Name = "Img2Txt", Exact = true }).ClickAsync();
        }
        else
        {
            await Page.GotoAsync(new Uri(root, "img2txt").ToString());
            await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        }
        await Assertions.Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Img2Txt", Exact = true })).ToBeVisibleAsync();
        // Blazor's InputFile listens for chosen files only after a script call that follows its first render.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=file-input]')?._blazorInputFileNextFileId !== undefined");
    }

    public Task ChooseAsync(string name, byte[] content, string mimeType = "image/png") =>
        File.SetInputFilesAsync(new FilePayload { Name = name, MimeType = mimeType, Buffer = content });
}
