using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.SdApi;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Images;
using DreamLayer.Web.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Web.Tests.Api.ApiTokenTests;

namespace DreamLayer.Web.Tests.Api;

/// <summary>
/// <c>/sdapi/v1</c> as AUTOMATIC1111's clients use it, against the stand-in: each route's answer in the shape of A1111's
/// <c>modules/api/models.py</c>, the loop Open WebUI runs (models, options, txt2img with Basic auth, the picture in the
/// gallery with its person and parameters), and hostile bodies answered with A1111's error body and a 4xx, never a 500.
/// </summary>
public sealed class SdApiTests
{
    internal static HttpClient Basic(DreamLayerApp app, TestUser user, string token)
    {
        var http = app.CreateAnonymousClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user.UserName}:{token}")));
        return http;
    }

    internal static async Task<HttpClient> BasicAsync(DreamLayerApp app, TestUser user) => Basic(app, user, (await MakeTokenAsync(app, user)).Token);

    internal static Uri Route(string route) => new(SdApiExtensions.Prefix + "/" + route, UriKind.Relative);

    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{response.RequestMessage?.RequestUri}: {(int)response.StatusCode} {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    /// <summary>A1111's error body (its exception handler's shape) with <paramref name="status"/>; returns its detail.</summary>
    internal static async Task<string> A1111ErrorAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        var body = doc.RootElement;
        Assert.Equal("HTTPException", body.GetProperty("error").GetString());
        var detail = body.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.Equal($"{(int)status}: {detail}", body.GetProperty("errors").GetString());
        return detail!;
    }

    private static JsonObject Txt2Img(string prompt) => new()
    {
        ["prompt"] = prompt,
        ["negative_prompt"] = "blurry",
        ["width"] = 256,
        ["height"] = 192,
        ["steps"] = 4,
        ["cfg_scale"] = 6.5,
        ["sampler_name"] = "Euler a",
        ["batch_size"] = 1,
    };

    private static byte[] Png(int width, int height, Rgba32 colour)
    {
        using var image = new Image<Rgba32>(width, height, colour);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    /// <summary>A mask as A1111 takes it: <paramref name="inside"/> in <paramref name="rect"/>, <paramref name="outside"/> elsewhere.</summary>
    private static byte[] Mask(int width, int height, PixelRect rect, Rgba32 inside, Rgba32 outside)
    {
        using var image = new Image<Rgba32>(width, height, outside);
        for (var y = rect.Y; y < rect.Y + rect.Height; y++)
        {
            for (var x = rect.X; x < rect.X + rect.Width; x++)
            {
                image[x, y] = inside;
            }
        }
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    [Fact]
    public async Task OpenWebUiLoop_ModelsOptionsAndTxt2ImgWithBasicAuth_ThePictureIsInTheGalleryWithItsPersonAndParameters()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = await BasicAsync(app, app.Alice);

        // Open WebUI lists the models, reads the current one, sets the one picked, then asks for a picture.
        var models = await JsonAsync(await alice.GetAsync(Route("sd-models")));
        var picked = models.EnumerateArray().Select(m => m.GetProperty("title").GetString()!).Single(t => t.StartsWith("v1-5-pruned-emaonly.safetensors", StringComparison.Ordinal));
        Assert.False(string.IsNullOrEmpty((await JsonAsync(await alice.GetAsync(Route("options")))).GetProperty("sd_model_checkpoint").GetString()));
        using (var set = await alice.PostAsJsonAsync(Route("options"), new JsonObject { ["sd_model_checkpoint"] = picked }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }
        Assert.StartsWith("v1-5-pruned-emaonly.safetensors", (await JsonAsync(await alice.GetAsync(Route("options")))).GetProperty("sd_model_checkpoint").GetString(), StringComparison.Ordinal);

        var answer = await JsonAsync(await alice.PostAsJsonAsync(Route("txt2img"), Txt2Img("a red fox in the snow")));

        var picture = Convert.FromBase64String(Assert.Single(answer.GetProperty("images").EnumerateArray()).GetString()!);
        using (var decoded = Image.Load(picture))
        {
            Assert.Equal((256, 192), (decoded.Width, decoded.Height));
        }
        var infotext = PngTextChunks.Find(picture, "parameters");
        Assert.NotNull(infotext);
        Assert.StartsWith("a red fox in the snow", infotext, StringComparison.Ordinal);
        Assert.Contains("Sampler: Euler a", infotext, StringComparison.Ordinal);
        Assert.Contains("Model: v1-5-pruned-emaonly", infotext, StringComparison.Ordinal);

        // info is a JSON string, as A1111's Processed.js() returns it.
        Assert.Equal(JsonValueKind.String, answer.GetProperty("info").ValueKind);
        using var info = JsonDocument.Parse(answer.GetProperty("info").GetString()!);
        var seed = info.RootElement.GetProperty("seed").GetUInt64();
        Assert.Equal(seed, Assert.Single(info.RootElement.GetProperty("all_seeds").EnumerateArray()).GetUInt64());
        Assert.Equal(infotext, Assert.Single(info.RootElement.GetProperty("infotexts").EnumerateArray()).GetString());
        Assert.Contains($"Seed: {seed}", infotext, StringComparison.Ordinal);
        var parameters = answer.GetProperty("parameters");
        Assert.Equal("Euler a", parameters.GetProperty("sampler_name").GetString());
        Assert.Equal(seed, parameters.GetProperty("seed").GetUInt64());
        Assert.Equal("v1-5-pruned-emaonly.safetensors", parameters.GetProperty("override_settings").GetProperty("sd_model_checkpoint").GetString());

        // The same job as one made on the page: Alice's, in the gallery, with its parameters.
        var jobId = Assert.Single(info.RootElement.GetProperty("job_ids").EnumerateArray()).GetGuid();
        var job = await app.Get<JobHistory>().FindAsync(jobId, app.Alice.Id, isAdmin: false, default);
        Assert.NotNull(job);
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.Equal(GenerationMode.Txt2Img, job.Mode);
        var image = await app.Get<GalleryService>().FindVisibleAsync(As(app.Alice), Assert.Single(job.ImageIds));
        Assert.NotNull(image);
        Assert.Equal(app.Alice.Id, image.OwnerId);
        Assert.Equal("a red fox in the snow", image.Prompt);
        Assert.Equal(infotext, image.Parameters);
        Assert.Equal(picture, await File.ReadAllBytesAsync(app.Get<DreamLayer.Web.Images.ImageStore>().Locate(image)!));
    }

    [Fact]
    public async Task Lists_AreInA1111sShapes_WithA1111sNames_AndHiddenModelsAbsentForMembers()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var admin = As(app.Admin);
        Assert.Null(await app.Get<ModelSettings>().BulkAsync(admin, [new ModelKey("checkpoints", "sd3.5_medium.safetensors")], BulkModelAction.Hide, null, null, default));
        using var alice = await BasicAsync(app, app.Alice);
        using var adminHttp = await BasicAsync(app, app.Admin);

        var models = await JsonAsync(await alice.GetAsync(Route("sd-models")));
        var v15 = models.EnumerateArray().Single(m => m.GetProperty("filename").GetString() == "v1-5-pruned-emaonly.safetensors");
        Assert.Equal("v1-5-pruned-emaonly", v15.GetProperty("model_name").GetString());
        Assert.StartsWith("v1-5-pruned-emaonly.safetensors", v15.GetProperty("title").GetString(), StringComparison.Ordinal);
        foreach (var name in new[] { "hash", "sha256", "config" })
        {
            Assert.True(v15.TryGetProperty(name, out _), $"sd-models item without {name}");
        }
        Assert.DoesNotContain(models.EnumerateArray(), m => m.GetProperty("filename").GetString() == "sd3.5_medium.safetensors");
        Assert.Contains((await JsonAsync(await adminHttp.GetAsync(Route("sd-models")))).EnumerateArray(), m => m.GetProperty("filename").GetString() == "sd3.5_medium.safetensors");
        using (var hidden = await alice.PostAsJsonAsync(Route("txt2img"), new JsonObject { ["prompt"] = "x", ["steps"] = 2, ["override_settings"] = new JsonObject { ["sd_model_checkpoint"] = "sd3.5_medium.safetensors" } }))
        {
            Assert.Equal("Model not found", await A1111ErrorAsync(hidden, HttpStatusCode.NotFound));
        }

        var samplers = await JsonAsync(await alice.GetAsync(Route("samplers")));
        var eulerA = samplers.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Euler a");
        Assert.Equal("euler_ancestral", Assert.Single(eulerA.GetProperty("aliases").EnumerateArray()).GetString());
        Assert.Equal(JsonValueKind.Object, eulerA.GetProperty("options").ValueKind);
        Assert.Contains(samplers.EnumerateArray(), s => s.GetProperty("name").GetString() == "DPM++ 2M");

        var schedulers = await JsonAsync(await alice.GetAsync(Route("schedulers")));
        Assert.Equal("automatic", schedulers[0].GetProperty("name").GetString());
        var karras = schedulers.EnumerateArray().Single(s => s.GetProperty("name").GetString() == "karras");
        Assert.Equal("Karras", karras.GetProperty("label").GetString());
        Assert.True(karras.TryGetProperty("default_rho", out _) && karras.TryGetProperty("need_inner_model", out _) && karras.TryGetProperty("aliases", out _));

        var upscalers = await JsonAsync(await alice.GetAsync(Route("upscalers")));
        Assert.Equal(["None", "Lanczos", "Nearest"], upscalers.EnumerateArray().Take(3).Select(u => u.GetProperty("name").GetString()));
        Assert.All(upscalers.EnumerateArray(), u => Assert.True(u.TryGetProperty("model_name", out _) && u.TryGetProperty("model_path", out _) && u.TryGetProperty("model_url", out _) && u.TryGetProperty("scale", out _)));

        Assert.Equal(JsonValueKind.Array, (await JsonAsync(await alice.GetAsync(Route("loras")))).ValueKind);

        var idle = await JsonAsync(await alice.GetAsync(Route("progress")));
        Assert.Equal(0, idle.GetProperty("progress").GetDouble());
        Assert.Equal(0, idle.GetProperty("eta_relative").GetDouble());
        Assert.Equal(0, idle.GetProperty("state").GetProperty("job_count").GetInt32());
        Assert.Equal(JsonValueKind.Null, idle.GetProperty("current_image").ValueKind);
    }

    [Fact]
    public async Task Img2ImgWithAMask_IsAnInpaintJobOfTheSourceItsMaskAndSettings_AndPngInfoReadsItsParametersBack()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var bob = await BasicAsync(app, app.Bob);
        // White repaints: a white square in the middle of a black mask.
        var maskPng = Mask(128, 96, new PixelRect(32, 24, 64, 48), inside: new Rgba32(255, 255, 255), outside: new Rgba32(0, 0, 0));

        var body = new JsonObject
        {
            ["prompt"] = "a blue door",
            ["init_images"] = new JsonArray("data:image/png;base64," + Convert.ToBase64String(Png(128, 96, new Rgba32(10, 200, 30)))),
            ["mask"] = Convert.ToBase64String(maskPng),
            ["denoising_strength"] = 0.6,
            ["inpainting_fill"] = 1,
            ["inpaint_full_res"] = false,
            ["mask_blur"] = 2,
            ["resize_mode"] = 1,
            ["width"] = 128,
            ["height"] = 96,
            ["steps"] = 3,
        };
        var answer = await JsonAsync(await bob.PostAsJsonAsync(Route("img2img"), body));

        using var info = JsonDocument.Parse(answer.GetProperty("info").GetString()!);
        var jobId = Assert.Single(info.RootElement.GetProperty("job_ids").EnumerateArray()).GetGuid();
        var retry = await app.Get<JobHistory>().RetryRequestAsync(jobId, app.Bob.Id, default);
        var request = Assert.IsType<StoredRequestRead>(retry).Request;
        Assert.Equal(GenerationMode.Inpaint, request.Mode);
        Assert.Equal(0.6, request.Denoise);
        Assert.Equal(ResizeMode.CropAndResize, request.ResizeMode);
        Assert.Equal(new InpaintSettings { MaskedContent = MaskedContent.Original, Area = InpaintArea.WholePicture, MaskBlur = 2, Padding = 0 }, request.Inpaint);
        Assert.Equal((128, 96), (request.SourceWidth, request.SourceHeight));
        Assert.Equal(new PixelRect(32, 24, 64, 48), request.Mask!.Painted);
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("parameters").GetProperty("init_images").ValueKind);

        var picture = Assert.Single(answer.GetProperty("images").EnumerateArray()).GetString()!;
        var read = await JsonAsync(await bob.PostAsJsonAsync(Route("png-info"), new JsonObject { ["image"] = picture }));
        Assert.StartsWith("a blue door", read.GetProperty("info").GetString(), StringComparison.Ordinal);
        Assert.Equal("a blue door", read.GetProperty("parameters").GetProperty("Prompt").GetString());
        Assert.Equal("3", read.GetProperty("parameters").GetProperty("Steps").GetString());
        Assert.Equal("128", read.GetProperty("parameters").GetProperty("Size-1").GetString());
        Assert.True(read.GetProperty("items").TryGetProperty("prompt", out _), "ComfyUI's prompt chunk is among the items");
    }

    [Fact]
    public async Task InvertedMask_RepaintsTheBlackPart()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var bob = await BasicAsync(app, app.Bob);
        var maskPng = Mask(64, 64, new PixelRect(0, 0, 16, 64), inside: new Rgba32(0, 0, 0), outside: new Rgba32(255, 255, 255));

        var answer = await JsonAsync(await bob.PostAsJsonAsync(Route("img2img"), new JsonObject
        {
            ["prompt"] = "a wall",
            ["init_images"] = new JsonArray(Convert.ToBase64String(Png(64, 64, new Rgba32(90, 90, 90)))),
            ["mask"] = Convert.ToBase64String(maskPng),
            ["inpainting_mask_invert"] = 1,
            ["width"] = 64,
            ["height"] = 64,
            ["steps"] = 2,
        }));

        using var info = JsonDocument.Parse(answer.GetProperty("info").GetString()!);
        var retry = await app.Get<JobHistory>().RetryRequestAsync(info.RootElement.GetProperty("job_ids")[0].GetGuid(), app.Bob.Id, default);
        Assert.Equal(new PixelRect(0, 0, 16, 64), Assert.IsType<StoredRequestRead>(retry).Request.Mask!.Painted);
    }

    [Fact]
    public async Task Txt2ImgWithAControlNetUnit_StoresItsPictureAsAnUpload_AndTheJobUsesIt()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = await BasicAsync(app, app.Alice);

        var answer = await JsonAsync(await alice.PostAsJsonAsync(Route("txt2img"), new JsonObject
        {
            ["prompt"] = "a castle",
            ["steps"] = 3,
            ["width"] = 128,
            ["height"] = 128,
            ["alwayson_scripts"] = new JsonObject
            {
                ["controlnet"] = new JsonObject
                {
                    ["args"] = new JsonArray(new JsonObject
                    {
                        ["module"] = "canny",
                        ["model"] = "controlnet-depth-sdxl-1.0.safetensors",
                        ["image"] = Convert.ToBase64String(Png(128, 128, new Rgba32(250, 250, 250))),
                        ["weight"] = 0.8,
                    }),
                },
            },
        }));

        using var info = JsonDocument.Parse(answer.GetProperty("info").GetString()!);
        var retry = await app.Get<JobHistory>().RetryRequestAsync(info.RootElement.GetProperty("job_ids")[0].GetGuid(), app.Alice.Id, default);
        var unit = Assert.Single(Assert.IsType<StoredRequestRead>(retry).Request.ControlNets);
        Assert.Equal("controlnet-depth-sdxl-1.0.safetensors", unit.Model);
        Assert.Equal(0.8, unit.Strength);
        Assert.NotNull(unit.Preprocessor);
        Assert.NotNull(app.Get<DreamLayer.Web.Images.UploadStore>().Locate(unit.Image!.Value));
        Assert.Single(answer.GetProperty("images").EnumerateArray());
    }

    [Fact]
    public async Task ExtraSingleImage_UpscalesThroughTheQueue_AsTheExtrasPageDoes()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = await BasicAsync(app, app.Alice);

        var answer = await JsonAsync(await alice.PostAsJsonAsync(Route("extra-single-image"), new JsonObject
        {
            ["image"] = Convert.ToBase64String(Png(40, 30, new Rgba32(200, 10, 10))),
            ["upscaler_1"] = "Lanczos",
            ["upscaling_resize"] = 2,
        }));

        using (var upscaled = Image.Load(Convert.FromBase64String(answer.GetProperty("image").GetString()!)))
        {
            Assert.Equal((80, 60), (upscaled.Width, upscaled.Height));
        }
        Assert.Equal(JsonValueKind.String, answer.GetProperty("html_info").ValueKind);
        var (jobs, _) = await app.Get<JobHistory>().PageAsync(app.Alice.Id, 1, 5, default);
        Assert.Equal(GenerationMode.Upscale, Assert.Single(jobs).Mode);

        using var unknown = await alice.PostAsJsonAsync(Route("extra-single-image"), new JsonObject
        {
            ["image"] = Convert.ToBase64String(Png(40, 30, new Rgba32(200, 10, 10))),
            ["upscaler_1"] = "R-ESRGAN 4x+",
        });
        Assert.Contains("R-ESRGAN 4x+", await A1111ErrorAsync(unknown, HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostileBodies_AreRefusedWithA1111sErrorAndA4xx_NeverA500()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var alice = await BasicAsync(app, app.Alice);

        async Task<string> RefusedAsync(string route, HttpContent content, HttpStatusCode status)
        {
            using var response = await alice.PostAsync(Route(route), content);
            return await A1111ErrorAsync(response, status);
        }
        HttpContent Json(string text) => new StringContent(text, Encoding.UTF8, "application/json");
        JsonObject Img2Img(string init) => new() { ["prompt"] = "x", ["steps"] = 2, ["init_images"] = new JsonArray(init) };

        Assert.Contains("not valid JSON", await RefusedAsync("txt2img", Json("{\"prompt\": \"unterminated"), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("steps", await RefusedAsync("txt2img", Json("{\"prompt\": \"x\", \"steps\": \"many\"}"), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("seed", await RefusedAsync("txt2img", Json("{\"seed\": 1e400}"), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("the body", await RefusedAsync("txt2img", Json("[1, 2, 3]"), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Equal("Sampler not found", await RefusedAsync("txt2img", JsonContent.Create(new JsonObject { ["sampler_name"] = "Warp drive" }), HttpStatusCode.NotFound));
        Assert.Equal("Model not found", await RefusedAsync("txt2img", JsonContent.Create(new JsonObject { ["override_settings"] = new JsonObject { ["sd_model_checkpoint"] = "nope.safetensors" } }), HttpStatusCode.NotFound));
        Assert.Contains("steps", await RefusedAsync("txt2img", JsonContent.Create(new JsonObject { ["steps"] = 0 }), HttpStatusCode.UnprocessableEntity), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Init image not found", await RefusedAsync("img2img", JsonContent.Create(new JsonObject { ["prompt"] = "x" }), HttpStatusCode.NotFound));
        Assert.Contains("base64", await RefusedAsync("img2img", JsonContent.Create(Img2Img("%%% not base64 %%%")), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.StartsWith("init_images[0]:", await RefusedAsync("img2img", JsonContent.Create(Img2Img(Convert.ToBase64String(Encoding.UTF8.GetBytes("just some text, not a picture")))), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        // A small file that claims 16384×16384 pixels: refused from its header, before anything is decoded.
        Assert.Contains("pixels", await RefusedAsync("img2img", JsonContent.Create(Img2Img(Convert.ToBase64String(HostileImages.Grey16384))), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.StartsWith("image:", await RefusedAsync("png-info", JsonContent.Create(new JsonObject { ["image"] = Convert.ToBase64String([1, 2, 3, 4]) }), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
        Assert.Contains("not found", await RefusedAsync("options", JsonContent.Create(new JsonObject { ["sd_model_checkpoint"] = "nope" }), HttpStatusCode.NotFound), StringComparison.Ordinal);
        Assert.Contains("sd_model_checkpoint", await RefusedAsync("options", JsonContent.Create(new JsonObject { ["sd_model_checkpoint"] = 12 }), HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);

        // A text chunk that inflates to a gibibyte: read within the limit, the rest of the answer as usual.
        var bomb = await JsonAsync(await alice.PostAsJsonAsync(Route("png-info"), new JsonObject { ["image"] = Convert.ToBase64String(HostileImages.ZtxtBomb) }));
        Assert.True(bomb.GetProperty("info").GetString()!.Length <= 8 * 1024 * 1024);

        Assert.Empty(await app.Get<JobHistory>().RecentAsync(app.Alice.Id, GenerationMode.Txt2Img, 10, default));
    }

    [Fact]
    public async Task ABodyOverTheLimit_Is413_WhetherAnnouncedOrNot()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Storage:MaxImageBytes"] = "65536" });
        using var alice = await BasicAsync(app, app.Alice);
        // As curl does for a large body: the server can refuse it before it is sent.
        alice.DefaultRequestHeaders.ExpectContinue = true;
        var limit = SdApiExtensions.MaxRequestBytes(new StorageOptions { MaxImageBytes = 65536 });
        var huge = "{\"prompt\": \"x\", \"init_images\": [\"" + new string('A', (int)limit) + "\"]}";

        using (var announced = await alice.PostAsync(Route("img2img"), new StringContent(huge, Encoding.UTF8, "application/json")))
        {
            Assert.Contains("MiB", await A1111ErrorAsync(announced, HttpStatusCode.RequestEntityTooLarge), StringComparison.Ordinal);
        }
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, Route("img2img")) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using (var streamed = await alice.SendAsync(request))
        {
            await A1111ErrorAsync(streamed, HttpStatusCode.RequestEntityTooLarge);
        }

        // Under the limit, a picture over the uploads' byte limit is the upload's refusal.
        var big = Convert.ToBase64String(new byte[70_000]);
        using var tooBig = await alice.PostAsJsonAsync(Route("img2img"), new JsonObject { ["prompt"] = "x", ["init_images"] = new JsonArray(big) });
        Assert.StartsWith("init_images[0]:", await A1111ErrorAsync(tooBig, HttpStatusCode.UnprocessableEntity), StringComparison.Ordinal);
    }
}
