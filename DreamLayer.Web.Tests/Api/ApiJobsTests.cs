using System.Net;
using System.Text.Json;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Api;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.Api.ApiClient;
using static DreamLayer.Web.Tests.Api.ApiTokenTests;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// Submitting work over REST v1 as a script does: uploads, jobs of every mode and imported workflows, each through the
/// queue's own validator, with every refusal a problem details answer naming the field.
/// </summary>
public sealed class ApiJobsTests
{
    private const string Checkpoint = "v1-5-pruned-emaonly.safetensors";

    private static readonly Rgba32 Orange = new(200, 80, 40);

    /// <summary>A mask as the Inpaint page paints one: the area to repaint opaque, the rest transparent.</summary>
    private static byte[] Mask(int width, int height) => Png(width, height, new Rgba32(0, 0, 0, 0), image =>
    {
        for (var y = 10; y < 20; y++)
        {
            for (var x = 30; x < 50; x++)
            {
                image[x, y] = new Rgba32(255, 255, 255, 255);
            }
        }
    });

    [Fact]
    public async Task ClientLoop_UploadsAPicture_RunsImg2ImgAndInpaint_ThenFindsFavouritesAndTrashesTheImage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);

        var source = await UploadIdAsync(alice, Png(96, 64, Orange));
        var mask = await UploadIdAsync(alice, Mask(96, 64));
        var img2img = Assert.Single(await SubmitAsync(alice, new
        {
            mode = "Img2Img",
            prompt = "a boat at dawn",
            checkpoint = Checkpoint,
            steps = 2,
            width = 128,
            height = 128,
            sourceImage = source,
            denoise = 0.6,
            resizeMode = "CropAndResize",
            seed = 42,
        }));
        var inpaint = Assert.Single(await SubmitAsync(alice, new
        {
            mode = "inpaint",
            prompt = "a red sail",
            checkpoint = Checkpoint,
            steps = 2,
            width = 96,
            height = 64,
            sourceImage = source,
            mask,
            inpaint = new { maskBlur = 2, maskedContent = "LatentNoise" },
        }));

        var done = await WaitEndedAsync(alice, img2img);
        Assert.True(done.GetProperty("status").GetString() == "Succeeded", done.ToString());
        var inpainted = await WaitEndedAsync(alice, inpaint);
        Assert.True(inpainted.GetProperty("status").GetString() == "Succeeded", inpainted.ToString());

        // Found through the gallery's filters, with its parameters as stored and its infotext.
        var mine = await GetAsync(alice, "/api/v1/images?mode=Img2Img&mine=true");
        var listed = Assert.Single(mine.GetProperty("images").EnumerateArray());
        var imageId = listed.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/images/{imageId}/file", Assert.Single(done.GetProperty("images").EnumerateArray()).GetString());
        // The address the job gives is one the token itself can fetch.
        using (var file = await alice.GetAsync(Path($"/api/v1/images/{imageId}/file")))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal("image/png", file.Content.Headers.ContentType?.MediaType);
        }
        var details = await GetAsync(alice, $"/api/v1/images/{imageId}");
        Assert.Equal((128, 128), (details.GetProperty("width").GetInt32(), details.GetProperty("height").GetInt32()));
        Assert.Equal("42", details.GetProperty("seed").GetString());
        Assert.Equal(source, details.GetProperty("parameters").GetProperty("sourceImage").GetGuid());
        Assert.Contains("Denoising strength: 0.6", details.GetProperty("infotext").GetString(), StringComparison.Ordinal);
        using (var file = await alice.GetAsync(Path(details.GetProperty("fileUrl").GetString()!)))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.Equal((128, 128), Size(Image.Identify(await file.Content.ReadAsByteArrayAsync())));
        }
        using (var thumb = await alice.GetAsync(Path(details.GetProperty("thumbnailUrl").GetString()!)))
        {
            Assert.Equal("image/jpeg", thumb.Content.Headers.ContentType?.MediaType);
        }
        var inpaintImage = Assert.Single((await GetAsync(alice, "/api/v1/images?mode=Inpaint")).GetProperty("images").EnumerateArray());
        Assert.Equal((96, 64), (inpaintImage.GetProperty("width").GetInt32(), inpaintImage.GetProperty("height").GetInt32()));

        // Favourite, then not.
        using (var put = await alice.PutAsync(Path($"/api/v1/images/{imageId}/favourite"), null))
        {
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        }
        Assert.Equal(imageId, Assert.Single((await GetAsync(alice, "/api/v1/images?favourites=true")).GetProperty("images").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.True((await GetAsync(alice, $"/api/v1/images/{imageId}")).GetProperty("favourite").GetBoolean());
        using (var delete = await alice.DeleteAsync(Path($"/api/v1/images/{imageId}/favourite")))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        Assert.Empty((await GetAsync(alice, "/api/v1/images?favourites=true")).GetProperty("images").EnumerateArray());

        // To the trash, out of the gallery, restorable as the Trash page restores it.
        using (var trash = await alice.DeleteAsync(Path($"/api/v1/images/{imageId}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, trash.StatusCode);
        }
        Assert.Empty((await GetAsync(alice, "/api/v1/images?mode=Img2Img")).GetProperty("images").EnumerateArray());
        Assert.Equal(imageId, Assert.Single((await GetAsync(alice, "/api/v1/images?trash=true")).GetProperty("images").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(1, (await app.Get<GalleryService>().RestoreAsync(As(app.Alice), [imageId], default)).Done);
        Assert.Single((await GetAsync(alice, "/api/v1/images?mode=Img2Img")).GetProperty("images").EnumerateArray());
    }

    private static (int, int) Size(IImageInfo info) => (info.Width, info.Height);

    [Fact]
    public async Task SubmitTxt2Img_WithEveryFieldOfTheForm_QueuesExactlyThatRequest()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { Loras = ["detail/add_detail.safetensors"] });
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        var picture = await UploadIdAsync(alice, Comfy.ControlImages.SquarePng());

        var ids = await SubmitAsync(alice, new
        {
            prompt = "a lighthouse",
            negativePrompt = "fog",
            checkpoint = Checkpoint,
            sampler = "dpmpp_2m",
            scheduler = "karras",
            steps = 4,
            cfg = 5.5,
            width = 256,
            height = 320,
            seed = "18446744073709551614",
            batchSize = 2,
            batchCount = 2,
            loras = new[] { new { name = "detail/add_detail.safetensors", modelStrength = 0.8, clipStrength = 0.5 } },
            controlNets = new[] { new { model = "controlnet-depth-sdxl-1.0.safetensors", image = picture, preprocessor = "Canny", strength = 0.7, endPercent = 0.8 } },
            hiresFix = new { scale = 1.5, steps = 3, denoise = 0.4 },
            refiner = new { checkpoint = "sd_xl_base_1.0.safetensors", switchAt = 0.7 },
            clipSkip = 2,
            tiledVae = new { tileSize = 256, overlap = 32 },
        });

        Assert.Equal(2, ids.Count);
        await using var db = app.CreateDbContext();
        var jobs = await db.Jobs.Where(j => ids.Contains(j.Id)).OrderBy(j => j.BatchIndex).ToListAsync();
        Assert.Equal([18446744073709551614UL, 18446744073709551615UL], jobs.Select(j => j.Seed));
        Assert.All(jobs, j => Assert.Equal(TestUsers.Alice.Id, j.Owner));
        var stored = jobs[0].ReadRequest();
        Assert.Equal((GenerationMode.Txt2Img, "a lighthouse", "fog", "dpmpp_2m", "karras", 4, 5.5, 256, 320, 2, 2, SeedMode.Fixed, 2),
            (stored.Mode, stored.Prompt, stored.NegativePrompt, stored.Sampler, stored.Scheduler, stored.Steps, stored.Cfg, stored.Width, stored.Height,
                stored.BatchSize, stored.BatchCount, stored.SeedMode, stored.ClipSkip));
        Assert.Equal(new LoraSetting("detail/add_detail.safetensors", 0.8, 0.5), Assert.Single(stored.Loras));
        var unit = Assert.Single(stored.ControlNets);
        Assert.Equal((picture, "Canny", 0.7, 0.8), (unit.Image!.Value, unit.Preprocessor, unit.Strength, unit.EndPercent));
        Assert.Equal((1.5, 3, 0.4), (stored.HiresFix!.Scale, stored.HiresFix.Steps, stored.HiresFix.Denoise));
        Assert.Equal(new RefinerSetting("sd_xl_base_1.0.safetensors", 0.7), stored.Refiner);
        Assert.Equal(new TiledVaeSetting(256, 32), stored.TiledVae);
    }

    [Fact]
    public async Task BadInput_IsAProblemNamingTheFieldAndTheReason()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var bob = Bearer(app, (await MakeTokenAsync(app, app.Bob)).Token);
        const string Valid = $$"""{"prompt":"a cat","checkpoint":"{{Checkpoint}}","steps":2}""";

        using (var wrongType = await PostJsonAsync(alice, "/api/v1/jobs", """{"prompt":"a cat","steps":"twenty"}"""))
        {
            Assert.Contains("whole number", await FieldErrorAsync(wrongType, "steps"), StringComparison.Ordinal);
        }
        using (var wrongEnum = await PostJsonAsync(alice, "/api/v1/jobs", """{"prompt":"a cat","inpaint":{"maskedContent":"glitter"}}"""))
        {
            Assert.Contains("LatentNoise", await FieldErrorAsync(wrongEnum, "inpaint.maskedContent"), StringComparison.Ordinal);
        }
        using (var wrongNested = await PostJsonAsync(alice, "/api/v1/jobs", """{"prompt":"a cat","loras":[{"name":"x","modelStrength":"strong"}]}"""))
        {
            Assert.Contains("a number", await FieldErrorAsync(wrongNested, "loras[0].modelStrength"), StringComparison.Ordinal);
        }
        using (var malformed = await PostJsonAsync(alice, "/api/v1/jobs", """{"prompt":"a cat",,}"""))
        {
            Assert.Contains("not valid JSON", await FieldErrorAsync(malformed, "body"), StringComparison.Ordinal);
        }
        using (var typo = await PostJsonAsync(alice, "/api/v1/jobs", """{"prompt":"a cat","sampelr":"euler"}"""))
        {
            Assert.Contains("spelling", await FieldErrorAsync(typo, "sampelr"), StringComparison.Ordinal);
        }
        using (var unknownSampler = await PostJsonAsync(alice, "/api/v1/jobs", Valid.Replace("\"steps\":2", "\"steps\":2,\"sampler\":\"warp_drive\"", StringComparison.Ordinal)))
        {
            Assert.Contains("no sampler named 'warp_drive'", await FieldErrorAsync(unknownSampler, "sampler"), StringComparison.Ordinal);
        }
        using (var validatorFields = await PostJsonAsync(alice, "/api/v1/jobs", """{"mode":"Inpaint","prompt":"a cat","checkpoint":"v1-5-pruned-emaonly.safetensors","denoise":3}"""))
        {
            var problem = await ProblemAsync(validatorFields, HttpStatusCode.BadRequest);
            var errors = problem.GetProperty("errors");
            Assert.True(errors.TryGetProperty("sourceImage", out _), problem.ToString());
            Assert.True(errors.TryGetProperty("denoise", out _), problem.ToString());
        }
        using (var notJson = await alice.PostAsync(Path("/api/v1/jobs"), new StringContent("prompt=a cat")))
        {
            await ProblemAsync(notJson, HttpStatusCode.UnsupportedMediaType);
        }

        // Someone else's upload does not exist for Alice; her own works.
        var bobsPicture = await UploadIdAsync(bob, Png(64, 64, Orange));
        using (var others = await PostJsonAsync(alice, "/api/v1/jobs", new { mode = "Img2Img", prompt = "a cat", checkpoint = Checkpoint, sourceImage = bobsPicture }))
        {
            Assert.Contains("no upload", await FieldErrorAsync(others, "sourceImage"), StringComparison.Ordinal);
        }
        Assert.Single(await SubmitAsync(bob, new { mode = "Img2Img", prompt = "a cat", checkpoint = Checkpoint, steps = 2, width = 64, height = 64, sourceImage = bobsPicture }));

        // A body over the API's 64 KiB, and an upload that is not a picture.
        using (var huge = await PostJsonAsync(alice, "/api/v1/jobs", $$"""{"prompt":"{{new string('a', (int)ApiEndpoints.MaxRequestBytes)}}"}"""))
        {
            Assert.Contains("64 KiB", (await ProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var notAPicture = await UploadAsync(alice, "just text, not a picture"u8.ToArray()))
        {
            await FieldErrorAsync(notAPicture, "file");
        }
    }

    [Fact]
    public async Task HiddenModel_IsRefusedForMembersOnTheField_AndAllowedForAdmins()
    {
        await using var app = await DreamLayerApp.StartAsync();
        Assert.Null(await app.Get<ModelSettings>().BulkAsync(As(app.Admin), [new ModelKey("checkpoints", "sd_xl_base_1.0.safetensors")], BulkModelAction.Hide, null, null, default));
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);
        using var admin = Bearer(app, (await MakeTokenAsync(app, app.Admin)).Token);
        var body = new { prompt = "a cat", checkpoint = "sd_xl_base_1.0.safetensors", steps = 2, width = 256, height = 256 };

        using (var refused = await PostJsonAsync(alice, "/api/v1/jobs", body))
        {
            Assert.Contains("hidden", await FieldErrorAsync(refused, "checkpoint"), StringComparison.Ordinal);
        }
        using (var refiner = await PostJsonAsync(alice, "/api/v1/jobs", new { prompt = "a cat", checkpoint = Checkpoint, steps = 20, refiner = new { checkpoint = "sd_xl_base_1.0.safetensors" } }))
        {
            var reason = await FieldErrorAsync(refiner, "refiner");
            Assert.True(reason.Contains("hidden", StringComparison.Ordinal), reason);
        }
        Assert.Single(await SubmitAsync(admin, body));
    }

    [Fact]
    public async Task Upload_OverTheImageLimit_Is413_AndAPictureForUpscaleRunsExtras()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Storage:MaxImageBytes"] = "200000" });
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);

        using (var large = await UploadAsync(alice, new byte[300_000]))
        {
            Assert.Contains("KiB", (await ProblemAsync(large, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Within the route's limit but over the picture's: the upload's own check says so.
        using (var over = await UploadAsync(alice, new byte[200_001]))
        {
            Assert.Contains("limit", (await ProblemAsync(over, HttpStatusCode.RequestEntityTooLarge)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using var picture = await UploadAsync(alice, Png(64, 48, Orange), purpose: "upscale");
        var id = (await JsonAsync(picture)).GetProperty("id").GetGuid();
        var job = Assert.Single(await SubmitAsync(alice, new { mode = "Upscale", sourceImage = id, scale = 2 }));
        var done = await WaitEndedAsync(alice, job);
        Assert.True(done.GetProperty("status").GetString() == "Succeeded", done.ToString());
        var file = Assert.Single(done.GetProperty("images").EnumerateArray()).GetString()!;
        Assert.EndsWith("/file", file, StringComparison.Ordinal);
        var details = await GetAsync(alice, file[..^"/file".Length]);
        Assert.Equal((128, 96), (details.GetProperty("width").GetInt32(), details.GetProperty("height").GetInt32()));
    }

    [Fact]
    public async Task Workflow_ListedWithItsFields_RunsWithValuesAndAnUpload_AndRefusesAValueOfTheWrongKind()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var imported = WorkflowImporter.Import(await File.ReadAllBytesAsync(System.IO.Path.Combine(TestPaths.TestData, "workflows/kleer001_controlnet_depth_api.json")));
        // The ControlNet model is not detected; a field for it is added, as the editor lets people do.
        var bindings = imported.Bindings.Append(new WorkflowBinding("33", "control_net_name", BindingKind.Other, "ControlNet model", imported.Graph["33"].Inputs["control_net_name"])).ToList();
        var saved = Assert.IsType<WorkflowSaved>(await app.Get<TeamWorkflows>().CreateAsync(As(app.Bob), "Depth ControlNet", "from the tests", imported.Graph, bindings, default));
        using var alice = Bearer(app, (await MakeTokenAsync(app, app.Alice)).Token);

        var listed = Assert.Single((await GetAsync(alice, "/api/v1/workflows")).EnumerateArray());
        Assert.Equal(saved.Id, listed.GetProperty("id").GetGuid());
        var fields = listed.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("key").GetString()!, f => f.GetProperty("kind").GetString());
        Assert.Equal("Image", fields["20.image"]);
        Assert.Equal("Steps", fields["3.steps"]);

        var depth = await UploadIdAsync(alice, Png(64, 48, new Rgba32(90, 90, 90)));
        using (var wrong = await PostJsonAsync(alice, $"/api/v1/workflows/{saved.Id}/jobs", new { values = new Dictionary<string, object> { ["3.steps"] = "three" }, images = new Dictionary<string, Guid> { ["20.image"] = depth } }))
        {
            Assert.Contains("number", await FieldErrorAsync(wrong, "values.3.steps"), StringComparison.Ordinal);
        }
        using (var unknown = await PostJsonAsync(alice, $"/api/v1/workflows/{saved.Id}/jobs", new { values = new Dictionary<string, object> { ["99.nothing"] = 1 } }))
        {
            Assert.Contains("not a field", await FieldErrorAsync(unknown, "99.nothing"), StringComparison.Ordinal);
        }
        using (var noImage = await PostJsonAsync(alice, $"/api/v1/workflows/{saved.Id}/jobs", new { values = new Dictionary<string, object> { ["3.steps"] = 2 } }))
        {
            await FieldErrorAsync(noImage, "images.20.image");
        }

        var job = Assert.Single(await SubmitAsync(alice, new
        {
            values = new Dictionary<string, object>
            {
                ["24.text"] = "a lighthouse at dusk",
                ["34.ckpt_name"] = "sd_xl_base_1.0.safetensors",
                ["33.control_net_name"] = "controlnet-depth-sdxl-1.0.safetensors",
                ["5.width"] = 256,
                ["5.height"] = 192,
                ["5.batch_size"] = 1,
                ["3.steps"] = 2
            },
            images = new Dictionary<string, Guid> { ["20.image"] = depth },
            seed = 1234,
        }, $"/api/v1/workflows/{saved.Id}/jobs"));
        var done = await WaitEndedAsync(alice, job);
        Assert.True(done.GetProperty("status").GetString() == "Succeeded", done.ToString());
        Assert.Equal("Workflow", done.GetProperty("mode").GetString());
        Assert.Equal("1234", done.GetProperty("seed").GetString());
        Assert.Contains("a lighthouse at dusk", done.GetProperty("prompt").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FieldNames_OfTheValidator_AreTheBodysJsonNames()
    {
        var body = typeof(ApiJobRequest).GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        var inpaint = typeof(InpaintSettings).GetProperties().Select(p => "inpaint." + JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        var domain = typeof(GenerationRequest).GetProperties().Where(p => p.CanWrite).Select(p => p.Name)
            .Except(["SourceWidth", "SourceHeight", "Workflow"]);
        foreach (var field in domain)
        {
            Assert.Contains(ApiFieldNames.Of(field), body);
        }
        foreach (var field in typeof(InpaintSettings).GetProperties().Select(p => p.Name))
        {
            Assert.Contains(ApiFieldNames.Of(field), inpaint);
        }
        // The cloud check names what a person reads; the API names the body's fields.
        var cloud = typeof(CloudSetting).GetProperties().Select(p => "cloud." + JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var field in new[] { CloudRequestValidator.ModelField, CloudRequestValidator.CountField, CloudRequestValidator.SizeField, CloudRequestValidator.AspectField })
        {
            Assert.Contains(ApiFieldNames.Of(field), cloud);
        }
        Assert.Equal("negativePrompt", ApiFieldNames.Of(CloudRequestValidator.NegativeField));
        Assert.Equal("cloud.options.rendering_speed", ApiFieldNames.Of("Rendering speed"));
        Assert.Equal("cloud.options.quality", ApiFieldNames.Of("Quality"));
    }
}
