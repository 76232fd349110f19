using System.Text.RegularExpressions;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// The image dialog as people meet it: the before/after slider on results made from a picture, previous and next
/// through the gallery's grid, and times in the viewer's own time zone (the gallery's date filter too).
/// </summary>
public sealed partial class ImageDialogTests(BrowserFixture browser, SharedApp shared) : IClassFixture<BrowserFixture>, IClassFixture<SharedApp>
{
    private DreamLayerApp App => shared.App;

    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    private Task<ImageEntity> SeedAsync(TestUser owner, string prompt, DateTime createdUtc) =>
        GalleryDatabase.AddImageAsync(App.Get<IDbContextFactory<DreamLayerDbContext>>(), App.Get<ImageStore>(), As(owner), prompt, createdUtc);

    [Theory]
    [InlineData("/img2img")]
    [InlineData("/inpaint")]
    [InlineData("/extras")]
    public async Task BeforeAfter_OnAResultMadeFromAPicture_TheDivideFollowsTheKeyboardAndADrag(string path)
    {
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = await context.NewPageAsync();
        JobCardObject card;
        if (path == "/extras")
        {
            var extras = new ExtrasPageObject(page, App.RootUri);
            await extras.SignInAsync(App.Alice);
            await extras.OpenAsync();
            await extras.Files.SetInputFilesAsync(new FilePayload { Name = "photo.png", MimeType = "image/png", Buffer = TestImages.Png(96, 64) });
            await Expect(extras.FileItem("photo.png")).ToContainTextAsync("96×64");
            await extras.Upscale.ClickAsync();
            card = extras.NewestCard;
        }
        else
        {
            var form = new ImageModePageObject(page, App.RootUri, path);
            await form.SignInAsync(App.Alice);
            await form.OpenAsync();
            await form.FillAsync("Prompt", "a harbour at noon");
            await form.ChooseAsync("harbour.png", TestImages.Png(160, 120));
            await Expect(form.SourceInfo).ToContainTextAsync("160×120");
            if (path == "/inpaint")
            {
                await form.PaintAsync((0.3f, 0.5f), (0.7f, 0.5f));
            }
            await form.Generate.ClickAsync();
            card = form.NewestCard;
        }
        await Expect(card.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await card.ResultImage.First.ClickAsync();

        var dialog = new ImageDialogObject(page);
        var before = dialog.Root.GetByTestId("before-image");
        await Expect(dialog.Root.GetByTestId("compare")).ToBeVisibleAsync();
        await Expect(before).ToHaveJSPropertyAsync("complete", true);
        await Expect(dialog.FullImage).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await before.EvaluateAsync<bool>("img => img.naturalWidth > 0"), "the source picture should load into the slider");
        // The source lies exactly over the result, half of it shown: measured once the dialog has finished opening (its
        // opening animation scales it, and the two pictures are measured one after the other).
        await page.WaitForFunctionAsync("() => document.getAnimations().every(a => a.playState !== 'running')");
        var (beforeBox, afterBox) = ((await before.BoundingBoxAsync())!, (await dialog.FullImage.BoundingBoxAsync())!);
        Assert.Equal((afterBox.X, afterBox.Y, afterBox.Width, afterBox.Height), (beforeBox.X, beforeBox.Y, beforeBox.Width, beforeBox.Height));
        await Expect(before).ToHaveAttributeAsync("style", Clip(50));

        var slider = dialog.Root.GetByRole(AriaRole.Slider, new() { Name = "Before | after" });
        await slider.FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(before).ToHaveAttributeAsync("style", Clip(51));
        await Expect(dialog.Root.GetByTestId("image-position")).ToHaveCountAsync(0); // the arrow moved the divide, not to another image

        // Dragged a quarter of the way along: a quarter of the picture is the source.
        var track = (await slider.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(track.X + track.Width / 2, track.Y + track.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(track.X + track.Width / 4, track.Y + track.Height / 2, new() { Steps = 6 });
        await page.Mouse.UpAsync();
        var shown = int.Parse(await slider.InputValueAsync(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(shown, 15, 35);
        await Expect(before).ToHaveAttributeAsync("style", Clip(shown));
        await Expect(dialog.Root.GetByTestId("compare-line")).ToHaveAttributeAsync("style", new Regex($@"left: {shown}%"));
    }

    [Fact]
    public async Task BeforeAfter_OnATxt2ImgResult_IsNotShown()
    {
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), App.RootUri);
        await page.SignInAsync(App.Bob);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a harbour from nothing");
        await page.Generate.ClickAsync();
        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        await page.NewestCard.ResultImage.ClickAsync();
        var dialog = new ImageDialogObject(page.Page);
        await Expect(dialog.FullImage).ToBeVisibleAsync();
        await Expect(dialog.Root.GetByTestId("compare")).ToHaveCountAsync(0);
        await Expect(dialog.Root.GetByRole(AriaRole.Slider)).ToHaveCountAsync(0);
    }

    /// <summary>Types a day into the gallery's date field with this label and leaves the field, as a person would.</summary>
    private static async Task SetDateAsync(IPage page, string label, string day)
    {
        var field = page.GetByLabel(label, new() { Exact = true });
        await field.FillAsync(day);
        await field.PressAsync("Tab");
        await Expect(field).ToHaveValueAsync(day);
        Assert.True(await field.EvaluateAsync<bool>("input => input.scrollWidth <= input.clientWidth"), $"the {label} field should show the whole date");
    }

    /// <summary>The before image's clip when <paramref name="percent"/>% of the picture is the source.</summary>
    private static Regex Clip(int percent) => new($@"clip-path: inset\(0 {100 - percent}% 0 0\)");

    [Fact]
    public async Task AnImageWhoseStoredSettingsNoLongerRead_StillOpens_AndReuseSaysWhy()
    {
        // An img2img result whose stored request was written by a newer DreamLayer (or damaged): opening it must not
        // end the person's session, and Reuse must say why it cannot, in words.
        var image = await GalleryDatabase.AddImageAsync(App.Get<IDbContextFactory<DreamLayerDbContext>>(), App.Get<ImageStore>(), As(App.Alice),
            "settings from the future", new DateTime(2025, 2, 1, 8, 0, 0, DateTimeKind.Utc), mode: "Img2Img");
        await using (var db = await App.Get<IDbContextFactory<DreamLayerDbContext>>().CreateDbContextAsync())
        {
            var job = await db.Jobs.SingleAsync(j => j.Id == image.JobId);
            job.RequestJson = """{"requestVersion": 99, "prompt": "settings from the future"}""";
            await db.SaveChangesAsync();
        }
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var gallery = new GalleryPageObject(await context.NewPageAsync(), App.RootUri);
        await gallery.SignInAsync(App.Alice);
        await gallery.OpenAsync();
        await gallery.Search.FillAsync("settings from the future");
        await gallery.Thumb("settings from the future").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await Expect(dialog.FullImage).ToBeVisibleAsync();

        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Reuse parameters" }).ClickAsync();

        await Expect(gallery.Page.GetByText("These settings cannot be reused: The job's settings were stored by a newer version of DreamLayer")).ToBeVisibleAsync();
        await Expect(dialog.FullImage).ToBeVisibleAsync();
        Assert.EndsWith("/gallery", new Uri(gallery.Page.Url).AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gallery_PreviousAndNext_WalkTheGridInItsOrderWithinItsSearch()
    {
        var at = new DateTime(2024, 3, 1, 8, 0, 0, DateTimeKind.Utc);
        for (var i = 1; i <= 4; i++)
        {
            await SeedAsync(App.Alice, $"walkthrough harbour {i}", at.AddMinutes(i));
        }
        await SeedAsync(App.Alice, "a different picture between them", at.AddMinutes(2.5));
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var gallery = new GalleryPageObject(await context.NewPageAsync(), App.RootUri);
        await gallery.SignInAsync(App.Alice);
        await gallery.OpenAsync();
        await gallery.Search.FillAsync("walkthrough");
        await Expect(gallery.Items).ToHaveCountAsync(4);
        // The grid's order: newest first.
        var order = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            order.Add((await gallery.Items.Nth(i).GetAttributeAsync("data-image-id"))!);
        }
        Assert.Equal(order[0], await gallery.Item("walkthrough harbour 4").GetAttributeAsync("data-image-id"));

        await gallery.Thumb("walkthrough harbour 3").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        var position = dialog.Root.GetByTestId("image-position");
        await Expect(position).ToHaveTextAsync("2 of 4");
        await Expect(position).ToHaveAttributeAsync("data-keys", "ready");
        await Expect(dialog.FullImage).ToHaveAttributeAsync("src", $"/images/{order[1]}");

        await gallery.Page.Keyboard.PressAsync("ArrowRight");
        await Expect(position).ToHaveTextAsync("3 of 4");
        await Expect(dialog.FullImage).ToHaveAttributeAsync("src", $"/images/{order[2]}");
        await dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Next image" }).ClickAsync();
        await Expect(position).ToHaveTextAsync("4 of 4");
        await Expect(dialog.FullImage).ToHaveAttributeAsync("src", $"/images/{order[3]}");
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Next image" })).ToBeDisabledAsync();
        await gallery.Page.Keyboard.PressAsync("ArrowLeft");
        await gallery.Page.Keyboard.PressAsync("ArrowLeft");
        await gallery.Page.Keyboard.PressAsync("ArrowLeft");
        await Expect(position).ToHaveTextAsync("1 of 4");
        await Expect(dialog.FullImage).ToHaveAttributeAsync("src", $"/images/{order[0]}");
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Previous image" })).ToBeDisabledAsync();
    }

    [Fact]
    public async Task OnAPhone_TheDialogsButtonsAndParameters_FitTheScreenUncut()
    {
        await SeedAsync(App.Bob, "a phone-sized look at sd3.5_medium_incl_clips_t5xxlfp8scaled.safetensors", new DateTime(2023, 6, 1, 8, 0, 0, DateTimeKind.Utc));
        await using var context = await browser.NewContextAsync(BrowserFixture.Phone);
        var gallery = new GalleryPageObject(await context.NewPageAsync(), App.RootUri);
        await gallery.SignInAsync(App.Bob);
        await gallery.OpenAsync();
        await gallery.Search.FillAsync("phone-sized");
        await gallery.Thumb("a phone-sized look at sd3.5_medium_incl_clips_t5xxlfp8scaled.safetensors").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await Expect(dialog.Root.GetByRole(AriaRole.Button, new() { Name = "Delete" })).ToBeVisibleAsync();
        await LayoutAssertions.ScreenshotAsync(gallery.Page, "image-dialog-390x844");

        var cut = await dialog.Root.EvaluateAsync<string[]>(
            """
            (root, width) => [...root.querySelectorAll('button, a, td')].filter(e => {
                const r = e.getBoundingClientRect();
                const edge = Math.min(width, root.querySelector('.mud-dialog-content')?.getBoundingClientRect().right ?? width);
                return r.width > 0 && (r.left < 0 || r.right > edge + 1 || e.scrollWidth > e.clientWidth + 1);
            }).map(e => e.textContent.trim() || e.getAttribute('aria-label'))
            """, BrowserFixture.Phone.Width);
        Assert.True(cut.Length == 0, "On a phone these are cut off or stick out of the screen: " + string.Join(", ", cut));
    }

    [Fact]
    public async Task Times_ForAViewerInAuckland_TheDialogAndTheDateFilterUseTheirDay()
    {
        // In May Auckland is 12 hours ahead of UTC: these are the 1st, the 2nd and the 3rd of May there.
        var evening = await SeedAsync(App.Bob, "zonetest evening of the first", new DateTime(2026, 5, 1, 10, 0, 0, DateTimeKind.Utc));
        var night = await SeedAsync(App.Bob, "zonetest night of the second", new DateTime(2026, 5, 1, 13, 30, 0, DateTimeKind.Utc));
        await SeedAsync(App.Bob, "zonetest just after midnight of the third", new DateTime(2026, 5, 2, 12, 30, 0, DateTimeKind.Utc));
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = BrowserFixture.Desktop.Width, Height = BrowserFixture.Desktop.Height },
            TimezoneId = "Pacific/Auckland",
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(BrowserFixture.GuardMs);
        var gallery = new GalleryPageObject(await context.NewPageAsync(), App.RootUri);
        await gallery.SignInAsync(App.Bob);
        await gallery.OpenAsync();
        await gallery.Search.FillAsync("zonetest");
        await Expect(gallery.Items).ToHaveCountAsync(3);

        // The 2nd of May in Auckland holds only the picture made at half past one in the morning there.
        await SetDateAsync(gallery.Page, "From", "2026-05-02");
        await Expect(gallery.Items).ToHaveCountAsync(2);
        await SetDateAsync(gallery.Page, "To", "2026-05-02");
        await Expect(gallery.Items).ToHaveCountAsync(1);
        await Expect(gallery.Items.First).ToHaveAttributeAsync("data-image-id", night.Id.ToString());
        await LayoutAssertions.ScreenshotAsync(gallery.Page, "gallery-date-filter-auckland");

        await SetDateAsync(gallery.Page, "From", "2026-05-01");
        await Expect(gallery.Items).ToHaveCountAsync(2);
        await Expect(gallery.Items.Last).ToHaveAttributeAsync("data-image-id", evening.Id.ToString());

        await gallery.Thumb("zonetest night of the second").ClickAsync();
        var dialog = new ImageDialogObject(gallery.Page);
        await Expect(dialog.Root.GetByTestId("made")).ToHaveTextAsync("02/05/2026, 01:30");
    }
}
