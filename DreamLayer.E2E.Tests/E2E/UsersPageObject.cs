using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The admin's Users page, found by labels and names.</summary>
public sealed class UsersPageObject(IPage page, Uri root)
{
    public IPage Page { get; } = page;

    public ILocator Heading => Page.GetByRole(AriaRole.Heading, new() { Name = "Users", Exact = true });
    public ILocator AccessDenied => Page.GetByTestId("access-denied");
    public ILocator NewUserName => Page.GetByLabel("User name", new() { Exact = true });
    public ILocator NewDisplayName => Page.GetByLabel("Display name", new() { Exact = true });
    public ILocator NewPassword => Page.GetByLabel("Password", new() { Exact = true });
    public ILocator Create => Page.GetByRole(AriaRole.Button, new() { Name = "Create account", Exact = true });

    public ILocator Row(string userName) => Page.Locator($"[data-testid=user-row][data-user-name='{userName}']");
    public ILocator Status(string userName) => Row(userName).GetByTestId("user-status");
    public ILocator Role(string userName) => Row(userName).GetByTestId("user-role");
    public ILocator JobCap(string userName) => Row(userName).GetByTestId("user-job-cap");
    public ILocator TeamJobCap => Page.GetByLabel("Jobs at once per person", new() { Exact = true });
    public ILocator SaveTeamJobCap => Page.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true });
    public ILocator Dialog => Page.GetByRole(AriaRole.Dialog);
    public ILocator Action(string action, string userName) => Page.GetByRole(AriaRole.Button, new() { Name = $"{action}: {userName}", Exact = true });

    /// <summary>Opens the page and waits until the circuit is live, so clicks reach the server.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync(new Uri(root, "/users").ToString());
        await Assertions.Expect(Page.Locator("[data-interactive]")).ToBeAttachedAsync();
    }

    /// <summary>Types into a field and leaves it, as a person would (MudBlazor fields bind on change).</summary>
    public static async Task FillAsync(ILocator field, string value)
    {
        ArgumentNullException.ThrowIfNull(field);
        await field.FillAsync(value);
        await field.PressAsync("Tab");
        await Assertions.Expect(field).ToHaveValueAsync(value);
    }
}
