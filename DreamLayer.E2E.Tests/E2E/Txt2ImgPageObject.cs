using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Txt2Img page, found the way a person (or a screen reader) finds it: by labels and names.</summary>
public sealed class Txt2ImgPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Prompt => Page.GetByLabel("Prompt", new() { Exact = true });
    public ILocator NegativePrompt => Page.GetByLabel("Negative prompt", new() { Exact = true });
    public ILocator BatchCount => Page.GetByLabel("Batch count", new() { Exact = true });
    public ILocator Steps => Page.GetByLabel("Steps", new() { Exact = true });
    public ILocator Generate => Page.GetByRole(AriaRole.Button, new() { Name = "Generate", Exact = true });
    public ILocator Banner => Page.GetByTestId("backend-banner");
    public ILocator JobCards => Page.GetByTestId("job-card");

    /// <summary>Signs in as this person (each person uses their own browser context).</summary>
    public Task SignInAsync(TestUser user) => new SignInPageObject(Page, root).SignInAsync(user, "/");

    /// <summary>Opens the page and waits until the circuit is live, so clicks reach the server.</summary>
    public async Task OpenAsync()
    {
        var console = new List<string>();
        Page.Console += (_, m) => console.Add($"{m.Type}: {m.Text}");
        await Page.GotoAsync(new Uri(root, "/").ToString());
        try
        {
            await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException("The page did not become interactive. Browser console:\n" + string.Join("\n", console), ex);
        }
    }

    /// <summary>Types into the field with this label and leaves it, as a person would.</summary>
    public async Task FillAsync(string label, string value)
    {
        var field = Page.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(value);
        await field.PressAsync("Tab"); // MudBlazor fields that are not Immediate bind on change
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }

    public JobCardObject Card(string jobId) => new(Page.Locator($"[data-testid=job-card][data-job-id='{jobId}']"));

    public JobCardObject CardOtherThan(string jobId) => new(Page.Locator($"[data-testid=job-card]:not([data-job-id='{jobId}'])"));

    public JobCardObject CardWithStatus(string status) => new(JobCards.And(Page.Locator($"[data-status={status}]")));

    public JobCardObject NewestCard => new(JobCards.First);
}

/// <summary>One job card.</summary>
public sealed class JobCardObject(ILocator root)
{
    public ILocator Root { get; } = root;
    public ILocator Status => Root.GetByTestId("job-status");
    public ILocator Progress => Root.GetByRole(AriaRole.Progressbar, new() { Name = "Progress" });
    public ILocator ProgressText => Root.GetByTestId("progress-text");
    public ILocator Preview => Root.GetByTestId("preview");
    public ILocator ResultImage => Root.GetByTestId("result-image");
    public ILocator Cancel => Root.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true });
    public ILocator Skip => Root.GetByRole(AriaRole.Button, new() { Name = "Skip", Exact = true });
    public ILocator Message => Root.GetByTestId("job-message");
}

/// <summary>The image dialog.</summary>
public sealed class ImageDialogObject(IPage page)
{
    public ILocator Root => page.GetByRole(AriaRole.Dialog);
    public ILocator FullImage => Root.GetByTestId("full-image");
    public ILocator Parameters => Root.GetByTestId("parameters");
    public ILocator Seed => Root.GetByTestId("seed");
    public ILocator Infotext => Root.GetByTestId("infotext");
}
