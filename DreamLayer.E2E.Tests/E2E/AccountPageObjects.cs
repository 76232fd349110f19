using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The sign-in page (a static form), found by its labels.</summary>
public sealed class SignInPageObject(IPage page, Uri root)
{
    private static readonly System.Text.RegularExpressions.Regex SignInAddress = new("/account/sign-in");

    public IPage Page { get; } = page;

    public ILocator UserName => Page.GetByLabel("User name", new() { Exact = true });
    public ILocator Password => Page.GetByLabel("Password", new() { Exact = true });
    public ILocator Submit => Page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true });
    public ILocator Message => Page.GetByTestId("account-message");

    public async Task OpenAsync(string returnUrl = "/") =>
        await Page.GotoAsync(new Uri(root, "/account/sign-in?returnUrl=" + Uri.EscapeDataString(returnUrl)).ToString());

    /// <summary>Fills and posts the form; where the browser lands is up to the caller to check.</summary>
    public async Task SubmitAsync(string userName, string password)
    {
        await UserName.FillAsync(userName);
        await Password.FillAsync(password);
        await Submit.ClickAsync();
    }

    /// <summary>Signs in as this person and waits until the browser has left the sign-in page.</summary>
    public async Task SignInAsync(TestUser user, string returnUrl = "/")
    {
        ArgumentNullException.ThrowIfNull(user);
        await OpenAsync(returnUrl);
        await SubmitAsync(user.UserName, user.Password);
        try
        {
            // Leaving the sign-in page is what is waited for, not the next page's `load` event: that waits on every image
            // of the page, and the callers wait for what they need of it (the live circuit). The address is polled rather
            // than waited for as a navigation event: WaitForURL listens for the next navigation, and when the redirect had
            // already landed (the page showed the person signed in at "/") it waited for one that never came.
            await Assertions.Expect(Page).Not.ToHaveURLAsync(SignInAddress);
        }
        catch (PlaywrightException ex)
        {
            // Say what the page showed instead of timing out blind: a refusal, a 429, an empty form.
            var shown = await Page.Locator("body").InnerTextAsync(new() { Timeout = 5_000 });
            throw new InvalidOperationException($"Signing in as {user.UserName} stayed on {Page.Url}; the page showed: {shown}", ex);
        }
    }
}

/// <summary>What every page of the app shows around its content: who is signed in and the sign-out button.</summary>
public sealed class AppBarObject(IPage page)
{
    public ILocator SignedInUser => page.GetByTestId("signed-in-user");
    public ILocator SignOut => page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true });
}
