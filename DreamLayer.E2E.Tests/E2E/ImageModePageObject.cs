using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Img2Img and Inpaint pages, found by labels, names and test ids.</summary>
public sealed class ImageModePageObject(IPage page, Uri root, string path)
{
    public IPage Page { get; } = page;

    public ILocator Prompt => Page.GetByLabel("Prompt", new() { Exact = true });
    public ILocator SourceInput => Page.GetByTestId("source-input");
    public ILocator SourceInfo => Page.GetByTestId("source-info");
    public ILocator SourceError => Page.GetByTestId("source-error");
    public ILocator MaskCanvas => Page.GetByTestId("mask-canvas");
    public ILocator MaskError => Page.GetByTestId("mask-error");
    public ILocator Generate => Page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true });
    public ILocator JobCards => Page.GetByTestId("job-card");
    public JobCardObject NewestCard => new(JobCards.First);

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, path);

    /// <summary>Opens the page and waits until the circuit is live and the file input listens, so clicks and files reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, path).ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        // Blazor's InputFile starts listening in a script call after its first interactive render; files chosen before are lost.
        await Page.WaitForFunctionAsync("() => document.querySelector('[data-testid=source-input]')?._blazorInputFileNextFileId !== undefined");
    }

    /// <summary>Opens the page and waits until the circuit is live, and on Img2Img/Inpaint until the file input listens.</summary>
    public async Task OpenAsyncAnyMode()
    {
        if (path == "/")
        {
            await Page.GotoAsync(new Uri(root, path).ToString());
            await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
            return;
        }
        await OpenAsync();
    }

    /// <summary>Types into the field with this label and leaves it, as a person would.</summary>
    public async Task FillAsync(string label, string value)
    {
        var field = Page.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(value);
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }

    public Task ChooseAsync(string name, byte[] content) =>
        SourceInput.SetInputFilesAsync(new FilePayload { Name = name, MimeType = "image/png", Buffer = content });

    /// <summary>Drags the mouse across the canvas from one point to another, given as fractions of its shown size.</summary>
    public async Task PaintAsync((float X, float Y) from, (float X, float Y) to)
    {
        await Assertions.Expect(MaskCanvas).ToHaveAttributeAsync("data-ready", "true");
        await MaskCanvas.ScrollIntoViewIfNeededAsync(); // on a phone the painter is below the current job
        var box = await MaskCanvas.BoundingBoxAsync() ?? throw new InvalidOperationException("The mask canvas is not shown.");
        await Page.Mouse.MoveAsync(box.X + box.Width * from.X, box.Y + box.Height * from.Y);
        await Page.Mouse.DownAsync();
        await Page.Mouse.MoveAsync(box.X + box.Width * to.X, box.Y + box.Height * to.Y, new() { Steps = 8 });
        await Page.Mouse.UpAsync();
    }
}
