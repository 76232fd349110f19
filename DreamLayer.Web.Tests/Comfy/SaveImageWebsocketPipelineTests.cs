using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ComfyStandIn;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>
/// An imported workflow whose output is ComfyUI's SaveImageWebsocket, run through the real app against the stand-in:
/// the images exist only as frames on the app's socket while that node runs.
/// </summary>
public sealed class SaveImageWebsocketPipelineTests : IDisposable
{
    private const string SaveNode = "save_image_websocket_node";
    private static readonly SignedInUser Owner = new(TestUsers.Alice.Id, TestUsers.Alice.UserName, TestUsers.Alice.DisplayName, IsAdmin: false);
    private readonly string _comfyData = Path.Combine(Path.GetTempPath(), "ws-save-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_comfyData))
        {
            Directory.Delete(_comfyData, recursive: true);
        }
    }

    /// <summary>ComfyUI's default txt2img graph saving through SaveImageWebsocket, as its websocket example does.</summary>
    private static ImportedWorkflow Imported()
    {
        var graph = ComfyGraph.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", "comfyui_default_txt2img_api.json")));
        graph.Remove("9");
        graph.Add(SaveNode, new ComfyNode("SaveImageWebsocket").Link("images", "8", 0));
        return WorkflowImporter.Import(Encoding.UTF8.GetBytes(graph.ToJsonString()));
    }

    private async Task<(DreamLayerApp App, GenerationRequest Request)> StartAsync(bool previewMetadata, int size = 64, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var app = await DreamLayerApp.StartAsync(settings: settings, standInOptions: new StandInOptions { DataDirectory = _comfyData, PreviewMetadata = previewMetadata });
        var library = app.Get<TeamWorkflows>();
        var imported = Imported();
        var created = Assert.IsType<WorkflowSaved>(await library.CreateAsync(Owner, "Socket save", "images over the websocket", imported.Graph, imported.Bindings, default));
        var workflow = (await library.FindAsync(created.Id, default))!;
        var values = new Dictionary<string, JsonNode>
        {
            ["6.text"] = "a lighthouse at dusk",
            ["7.text"] = "fog",
            ["5.width"] = size,
            ["5.height"] = size * 3 / 4,
            ["5.batch_size"] = 2,
            ["3.steps"] = 3,
        };
        var request = WorkflowRun.CreateRequest(workflow.Ref, values.Select(v => new WorkflowValue(v.Key.Split('.')[0], v.Key.Split('.')[1], v.Value)), [], SeedMode.Fixed, 4242UL, 1);
        return (app, request);
    }

    private static async Task<JobProgress> RunAsync(DreamLayerApp app, GenerationRequest request)
    {
        var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, Owner.Id, default)).JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the workflow job to finish");
        events.TryGet(jobId, out var done);
        return done!;
    }

    [Theory]
    [InlineData(true)] // ComfyUI 0.3.44+: type-4 frames name their node
    [InlineData(false)] // older ComfyUI: type-1 frames, told apart from the sampler's previews by the node executing
    public async Task Run_SaveImageWebsocketWorkflow_SavesTheImagesItSentWithTheGraphAndParameters(bool previewMetadata)
    {
        var (app, request) = await StartAsync(previewMetadata);
        await using var _ = app;

        var done = await RunAsync(app, request);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        // Two images (the batch), not the three sampler previews that came over the same socket.
        Assert.Equal(2, done.ImageIds.Count);
        await using var db = app.CreateDbContext();
        var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == done.JobId);
        var saved = job.Images.OrderBy(i => i.Index).ToList();
        Assert.All(saved, i => Assert.Equal((64, 48, "a lighthouse at dusk", nameof(GenerationMode.Workflow)), (i.Width, i.Height, i.Prompt, i.Mode)));
        var files = saved.Select(i => File.ReadAllBytes(app.Get<ImageStore>().Locate(i)!)).ToList();
        Assert.NotEqual(Pixels(files[0]), Pixels(files[1])); // each image of the batch, not one twice
        foreach (var file in files)
        {
            var chunks = PngTextChunks.Read(file);
            var parameters = Assert.Single(chunks, c => c.Keyword == "parameters").Text;
            Assert.StartsWith("a lighthouse at dusk\nNegative prompt: fog\n", parameters, StringComparison.Ordinal);
            Assert.Contains("Seed: 4242", parameters, StringComparison.Ordinal);
            Assert.Contains("Workflow: Socket save", parameters, StringComparison.Ordinal);
            // The graph as it was sent, as SaveImage would have written it, so the file opens in ComfyUI.
            var prompt = JsonNode.Parse(Assert.Single(chunks, c => c.Keyword == "prompt").Text)!;
            Assert.Equal("SaveImageWebsocket", prompt[SaveNode]!["class_type"]!.GetValue<string>());
            Assert.Equal(JsonNode.Parse(job.GraphJson!)!.ToJsonString(), prompt.ToJsonString());
            Assert.Single(chunks, c => c.Keyword == "workflow");
        }

        // ComfyUI kept nothing: no file, no history output. The images exist only because the app took the frames.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_comfyData, "output"), "*", SearchOption.AllDirectories));
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var history = await http.GetFromJsonAsync<JsonObject>($"history/{job.PromptId}");
        Assert.Empty(history![job.PromptId!]!["outputs"]!.AsObject());
    }

    private static byte[] Pixels(byte[] file)
    {
        using var image = Image.Load<Rgb24>(file);
        var pixels = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    [Fact]
    public async Task Run_ConnectionDropsWhileTheNodeSendsItsImages_FailsSayingTheyWereLost()
    {
        var (app, request) = await StartAsync(previewMetadata: true);
        await using var _ = app;
        app.StandIn!.Faults.DropSocketsAtImage = 1;

        var done = await RunAsync(app, request);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Empty(done.ImageIds);
        Assert.StartsWith($"The connection to {app.Backend.Name} dropped while the job ran, so the images of SaveImageWebsocket (#{SaveNode}) were lost", done.Message, StringComparison.Ordinal);
        Assert.Contains("Run the job again.", done.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("produced no image", done.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NodeSendsAnImageOverTheLimit_FailsSayingSoWithoutKeepingIt()
    {
        // The frame is read past without being kept (the app's memory stays bounded by the limit), and the job says why.
        var (app, request) = await StartAsync(previewMetadata: true, size: 1024, settings: new Dictionary<string, string?> { ["Storage:MaxImageBytes"] = "1024" });
        await using var _ = app;

        var done = await RunAsync(app, request);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Empty(done.ImageIds);
        Assert.Matches($"^{app.Backend.Name} sent an image of [0-9,]+ bytes from node #{SaveNode}; the limit is 1,024 bytes\\.$", done.Message);
    }
}
