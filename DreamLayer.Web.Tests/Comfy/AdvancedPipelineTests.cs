using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ComfyStandIn;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>LoRAs, a ControlNet unit with Canny and hires fix go through the real app to the ComfyUI stand-in.</summary>
public sealed class AdvancedPipelineTests
{
    private const string ControlNetModel = "controlnet-depth-sdxl-1.0.safetensors";

    private static async Task<UploadAccepted> UploadSquareAsync(DreamLayerApp app)
    {
        using var png = new MemoryStream(ControlImages.SquarePng());
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "square.png", default));
    }

    [Fact]
    public async Task Submit_LorasControlNetAndHires_TheServerReceivesTheWholeGraphAndRunsIt()
    {
        var standInData = Path.Combine(Path.GetTempPath(), "dreamlayer-standin-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions
            {
                DataDirectory = standInData,
                Loras = ["detail/add_detail.safetensors", "styles/Ink.safetensors"],
            });
            var picture = await UploadSquareAsync(app);
            var request = new GenerationRequest
            {
                Prompt = "a lighthouse, <lora:ink:0.6>",
                Checkpoint = "v1-5-pruned-emaonly.safetensors",
                Steps = 4,
                Width = 256,
                Height = 256,
                Loras = [new LoraSetting("detail/add_detail.safetensors", 0.8, 0.5)],
                ControlNets =
                [
                    new ControlNetSetting
                    {
                        Model = ControlNetModel,
                        Image = picture.Id,
                        Preprocessor = "Canny",
                        PreprocessorSettings = new Dictionary<string, JsonNode?> { ["low_threshold"] = 0.3, ["high_threshold"] = 0.6 },
                        Strength = 0.7,
                        EndPercent = 0.8,
                    },
                ],
                HiresFix = new HiresFixSetting { Scale = 1.5, Steps = 3, Denoise = 0.4 },
            };

            var (job, received) = await RunAsync(app, request);
            var jobId = job.Id;
            Assert.Equal((384, 384), (job.Images.Single().Width, job.Images.Single().Height));

            Assert.Equal("a lighthouse", Node(received, "CLIPTextEncode", n => Str(n, "text") != string.Empty && Str(n, "text") != request.NegativePrompt).Inputs["text"]!.GetValue<string>());
            Assert.Equal(["detail/add_detail.safetensors", "styles/Ink.safetensors"], received.Nodes.Values.Where(n => n.ClassType == "LoraLoader").Select(n => Str(n, "lora_name")).Order());
            var load = Node(received, "LoadImage");
            Assert.Equal($"dreamlayer/{jobId:N}/{picture.Id:N}.png", Str(load, "image"));
            Assert.True(File.Exists(Path.Combine(standInData, "input", "dreamlayer", jobId.ToString("N"), $"{picture.Id:N}.png")), "the picture was uploaded");
            Assert.Equal(0.3, Node(received, "Canny").Inputs["low_threshold"]!.GetValue<double>());
            var apply = Node(received, "ControlNetApplyAdvanced");
            Assert.Equal((0.7, 0.8), (apply.Inputs["strength"]!.GetValue<double>(), apply.Inputs["end_percent"]!.GetValue<double>()));
            Assert.Equal(ControlNetModel, Str(Node(received, "ControlNetLoader"), "control_net_name"));
            Assert.Equal(1.5, Node(received, "LatentUpscaleBy").Inputs["scale_by"]!.GetValue<double>());
            Assert.Equal(2, received.Nodes.Values.Count(n => n.ClassType == "KSampler"));

            // The saved PNG says all of it as A1111 would: the picker LoRA as a tag beside the typed one, ControlNet, hires fix.
            var parameters = job.Images.Single().Parameters;
            Assert.StartsWith("a lighthouse, <lora:ink:0.6> <lora:add_detail:0.5:0.8>\n", parameters, StringComparison.Ordinal);
            Assert.Contains(", Denoising strength: 0.4, ControlNet 0: \"Module: canny, Model: controlnet-depth-sdxl-1.0, Weight: 0.7, Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: 77, Threshold B: 153, Guidance Start: 0, Guidance End: 0.8, Pixel Perfect: False, Control Mode: Balanced\", Hires upscale: 1.5, Hires steps: 3, Hires upscaler: Latent (nearest-exact), Version: DreamLayer", parameters, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(standInData))
            {
                Directory.Delete(standInData, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Submit_Img2ImgWithLoraAndControlNet_TheServerReceivesBothOnTheImg2ImgGraph()
    {
        var standInData = Path.Combine(Path.GetTempPath(), "dreamlayer-standin-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions
            {
                DataDirectory = standInData,
                Loras = ["detail/add_detail.safetensors"],
            });
            var source = await UploadSquareAsync(app);
            var control = await UploadSquareAsync(app);
            var request = new GenerationRequest
            {
                Mode = GenerationMode.Img2Img,
                Prompt = "a lighthouse, <lora:add_detail:0.6>",
                Checkpoint = "v1-5-pruned-emaonly.safetensors",
                Steps = 3,
                Width = 128,
                Height = 128,
                Denoise = 0.55,
                SourceImage = source.Id,
                SourceWidth = source.Width,
                SourceHeight = source.Height,
                ControlNets = [new ControlNetSetting { Model = ControlNetModel, Image = control.Id, Strength = 0.9 }],
            };

            var (job, received) = await RunAsync(app, request);
            var jobId = job.Id;
            Assert.Equal((128, 128), (job.Images.Single().Width, job.Images.Single().Height));

            var lora = Node(received, "LoraLoader");
            Assert.Equal(("detail/add_detail.safetensors", 0.6), (Str(lora, "lora_name"), lora.Inputs["strength_model"]!.GetValue<double>()));
            var sampler = Node(received, "KSampler");
            Assert.Equal(0.55, sampler.Inputs["denoise"]!.GetValue<double>());
            Assert.Equal("VAEEncode", Upstream(received, Upstream(received, sampler, "latent_image"), "samples").ClassType);
            var apply = Node(received, "ControlNetApplyAdvanced");
            Assert.Equal(0.9, apply.Inputs["strength"]!.GetValue<double>());
            Assert.Same(apply, Upstream(received, sampler, "positive"));
            Assert.Equal(ControlNetModel, Str(Node(received, "ControlNetLoader"), "control_net_name"));
            Assert.Equal($"dreamlayer/{jobId:N}/{control.Id:N}.png", Str(Upstream(received, apply, "image"), "image"));
            Assert.True(File.Exists(Path.Combine(standInData, "input", "dreamlayer", jobId.ToString("N"), $"{control.Id:N}.png")), "the control image was uploaded");
        }
        finally
        {
            if (Directory.Exists(standInData))
            {
                Directory.Delete(standInData, recursive: true);
            }
        }
    }

    /// <summary>Queues the request, waits until it succeeded, and returns the job and the graph the stand-in received.</summary>
    private static async Task<(Data.JobEntity Job, ComfyGraph Received)> RunAsync(DreamLayerApp app, GenerationRequest request)
    {
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default));
        var jobId = Assert.Single(accepted.JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");
        events.TryGet(jobId, out var done);
        Assert.True(done!.Status == JobStatus.Succeeded, done.Message);

        await using var db = app.CreateDbContext();
        var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == jobId);
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var history = await http.GetFromJsonAsync<JsonObject>($"history/{job.PromptId}");
        return (job, ComfyGraph.FromJson(history![job.PromptId!]!["prompt"]![2]));
    }

    /// <summary>The node whose output feeds <paramref name="input"/>.</summary>
    private static ComfyNode Upstream(ComfyGraph graph, ComfyNode node, string input) => graph[node.Inputs[input]!.AsArray()[0]!.GetValue<string>()];

    [Fact]
    public async Task Preview_Canny_ReturnsAnEdgeMapOfThePicture()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var picture = await UploadSquareAsync(app);
        var result = await app.Get<ControlMapPreview>().RunAsync(picture.Id, "Canny",
            new Dictionary<string, JsonNode?> { ["low_threshold"] = 0.4, ["high_threshold"] = 0.8 }, default);

        var ready = Assert.IsType<ControlMapReady>(result);
        var bytes = Convert.FromBase64String(ready.DataUrl[(ready.DataUrl.IndexOf(',', StringComparison.Ordinal) + 1)..]);
        using var map = Image.Load<L8>(bytes);
        Assert.Equal((128, 96), (map.Width, map.Height));
        Assert.True(map[32, 48].PackedValue > 128, "the square's left edge is white");
        Assert.True(map[64, 48].PackedValue < 128, "the inside of the square is black");
        Assert.True(map[5, 5].PackedValue < 128, "the background is black");
    }

    [Fact]
    public async Task Preview_PreprocessorTheServerLacks_SaysSo()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var picture = await UploadSquareAsync(app);
        var result = await app.Get<ControlMapPreview>().RunAsync(picture.Id, "LineArtPreprocessor", new Dictionary<string, JsonNode?>(), default);
        Assert.Equal("Preview: This server has no ControlNet preprocessor nodes (install comfyui_controlnet_aux for depth, openpose, lineart, scribble, ...).",
            Assert.IsType<ControlMapFailed>(result).Message);
    }

    private static ComfyNode Node(ComfyGraph graph, string classType, Func<ComfyNode, bool>? where = null) =>
        Assert.Single(graph.Nodes.Values, n => n.ClassType == classType && (where?.Invoke(n) ?? true));

    private static string Str(ComfyNode node, string input) => node.Inputs[input]?.GetValue<string>() ?? string.Empty;
}
