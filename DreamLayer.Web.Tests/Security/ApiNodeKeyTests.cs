using System.Net;
using System.Text;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;

namespace DreamLayer.Web.Tests.Security;

/// <summary>
/// Team workflows with ComfyUI's paid API nodes, through the real app against the ComfyUI stand-in: the Comfy.org key
/// goes in that prompt's <c>extra_data.api_key_comfy_org</c> and nowhere else; without a key the job is refused before it
/// is sent, naming the nodes.
/// </summary>
public sealed class ApiNodeKeyTests
{
    private const string ComfyOrgKey = "comfyui-0123456789abcdefSECRETkey7q3z";

    private static readonly SignedInUser Member = new(TestUsers.Alice.Id, TestUsers.Alice.UserName, TestUsers.Alice.DisplayName, IsAdmin: false);

    /// <summary>OpenAI GPT Image 1 (an API node) saved by Save Image, as a person exports it from ComfyUI.</summary>
    private const string GptImageWorkflow = """
        {
          "1": { "class_type": "OpenAIGPTImage1", "inputs": { "prompt": "a lighthouse with a legible sign", "seed": 7, "quality": "low", "background": "opaque", "size": "1024x1024", "n": 1 } },
          "2": { "class_type": "SaveImage", "inputs": { "images": ["1", 0], "filename_prefix": "api" } }
        }
        """;

    private static async Task<(Guid WorkflowId, GenerationRequest Request)> SaveGptImageWorkflowAsync(DreamLayerApp app, SeedMode seedMode = SeedMode.Fixed)
    {
        var imported = WorkflowImporter.Import(Encoding.UTF8.GetBytes(GptImageWorkflow));
        var library = app.Get<TeamWorkflows>();
        var saved = Assert.IsType<WorkflowSaved>(await library.CreateAsync(Member, "Sign painter", "GPT Image 1 through ComfyUI", imported.Graph, imported.Bindings, default));
        var workflow = (await library.FindAsync(saved.Id, default))!;
        // As the Run page makes it: with the catalogue its form was built from.
        return (saved.Id, WorkflowRun.CreateRequest(workflow.Ref, [], [], seedMode, seedMode == SeedMode.Fixed ? 7 : null, 1, app.Backend.ObjectInfo));
    }

    private static async Task<JobProgress> RunAsync(DreamLayerApp app, GenerationRequest request)
    {
        var jobId = Assert.Single(Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, Member.Id, default)).JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");
        events.TryGet(jobId, out var done);
        return done!;
    }

    [Fact]
    public async Task ApiNodeWorkflow_WithARandomSeed_GetsOneTheNodeTakes_AndRuns()
    {
        // The API nodes take seeds up to 2147483647; the app's random seeds otherwise go up to 2^53 - 1.
        await using var app = await DreamLayerApp.StartAsync();
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, ComfyOrgKey, default));
        var (_, request) = await SaveGptImageWorkflowAsync(app, SeedMode.Random);

        var done = await RunAsync(app, request);

        Assert.True(done.Status == JobStatus.Succeeded, done.Message);
        Assert.InRange(done.Seed, 0UL, 2147483647UL);
    }

    [Fact]
    public async Task ApiNodeWorkflow_WithComfyOrgKey_RunsAndOnlyItsPromptCarriesTheKey_WhichIsNowhereElse()
    {
        // Every log event the app writes (Debug and up) is kept, and then searched for the key.
        var logs = new CapturedLog();
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Debug" },
            services: s => s.AddSingleton<ILogEventSink>(logs));
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, ComfyOrgKey, default));

        var txt2img = await RunAsync(app, new GenerationRequest
        {
            Prompt = "a red fox in snow",
            Checkpoint = "v1-5-pruned-emaonly.safetensors",
            Sampler = "euler",
            Scheduler = "normal",
            Steps = 2,
            Cfg = 6.5,
            Width = 256,
            Height = 256,
        });
        Assert.True(txt2img.Status == JobStatus.Succeeded, txt2img.Message);
        var (workflowId, request) = await SaveGptImageWorkflowAsync(app);
        var done = await RunAsync(app, request);
        Assert.True(done.Status == JobStatus.Succeeded, done.Message);

        // The stand-in records what each prompt carried: the txt2img prompt no key, the API node's prompt the stored one.
        await using var db = app.CreateDbContext();
        var jobs = await db.Jobs.Include(j => j.Images).AsNoTracking().ToListAsync();
        var apiJob = jobs.Single(j => j.Id == done.JobId);
        var plainJob = jobs.Single(j => j.Id == txt2img.JobId);
        Assert.Equal([(plainJob.PromptId!, (string?)null), (apiJob.PromptId!, ComfyOrgKey)], app.StandIn!.PromptKeys);

        // The image arrived, and its PNG (prompt, workflow and parameters chunks) does not carry the key.
        var image = Assert.Single(apiJob.Images);
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        var chunks = PngTextChunks.Read(await File.ReadAllBytesAsync(app.Get<ImageStore>().Locate(image)!));
        Assert.Contains(chunks, c => c.Keyword == "workflow");
        Assert.All(chunks, c => Assert.DoesNotContain(ComfyOrgKey, c.Text, StringComparison.Ordinal));

        // The stored job rows (request, graph, message) do not.
        foreach (var job in jobs)
        {
            Assert.DoesNotContain(ComfyOrgKey, $"{job.RequestJson}|{job.GraphJson}|{job.StatusMessage}", StringComparison.Ordinal);
        }

        // The pages a member and an admin see do not.
        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);
        foreach (var (client, path) in new[] { (member, "/queue"), (member, "/gallery"), (member, $"/workflows/{workflowId}/run"), (admin, "/settings/keys") })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.DoesNotContain(ComfyOrgKey, html, StringComparison.Ordinal);
            Assert.DoesNotContain(ComfyOrgKey[..16], html, StringComparison.Ordinal);
        }

        // Nor does any log line the app wrote, which did log the run (its end is logged just after the job's card hears of it).
        await DreamLayerApp.WaitUntilAsync(() => logs.Lines.Any(l => l.Contains(done.JobId.ToString(), StringComparison.OrdinalIgnoreCase)), "the app to log the job's end");
        var logText = string.Join('\n', logs.Lines);
        Assert.DoesNotContain(ComfyOrgKey, logText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiNodeWorkflow_WithoutComfyOrgKey_IsRefusedBeforeSending_NamingTheNode()
    {
        await using var app = await DreamLayerApp.StartAsync();

        var done = await RunAsync(app, (await SaveGptImageWorkflowAsync(app)).Request);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Equal(ApiNodeKeys.Missing(["OpenAI GPT Image 1"]), done.Message);
        Assert.Contains("This workflow uses OpenAI GPT Image 1.", done.Message, StringComparison.Ordinal);
        Assert.Contains("Comfy.org key", done.Message, StringComparison.Ordinal);
        Assert.Empty(app.StandIn!.PromptKeys); // nothing was sent
    }
}
