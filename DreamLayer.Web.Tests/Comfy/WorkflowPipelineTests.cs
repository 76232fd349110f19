using System.Net.Http.Json;
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

/// <summary>Imported workflows saved to the library and run through the real app against the ComfyUI stand-in.</summary>
public sealed class WorkflowPipelineTests
{
    private static readonly SignedInUser Owner = new(TestUsers.Alice.Id, TestUsers.Alice.UserName, TestUsers.Alice.DisplayName, IsAdmin: false);

    private static byte[] Read(string relative) => File.ReadAllBytes(Path.Combine(TestPaths.TestData, relative));

    private static async Task<SavedWorkflow> SaveAsync(DreamLayerApp app, ImportedWorkflow imported, string name)
    {
        var library = app.Get<TeamWorkflows>();
        var saved = Assert.IsType<WorkflowSaved>(await library.CreateAsync(Owner, name, "from the tests", imported.Graph, imported.Bindings, default));
        return (await library.FindAsync(saved.Id, default))!;
    }

    private static async Task<(JobProgress Done, JsonObject Received)> RunAsync(DreamLayerApp app, GenerationRequest request)
    {
        var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, Owner.Id, default)).JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the workflow job to finish");
        events.TryGet(jobId, out var done);
        Assert.True(done!.Status == JobStatus.Succeeded, done.Message);
        await using var db = app.CreateDbContext();
        var promptId = (await db.Jobs.SingleAsync(j => j.Id == jobId)).PromptId!;
        using var http = new HttpClient { BaseAddress = app.StandIn!.BaseAddress };
        var history = await http.GetFromJsonAsync<JsonObject>($"history/{promptId}");
        return (done, history![promptId]!["prompt"]![2]!.AsObject());
    }

    [Fact]
    public async Task Run_ControlNetWorkflowWithAnUploadAndTwoOutputs_SendsEveryValueAndSavesEveryImage()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var imported = WorkflowImporter.Import(Read("workflows/kleer001_controlnet_depth_api.json"));
        // A second output: a preview of the same decode, as people add to check a run.
        imported.Graph.Add("preview", new ComfyNode("PreviewImage").Link("images", "8", 0));
        // The ControlNet model is not detected; the person adds a field for it, as the editor lets them.
        var workflow = await SaveAsync(app, imported with
        {
            Bindings = [.. imported.Bindings, new WorkflowBinding("33", "control_net_name", BindingKind.Other, "ControlNet model", imported.Graph["33"].Inputs["control_net_name"])],
        }, "Depth ControlNet");
        using var depth = new Image<Rgba32>(64, 48, new Rgba32(90, 90, 90));
        using var png = new MemoryStream();
        await depth.SaveAsPngAsync(png);
        png.Position = 0;
        var upload = Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(png, "depth.png", default));

        var values = new Dictionary<string, JsonNode>
        {
            ["24.text"] = "a lighthouse at dusk",
            ["7.text"] = "fog",
            ["34.ckpt_name"] = "sd_xl_base_1.0.safetensors",
            ["5.width"] = 256,
            ["5.height"] = 192,
            ["5.batch_size"] = 2,
            ["3.steps"] = 3,
            ["3.cfg"] = 5.5,
            ["3.sampler_name"] = "dpmpp_2m",
            ["3.scheduler"] = "karras",
            ["3.denoise"] = 0.9,
            ["33.control_net_name"] = "controlnet-depth-sdxl-1.0.safetensors",
        };
        var request = WorkflowRun.CreateRequest(workflow.Ref,
            values.Select(v => new WorkflowValue(v.Key.Split('.')[0], v.Key.Split('.')[1], v.Value)),
            [new WorkflowImageInput("20", "image", upload.Id)], SeedMode.Fixed, 123456789012345UL, 1);

        var (done, received) = await RunAsync(app, request);

        // Every binding reached the server with the person's value; the rest of the graph is as imported.
        foreach (var (key, value) in values)
        {
            var (node, input) = (key.Split('.')[0], key.Split('.')[1]);
            Assert.Equal(value.ToJsonString(), received[node]!["inputs"]![input]!.ToJsonString());
        }
        Assert.Equal("123456789012345", received["3"]!["inputs"]!["seed"]!.ToJsonString());
        Assert.Equal($"dreamlayer/{done.JobId:N}/{upload.Id:N}.png", received["20"]!["inputs"]!["image"]!.GetValue<string>());
        Assert.Equal(1.0, received["23"]!["inputs"]!["strength"]!.GetValue<double>());
        Assert.Equal("Depth ControlNet: a lighthouse at dusk", done.Summary);

        // Two images from the Save Image node and two from the preview.
        Assert.Equal(4, done.ImageIds.Count);
        await using var db = app.CreateDbContext();
        var job = await db.Jobs.Include(j => j.Images).SingleAsync(j => j.Id == done.JobId);
        Assert.All(job.Images, i => Assert.Equal((256, 192), (i.Width, i.Height)));
        var bytes = await File.ReadAllBytesAsync(app.Get<ImageStore>().Locate(job.Images.OrderBy(i => i.Index).First())!);
        var infotext = Assert.Single(PngTextChunks.Read(bytes), c => c.Keyword == "parameters").Text;
        Assert.StartsWith("a lighthouse at dusk\nNegative prompt: fog\n", infotext, StringComparison.Ordinal);
        Assert.Contains("Seed: 123456789012345", infotext, StringComparison.Ordinal);
        Assert.Contains("Workflow: Depth ControlNet", infotext, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LoraImageWithDefaultsAndAHiddenField_SendsTheSavedDefaults()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { Loras = ["epiNoiseoffset_v2.safetensors"] });
        var imported = WorkflowImporter.Import(Read("comfyui-png/lora.png"));
        var bindings = imported.Bindings.Select(b => b switch
        {
            { Input: "strength_model" } => b with { Default = JsonValue.Create(0.35) },
            { Input: "steps" } => b with { Default = JsonValue.Create(2), Hidden = true },
            { Input: "ckpt_name" } => b with { Default = JsonValue.Create("v1-5-pruned-emaonly.safetensors") },
            _ => b,
        }).ToList();
        var workflow = await SaveAsync(app, imported with { Bindings = bindings }, "LoRA");

        // A hidden field ignores a value sent for it; the others keep their saved defaults.
        var request = WorkflowRun.CreateRequest(workflow.Ref, [new WorkflowValue("3", "steps", JsonValue.Create(50))], [], SeedMode.Random, null, 1);
        var (_, received) = await RunAsync(app, request);

        Assert.Equal("0.35", received["10"]!["inputs"]!["strength_model"]!.ToJsonString());
        Assert.Equal("epiNoiseoffset_v2.safetensors", received["10"]!["inputs"]!["lora_name"]!.GetValue<string>());
        Assert.Equal("2", received["3"]!["inputs"]!["steps"]!.ToJsonString());
        Assert.NotEqual("851616030078638", received["3"]!["inputs"]!["seed"]!.ToJsonString());
    }

    [Fact]
    public async Task Library_SomeoneElsesWorkflow_CannotBeChangedOrDeletedButAnAdminCan()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var imported = WorkflowImporter.Import(Read("workflows/comfyui_default_txt2img_api.json"));
        var workflow = await SaveAsync(app, imported, "Default");
        var library = app.Get<TeamWorkflows>();
        var other = new SignedInUser(TestUsers.Bob.Id, TestUsers.Bob.UserName, TestUsers.Bob.DisplayName, IsAdmin: false);
        var admin = new SignedInUser(TestUsers.Admin.Id, TestUsers.Admin.UserName, TestUsers.Admin.DisplayName, IsAdmin: true);

        Assert.Equal(TeamWorkflows.NotAllowed, Assert.IsType<WorkflowRefused>(await library.UpdateAsync(other, workflow.Id, "Mine now", "", [], default)).Message);
        Assert.Equal(TeamWorkflows.NotAllowed, Assert.IsType<WorkflowRefused>(await library.DeleteAsync(other, workflow.Id, default)).Message);
        Assert.Equal("Default", (await library.FindAsync(workflow.Id, default))!.Name);

        Assert.IsType<WorkflowSaved>(await library.UpdateAsync(admin, workflow.Id, "Renamed", "", workflow.Bindings, default));
        Assert.Equal("Renamed", (await library.FindAsync(workflow.Id, default))!.Name);
        Assert.IsType<WorkflowSaved>(await library.DeleteAsync(admin, workflow.Id, default));
        Assert.Null(await library.FindAsync(workflow.Id, default));
    }

    [Fact]
    public async Task Library_FieldPointingAtALink_IsRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var imported = WorkflowImporter.Import(Read("workflows/comfyui_default_txt2img_api.json"));
        WorkflowBinding[] bindings = [new("3", "model", BindingKind.Other, "Model", null)];

        var refused = Assert.IsType<WorkflowRefused>(await app.Get<TeamWorkflows>().CreateAsync(Owner, "Bad", "", imported.Graph, bindings, default));

        Assert.Equal("The field 'Model' points at KSampler (#3) › model, which is not a value in this workflow.", refused.Message);
    }
}
