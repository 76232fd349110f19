using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace DreamLayer.Web.Tests.ComfyStandIn;

public sealed class ValidationTests : IAsyncLifetime
{
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync(o => o.StepTime = TimeSpan.Zero);

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private static JsonObject FirstError(JsonObject body, string nodeId) => body["node_errors"]![nodeId]!["errors"]![0]!.AsObject();

    [Fact]
    public async Task PostPrompt_NoPromptKey_Returns400NoPromptWithEmptyNodeErrors()
    {
        var (status, body) = await _standIn.PostJsonAsync("/prompt", new JsonObject { ["client_id"] = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("no_prompt", body!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("No prompt provided", body["error"]!["message"]!.GetValue<string>());
        Assert.Empty(body["error"]!["extra_info"]!.AsObject());
        Assert.Empty(body["node_errors"]!.AsObject());
    }

    [Fact]
    public async Task PostPrompt_InvalidJson_Returns500()
    {
        using var content = new StringContent("{not json", Encoding.UTF8, "application/json");
        using var response = await _standIn.Http.PostAsync(new Uri("/prompt", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task PostPrompt_NodeWithoutClassType_Returns400InvalidPrompt()
    {
        var graph = StandInHarness.Txt2Img();
        graph["42"] = new JsonObject { ["inputs"] = new JsonObject() };

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_prompt", body!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("Cannot execute because a node is missing the class_type property.", body["error"]!["message"]!.GetValue<string>());
        Assert.Equal("Node ID '#42'", body["error"]!["details"]!.GetValue<string>());
        Assert.Empty(body["node_errors"]!.AsObject());
    }

    [Fact]
    public async Task PostPrompt_UnknownClassEvenUnconnected_Returns400InvalidPrompt()
    {
        var graph = StandInHarness.Txt2Img();
        graph["50"] = new JsonObject { ["class_type"] = "NoSuchNode", ["inputs"] = new JsonObject() };

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_prompt", body!["error"]!["type"]!.GetValue<string>());
        Assert.Equal("Cannot execute because node NoSuchNode does not exist.", body["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostPrompt_NoOutputNodes_Returns400PromptNoOutputs()
    {
        var graph = StandInHarness.Txt2Img();
        graph.Remove("9");

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("prompt_no_outputs", body!["error"]!["type"]!.GetValue<string>());
        Assert.Empty(body["node_errors"]!.AsObject());
    }

    [Fact]
    public async Task PostPrompt_MissingRequiredInput_ReportsRequiredInputMissing()
    {
        var graph = StandInHarness.Txt2Img();
        graph["3"]!["inputs"]!.AsObject().Remove("cfg");

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("prompt_outputs_failed_validation", body!["error"]!["type"]!.GetValue<string>());
        var error = FirstError(body, "3");
        Assert.Equal("required_input_missing", error["type"]!.GetValue<string>());
        Assert.Equal("cfg", error["extra_info"]!["input_name"]!.GetValue<string>());
        Assert.Equal("KSampler", body["node_errors"]!["3"]!["class_type"]!.GetValue<string>());
        Assert.Equal(["9"], body["node_errors"]!["3"]!["dependent_outputs"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Contains("Required input is missing: cfg", body["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostPrompt_LinkOfThreeItems_ReportsBadLinkedInput()
    {
        var graph = StandInHarness.Txt2Img();
        graph["8"]!["inputs"]!["vae"] = new JsonArray("4", 2, 0);

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "8");
        Assert.Equal("bad_linked_input", error["type"]!.GetValue<string>());
        Assert.Equal(3, error["extra_info"]!["received_value"]!.AsArray().Count);
    }

    [Fact]
    public async Task PostPrompt_LinkOfWrongType_ReportsReturnTypeMismatch()
    {
        var graph = StandInHarness.Txt2Img();
        graph["8"]!["inputs"]!["vae"] = new JsonArray("4", 0);

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "8");
        Assert.Equal("return_type_mismatch", error["type"]!.GetValue<string>());
        Assert.Equal("MODEL", error["extra_info"]!["received_type"]!.GetValue<string>());
        Assert.Equal("vae, received_type(MODEL) mismatch input_type(VAE)", error["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostPrompt_LinkToMissingNode_ReportsInnerValidationExceptionOnLinkingNode()
    {
        var graph = StandInHarness.Txt2Img();
        graph["8"]!["inputs"]!["vae"] = new JsonArray("99", 0);

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "8");
        Assert.Equal("exception_during_inner_validation", error["type"]!.GetValue<string>());
        Assert.Equal("'99'", error["details"]!.GetValue<string>());
        Assert.Equal("KeyError", error["extra_info"]!["exception_type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(8, 0, "KeyError", "8")]
    [InlineData("8", 5, "IndexError", "tuple index out of range")]
    public async Task PostPrompt_BrokenLinkOnOutputNode_ReportsExceptionDuringValidation(object source, int slot, string exceptionType, string details)
    {
        var graph = StandInHarness.Txt2Img();
        graph["9"]!["inputs"]!["images"] = new JsonArray(JsonValue.Create(source), slot);

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = FirstError(body!, "9");
        Assert.Equal("exception_during_validation", error["type"]!.GetValue<string>());
        Assert.Equal(details, error["details"]!.GetValue<string>());
        Assert.Equal(exceptionType, error["extra_info"]!["exception_type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"5\"", "5")]
    [InlineData("5.7", "5")]
    [InlineData("18446744073709551615", "18446744073709551615")]
    public async Task PostPrompt_CoercibleInt_AcceptedAndHistoryKeepsCoercedValue(string sent, string stored)
    {
        var graph = StandInHarness.Txt2Img();
        graph["3"]!["inputs"]!["seed"] = JsonNode.Parse(sent);
        await using var ws = await _standIn.ConnectAsync("coerce");

        var id = await _standIn.QueueAsync(graph, "coerce");
        await ws.UntilDoneAsync(id);

        var entry = await _standIn.HistoryEntryAsync(id);
        Assert.Equal(stored, entry["prompt"]![2]!["3"]!["inputs"]!["seed"]!.ToJsonString());
    }

    [Fact]
    public async Task PostPrompt_FractionalString_ReportsInvalidInputType()
    {
        var graph = StandInHarness.Txt2Img();
        graph["3"]!["inputs"]!["steps"] = "5.5";

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "3");
        Assert.Equal("invalid_input_type", error["type"]!.GetValue<string>());
        Assert.Equal("Failed to convert an input value to a INT value", error["message"]!.GetValue<string>());
        Assert.Equal("invalid literal for int() with base 10: '5.5'", error["extra_info"]!["exception_message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("seed", "18446744073709551616", "value_bigger_than_max", "Value 18446744073709551616 bigger than max of 18446744073709551615")]
    [InlineData("seed", "1.8446744073709552e+19", "value_bigger_than_max", "Value 18446744073709551616 bigger than max of 18446744073709551615")]
    [InlineData("steps", "0", "value_smaller_than_min", "Value 0 smaller than min of 1")]
    [InlineData("cfg", "-0.5", "value_smaller_than_min", "Value -0.5 smaller than min of 0.0")]
    public async Task PostPrompt_OutOfRange_ReportsRangeError(string input, string value, string type, string message)
    {
        var graph = StandInHarness.Txt2Img();
        graph["3"]!["inputs"]![input] = JsonNode.Parse(value);

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "3");
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.Equal(input, error["details"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostPrompt_UnknownCheckpoint_ReportsValueNotInListWithConfig()
    {
        var graph = StandInHarness.Txt2Img();
        graph["4"]!["inputs"]!["ckpt_name"] = "x.safetensors";

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "4");
        Assert.Equal("value_not_in_list", error["type"]!.GetValue<string>());
        Assert.StartsWith("ckpt_name: 'x.safetensors' not in ['sd3.5_medium.safetensors', ", error["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.IsType<JsonArray>(error["extra_info"]!["input_config"]);
        Assert.Equal("x.safetensors", error["extra_info"]!["received_value"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostPrompt_UnknownSamplerInLongList_ReportsListLengthAndNullConfig()
    {
        var graph = StandInHarness.Txt2Img();
        graph["3"]!["inputs"]!["sampler_name"] = "Euler";

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "3");
        Assert.Equal("sampler_name: 'Euler' not in (list of length 42)", error["details"]!.GetValue<string>());
        Assert.True(error["extra_info"]!.AsObject().ContainsKey("input_config"));
        Assert.Null(error["extra_info"]!["input_config"]);
    }

    [Fact]
    public async Task PostPrompt_ConfiguredCheckpoints_ReplaceTheList()
    {
        await using var standIn = await StandInHarness.StartAsync(o => o.Checkpoints = ["mine.safetensors", "sub/other.safetensors"]);
        var graph = StandInHarness.Txt2Img();

        var (status, body) = await standIn.PostPromptAsync(graph);
        graph["4"]!["inputs"]!["ckpt_name"] = "sub/other.safetensors";
        var (okStatus, _) = await standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("ckpt_name: 'v1-5-pruned-emaonly.safetensors' not in ['mine.safetensors', 'sub/other.safetensors']", FirstError(body!, "4")["details"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, okStatus);
        var models = await standIn.GetJsonAsync("/models/checkpoints");
        Assert.Equal(["mine.safetensors", "sub/other.safetensors"], models.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public async Task ModelsDirectory_FilesOnDisk_AreTheListsAtEveryRead()
    {
        var models = Directory.CreateTempSubdirectory("standin-models-").FullName;
        try
        {
            await using var standIn = await StandInHarness.StartAsync(o => o.ModelsDirectory = models);
            Assert.Empty((await standIn.GetJsonAsync("/models/checkpoints")).AsArray());
            Directory.CreateDirectory(Path.Combine(models, "checkpoints", "sub"));
            await File.WriteAllTextAsync(Path.Combine(models, "checkpoints", "b.safetensors"), "x");
            await File.WriteAllTextAsync(Path.Combine(models, "checkpoints", "sub", "a.ckpt"), "x");
            await File.WriteAllTextAsync(Path.Combine(models, "checkpoints", ".b.safetensors.1.part"), "x");
            await File.WriteAllTextAsync(Path.Combine(models, "checkpoints", "notes.txt"), "x");
            Directory.CreateDirectory(Path.Combine(models, "vae"));
            await File.WriteAllTextAsync(Path.Combine(models, "vae", "sdxl_vae.safetensors"), "x");

            var info = await standIn.GetJsonAsync("/object_info/CheckpointLoaderSimple");
            var graph = StandInHarness.Txt2Img();
            graph["4"]!["inputs"]!["ckpt_name"] = "sub/a.ckpt";
            var (status, _) = await standIn.PostPromptAsync(graph);

            Assert.Equal(["b.safetensors", "sub/a.ckpt"], info["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"]![0]!.AsArray().Select(x => x!.GetValue<string>()));
            Assert.Equal(["b.safetensors", "sub/a.ckpt"], (await standIn.GetJsonAsync("/models/checkpoints")).AsArray().Select(x => x!.GetValue<string>()));
            Assert.Equal(["sdxl_vae.safetensors"], (await standIn.GetJsonAsync("/models/vae")).AsArray().Select(x => x!.GetValue<string>()));
            Assert.Equal(HttpStatusCode.OK, status);
        }
        finally
        {
            Directory.Delete(models, recursive: true);
        }
    }

    [Fact]
    public async Task PostPrompt_ComboFormValue_IsNotCheckedAtValidation()
    {
        var graph = StandInHarness.Txt2Img();
        graph["10"] = new JsonObject { ["class_type"] = "UpscaleModelLoader", ["inputs"] = new JsonObject { ["model_name"] = "4x-Nothing.pth" } };
        graph["11"] = new JsonObject { ["class_type"] = "ImageUpscaleWithModel", ["inputs"] = new JsonObject { ["upscale_model"] = new JsonArray("10", 0), ["image"] = new JsonArray("8", 0) } };
        graph["9"]!["inputs"]!["images"] = new JsonArray("11", 0);

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Empty(body!["node_errors"]!.AsObject());
    }

    [Fact]
    public async Task PostPrompt_MissingLoadImageFile_ReportsCustomValidationFailed()
    {
        var graph = Img2Img("nope.png");

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var error = FirstError(body!, "10");
        Assert.Equal("custom_validation_failed", error["type"]!.GetValue<string>());
        Assert.Equal("image - Invalid image file: nope.png", error["details"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("sub/pic.png", "input", "sub")]
    [InlineData("pic.png [output]", "output", "")]
    public async Task PostPrompt_LoadImageInSubfolderOrAnnotated_PassesByFileExistence(string value, string dir, string sub)
    {
        var folder = Path.Combine(_standIn.DataDirectory, dir, sub);
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "pic.png"), TinyPng());

        var (status, body) = await _standIn.PostPromptAsync(Img2Img(value));

        Assert.True(status == HttpStatusCode.OK, body?.ToJsonString());
    }

    [Fact]
    public async Task PostPrompt_OneOfTwoOutputsInvalid_Returns200WithPartialNodeErrors()
    {
        var graph = StandInHarness.Txt2Img();
        graph["20"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("21", 0) } };
        graph["21"] = new JsonObject { ["class_type"] = "ImageScale", ["inputs"] = new JsonObject { ["image"] = new JsonArray("8", 0), ["upscale_method"] = "sideways", ["width"] = 0, ["height"] = 0, ["crop"] = "disabled" } };

        await using var ws = await _standIn.ConnectAsync("partial-client");
        var (status, body) = await _standIn.PostPromptAsync(graph, "partial-client", b => b["prompt_id"] = "partial");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("value_not_in_list", FirstError(body!, "21")["type"]!.GetValue<string>());
        Assert.Equal(["20"], body!["node_errors"]!["21"]!["dependent_outputs"]!.AsArray().Select(x => x!.GetValue<string>()));
        // Only the passing output was queued: the history entry's outputs-to-execute (prompt[4]) names it alone.
        await ws.UntilDoneAsync("partial");
        var entry = await _standIn.HistoryEntryAsync("partial");
        Assert.Equal(["9"], entry["prompt"]![4]!.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public async Task PostPrompt_AllOutputsInvalid_DetailsAreMessageColonDetailsLines()
    {
        var graph = StandInHarness.Txt2Img();
        graph["4"]!["inputs"]!["ckpt_name"] = "x.safetensors";
        graph["3"]!["inputs"]!["steps"] = 0;

        var (_, body) = await _standIn.PostPromptAsync(graph);

        var lines = body!["error"]!["details"]!.GetValue<string>().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("Value not in list: ckpt_name: 'x.safetensors' not in [", StringComparison.Ordinal));
        Assert.Contains("Value 0 smaller than min of 1: steps", lines);
        Assert.Equal(2, body["node_errors"]!.AsObject().Count);
    }

    [Fact]
    public async Task PostPrompt_PartialExecutionTargets_KeepOnlyListedOutputs()
    {
        var graph = StandInHarness.Txt2Img();
        graph["20"] = new JsonObject { ["class_type"] = "PreviewImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("8", 0) } };

        await using var ws = await _standIn.ConnectAsync("targets-client");
        var (status, _) = await _standIn.PostPromptAsync(graph, "targets-client", b =>
        {
            b["prompt_id"] = "only-preview";
            b["partial_execution_targets"] = new JsonArray("20", "6");
        });
        var (noneStatus, none) = await _standIn.PostPromptAsync(graph, extend: b => b["partial_execution_targets"] = new JsonArray("6"));

        Assert.Equal(HttpStatusCode.OK, status);
        await ws.UntilDoneAsync("only-preview");
        var entry = await _standIn.HistoryEntryAsync("only-preview");
        Assert.Equal(["20"], entry["prompt"]![4]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.False(entry["outputs"]!.AsObject().ContainsKey("9"));
        Assert.Equal(HttpStatusCode.BadRequest, noneStatus);
        Assert.Equal("prompt_no_outputs", none!["error"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostPrompt_ClientPromptIdAndNumber_AreEchoedWithFloatNumber()
    {
        var (status, body) = await _standIn.PostPromptAsync(StandInHarness.Txt2Img(), extend: b =>
        {
            b["prompt_id"] = "my-id";
            b["number"] = 5;
        });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("my-id", body!["prompt_id"]!.GetValue<string>());
        Assert.Equal("5.0", body["number"]!.ToJsonString());
        Assert.Equal(1, _standIn.Server.PromptsAccepted);
    }

    internal static JsonObject Img2Img(string image)
    {
        var graph = StandInHarness.Txt2Img();
        graph["10"] = new JsonObject { ["class_type"] = "LoadImage", ["inputs"] = new JsonObject { ["image"] = image } };
        graph["11"] = new JsonObject { ["class_type"] = "VAEEncode", ["inputs"] = new JsonObject { ["pixels"] = new JsonArray("10", 0), ["vae"] = new JsonArray("4", 2) } };
        graph["3"]!["inputs"]!["latent_image"] = new JsonArray("11", 0);
        graph["3"]!["inputs"]!["denoise"] = 0.6;
        graph.Remove("5");
        return graph;
    }

    internal static byte[] TinyPng(byte shade = 10)
    {
        using var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgba32>(40, 30, new SixLabors.ImageSharp.PixelFormats.Rgba32(shade, 20, 30, 255));
        using var ms = new MemoryStream();
        SixLabors.ImageSharp.ImageExtensions.SaveAsPng(image, ms);
        return ms.ToArray();
    }

    /// <summary>An upload as a browser writes it: every Content-Disposition value quoted (the stand-in is strict about it).</summary>
    internal static MultipartFormDataContent UploadForm(byte[] bytes, string name, string? type = null, string? subfolder = null)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(Part(file, "image", name));
        if (type is not null) { form.Add(Part(new StringContent(type), "type")); }
        if (subfolder is not null) { form.Add(Part(new StringContent(subfolder), "subfolder")); }
        return form;
    }

    /// <summary>A form part with <c>form-data; name="…"[; filename="…"]</c>, as browsers write it.</summary>
    internal static HttpContent Part(HttpContent content, string name, string? fileName = null)
    {
        var disposition = new ContentDispositionHeaderValue("form-data");
        disposition.Parameters.Add(new NameValueHeaderValue("name", $"\"{name}\""));
        if (fileName is not null) { disposition.Parameters.Add(new NameValueHeaderValue("filename", $"\"{fileName}\"")); }
        content.Headers.ContentDisposition = disposition;
        return content;
    }
}
