using System.Net;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Images;
using DreamLayer.Web.Tests.Infrastructure;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// A model's preview picture: uploaded or picked from the gallery by an admin, kept as a copy of its own, served to
/// members by its own route with cache headers, and only while a model has it. Hostile uploads, private images and
/// members are refused on the server, with the reason in words.
/// </summary>
public sealed class ModelPreviewTests : IAsyncLifetime
{
    private const string Sd15 = "v1-5.safetensors";
    private const string Sdxl = "sdxl/base.safetensors";
    private static readonly ModelKey Sd15Key = new("checkpoints", Sd15);
    private static readonly ModelKey SdxlKey = new("checkpoints", Sdxl);

    private readonly string _models = Path.Combine(Path.GetTempPath(), "dl-previews-" + Guid.NewGuid().ToString("N"));

    private static SignedInUser Actor(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    public Task InitializeAsync()
    {
        SafetensorsFiles.Write(_models, "checkpoints", Sd15, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_models, "checkpoints", Sdxl, SafetensorsFiles.SdxlCheckpoint);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_models, recursive: true);
        return Task.CompletedTask;
    }

    private async Task<DreamLayerApp> StartAsync()
    {
        var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?> { ["ComfyUi:ModelsDirectory"] = _models },
            standInOptions: new StandInOptions { ModelsDirectory = _models, Previews = false });
        var catalogue = app.Get<ModelCatalogue>();
        await DreamLayerApp.WaitUntilAsync(() => catalogue.Models().Count == 2, "the catalogue to list the models");
        return app;
    }

    private static MemoryStream Picture(int width, int height) => new(HostileImages.GreyPng(width, height, shade: 200));

    [Fact]
    public async Task Upload_Admin_IsServedToMembersCachedForGood_AndReplacingItRetiresTheOldAddress()
    {
        await using var app = await StartAsync();
        var previews = app.Get<ModelPreviews>();
        var settings = app.Get<ModelSettings>();

        Assert.Null(await previews.UploadAsync(Actor(app.Admin), Sd15Key, Picture(1200, 800), default));
        var first = Assert.IsType<Guid>(settings.Get(Sd15Key).PreviewId);

        using var member = await app.CreateClientAsync(app.Alice);
        using (var response = await member.GetAsync(ModelPreviews.Url(first)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
            var caching = response.Headers.CacheControl!;
            Assert.True(caching.Private);
            Assert.Equal(TimeSpan.FromDays(365), caching.MaxAge);
            Assert.Contains(caching.Extensions, e => e.Name == "immutable");
            Assert.NotNull(response.Headers.ETag);
            var info = Image.Identify(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(320, info.Width); // a small copy, the size of the gallery's thumbnails
            Assert.InRange(info.Height, 212, 214);
        }

        Assert.Null(await previews.UploadAsync(Actor(app.Admin), Sd15Key, Picture(64, 64), default));
        var second = Assert.IsType<Guid>(settings.Get(Sd15Key).PreviewId);
        Assert.NotEqual(first, second);
        using (var old = await member.GetAsync(ModelPreviews.Url(first)))
        {
            Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        }
        Assert.False(File.Exists(Path.Combine(previews.Folder, $"{first:N}.jpg")));
        using (var current = await member.GetAsync(ModelPreviews.Url(second)))
        {
            Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        }

        await settings.ReloadAsync(default); // what a restart reads back
        Assert.Equal(second, settings.Get(Sd15Key).PreviewId);

        Assert.Null(await previews.RemoveAsync(Actor(app.Admin), Sd15Key, default));
        Assert.Null(settings.Get(Sd15Key).PreviewId);
        using (var removed = await member.GetAsync(ModelPreviews.Url(second)))
        {
            Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        }
    }

    [Fact]
    public async Task Upload_HostileOrByAMember_IsRefusedWithTheReason_AndNothingIsKept()
    {
        await using var app = await StartAsync();
        var previews = app.Get<ModelPreviews>();
        var admin = Actor(app.Admin);

        var oversized = new MemoryStream(new byte[25 * 1024 * 1024]);
        Assert.Equal("The file is 25 MB; the limit is 20 MB.", await previews.UploadAsync(admin, Sd15Key, oversized, default));
        Assert.Contains("not an image", await previews.UploadAsync(admin, Sd15Key, new MemoryStream("<html>a model page</html>"u8.ToArray()), default),
            StringComparison.OrdinalIgnoreCase);
        // 16384×16384 grey: a few hundred KB that would decode to a gigabyte; refused from its header, never decoded.
        Assert.Equal("The image is 16384×16384 (268,435,456 pixels); the limit for a picture to generate from is 16,777,216 pixels (4096×4096).",
            await previews.UploadAsync(admin, Sd15Key, new MemoryStream(HostileImages.Grey16384), default));
        Assert.Equal("Only an admin can change models.", await previews.UploadAsync(Actor(app.Alice), Sd15Key, Picture(64, 64), default));
        Assert.Equal("Only an admin can change models.", await previews.RemoveAsync(Actor(app.Alice), Sd15Key, default));
        Assert.Equal("No online server lists that model: a preview is set on a model the servers have.",
            await previews.UploadAsync(admin, new ModelKey("checkpoints", "../../etc/passwd"), Picture(64, 64), default));

        Assert.Null(app.Get<ModelSettings>().Get(Sd15Key).PreviewId);
        Assert.False(Directory.Exists(previews.Folder) && Directory.EnumerateFiles(previews.Folder).Any());
    }

    [Fact]
    public async Task Pick_FromTheGallery_OutlivesTheImage_PrivateImagesAndMembersRefused()
    {
        await using var app = await StartAsync();
        var previews = app.Get<ModelPreviews>();
        var settings = app.Get<ModelSettings>();
        var gallery = app.Get<GalleryService>();
        var shared = await GalleryImages.MakeAsync(app, app.Alice, "a lighthouse", Sd15);
        var secret = await GalleryImages.MakeAsync(app, app.Bob, "a secret garden", Sd15);
        Assert.Equal(1, (await gallery.SetPrivateAsync(Actor(app.Bob), [secret], isPrivate: true, default)).Done);

        Assert.Equal("That image is private: a preview is shown to every member, so pick an image the whole team can see, or upload the picture.",
            await previews.PickAsync(Actor(app.Admin), SdxlKey, secret, default));
        Assert.Equal("Only an admin can change models.", await previews.PickAsync(Actor(app.Alice), SdxlKey, shared, default));
        Assert.Equal("That image is no longer in the gallery.", await previews.PickAsync(Actor(app.Admin), SdxlKey, Guid.NewGuid(), default));
        Assert.Null(settings.Get(SdxlKey).PreviewId);

        Assert.Null(await previews.PickAsync(Actor(app.Admin), SdxlKey, shared, default));
        // The same picture for a second model is a copy of its own: removing one model's leaves the other's.
        Assert.Null(await previews.PickAsync(Actor(app.Admin), Sd15Key, shared, default));
        var preview = Assert.IsType<Guid>(settings.Get(SdxlKey).PreviewId);
        Assert.NotEqual(preview, settings.Get(Sd15Key).PreviewId);
        Assert.Null(await previews.RemoveAsync(Actor(app.Admin), Sd15Key, default));

        // Alice deletes her image for good: the model's preview is a copy and stays, never a broken picture.
        Assert.Equal(1, (await gallery.TrashAsync(Actor(app.Alice), [shared], default)).Done);
        Assert.Equal(1, (await gallery.EmptyTrashAsync(Actor(app.Alice), [shared], default)).Done);
        using var member = await app.CreateClientAsync(app.Bob);
        using (var image = await member.GetAsync($"/images/{shared}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, image.StatusCode);
        }
        using (var response = await member.GetAsync(ModelPreviews.Url(preview)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Preview_OfAHiddenModel_IsServedToAdminsOnly_AndAGalleryImageIdIsNoPreview()
    {
        await using var app = await StartAsync();
        var previews = app.Get<ModelPreviews>();
        var settings = app.Get<ModelSettings>();
        Assert.Null(await previews.UploadAsync(Actor(app.Admin), Sd15Key, Picture(64, 64), default));
        var preview = Assert.IsType<Guid>(settings.Get(Sd15Key).PreviewId);
        var image = await GalleryImages.MakeAsync(app, app.Alice, "a lighthouse", Sd15);
        Assert.Null(await settings.BulkAsync(Actor(app.Admin), [Sd15Key], BulkModelAction.Hide, null, null, default));

        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);
        using (var hidden = await member.GetAsync(ModelPreviews.Url(preview)))
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        }
        using (var forAdmin = await admin.GetAsync(ModelPreviews.Url(preview)))
        {
            Assert.Equal(HttpStatusCode.OK, forAdmin.StatusCode);
        }
        // The route serves previews only: not a gallery image (not even one the viewer may see), not a guessed file.
        using (var galleryImage = await member.GetAsync(ModelPreviews.Url(image)))
        {
            Assert.Equal(HttpStatusCode.NotFound, galleryImage.StatusCode);
        }
        using var anonymous = app.CreateAnonymousClient();
        using var signedOut = await anonymous.GetAsync(ModelPreviews.Url(preview));
        Assert.NotEqual(HttpStatusCode.OK, signedOut.StatusCode);
    }
}
