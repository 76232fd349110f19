using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;

namespace DreamLayer.Web.Tests.ComfyStandIn;

public sealed class FilesAndQueriesTests : IAsyncLifetime
{
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync();

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private async Task<HttpStatusCode> ViewStatusAsync(string query)
    {
        using var response = await _standIn.Http.GetAsync(new Uri("/view?" + query, UriKind.Relative));
        return response.StatusCode;
    }

    [Theory]
    [InlineData("filename=../secret.png", HttpStatusCode.BadRequest)]
    [InlineData("filename=/etc/passwd", HttpStatusCode.BadRequest)]
    [InlineData("filename=a.png&type=elsewhere", HttpStatusCode.BadRequest)]
    [InlineData("filename=a.png&subfolder=../../", HttpStatusCode.Forbidden)]
    [InlineData("filename=a.png&subfolder=/tmp", HttpStatusCode.Forbidden)]
    [InlineData("filename=missing.png", HttpStatusCode.NotFound)]
    [InlineData("type=output", HttpStatusCode.NotFound)]
    public async Task View_UnsafeOrMissing_IsRejected(string query, HttpStatusCode expected)
    {
        Assert.Equal(expected, await ViewStatusAsync(query));
    }

    [Theory]
    [InlineData("preview=jpeg;50", "image/jpeg")]
    [InlineData("preview=webp", "image/webp")]
    [InlineData("channel=rgb", "image/png")]
    [InlineData("channel=a", "image/png")]
    public async Task View_PreviewOrChannel_ReencodesTheFile(string extra, string contentType)
    {
        await UploadAsync(ValidationTests.TinyPng(), "v.png");

        using var response = await _standIn.Http.GetAsync(new Uri("/view?filename=v.png&type=input&" + extra, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        var info = Image.Identify(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(40, info.Width);
    }

    [Fact]
    public async Task UploadImage_SameNameSameBytes_IsDeduplicatedAndDifferentBytesRenamed()
    {
        var first = await UploadAsync(ValidationTests.TinyPng(1), "pic.png");
        var duplicate = await UploadAsync(ValidationTests.TinyPng(1), "pic.png");
        var different = await UploadAsync(ValidationTests.TinyPng(2), "pic.png");
        var differentAgain = await UploadAsync(ValidationTests.TinyPng(2), "pic.png");

        Assert.Equal("pic.png", first!["name"]!.GetValue<string>());
        Assert.Equal("input", first["type"]!.GetValue<string>());
        Assert.Equal(string.Empty, first["subfolder"]!.GetValue<string>());
        Assert.Equal("pic.png", duplicate!["name"]!.GetValue<string>());
        Assert.Equal("pic (1).png", different!["name"]!.GetValue<string>());
        Assert.Equal("pic (1).png", differentAgain!["name"]!.GetValue<string>());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_standIn.DataDirectory, "input")).Length);
        var info = await _standIn.GetJsonAsync("/object_info/LoadImage");
        Assert.Equal(["pic (1).png", "pic.png"], info["LoadImage"]!["input"]!["required"]!["image"]![0]!.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public async Task UploadImage_IntoSubfolder_IsViewableAndUsableByLoadImage()
    {
        var uploaded = await UploadAsync(ValidationTests.TinyPng(), "src.png", subfolder: "refs");
        await using var ws = await _standIn.ConnectAsync("img2img");

        using var view = await _standIn.Http.GetAsync(new Uri("/api/view?filename=src.png&type=input&subfolder=refs", UriKind.Relative));
        var id = await _standIn.QueueAsync(ValidationTests.Img2Img("refs/src.png"), "img2img");
        await ws.UntilDoneAsync(id);

        Assert.Equal("refs", uploaded!["subfolder"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, view.StatusCode);
        var image = (await _standIn.HistoryEntryAsync(id))["outputs"]!["9"]!["images"]![0]!;
        var bytes = await _standIn.Http.GetByteArrayAsync(new Uri($"/view?filename={image["filename"]}", UriKind.Relative));
        var info = Image.Identify(bytes);
        Assert.Equal((40, 30), (info.Width, info.Height));
    }

    [Fact]
    public async Task UploadMask_WithOriginalRef_ReplacesTheOriginalsAlpha()
    {
        await UploadAsync(ValidationTests.TinyPng(), "base.png");
        using var mask = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(40, 30, new SixLabors.ImageSharp.PixelFormats.Rgba32(0, 0, 0, 0));
        using var maskStream = new MemoryStream();
        await mask.SaveAsPngAsync(maskStream);
        using var form = ValidationTests.UploadForm(maskStream.ToArray(), "masked.png");
        form.Add(ValidationTests.Part(new StringContent("{\"filename\":\"base.png\",\"subfolder\":\"\",\"type\":\"input\"}"), "original_ref"));

        using var response = await _standIn.Http.PostAsync(new Uri("/upload/mask", UriKind.Relative), form);
        var saved = await File.ReadAllBytesAsync(Path.Combine(_standIn.DataDirectory, "input", "masked.png"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var result = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgba32>(saved);
        Assert.Equal(0, result[5, 5].A);
        Assert.Equal(10, result[5, 5].R);
    }

    [Fact]
    public async Task UploadImage_UnknownType_Returns500()
    {
        using var form = ValidationTests.UploadForm(ValidationTests.TinyPng(), "x.png", type: "models");
        using var response = await _standIn.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task UploadImage_EscapingSubfolder_Returns400()
    {
        using var form = ValidationTests.UploadForm(ValidationTests.TinyPng(), "x.png", subfolder: "../../etc");
        using var response = await _standIn.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SaveImage_PrefixWithFolderAndExtraPngInfo_WritesChunksAndCountsUp()
    {
        await using var ws = await _standIn.ConnectAsync("save");
        var graph = StandInHarness.Txt2Img(steps: 1);
        graph["9"]!["inputs"]!["filename_prefix"] = "shots/fox";
        graph["5"]!["inputs"]!["batch_size"] = 2;
        Directory.CreateDirectory(Path.Combine(_standIn.DataDirectory, "output", "shots"));
        await File.WriteAllBytesAsync(Path.Combine(_standIn.DataDirectory, "output", "shots", "fox_00007_.png"), ValidationTests.TinyPng());

        var id = await _standIn.QueueAsync(graph, "save", b => b["extra_data"] = new JsonObject { ["extra_pnginfo"] = new JsonObject { ["workflow"] = new JsonObject { ["nodes"] = new JsonArray(), ["title"] = "café ✓", ["version"] = 0.4 } } });
        var events = await ws.UntilDoneAsync(id);

        var images = events.Single(e => e.Type == "executed").Data!["output"]!["images"]!.AsArray();
        Assert.Equal(["fox_00008_.png", "fox_00009_.png"], images.Select(i => i!["filename"]!.GetValue<string>()));
        Assert.All(images, i => Assert.Equal("shots", i!["subfolder"]!.GetValue<string>()));
        Assert.All(images, i => Assert.Equal("output", i!["type"]!.GetValue<string>()));
        var bytes = await _standIn.Http.GetByteArrayAsync(new Uri("/view?filename=fox_00008_.png&subfolder=shots&type=output", UriKind.Relative));
        using var png = Image.Load(bytes);
        var text = png.Metadata.GetPngMetadata().TextData.ToDictionary(t => t.Keyword, t => t.Value);
        Assert.Equal("SaveImage", JsonNode.Parse(text["prompt"])!["9"]!["class_type"]!.GetValue<string>());
        // As json.dumps: Python's separators, non-ASCII escaped (so the chunk stays tEXt).
        Assert.Equal("{\"nodes\": [], \"title\": \"caf\\u00e9 \\u2713\", \"version\": 0.4}", text["workflow"]);
        Assert.Equal((64, 48), (png.Width, png.Height));
        Assert.Contains("tEXt", Encoding.ASCII.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewImage_WritesToTemp()
    {
        await using var ws = await _standIn.ConnectAsync("temp");
        var graph = StandInHarness.Txt2Img(steps: 1);
        graph["9"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("8", 0) } };

        var id = await _standIn.QueueAsync(graph, "temp");
        await ws.UntilDoneAsync(id);

        var image = (await _standIn.HistoryEntryAsync(id))["outputs"]!["9"]!["images"]![0]!;
        Assert.Equal("temp", image["type"]!.GetValue<string>());
        Assert.Matches("^ComfyUI_temp_[a-z]{5}_00001_\\.png$", image["filename"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, await ViewStatusAsync($"filename={image["filename"]}&type=temp"));
        Assert.Equal(HttpStatusCode.OK, await ViewStatusAsync($"filename={Uri.EscapeDataString(image["filename"]!.GetValue<string>() + " [temp]")}"));
    }

    [Fact]
    public async Task History_EntryShape_MatchesProtocol()
    {
        await using var ws = await _standIn.ConnectAsync("hist");
        Assert.Empty((await _standIn.GetJsonAsync("/history/unknown")).AsObject());
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1, seed: i), "hist", b => b["extra_data"] = new JsonObject { ["api_key_comfy_org"] = "secret" }));
            await ws.UntilDoneAsync(ids[^1]);
        }

        var entry = await _standIn.HistoryEntryAsync(ids[0]);
        var prompt = entry["prompt"]!.AsArray();
        Assert.Equal(0, prompt[0]!.GetValue<int>());
        Assert.Equal(ids[0], prompt[1]!.GetValue<string>());
        Assert.Equal("KSampler", prompt[2]!["3"]!["class_type"]!.GetValue<string>());
        Assert.Equal("hist", prompt[3]!["client_id"]!.GetValue<string>());
        Assert.False(prompt[3]!.AsObject().ContainsKey("api_key_comfy_org"));
        Assert.Equal(["9"], prompt[4]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(["prompt", "outputs", "status", "meta"], entry.Select(p => p.Key));
        Assert.True(entry["status"]!["completed"]!.GetValue<bool>());
        Assert.Equal(["execution_start", "execution_cached", "execution_success"], entry["status"]!["messages"]!.AsArray().Select(m => m![0]!.GetValue<string>()));
        Assert.Equal("9", entry["meta"]!["9"]!["real_node_id"]!.GetValue<string>());
        Assert.Equal(ids.TakeLast(2), (await _standIn.GetJsonAsync("/history?max_items=2")).AsObject().Select(p => p.Key));
        Assert.Equal([ids[1]], (await _standIn.GetJsonAsync("/history?max_items=1&offset=1")).AsObject().Select(p => p.Key));

        await _standIn.PostJsonAsync("/history", new JsonObject { ["delete"] = new JsonArray(ids[1]) });
        Assert.Equal([ids[0], ids[2]], (await _standIn.GetJsonAsync("/api/history")).AsObject().Select(p => p.Key));
        await _standIn.PostJsonAsync("/history", new JsonObject { ["clear"] = true });
        Assert.Empty((await _standIn.GetJsonAsync("/history")).AsObject());
    }

    [Fact]
    public async Task Request_CrossOriginOnLoopback_Gets403EmptyAndSameOriginPasses()
    {
        using var bad = new HttpRequestMessage(HttpMethod.Get, new Uri("/queue", UriKind.Relative));
        bad.Headers.Add("Origin", "http://localhost:5173");
        using var good = new HttpRequestMessage(HttpMethod.Get, new Uri("/queue", UriKind.Relative));
        good.Headers.Add("Origin", "http://" + _standIn.Server.BaseAddress.Authority);

        using var badResponse = await _standIn.Http.SendAsync(bad);
        using var goodResponse = await _standIn.Http.SendAsync(good);

        Assert.Equal(HttpStatusCode.Forbidden, badResponse.StatusCode);
        Assert.Empty(await badResponse.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, goodResponse.StatusCode);
    }

    [Fact]
    public async Task Introspection_Endpoints_ReturnProtocolShapes()
    {
        Assert.Empty((await _standIn.GetJsonAsync("/object_info/NoSuchNode")).AsObject());
        Assert.True((await _standIn.GetJsonAsync("/api/object_info"))["KSampler"]!["input"]!["required"]!.AsObject().ContainsKey("seed"));
        Assert.Contains("--preview-method", (await _standIn.GetJsonAsync("/system_stats"))["system"]!["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        var features = await _standIn.GetJsonAsync("/features");
        Assert.True(features["supports_preview_metadata"]!.GetValue<bool>());
        Assert.Equal("104857600.0", features["max_upload_size"]!.ToJsonString());
        Assert.Contains("checkpoints", (await _standIn.GetJsonAsync("/models")).AsArray().Select(a => a!.GetValue<string>()));
        Assert.Contains("v1-5-pruned-emaonly.safetensors", (await _standIn.GetJsonAsync("/models/checkpoints")).AsArray().Select(a => a!.GetValue<string>()));
        using var unknown = await _standIn.Http.GetAsync(new Uri("/models/unet", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(0, (await _standIn.GetJsonAsync("/prompt"))["exec_info"]!["queue_remaining"]!.GetValue<int>());
        Assert.Empty((await _standIn.GetJsonAsync("/embeddings")).AsArray());
    }

    [Theory]
    [InlineData("form-data; name=image; filename=x.png", "name is not a quoted string")]
    [InlineData("form-data; name=\"image\"; filename=x.png", "filename is not a quoted string")]
    [InlineData("form-data; name=\"image\"; filename=\"x.png\"; filename*=utf-8''x.png", "filename*")]
    public async Task UploadImage_ContentDispositionNotAsBrowsersWriteIt_IsRefusedWithTheReason(string disposition, string reason)
    {
        using var form = RawForm(disposition);
        using var response = await _standIn.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_standIn.DataDirectory, "input", "x.png")));
    }

    [Fact]
    public async Task UploadImage_QuotedValues_IsStored()
    {
        using var form = RawForm("form-data; name=\"image\"; filename=\"x.png\"");
        using var response = await _standIn.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(_standIn.DataDirectory, "input", "x.png")));
    }

    [Fact]
    public async Task UploadImage_UnquotedWhenLenient_IsStoredAsAiohttpDoes()
    {
        await using var lenient = await StandInHarness.StartAsync(o => o.StrictMultipart = false);
        using var form = RawForm("form-data; name=image; filename=x.png");

        using var response = await lenient.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(File.Exists(Path.Combine(lenient.DataDirectory, "input", "x.png")));
    }

    private static MultipartFormDataContent RawForm(string disposition)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(ValidationTests.TinyPng());
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        Assert.True(file.Headers.TryAddWithoutValidation("Content-Disposition", disposition));
        form.Add(file);
        return form;
    }

    [Fact]
    public async Task Faults_OverHttp_RoundTrip()
    {
        var (status, body) = await _standIn.PostJsonAsync("/__standin/faults", new JsonObject { ["failAtNode"] = "KSampler", ["stepTimeMs"] = 7 });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("KSampler", _standIn.Server.Faults.FailAtNode);
        Assert.Equal(TimeSpan.FromMilliseconds(7), _standIn.Server.Faults.StepTime);
        Assert.Equal("KSampler", body!["failAtNode"]!.GetValue<string>());
        _standIn.Server.Faults.Reset();
        Assert.Null((await _standIn.GetJsonAsync("/__standin/faults"))["failAtNode"]);
    }

    private async Task<JsonObject?> UploadAsync(byte[] bytes, string name, string? subfolder = null)
    {
        using var form = ValidationTests.UploadForm(bytes, name, subfolder: subfolder);
        using var response = await _standIn.Http.PostAsync(new Uri("/upload/image", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync()) as JsonObject;
    }
}
