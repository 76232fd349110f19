using System.IO.Compression;
using System.Net;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Images;

/// <summary>The image endpoints serve only what the signed-in person may see, whatever the request names.</summary>
public sealed class GalleryHttpTests
{
    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    private static Task<ImageEntity> SeedAsync(DreamLayerApp app, TestUser owner, string prompt, bool isPrivate = false) =>
        GalleryDatabase.AddImageAsync(app.Get<IDbContextFactory<DreamLayerDbContext>>(), app.Get<ImageStore>(), As(owner), prompt,
            TimeProvider.System.GetUtcNow().UtcDateTime, isPrivate: isPrivate);

    [Fact]
    public async Task Zip_OwnAndSomeoneElsesPrivateImage_CarriesOnlyWhatTheViewerMaySee()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var open = await SeedAsync(app, app.Alice, "alice's open image");
        var secret = await SeedAsync(app, app.Bob, "bob's private image", isPrivate: true);
        using var http = await app.CreateClientAsync(app.Alice);
        var token = await AccountHttp.FormTokenAsync(http, "/account/password");

        using var form = new FormUrlEncodedContent(
        [
            new("__RequestVerificationToken", token),
            new("ids", open.Id.ToString()),
            new("ids", secret.Id.ToString()),
            new("ids", "../../etc/passwd"),
        ]);
        using var response = await http.PostAsync(new Uri("/images/zip", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var zip = new ZipArchive(body, ZipArchiveMode.Read);
        var entry = Assert.Single(zip.Entries);
        Assert.Equal(ImageEndpoints.DownloadName(open), entry.FullName);
        Assert.Equal(new FileInfo(app.Get<ImageStore>().Locate(open)!).Length, entry.Length);
    }

    [Fact]
    public async Task Zip_WithoutAntiforgeryToken_IsRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var open = await SeedAsync(app, app.Alice, "alice's open image");
        using var http = await app.CreateClientAsync(app.Alice);

        using var form = new FormUrlEncodedContent([new("ids", open.Id.ToString())]);
        using var response = await http.PostAsync(new Uri("/images/zip", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Get_PrivateImage_IsNotFoundForAnotherMember_ServedToOwnerAndAdmin_WithCacheHeaders()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var secret = await SeedAsync(app, app.Bob, "bob's private image", isPrivate: true);
        using var alice = await app.CreateClientAsync(app.Alice);
        using var bob = await app.CreateClientAsync(app.Bob);
        using var admin = await app.CreateClientAsync(app.Admin);

        foreach (var path in new[] { $"/images/{secret.Id}", $"/images/{secret.Id}/thumb", $"/images/{secret.Id}?download=true" })
        {
            using var refused = await alice.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            using var owner = await bob.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
            Assert.NotNull(owner.Headers.ETag);
            Assert.Contains("private", owner.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
            using var byAdmin = await admin.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
        }
    }

    [Fact]
    public async Task Get_RowWhosePathLeavesTheImagesFolder_IsNotFound()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var image = await SeedAsync(app, app.Alice, "moved");
        var outside = Path.Combine(app.DataDirectory, "outside.png");
        await File.WriteAllBytesAsync(outside, GalleryDatabase.TinyPng);
        await using (var db = app.CreateDbContext())
        {
            await db.Images.Where(i => i.Id == image.Id).ExecuteUpdateAsync(s => s.SetProperty(i => i.RelativePath, "../outside.png"));
        }
        using var http = await app.CreateClientAsync(app.Alice);

        using var response = await http.GetAsync(new Uri($"/images/{image.Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
