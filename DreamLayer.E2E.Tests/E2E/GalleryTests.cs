using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>People use the gallery in a real browser: search and filters, the trash, boards and reusing parameters.</summary>
public sealed class GalleryTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static DateTime _clock = new(2026, 5, 1, 9, 0, 0, DateTimeKind.Utc);

    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    /// <summary>Opens a browser context for <paramref name="user"/>, signed in, on the gallery.</summary>
    private async Task<(IBrowserContext Context, GalleryPageObject Gallery)> OpenAsAsync(DreamLayerApp app, TestUser user)
    {
        var context = await browser.NewContextAsync();
        var gallery = new GalleryPageObject(await context.NewPageAsync(), app.RootUri);
        await gallery.SignInAsync(user);
        await gallery.OpenAsync();
        return (context, gallery);
    }

    private static Task<ImageEntity> SeedAsync(DreamLayerApp app, SignedInUser owner, string prompt, string model = "model-a.safetensors", int steps = 20, ulong seed = 1) =>
        GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), owner, prompt,
            _clock = _clock.AddMinutes(1), model: model, steps: steps, seed: seed);

    [Fact]
    public async Task Search_AndFilters_NarrowTheGrid()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await SeedAsync(app, As(app.Alice), "a lighthouse on a cliff", model: "sdxl.safetensors");
        await SeedAsync(app, As(app.Bob), "a misty forest");
        await SeedAsync(app, As(app.Alice), "a red car in the rain");
        var (context, gallery) = await OpenAsAsync(app, app.Alice);
        await using var _ = context;

        await Expect(gallery.Items).ToHaveCountAsync(3);
        await Expect(gallery.Count).ToHaveTextAsync("3 images");
        // Newest first.
        await Expect(gallery.Items.First).ToHaveAttributeAsync("data-image-id", (await FirstIdAsync(app)).ToString());
        await Expect(gallery.Thumb("a red car in the rain").Locator("img")).ToHaveJSPropertyAsync("complete", true);

        await gallery.Search.FillAsync("lighthouse");
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await Expect(gallery.Thumb("a lighthouse on a cliff")).ToBeVisibleAsync();

        // Search syntax typed by a person is searched as text, never an error.
        await gallery.Search.FillAsync("\"NEAR( -*");
        await Expect(gallery.Page.GetByTestId("gallery-empty")).ToContainTextAsync("No image matches");

        await gallery.Search.FillAsync("");
        await Expect(gallery.Items).ToHaveCountAsync(3);
        await gallery.ChooseAsync("Model", "sdxl.safetensors");
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await gallery.ChooseAsync("Model", "Any");
        await Expect(gallery.Items).ToHaveCountAsync(3);

        await gallery.ToggleAsync("Mine only");
        await Expect(gallery.Items).ToHaveCountAsync(2);
        await Expect(gallery.Thumb("a misty forest")).ToHaveCountAsync(0);
        await gallery.ToggleAsync("Mine only");
        await gallery.ChooseAsync("Person", "Bob");
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await gallery.ChooseAsync("Person", "Anyone");
        await Expect(gallery.Items).ToHaveCountAsync(3);

        await gallery.Thumb("a misty forest").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Add to favourites" }).ClickAsync();
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Remove from favourites" })).ToBeVisibleAsync();
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).Last.ClickAsync();
        await gallery.ToggleAsync("Favourites");
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await Expect(gallery.Thumb("a misty forest")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Delete_MovesToTheTrash_RestoreBringsItBack_EmptyRemovesTheFile()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var keep = await SeedAsync(app, As(app.Alice), "keep me");
        var doomed = await SeedAsync(app, As(app.Alice), "throw me away");
        var (context, gallery) = await OpenAsAsync(app, app.Alice);
        await using var _ = context;
        await Expect(gallery.Items).ToHaveCountAsync(2);

        await gallery.SelectAsync("throw me away");
        await Expect(gallery.SelectionBar).ToContainTextAsync("1 selected");
        await gallery.SelectionButton("Delete").ClickAsync();
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await Expect(gallery.Thumb("keep me")).ToBeVisibleAsync();

        await gallery.Page.GetByRole(AriaRole.Link, new() { Name = "Trash" }).ClickAsync();
        await Expect(gallery.Page.GetByRole(AriaRole.Heading, new() { Name = "Trash" })).ToBeVisibleAsync();
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await gallery.SelectAsync("throw me away");
        await gallery.SelectionButton("Restore").ClickAsync();
        await Expect(gallery.Page.GetByTestId("gallery-empty")).ToHaveTextAsync("The trash is empty.");

        await gallery.OpenAsync();
        await Expect(gallery.Items).ToHaveCountAsync(2);
        await gallery.Thumb("throw me away").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();
        await Expect(gallery.Items).ToHaveCountAsync(1);

        var file = app.Get<ImageStore>().Locate(doomed)!;
        Assert.True(File.Exists(file), "a file stays until the trash is emptied");
        await gallery.OpenAsync("/trash");
        await gallery.Page.GetByRole(AriaRole.Button, new() { Name = "Empty trash" }).ClickAsync();
        await gallery.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Empty trash" }).ClickAsync();
        await Expect(gallery.Page.GetByTestId("gallery-empty")).ToHaveTextAsync("The trash is empty.");
        Assert.False(File.Exists(file));
        Assert.True(File.Exists(app.Get<ImageStore>().Locate(keep)!));
    }

    [Fact]
    public async Task Boards_CreateAddAndView()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await SeedAsync(app, As(app.Alice), "for the board");
        await SeedAsync(app, As(app.Alice), "not for the board");
        var (context, gallery) = await OpenAsAsync(app, app.Alice);
        await using var _ = context;

        await gallery.Page.GetByRole(AriaRole.Button, new() { Name = "Boards" }).ClickAsync();
        await gallery.Page.GetByText("New board…").ClickAsync();
        await gallery.Page.GetByLabel("Board name").FillAsync("Team picks");
        await gallery.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(gallery.Page.GetByRole(AriaRole.Heading, new() { Name = "Team picks" })).ToBeVisibleAsync();
        await Expect(gallery.Page.GetByTestId("board-header")).ToContainTextAsync("Shared with the team");
        await Expect(gallery.Page.GetByTestId("gallery-empty")).ToBeVisibleAsync();

        await gallery.OpenAsync();
        await gallery.SelectAsync("for the board");
        await gallery.SelectionBar.GetByRole(AriaRole.Button, new() { Name = "Add to board" }).ClickAsync();
        await gallery.Page.GetByRole(AriaRole.Menuitem, new() { Name = "Team picks" }).ClickAsync();
        await Expect(gallery.Page.GetByText("1 image added to Team picks.")).ToBeVisibleAsync();

        await gallery.Page.GetByRole(AriaRole.Button, new() { Name = "Boards" }).ClickAsync();
        await gallery.Page.GetByRole(AriaRole.Menuitem, new() { Name = "Team picks" }).ClickAsync();
        await Expect(gallery.Page.GetByRole(AriaRole.Heading, new() { Name = "Team picks" })).ToBeVisibleAsync();
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await Expect(gallery.Thumb("for the board")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task ReuseParameters_OpensTxt2ImgFilledFromTheImage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await SeedAsync(app, As(app.Alice), "a castle made of glass", steps: 33, seed: 4242);
        var (context, gallery) = await OpenAsAsync(app, app.Alice);
        await using var _ = context;

        await gallery.Thumb("a castle made of glass").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await Expect(dialog.Seed).ToHaveTextAsync("4242");
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Reuse parameters" }).ClickAsync();

        var txt2img = new Txt2ImgPageObject(gallery.Page, app.RootUri);
        await Expect(txt2img.Prompt).ToHaveValueAsync("a castle made of glass");
        await Expect(txt2img.Steps).ToHaveValueAsync("33");
        await Expect(gallery.Page.GetByLabel("Seed", new() { Exact = true })).ToHaveValueAsync("4242");
    }

    [Fact]
    public async Task TwoPeople_AGenerates_BSeesItLive_CannotDeleteIt_AndLosesItWhenMadePrivate()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var (bobContext, bobGallery) = await OpenAsAsync(app, app.Bob);
        await using var _ = bobContext;
        await Expect(bobGallery.Page.GetByTestId("gallery-empty")).ToBeVisibleAsync();

        await using var aliceContext = await browser.NewContextAsync();
        var txt2img = new Txt2ImgPageObject(await aliceContext.NewPageAsync(), app.RootUri);
        await txt2img.SignInAsync(app.Alice);
        await txt2img.OpenAsync();
        await txt2img.FillAsync("Prompt", "a harbour at night");
        await txt2img.Generate.ClickAsync();
        await Expect(txt2img.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });

        // Bob's open gallery shows Alice's image without a reload.
        await Expect(bobGallery.Items).ToHaveCountAsync(1);
        await Expect(bobGallery.Items.First).ToHaveAttributeAsync("data-owner", "Alice");
        await bobGallery.Thumb("a harbour at night").ClickAsync();
        var bobDialog = new ImageDialogObject(bobGallery.Page);
        await Expect(bobDialog.Root.GetByTestId("image-owner")).ToContainTextAsync("by Alice");
        await Expect(bobDialog.Root.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true })).ToHaveCountAsync(0);
        await Expect(bobDialog.Root.GetByRole(AriaRole.Button, new() { Name = "Make private" })).ToHaveCountAsync(0);
        await bobDialog.Root.GetByRole(AriaRole.Button, new() { Name = "Close", Exact = true }).Last.ClickAsync();

        // Selected and deleted anyway: the server refuses.
        await bobGallery.SelectAsync("a harbour at night");
        await bobGallery.SelectionButton("Delete").ClickAsync();
        await Expect(bobGallery.Page.GetByText("0 images moved to the trash; 1 refused")).ToBeVisibleAsync();
        await Expect(bobGallery.Items).ToHaveCountAsync(1);
        var imageId = await bobGallery.Items.First.GetAttributeAsync("data-image-id");

        // Alice makes it private: it leaves Bob's gallery, and its files are no longer served to him.
        var aliceGallery = new GalleryPageObject(txt2img.Page, app.RootUri);
        await aliceGallery.OpenAsync();
        await aliceGallery.Thumb("a harbour at night").ClickAsync();
        await new ImageDialogObject(aliceGallery.Page).Root.GetByRole(AriaRole.Button, new() { Name = "Make private" }).ClickAsync();
        await Expect(new ImageDialogObject(aliceGallery.Page).Root.GetByTestId("private-chip")).ToBeVisibleAsync();

        await Expect(bobGallery.Items).ToHaveCountAsync(0);
        var thumb = await bobContext.APIRequest.GetAsync(new Uri(app.RootUri, $"/images/{imageId}/thumb").ToString());
        Assert.Equal(404, thumb.Status);
        var full = await bobContext.APIRequest.GetAsync(new Uri(app.RootUri, $"/images/{imageId}").ToString());
        Assert.Equal(404, full.Status);
        var own = await aliceContext.APIRequest.GetAsync(new Uri(app.RootUri, $"/images/{imageId}").ToString());
        Assert.Equal(200, own.Status);
    }

    [Fact]
    public async Task History_RedirectsToTheGallery()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var (context, gallery) = await OpenAsAsync(app, app.Alice);
        await using var _ = context;
        await gallery.Page.GotoAsync(new Uri(app.RootUri, "/history").ToString());
        await Expect(gallery.Page).ToHaveURLAsync(new Uri(app.RootUri, "/gallery").ToString());
    }

    private static async Task<Guid> FirstIdAsync(DreamLayerApp app)
    {
        await using var db = app.CreateDbContext();
        return await db.Images.OrderByDescending(i => i.CreatedAt).Select(i => i.Id).FirstAsync();
    }
}
