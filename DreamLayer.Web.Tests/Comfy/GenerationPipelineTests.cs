using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>A job goes through the real app on Kestrel against the ComfyUI stand-in.</summary>
public sealed class GenerationPipelineTests
{
    private static GenerationRequest Request(string prompt = "a red fox in snow", int steps = 6) => new()
    {
        Prompt = prompt,
        NegativePrompt = "blurry",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Sampler = "euler",
        Scheduler = "normal",
        Steps = steps,
        Cfg = 6.5,
        Width = 512,
        Height = 384,
    };

    private static async Task<JobProgress> WaitForTerminalAsync(DreamLayerApp app, Guid jobId, TimeSpan? timeout = null)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), $"job {jobId} to finish", timeout);
        events.TryGet(jobId, out var done);
        return done!;
    }

    [Fact]
    public async Task Submit_AgainstStandIn_SavesFileRowAndMetrics()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var result = await app.Get<JobQueue>().SubmitAsync(Request() with { SeedMode = SeedMode.Fixed, Seed = 18446744073709551615UL }, "tester", default);
        var accepted = Assert.IsType<SubmitAccepted>(result);

        var done = await WaitForTerminalAsync(app, accepted.JobIds[0]);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        await using var db = app.CreateDbContext();
        var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == accepted.JobIds[0]);
        Assert.Equal(18446744073709551615UL, job.Seed);
        Assert.Contains("\"seed\":18446744073709551615", job.GraphJson, StringComparison.Ordinal);
        Assert.Equal("standin", job.Backend);
        Assert.NotNull(job.QueueWaitMs);
        Assert.True(job.ExecutionMs > 0);
        Assert.True(job.StepsPerSecond > 0);
        Assert.Contains("\"3\"", job.NodeTimingsJson, StringComparison.Ordinal);
        Assert.NotNull(job.SubmitOverheadMs);
        await DreamLayerApp.WaitUntilAsync(() => app.CreateDbContext().Jobs.Single(j => j.Id == job.Id).CompletionOverheadMs is not null, "the overhead figure");

        var image = Assert.Single(job.Images);
        Assert.Equal((512, 384), (image.Width, image.Height));
        var path = app.Get<ImageStore>().Locate(image);
        Assert.True(File.Exists(path));
        // The thumbnail is made after the image is published (the thumbnail endpoint waits for it).
        var thumbnail = app.Get<ImageStore>().ThumbnailPath(image.Id);
        await DreamLayerApp.WaitUntilAsync(() => File.Exists(thumbnail), "the thumbnail");
        var bytes = await File.ReadAllBytesAsync(path!);
        var chunks = PngTextChunks.Read(bytes);
        Assert.Contains(chunks, c => c.Keyword == "prompt");
        Assert.Equal(
            "a red fox in snow\nNegative prompt: blurry\nSteps: 6, Sampler: Euler, Schedule type: Normal, CFG scale: 6.5, Seed: 18446744073709551615, Size: 512x384, Model: v1-5-pruned-emaonly, Version: DreamLayer",
            Assert.Single(chunks, c => c.Keyword == "parameters").Text);
        // Read back as another tool would: every value the job was made with.
        var read = ImageMetadataReader.Read(bytes).Generation;
        Assert.NotNull(read);
        Assert.Equal((MetadataTool.DreamLayer, "a red fox in snow", "blurry"), (read.Tool, read.Prompt, read.NegativePrompt));
        Assert.Equal((6, "euler", "normal", 6.5, 18446744073709551615UL, 512, 384, "v1-5-pruned-emaonly"),
            (read.Steps, read.Sampler, read.Scheduler, read.Cfg, read.Seed, read.Width, read.Height, read.Model));
        // No temp files left behind by the atomic writes.
        Assert.Empty(Directory.GetFiles(app.DataDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Submit_AgainstStandIn_SavedPngHasPromptAndAWorkflowComfyUiOpens()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(), "tester", default));
        Assert.Equal(JobStatus.Succeeded, (await WaitForTerminalAsync(app, accepted.JobIds[0])).Status);
        await using var db = app.CreateDbContext();
        var image = await db.Images.SingleAsync(i => i.JobId == accepted.JobIds[0]);

        var bytes = await File.ReadAllBytesAsync(app.Get<ImageStore>().Locate(image)!);

        // Written by the server's SaveImage from the prompt's extra_pnginfo, kept by the app beside its parameters.
        var chunks = PngTextChunks.Read(bytes);
        Assert.Equal(["prompt", "workflow", "parameters"], chunks.Select(c => c.Keyword));
        var prompt = ComfyGraph.Parse(chunks.Single(c => c.Keyword == "prompt").Text);
        var workflow = JsonNode.Parse(chunks.Single(c => c.Keyword == "workflow").Text)!;
        var ids = UiWorkflow.NumericIds(prompt);
        Assert.Equal(
            prompt.Nodes.Select(n => $"{ids[n.Key]} {n.Value.ClassType}").Order(StringComparer.Ordinal),
            workflow["nodes"]!.AsArray().Select(n => $"{n!["id"]} {n["type"]}").Order(StringComparer.Ordinal));
        var links = prompt.Nodes.Sum(n => n.Value.Inputs.Values.Count(v => ComfyLink.TryParse(v, out _)));
        Assert.Equal(links, workflow["links"]!.AsArray().Count);
        var sampler = workflow["nodes"]!.AsArray().Single(n => n!["type"]!.GetValue<string>() == "KSampler")!;
        Assert.Equal("a red fox in snow", workflow["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<int>() == 6)!["widgets_values"]![0]!.GetValue<string>());
        Assert.Equal(6, sampler["widgets_values"]![2]!.GetValue<int>());
        // The reader still takes the parameters first: the file is DreamLayer's.
        Assert.Equal(MetadataTool.DreamLayer, ImageMetadataReader.Read(bytes).Generation?.Tool);
    }

    [Fact]
    public async Task Submit_BatchCountAndSize_MakesOneJobPerRunWithSteppedSeeds()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(
            Request() with { SeedMode = SeedMode.Fixed, Seed = 100, BatchCount = 3, BatchSize = 2 }, "tester", default));

        Assert.Equal([100UL, 101UL, 102UL], accepted.Seeds);
        foreach (var id in accepted.JobIds)
        {
            var done = await WaitForTerminalAsync(app, id);
            Assert.Equal(JobStatus.Succeeded, done.Status);
            Assert.Equal(2, done.ImageIds.Count);
        }
        await using var db = app.CreateDbContext();
        Assert.Equal(6, await db.Images.CountAsync());
        var firstRun = await db.Images.Where(i => i.JobId == accepted.JobIds[0]).OrderBy(i => i.Index).Select(i => i.Parameters).ToListAsync();
        Assert.EndsWith("Seed: 100, Size: 512x384, Model: v1-5-pruned-emaonly, Batch size: 2, Batch pos: 0, Version: DreamLayer", firstRun[0], StringComparison.Ordinal);
        Assert.EndsWith("Batch size: 2, Batch pos: 1, Version: DreamLayer", firstRun[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SocketDroppedMidRun_JobStillFinishesWithItsImage()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(60));
        app.StandIn!.Faults.DropSocketsAtStep = 3;

        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(steps: 12), "tester", default));
        var done = await WaitForTerminalAsync(app, accepted.JobIds[0]);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        Assert.Single(done.ImageIds);
        Assert.Equal(1, app.StandIn.PromptsAccepted); // collected, never sent twice
    }

    [Fact]
    public async Task Run_NodeFailsOnServer_JobFailsWithTheServersReason()
    {
        await using var app = await DreamLayerApp.StartAsync();
        app.StandIn!.Faults.FailAtNode = "VAEDecode";

        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(), "tester", default));
        var done = await WaitForTerminalAsync(app, accepted.JobIds[0]);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Contains("VAEDecode", done.Message, StringComparison.Ordinal);
        Assert.Empty(done.ImageIds);
    }

    [Fact]
    public async Task Submit_CheckpointTheServerLacks_IsRefusedWithAReadableMessage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var result = await app.Get<JobQueue>().SubmitAsync(Request() with { Checkpoint = "missing.safetensors" }, "tester", default);

        var invalid = Assert.IsType<SubmitInvalid>(result);
        var error = Assert.Single(invalid.Errors);
        Assert.Equal(nameof(GenerationRequest.Checkpoint), error.Field);
        Assert.Contains("missing.safetensors", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, app.StandIn!.PromptsAccepted);
    }

    [Fact]
    public async Task Dispatch_ServerRestartedWithOtherModels_JobWaitsAndSaysWhichModelNoServerHas()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await app.StandIn!.StopAsync();
        await DreamLayerApp.WaitUntilAsync(() => app.Backend.State == DreamLayer.Web.Comfy.BackendState.Offline, "the app to notice");

        // Queued while the server is down, checked against the catalogue the app last saw.
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(), "tester", default));
        await app.RestartStandInAsync(new global::ComfyStandIn.StandInOptions { Checkpoints = ["sdxl/other.safetensors"] });

        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(accepted.JobIds[0], out var p) && p.Message is not null && p.Message.Contains("no online server", StringComparison.Ordinal),
            "the job to say why it waits");
        Assert.True(events.TryGet(accepted.JobIds[0], out var waiting));
        Assert.Equal(JobStatus.Queued, waiting.Status);
        Assert.Equal("Waiting: no online server has v1-5-pruned-emaonly.safetensors.", waiting.Message);
        Assert.Equal(0, app.StandIn!.PromptsAccepted); // never sent to a server that cannot run it
    }

    [Fact]
    public async Task QueuePrompt_ServerRejectsGraph_ReturnsReadableNodeErrors()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var pool = app.Get<DreamLayer.Web.Comfy.BackendPool>();
        var template = app.Get<WorkflowLibrary>().Get(GenerationMode.Txt2Img);
        var graph = DreamLayer.Domain.Workflows.WorkflowBuilder.Build(template, Request() with { Checkpoint = "nope.safetensors", Steps = 0 }, 1);

        var result = await pool.ClientFor(app.Backend).QueuePromptAsync(graph, app.Backend.ClientId, Guid.NewGuid().ToString(), null, default);

        var rejected = Assert.IsType<DreamLayer.Web.Comfy.PromptRejected>(result);
        var text = ValidationText.Describe(rejected.Validation, app.Backend.ObjectInfo, graph);
        Assert.Contains("Load Checkpoint › ckpt_name: 'nope.safetensors'", text, StringComparison.Ordinal);
        Assert.Contains("KSampler › steps: 0 is below the minimum of 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_ServerWithoutCheckpoints_PageSaysTxt2ImgCannotRunAndWhy()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new global::ComfyStandIn.StandInOptions { Checkpoints = [] });

        Assert.Contains("models/checkpoints", app.Backend.UnsupportedModes[GenerationMode.Txt2Img], StringComparison.Ordinal);
        using var http = await app.CreateClientAsync(app.Alice);
        var page = await http.GetStringAsync("/");
        Assert.Contains("No online server can run text to image", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NoServerListening_ShowsPlainMessageAndKeepsJobsWaiting()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        await using var app = DreamLayerApp.StartWithoutServer($"http://127.0.0.1:{port}");

        await DreamLayerApp.WaitUntilAsync(() => app.Backend.State == DreamLayer.Web.Comfy.BackendState.Offline, "the backend to be marked offline");
        Assert.Contains($"127.0.0.1:{port}", app.Backend.StateReason, StringComparison.Ordinal);

        // An admin is told which address was tried and how to start ComfyUI (a member is told to ask an admin).
        using var http = await app.CreateClientAsync(app.Admin);
        var page = await http.GetStringAsync("/");
        Assert.Contains("No ComfyUI server is reachable", page, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", page, StringComparison.Ordinal);
        Assert.Contains("--preview-method auto", page, StringComparison.Ordinal);

        // Without a catalogue the app still accepts the job; it waits for a server instead of failing.
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Request(), "tester", default));
        await Task.Delay(300);
        Assert.True(app.Get<JobEvents>().TryGet(accepted.JobIds[0], out var waiting));
        Assert.Equal(JobStatus.Queued, waiting.Status);
    }
}
