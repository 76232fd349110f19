using System.Net;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>The real API-format graphs from <c>TestData/workflows</c>, run end to end.</summary>
public sealed class RealWorkflowTests : IAsyncLifetime
{
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync(o =>
    {
        o.StepTime = TimeSpan.Zero;
        o.Checkpoints = ["v1-5-pruned-emaonly.safetensors", "Juggernaut_X_RunDiffusion.safetensors", "Illustrious-XL-v0.1.safetensors"];
        o.Loras = ["Sketchy-Illustrious.safetensors"];
    });

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private static JsonObject Load(string name)
    {
        var graph = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", name)))!.AsObject();
        foreach (var (_, node) in graph)
        {
            if (node!["class_type"]!.GetValue<string>() is "KSampler") { node["inputs"]!["steps"] = 2; }
        }
        return graph;
    }

    private async Task<(List<WsMessage> Events, JsonObject Entry)> RunAsync(JsonObject graph)
    {
        await using var ws = await _standIn.ConnectAsync("real");
        var id = await _standIn.QueueAsync(graph, "real");
        var events = await ws.UntilDoneAsync(id);
        return (events, await _standIn.HistoryEntryAsync(id));
    }

    private async Task<(int Width, int Height)> OutputSizeAsync(JsonObject entry, string node)
    {
        var image = entry["outputs"]![node]!["images"]![0]!;
        var bytes = await _standIn.Http.GetByteArrayAsync(new Uri($"/view?filename={image["filename"]}&subfolder={image["subfolder"]}&type={image["type"]}", UriKind.Relative));
        var info = Image.Identify(bytes);
        return (info.Width, info.Height);
    }

    [Theory]
    [InlineData("comfyui_default_txt2img_api.json", 512, 512)]
    [InlineData("kleer001_lora_basic_api.json", 1024, 1024)]
    public async Task Workflow_Txt2ImgVariants_SucceedWithGraphSizedImage(string file, int width, int height)
    {
        var (_, entry) = await RunAsync(Load(file));

        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal((width, height), await OutputSizeAsync(entry, "9"));
    }

    [Fact]
    public async Task Workflow_Img2ImgWithUploadedImage_KeepsTheInputSize()
    {
        await File.WriteAllBytesAsync(Path.Combine(_standIn.DataDirectory, "input", "example.png"), ValidationTests.TinyPng());

        var (_, entry) = await RunAsync(Load("imagesmith_img2img_api.json"));

        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal((40, 30), await OutputSizeAsync(entry, "9"));
        Assert.Equal("0.8700000000000001", entry["prompt"]![2]!["3"]!["inputs"]!["denoise"]!.ToJsonString());
    }

    [Fact]
    public async Task Workflow_ControlNetWithAuthorsModelName_FailsValueNotInList()
    {
        await File.WriteAllBytesAsync(Path.Combine(_standIn.DataDirectory, "input", "shark_depthmap.png"), ValidationTests.TinyPng());

        var (status, body) = await _standIn.PostPromptAsync(Load("kleer001_controlnet_depth_api.json"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(["33"], body!["node_errors"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public async Task Workflow_ControlNetWithInstalledModel_Succeeds()
    {
        await File.WriteAllBytesAsync(Path.Combine(_standIn.DataDirectory, "input", "shark_depthmap.png"), ValidationTests.TinyPng());
        var graph = Load("kleer001_controlnet_depth_api.json");
        graph["33"]!["inputs"]!["control_net_name"] = "controlnet-depth-sdxl-1.0.safetensors";

        var (events, entry) = await RunAsync(graph);

        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal(2, events.Count(e => e.Type == "progress"));
    }

    [Fact]
    public async Task Workflow_EsrganWithMissingUpscaleModel_PassesValidationThenFailsAtExecution()
    {
        var (events, entry) = await RunAsync(Load("kleer001_upscale_esrgan_api.json"));

        var error = events.Single(e => e.Type == "execution_error").Data!;
        Assert.Equal("13", error["node_id"]!.GetValue<string>());
        Assert.Equal("FileNotFoundError", error["exception_type"]!.GetValue<string>());
        Assert.Equal("error", entry["status"]!["status_str"]!.GetValue<string>());
    }
}
