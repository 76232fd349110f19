using System.Text;
using CloudStandIn;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// A person describes a picture on Img2Txt and sends the description to Txt2Img, at a desktop and a phone size, in a
/// real browser against both stand-ins; a page without a describer says what is needed; hostile files and another
/// person's private image are refused in words.
/// </summary>
public sealed class Img2TxtTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    private CloudStandInServer _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudStandInServer.StartAsync(new CloudStandInOptions { Port = 0 });

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private Dictionary<string, string?> WithOpenAi() => new()
    {
        ["Cloud:OpenAI:BaseUrl"] = new Uri(_cloud.BaseAddress, "v1").ToString(),
        ["Keys:OpenAI"] = new CloudStandInOptions().Keys[CloudProvider.OpenAi],
    };

    public static TheoryData<string> Sizes => ["desktop", "phone"];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task UploadDescribeSendToTxt2Img_ThePromptIsFilled(string size)
    {
        var (width, height) = size == "desktop" ? BrowserFixture.Desktop : BrowserFixture.Phone;
        await using var app = await DreamLayerApp.StartAsync(settings: WithOpenAi(), standInOptions: new StandInOptions { Wd14Tagger = true });
        await using var context = await browser.NewContextAsync((width, height));
        var page = new Img2TxtPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync(fromMenu: size == "desktop");

        await page.ChooseAsync("harbour.png", TestImages.Png(320, 200));
        await Expect(page.PictureSummary).ToContainTextAsync("harbour.png · 320×200", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Picture).ToBeVisibleAsync();
        await Expect(page.Describer).ToContainTextAsync("OpenAI (gpt-4.1-mini)");
        await page.Instructions.FillAsync("describe it as tags");
        await page.Describe.ClickAsync();

        await Expect(page.Description).ToHaveValueAsync("landscape, blue, gradient, circles, digital art", new() { Timeout = BrowserFixture.GuardMs });
        await page.SendToTxt2Img.ScrollIntoViewIfNeededAsync();
        await LayoutAssertions.InViewportAsync(page.Page, page.SendToTxt2Img, "Send to Txt2Img");
        await LayoutAssertions.NoHorizontalScrollAsync(page.Page, "Img2Txt");
        await LayoutAssertions.ScreenshotAsync(page.Page, $"img2txt-described-{size}");

        await page.SendToTxt2Img.ClickAsync();

        var txt2img = new Txt2ImgPageObject(page.Page, app.RootUri);
        await Expect(txt2img.Prompt).ToHaveValueAsync("landscape, blue, gradient, circles, digital art", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Page.GetByTestId("draft-notice")).ToContainTextAsync("Img2Txt");
        Assert.Single(_cloud.Accepted, a => a.Model == "gpt-4.1-mini");
    }

    [Fact]
    public async Task Describe_WithTheServersTagger_TagsOfThePicture_InstructionsNotOffered()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { Wd14Tagger = true });
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new Img2TxtPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync("sky.png", TestImages.Png(200, 200));
        await Expect(page.PictureSummary).ToContainTextAsync("sky.png", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Describer).ToContainTextAsync("WD14 Tagger 🐍 on");
        await Expect(page.Instructions).ToBeDisabledAsync();
        await page.Describe.ClickAsync();

        await Expect(page.Description).ToHaveValueAsync("no_humans, blue_theme, scenery, gradient_background, circle", new() { Timeout = BrowserFixture.GuardMs });
        await LayoutAssertions.ScreenshotAsync(page.Page, "img2txt-tagger-desktop");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task NoDescriber_TheWordsSayWhatIsNeeded_NoButtonThatCannotWork(bool admin)
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync(BrowserFixture.Phone);
        var page = new Img2TxtPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(admin ? app.Admin : app.Alice);
        await page.OpenAsync(fromMenu: false);

        await page.ChooseAsync("sky.png", TestImages.Png(64, 64));

        await Expect(page.PictureSummary).ToContainTextAsync("sky.png", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.NoDescriber).ToContainTextAsync(admin ? "add OpenAI's key under Keys" : "Ask an admin.");
        await Expect(page.Describe).ToBeDisabledAsync();
        await Expect(page.Describer).ToHaveCountAsync(0);
        await LayoutAssertions.InViewportAsync(page.Page, page.NoDescriber, "the words about what is needed");
        await LayoutAssertions.ScreenshotAsync(page.Page, $"img2txt-no-describer-{(admin ? "admin" : "member")}-phone");
    }

    [Fact]
    public async Task HostileFiles_AndAnotherPersonsPrivateImage_RefusedInWords()
    {
        var settings = WithOpenAi();
        settings["Storage:MaxImageBytes"] = "1048576";
        await using var app = await DreamLayerApp.StartAsync(settings: settings);
        var bobsImage = await PrivateImageOfBobAsync(app);
        await using var context = await browser.NewContextAsync(BrowserFixture.Desktop);
        var page = new Img2TxtPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.ChooseAsync("notes.png", Encoding.UTF8.GetBytes("these are my notes, not a picture"));
        await Expect(page.PictureError).ToContainTextAsync("not an image", new() { Timeout = BrowserFixture.GuardMs });
        await page.ChooseAsync("huge.png", new byte[(1024 * 1024) + 1]);
        await Expect(page.PictureError).ToContainTextAsync("huge.png: The file is 1 MB; the limit is 1 MB.", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Describe).ToBeDisabledAsync();

        await page.Page.GotoAsync(new Uri(app.RootUri, $"img2txt?image={bobsImage}").ToString());
        await Expect(page.PictureError).ToContainTextAsync("This image no longer exists.", new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Picture).ToHaveCountAsync(0);
        Assert.Empty(_cloud.Accepted);
    }

    /// <summary>An image Bob made and marked private: Alice may not see it.</summary>
    private static async Task<Guid> PrivateImageOfBobAsync(DreamLayerApp app)
    {
        Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(new GenerationRequest
        {
            Prompt = "bob's private lighthouse",
            Checkpoint = app.Backend.Limits!.Checkpoints[0],
            Steps = 2,
            Width = 256,
            Height = 256,
        }, app.Bob.Id, default));
        Guid id = default;
        await DreamLayerApp.WaitUntilAsync(() =>
        {
            using var db = app.CreateDbContext();
            id = db.Images.Where(i => i.Job!.Owner == app.Bob.Id).Select(i => i.Id).FirstOrDefault();
            return id != Guid.Empty;
        }, "Bob's image");
        var bob = new SignedInUser(app.Bob.Id, app.Bob.UserName, app.Bob.DisplayName, IsAdmin: false);
        await app.Get<GalleryService>().SetPrivateAsync(bob, [id], isPrivate: true);
        return id;
    }
}
