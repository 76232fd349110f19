using System.Security.Claims;
using Bunit;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>An open gallery (Bob's, a member) told of new images from jobs: what it shows, counts, and what it reads for them.</summary>
public sealed class GalleryViewLiveTests : MudComponentTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly GalleryDatabase _db;
    private readonly CommandRecorder _recorder;
    private readonly JobEvents _events;

    public GalleryViewLiveTests()
        : this(new GalleryDatabase(), new CommandRecorder(), new JobEvents())
    {
    }

    private GalleryViewLiveTests(GalleryDatabase db, CommandRecorder recorder, JobEvents events)
        : base(services =>
        {
            var options = new DbContextOptionsBuilder<DreamLayerDbContext>()
                .UseSqlite(new SqliteConnectionStringBuilder { DataSource = db.Paths.DatabasePath, Pooling = false }.ToString())
                .AddInterceptors(recorder).Options;
            var factory = new TestContextFactory(options);
            services.AddSingleton(new GalleryService(factory, db.Store, db.Events, TimeProvider.System));
            services.AddSingleton(new BoardService(factory, TimeProvider.System));
            services.AddSingleton(db.Events);
            services.AddSingleton(events);
            services.AddSingleton<AuthenticationStateProvider, SignedInAsBob>();
            services.AddScoped<CurrentUser>();
            services.AddScoped<ViewerClock>();
        })
    {
        _db = db;
        _recorder = recorder;
        _events = events;
        JSInterop.SetupModule("./js/viewer-clock.js").Setup<ViewerClockInfo>("read").SetResult(new ViewerClockInfo("UTC", null, null, null, null));
    }

    private sealed class SignedInAsBob : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(new ClaimsPrincipal(
            new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, Bob.Id), new Claim(ClaimTypes.Name, Bob.UserName)], "test"))));
    }

    [Fact]
    public async Task NewImageOfATeammate_IsPutFirstAndCounted_WithoutAnyReadOfTheDatabase()
    {
        var old = await _db.AddAsync(Alice, "an old tree");
        var gallery = await OpenAsync(1);

        var fox = await AddAndAnnounceAsync(Alice, "a red fox", mode: "Inpaint");

        gallery.WaitForAssertion(() => Assert.Equal([fox, old.Id], Shown(gallery)), Wait);
        Assert.Equal("2 images", gallery.Find("[data-testid=gallery-count]").TextContent);
        Assert.Empty(_recorder.Commands);
        // Its values join the filter lists without a re-read too.
        Assert.Contains("Inpaint", gallery.FindComponent<GalleryToolbar>().Instance.Facets.Modes);
    }

    [Fact]
    public async Task NewImages_NotMatchingTheFilterOrPrivateToSomeoneElse_AreNotShownNorCounted()
    {
        var old = await _db.AddAsync(Alice, "an old tree", mode: "Img2Img");
        var gallery = await OpenAsync(1);
        await gallery.InvokeAsync(() => gallery.FindComponent<GalleryToolbar>().Instance.OnFilterChanged.InvokeAsync(new GalleryFilter { Mode = "Img2Img" }));
        gallery.WaitForAssertion(() => Assert.Equal([old.Id], Shown(gallery)), Wait);
        _recorder.Commands.Clear();

        await AddAndAnnounceAsync(Alice, "a txt2img fox", mode: "Txt2Img");
        var hidden = await AddAndAnnounceAsync(Alice, "a private img2img owl", mode: "Img2Img", isPrivate: true);
        var shown = await AddAndAnnounceAsync(Alice, "an img2img whale", mode: "Img2Img");

        gallery.WaitForAssertion(() => Assert.Equal([shown, old.Id], Shown(gallery)), Wait);
        Assert.DoesNotContain(hidden, Shown(gallery));
        Assert.Equal("2 images", gallery.Find("[data-testid=gallery-count]").TextContent);
        Assert.Empty(_recorder.Commands);
        Assert.DoesNotContain("a private img2img owl", gallery.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewImage_WithASearch_IsLookedUpOnceByIdAndNotReRead()
    {
        var old = await _db.AddAsync(Alice, "an old fox");
        var gallery = await OpenAsync(1);
        await gallery.InvokeAsync(() => gallery.FindComponent<GalleryToolbar>().Instance.OnFilterChanged.InvokeAsync(new GalleryFilter { Text = "fox" }));
        gallery.WaitForAssertion(() => Assert.Equal([old.Id], Shown(gallery)), Wait);
        _recorder.Commands.Clear();

        var owl = await AddAndAnnounceAsync(Alice, "an owl");
        var fox = await AddAndAnnounceAsync(Alice, "a young fox");

        gallery.WaitForAssertion(() => Assert.Equal([fox, old.Id], Shown(gallery)), Wait);
        Assert.DoesNotContain(owl, Shown(gallery));
        Assert.Equal("2 images", gallery.Find("[data-testid=gallery-count]").TextContent);
        // One look-up for each image the columns let through; no count, no filter lists, no page read again.
        Assert.Equal(2, _recorder.Commands.Count);
        Assert.All(_recorder.Commands, c => Assert.Contains("MATCH", c, StringComparison.Ordinal));
    }

    /// <summary>Renders the gallery and waits until it shows <paramref name="images"/> images, then forgets what it read.</summary>
    private async Task<IRenderedComponent<GalleryView>> OpenAsync(int images)
    {
        var gallery = Render<GalleryView>();
        gallery.WaitForAssertion(() => Assert.Equal(images, Shown(gallery).Count), Wait);
        await Task.Yield();
        _recorder.Commands.Clear();
        return gallery;
    }

    /// <summary>Stores an image as a finished job does and announces it as the job pipeline does; the id.</summary>
    private async Task<Guid> AddAndAnnounceAsync(SignedInUser owner, string prompt, string mode = "Txt2Img", bool isPrivate = false)
    {
        var image = await _db.AddAsync(owner, prompt, mode: mode, isPrivate: isPrivate);
        _events.PublishImage(image.JobId, await GalleryNewsTests.AnnouncedAsync(_db, image.Id));
        return image.Id;
    }

    private static List<Guid> Shown(IRenderedComponent<GalleryView> gallery) =>
        [.. gallery.FindAll("[data-testid=gallery-item]").Select(e => Guid.Parse(e.GetAttribute("data-image-id")!))];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _db.Dispose();
        }
    }
}
