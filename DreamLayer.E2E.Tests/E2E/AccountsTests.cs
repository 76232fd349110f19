using System.Text.RegularExpressions;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>Accounts in a real browser: first-run setup, roles, and what admins do to accounts. One browser context per person.</summary>
public sealed partial class AccountsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [GeneratedRegex("/account/sign-in")]
    private static partial Regex SignInUrl();

    [Fact]
    public async Task Setup_FirstStart_CreatesTheAdminOnceThenIsGone()
    {
        await using var app = await DreamLayerApp.StartAsync(seedUsers: false);
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(new Uri(app.RootUri, "/history").ToString());
        await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Heading, new() { Name = "Create the first admin" })).ToBeVisibleAsync();
        await page.GetByLabel("User name", new() { Exact = true }).FillAsync("root");
        await page.GetByLabel("Display name", new() { Exact = true }).FillAsync("Rita Root");
        await page.GetByLabel("Password", new() { Exact = true }).FillAsync("a long enough secret");
        await page.GetByLabel("Repeat password", new() { Exact = true }).FillAsync("a long enough secret");
        await page.GetByRole(Microsoft.Playwright.AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();

        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(new AppBarObject(page).SignedInUser).ToHaveTextAsync("Rita Root");
        await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Users" })).ToBeVisibleAsync();

        // Afterwards the address leads into the app, never to the form again.
        await page.GotoAsync(new Uri(app.RootUri, "/setup").ToString());
        await Expect(page).ToHaveURLAsync(new Uri(app.RootUri, "/").ToString());
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(page.GetByText("Create the first admin")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task UsersPage_Member_SeesAccessDeniedAndNoUsersLink()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await new SignInPageObject(page, app.RootUri).SignInAsync(app.Bob);
        await Expect(page.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(page.GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Users" })).ToHaveCountAsync(0);

        var users = new UsersPageObject(page, app.RootUri);
        await users.OpenAsync();

        await Expect(users.AccessDenied).ToHaveTextAsync("Access denied");
        await Expect(users.Heading).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("user-row")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task UsersPage_AdminSetsJobsAtOnce_ForOnePersonAndForTheTeam()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var adminContext = await browser.NewContextAsync();
        var users = new UsersPageObject(await adminContext.NewPageAsync(), app.RootUri);
        await new SignInPageObject(users.Page, app.RootUri).SignInAsync(app.Admin, "/users");
        await users.OpenAsync();
        await Expect(users.JobCap("alice")).ToHaveTextAsync("Default (4)");

        await users.Action("Jobs at once", "alice").ClickAsync();
        await users.Dialog.GetByLabel("Team default (4)").UncheckAsync();
        await UsersPageObject.FillAsync(users.Dialog.GetByLabel("Jobs at once", new() { Exact = true }), "2");
        await users.Dialog.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Expect(users.JobCap("alice")).ToHaveTextAsync("2");

        await UsersPageObject.FillAsync(users.TeamJobCap, "3");
        await users.SaveTeamJobCap.ClickAsync();
        await Expect(users.JobCap("bob")).ToHaveTextAsync("Default (3)");
        await Expect(users.JobCap("alice")).ToHaveTextAsync("2");

        var caps = await app.Get<JobCaps>().CurrentAsync(default);
        Assert.Equal(2, caps.For(app.Alice.Id));
        Assert.Equal(3, caps.For(app.Bob.Id));
    }

    [Fact]
    public async Task UsersPage_AdminCreatesMember_WhoCanThenSignIn()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var adminContext = await browser.NewContextAsync();
        var users = new UsersPageObject(await adminContext.NewPageAsync(), app.RootUri);
        await new SignInPageObject(users.Page, app.RootUri).SignInAsync(app.Admin, "/users");
        await users.OpenAsync();

        await UsersPageObject.FillAsync(users.NewUserName, "carol");
        await UsersPageObject.FillAsync(users.NewDisplayName, "Carol C.");
        await UsersPageObject.FillAsync(users.NewPassword, "carols own password");
        await users.Create.ClickAsync();

        await Expect(users.Role("carol")).ToHaveTextAsync("Member");
        await Expect(users.Status("carol")).ToHaveTextAsync("Active");

        await using var carolContext = await browser.NewContextAsync();
        var carol = await carolContext.NewPageAsync();
        await new SignInPageObject(carol, app.RootUri).SignInAsync(new TestUser("?", "carol", "Carol C.", "Member", "carols own password"));
        await Expect(carol.Locator("[data-interactive]")).ToBeAttachedAsync();
        await Expect(new AppBarObject(carol).SignedInUser).ToHaveTextAsync("Carol C.");
    }

    [Fact]
    public async Task UsersPage_AdminDisablesMember_TheirOpenPageEndsAndTheyCannotSignIn()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var aliceContext = await browser.NewContextAsync();
        var alice = new Txt2ImgPageObject(await aliceContext.NewPageAsync(), app.RootUri);
        await alice.SignInAsync(app.Alice);
        await alice.OpenAsync();
        await Expect(alice.Generate).ToBeEnabledAsync();

        await using var adminContext = await browser.NewContextAsync();
        var users = new UsersPageObject(await adminContext.NewPageAsync(), app.RootUri);
        await new SignInPageObject(users.Page, app.RootUri).SignInAsync(app.Admin, "/users");
        await users.OpenAsync();
        await users.Action("Disable", app.Alice.UserName).ClickAsync();
        await Expect(users.Status(app.Alice.UserName)).ToHaveTextAsync("Disabled");

        // Alice's open page notices at once and sends her to sign in; her cookie no longer works.
        await Expect(alice.Page).ToHaveURLAsync(SignInUrl());
        var signIn = new SignInPageObject(alice.Page, app.RootUri);
        await signIn.SubmitAsync(app.Alice.UserName, app.Alice.Password);
        await Expect(signIn.Message).ToContainTextAsync("disabled");
        await Expect(alice.Page).ToHaveURLAsync(SignInUrl());

        // The admin cannot disable themselves: there is no button for it.
        await Expect(users.Action("Disable", app.Admin.UserName)).ToHaveCountAsync(0);
    }
}
