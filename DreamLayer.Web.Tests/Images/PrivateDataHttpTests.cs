using System.Net;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Images;

/// <summary>
/// What a teammate may not see does not leak sideways: uploads (img2img sources, masks, ControlNet pictures) are served
/// only to those who may see them, and the gallery's filter lists come only from images the viewer may see.
/// </summary>
public sealed class PrivateDataHttpTests
{
    private static SignedInUser As(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    private static async Task<Guid> UploadAsync(DreamLayerApp app)
    {
        using var png = new MemoryStream(GalleryDatabase.TinyPng);
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "picture.png", default)).Id;
    }

    /// <summary>A finished Inpaint job of <paramref name="owner"/> made from these uploads, with one image.</summary>
    private static async Task<ImageEntity> ImageFromAsync(DreamLayerApp app, TestUser owner, Guid source, Guid mask, Guid control, bool isPrivate, string prompt = "a harbour")
    {
        var request = new GenerationRequest
        {
            Mode = GenerationMode.Inpaint,
            Prompt = prompt,
            Checkpoint = "model-a.safetensors",
            Width = 64,
            Height = 64,
            SourceImage = source,
            Mask = new InpaintMask(mask, 64, 64, new PixelRect(0, 0, 8, 8)),
            ControlNets = [new ControlNetSetting { Model = "control.safetensors", Image = control }],
        };
        return await AddJobImageAsync(app, owner, request, isPrivate);
    }

    private static async Task<ImageEntity> AddJobImageAsync(DreamLayerApp app, TestUser owner, GenerationRequest request, bool isPrivate)
    {
        var job = new JobEntity
        {
            Id = Guid.NewGuid(),
            BatchId = Guid.NewGuid(),
            Owner = owner.Id,
            Mode = request.Mode.ToString(),
            Status = JobStatus.Succeeded,
            RequestJson = JsonSerializer.Serialize(request, StoredRequest.Json),
            Prompt = request.Prompt,
            Checkpoint = request.Checkpoint,
            Sampler = "euler",
            Scheduler = "normal",
            Steps = 20,
            Cfg = 7,
            Width = 64,
            Height = 64,
            BatchSize = 1,
            Seed = 1,
            CreatedAt = TimeProvider.System.GetUtcNow().UtcDateTime,
        };
        var image = await app.Get<ImageStore>().ImportAsync(job, GalleryDatabase.TinyPng, ".png", 64, 64, request.Prompt, TimeProvider.System.GetUtcNow().UtcDateTime, default);
        image.OwnerName = owner.DisplayName;
        image.IsPrivate = isPrivate;
        await using var db = app.CreateDbContext();
        db.Jobs.Add(job);
        db.Images.Add(image);
        await db.SaveChangesAsync();
        return image;
    }

    private static async Task<HttpStatusCode> GetAsync(HttpClient http, Guid upload)
    {
        using var response = await http.GetAsync(new Uri($"/uploads/{upload}", UriKind.Relative));
        return response.StatusCode;
    }

    [Fact]
    public async Task Upload_FreshlyUploaded_IsServedToItsUploaderAndAdmins_NotToAnotherMember()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var upload = await UploadAsync(app);
        app.Get<UploadAccess>().RecordOwner(upload, As(app.Bob));
        using var alice = await app.CreateClientAsync(app.Alice);
        using var bob = await app.CreateClientAsync(app.Bob);
        using var admin = await app.CreateClientAsync(app.Admin);

        Assert.Equal(HttpStatusCode.OK, await GetAsync(bob, upload));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(admin, upload));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(alice, upload));
    }

    [Fact]
    public async Task Upload_SourceMaskAndControlPictureOfAPrivateImage_AreNotFoundForAnotherMember_ServedToItsOwner()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var (source, mask, control) = (await UploadAsync(app), await UploadAsync(app), await UploadAsync(app));
        await ImageFromAsync(app, app.Bob, source, mask, control, isPrivate: true);
        using var alice = await app.CreateClientAsync(app.Alice);
        using var bob = await app.CreateClientAsync(app.Bob);

        foreach (var upload in new[] { source, mask, control })
        {
            Assert.Equal(HttpStatusCode.NotFound, await GetAsync(alice, upload));
            // The owner of the job that used it, even though no upload owner was recorded (an upload from an older version).
            Assert.Equal(HttpStatusCode.OK, await GetAsync(bob, upload));
        }
    }

    [Fact]
    public async Task Upload_OfASharedImage_IsServedToATeammateForReuse_UntilTheImageIsTrashed()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var (source, mask, control) = (await UploadAsync(app), await UploadAsync(app), await UploadAsync(app));
        var image = await ImageFromAsync(app, app.Bob, source, mask, control, isPrivate: false);
        using var alice = await app.CreateClientAsync(app.Alice);

        foreach (var upload in new[] { source, mask, control })
        {
            Assert.Equal(HttpStatusCode.OK, await GetAsync(alice, upload));
        }

        Assert.Equal(1, (await app.Get<GalleryService>().TrashAsync(As(app.Bob), [image.Id])).Done);
        foreach (var upload in new[] { source, mask, control })
        {
            Assert.Equal(HttpStatusCode.NotFound, await GetAsync(alice, upload));
        }
    }

    [Fact]
    public async Task Upload_IdWrittenIntoAPromptOfOnesOwnSharedImage_GrantsNothing()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var secret = await UploadAsync(app);
        app.Get<UploadAccess>().RecordOwner(secret, As(app.Bob));
        var (source, mask, control) = (await UploadAsync(app), await UploadAsync(app), await UploadAsync(app));
        await ImageFromAsync(app, app.Alice, source, mask, control, isPrivate: false, prompt: $"a harbour {secret}");
        using var alice = await app.CreateClientAsync(app.Alice);

        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(alice, secret));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(alice, source));
    }

    [Fact]
    public async Task Facets_ValuesOnlyOnAnotherPersonsPrivateOrTrashedImages_AreNotOffered()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var gallery = app.Get<GalleryService>();
        var factory = app.Get<IDbContextFactory<DreamLayerDbContext>>();
        var store = app.Get<ImageStore>();
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        await GalleryDatabase.AddImageAsync(factory, store, As(app.Alice), "a shared cat <lora:sharedstyle:0.8>", now, model: "shared.safetensors", sampler: "euler");
        await GalleryDatabase.AddImageAsync(factory, store, As(app.Bob), "a secret cat <lora:secretstyle:1>", now.AddSeconds(1),
            model: "secret.safetensors", sampler: "secret_sampler", isPrivate: true, width: 640, height: 1088, mode: "Img2Img");
        var trashed = await GalleryDatabase.AddImageAsync(factory, store, As(app.Admin), "a trashed cat <lora:trashedstyle:1>", now.AddSeconds(2),
            model: "trashed.safetensors", sampler: "trashed_sampler", width: 1216, height: 832, mode: "Upscale");
        Assert.Equal(1, (await gallery.TrashAsync(As(app.Admin), [trashed.Id])).Done);

        var alices = await gallery.FacetsAsync(As(app.Alice));
        Assert.Equal(["sharedstyle"], alices.Loras);
        Assert.Equal(["shared.safetensors"], alices.Models);
        Assert.Equal(["euler"], alices.Samplers);
        Assert.Equal([(512, 512)], alices.Sizes);
        Assert.Equal(["Txt2Img"], alices.Modes);
        Assert.Equal([(app.Alice.Id, app.Alice.DisplayName)], alices.People);

        // The owner of the private image sees its values; nobody's filters offer what is only in the trash.
        var bobs = await gallery.FacetsAsync(As(app.Bob));
        Assert.Equal(["secretstyle", "sharedstyle"], bobs.Loras);
        Assert.Equal(["secret.safetensors", "shared.safetensors"], bobs.Models);
        var admins = await gallery.FacetsAsync(As(app.Admin));
        Assert.Equal(["secretstyle", "sharedstyle"], admins.Loras);
        Assert.DoesNotContain("trashed_sampler", admins.Samplers);
    }
}
