using System.Net;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// The catalogue over several stand-ins with different model folders: which server has or lacks each model, the
/// family read from the file (where the app reaches the folder) or from <c>/view_metadata</c>, an older server read
/// through <c>/object_info</c>, hidden models refused on submit, and the admin-only actions.
/// </summary>
public sealed class ModelCatalogueTests : IAsyncLifetime
{
    private const string SdxlBase = "sdxl/base.safetensors";
    private const string Sd15 = "v1-5.safetensors";
    private const string RemoteOnly = "remote-xl.safetensors";
    private const string StyleLora = "style.safetensors";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dl-models-" + Guid.NewGuid().ToString("N"));
    private string Reachable => Path.Combine(_root, "gpu-a");
    private string Remote => Path.Combine(_root, "gpu-b");

    private static SignedInUser Actor(TestUser user) => new(user.Id, user.UserName, user.DisplayName, user.Role == Roles.Admin);

    public Task InitializeAsync()
    {
        SafetensorsFiles.Write(Reachable, "checkpoints", SdxlBase, SafetensorsFiles.SdxlCheckpoint);
        SafetensorsFiles.Write(Reachable, "checkpoints", Sd15, SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(Reachable, "loras", StyleLora, SafetensorsFiles.Sd15Lora);
        SafetensorsFiles.Write(Remote, "checkpoints", Sd15, SafetensorsFiles.Sd15Checkpoint);
        // No tensor names the app could read: only the server's /view_metadata tells the family.
        SafetensorsFiles.Write(Remote, "checkpoints", RemoteOnly, ["x.weight"], new Dictionary<string, string> { ["ss_base_model_version"] = "sdxl_base_v1-0" });
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private Task<DreamLayerApp> StartAsync() => DreamLayerApp.StartManyAsync(
        [new StandInOptions { ModelsDirectory = Reachable, Previews = false }, new StandInOptions { ModelsDirectory = Remote, Previews = false }],
        new Dictionary<string, string?> { ["ComfyUi:Servers:0:ModelsDirectory"] = Reachable });

    /// <summary>The rows once the catalogue lists <paramref name="expected"/> models, each with its family read (when <paramref name="readable"/>).</summary>
    private static async Task<IReadOnlyList<ModelRow>> RowsWhenInspectedAsync(DreamLayerApp app, int expected, bool readable = true)
    {
        var overview = app.Get<ModelOverview>();
        IReadOnlyList<ModelRow> rows = [];
        await DreamLayerApp.WaitUntilAsync(() =>
        {
            rows = overview.QueryAsync(new ModelQuery(), default).GetAwaiter().GetResult();
            return rows.Count == expected && rows.All(r => r.Info.Inferred is { } family && (family != ModelFamily.Unknown || !readable));
        }, "the catalogue to read and inspect every server");
        return rows;
    }

    /// <summary>Times used and last used come from the job history: a checkpoint by its jobs, a LoRA by its images' LoRA tags.</summary>
    [Fact]
    public async Task Overview_SortedByTimesUsed_CountsTheJobsThatUsedACheckpointAndALora()
    {
        await using var app = await StartAsync();
        await RowsWhenInspectedAsync(app, 4);
        // The images' LoRAs are the prompt's <lora:…> tags, as the gallery's LoRA filter reads them.
        var request = new GenerationRequest { Prompt = "a lighthouse <lora:style:0.8>", Checkpoint = Sd15, Steps = 2, Width = 256, Height = 256 };
        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, app.Admin.Id, default));
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(accepted.JobIds[0], out var p) && p.Status.IsTerminal(), "the job to finish");
        var overview = app.Get<ModelOverview>();

        overview.InvalidateUsage();
        var rows = await overview.QueryAsync(new ModelQuery(Sort: ModelSort.TimesUsed, Descending: true), default);

        Assert.Equal([(StyleLora, 1), (Sd15, 1)], rows.Take(2).Select(r => (r.Model.Name, r.Use.Times)).Order());
        Assert.All(rows.Take(2), r => Assert.NotNull(r.Use.Last));
        Assert.All(rows.Skip(2), r => Assert.Equal(0, r.Use.Times));
    }

    [Fact]
    public async Task Catalogue_ListsEveryServersModels_WithWhoLacksThem_TheirFamily_AndSizeWhereReachable()
    {
        await using var app = await StartAsync();
        var rows = await RowsWhenInspectedAsync(app, 4);
        var (a, b) = (DreamLayerApp.ServerName(0), DreamLayerApp.ServerName(1));

        var sdxl = rows.Single(r => r.Model.Name == SdxlBase);
        Assert.Equal([a], sdxl.Model.Servers);
        Assert.Equal([b], sdxl.Lacking);
        Assert.Equal(ModelFamily.Sdxl, sdxl.Info.Family); // from the file's tensor names
        Assert.Equal(new FileInfo(Path.Combine(Reachable, "checkpoints", SdxlBase)).Length, sdxl.Size);

        var shared = rows.Single(r => r.Model.Name == Sd15);
        Assert.Equal([a, b], shared.Model.Servers);
        Assert.Empty(shared.Lacking);
        Assert.Equal(ModelFamily.Sd15, shared.Info.Family);

        var remote = rows.Single(r => r.Model.Name == RemoteOnly);
        Assert.Equal(ModelFamily.Sdxl, remote.Info.Family); // from gpu-b's /view_metadata
        Assert.Null(remote.Size); // the app does not reach gpu-b's folder

        Assert.Equal(ModelKind.Loras, rows.Single(r => r.Model.Name == StyleLora).Model.Kind);

        var onlyB = await app.Get<ModelOverview>().QueryAsync(new ModelQuery(Server: b, Family: ModelFamily.Sdxl), default);
        Assert.Equal([RemoteOnly], onlyB.Select(r => r.Model.Name));
        var searched = await app.Get<ModelOverview>().QueryAsync(new ModelQuery(Search: "XL", Sort: ModelSort.Size, Descending: true), default);
        Assert.Equal([SdxlBase, RemoteOnly], searched.Select(r => r.Model.Name));
    }

    /// <summary>
    /// The host gives all its services one shutdown time; when others used it up, the Models page's service is asked to
    /// stop with a token already cancelled, and must return rather than fail the whole stop (as a BackgroundService does).
    /// </summary>
    [Fact]
    public async Task Overview_StoppedWhenTheHostsShutdownTimeIsUsedUp_ReturnsWithoutFailingTheStop()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { Previews = false });

        await app.Get<ModelOverview>().StopAsync(new CancellationToken(canceled: true));
    }

    [Fact]
    public async Task AnOlderServerWithoutModelsRoutes_IsReadThroughObjectInfo()
    {
        await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { ModelsDirectory = Reachable, NoModelsRoutes = true, Previews = false });
        var rows = await RowsWhenInspectedAsync(app, 3, readable: false); // no folder the app reaches, no metadata in the files

        Assert.Equal(new[] { SdxlBase, StyleLora, Sd15 }.Order(StringComparer.Ordinal), rows.Select(r => r.Model.Name).Order(StringComparer.Ordinal));
        Assert.Contains(rows, r => r.Model.Name == SdxlBase && r.Model.Kind == ModelKind.Checkpoints);
    }

    [Fact]
    public async Task HiddenModel_IsRefusedOnSubmitForMembers_WhicheverWayItArrives_ButNotForAdmins()
    {
        await using var app = await StartAsync();
        await RowsWhenInspectedAsync(app, 4);
        var settings = app.Get<ModelSettings>();
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        Assert.Null(await settings.BulkAsync(Actor(app.Admin), [new ModelKey("checkpoints", Sd15), new ModelKey("loras", StyleLora)], BulkModelAction.Hide, null, null, default));

        var form = new GenerationRequest { Prompt = "a lighthouse", Checkpoint = Sd15, Width = 256, Height = 256, Steps = 4 };
        var refused = Assert.IsType<SubmitInvalid>(await queue.SubmitAsync(form, app.Alice.Id, default));
        var error = Assert.Single(refused.Errors);
        Assert.Equal(nameof(GenerationRequest.Checkpoint), error.Field);
        Assert.Equal($"The checkpoint {Sd15} is not available: an admin has hidden it. Pick another one.", error.Message);

        // A LoRA named only by a prompt tag (pasted or reused) is refused the same way.
        var tagged = form with { Checkpoint = SdxlBase, Prompt = "a lighthouse <lora:style:0.8>" };
        var loraError = Assert.Single(Assert.IsType<SubmitInvalid>(await queue.SubmitAsync(tagged, app.Alice.Id, default)).Errors);
        Assert.Equal(nameof(GenerationRequest.Loras), loraError.Field);
        Assert.Contains(StyleLora, loraError.Message, StringComparison.Ordinal);

        Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(form, app.Admin.Id, default));
        Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(form with { Checkpoint = SdxlBase }, app.Alice.Id, default));
        Assert.Null(await settings.BulkAsync(Actor(app.Admin), [new ModelKey("checkpoints", Sd15)], BulkModelAction.Show, null, null, default));
        Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(form, app.Alice.Id, default));
    }

    [Fact]
    public async Task ModelManagement_IsForAdminsOnly_OnThePageAndInEveryAction()
    {
        await using var app = await StartAsync();
        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);

        using var denied = await member.GetAsync(new Uri("/models", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, denied.StatusCode);
        using var deniedPage = await member.GetAsync(denied.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, deniedPage.StatusCode);
        using var allowed = await admin.GetAsync(new Uri("/models", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);

        var key = new ModelKey("checkpoints", Sd15);
        var edit = new ModelEdit(key, "Mine", null, null, null, null, null, null, Hidden: true, ModelDefaults.None);
        Assert.Equal("Only an admin can change models.", await app.Get<ModelSettings>().SaveAsync(Actor(app.Alice), edit, default));
        Assert.Equal("Only an admin can change models.", await app.Get<ModelSettings>().BulkAsync(Actor(app.Alice), [key], BulkModelAction.Hide, null, null, default));
        Assert.False(app.Get<ModelSettings>().IsHidden(key.Folder, key.Name));
        var (freed, why) = await app.Get<ServerMemory>().FreeAsync(Actor(app.Alice), DreamLayerApp.ServerName(0), true, default);
        Assert.False(freed);
        Assert.Equal("Only an admin can free a server's memory.", why);
        Assert.Empty(app.StandIns[0].FreeRequests);
    }

    [Fact]
    public async Task FreeMemory_AndUnloadModels_AskTheServer()
    {
        await using var app = await StartAsync();
        var memory = app.Get<ServerMemory>();

        Assert.True((await memory.FreeAsync(Actor(app.Admin), DreamLayerApp.ServerName(1), freeMemory: false, default)).Done);
        Assert.True((await memory.FreeAsync(Actor(app.Admin), DreamLayerApp.ServerName(1), freeMemory: true, default)).Done);

        Assert.Equal([(true, false), (true, true)], app.StandIns[1].FreeRequests);
        Assert.Empty(app.StandIns[0].FreeRequests);
    }

    [Fact]
    public async Task Edit_IsValidated_Saved_AndAppliesTheFamilysSizeWhenNoneIsSet()
    {
        await using var app = await StartAsync();
        await RowsWhenInspectedAsync(app, 4);
        var settings = app.Get<ModelSettings>();
        var key = new ModelKey("checkpoints", SdxlBase);
        var edit = new ModelEdit(key, "SDXL base", "The base", null, "1.0", "https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0",
            "base, photo", null, Hidden: false, new ModelDefaults(Steps: 30, Cfg: 6.5, Sampler: "dpmpp_2m"));

        Assert.Equal("The source link must be an http:// or https:// address, such as the model's Civitai or Hugging Face page.",
            await settings.SaveAsync(Actor(app.Admin), edit with { SourceUrl = "javascript:alert(1)" }, default));
        Assert.Equal("The default width and height must be multiples of 8 from 64 to 16384.",
            await settings.SaveAsync(Actor(app.Admin), edit with { Defaults = new ModelDefaults(Width: 1000, Height: 1001) }, default));
        Assert.Null(await settings.SaveAsync(Actor(app.Admin), edit, default));

        var info = settings.Get(key);
        Assert.Equal("SDXL base", info.Title);
        Assert.Equal(["base", "photo"], info.Tags);
        Assert.Equal(new ModelDefaults(Width: 1024, Height: 1024, Steps: 30, Cfg: 6.5, Sampler: "dpmpp_2m"), info.EffectiveDefaults);

        await settings.ReloadAsync(default); // what a restart reads back
        var reread = settings.Get(key);
        Assert.Equal((info.Title, info.Description, info.Version, info.SourceUrl, info.Hidden, info.Defaults), (reread.Title, reread.Description, reread.Version, reread.SourceUrl, reread.Hidden, reread.Defaults));
        Assert.Equal(info.Tags, reread.Tags);
    }

    [Fact]
    public async Task ServerModelsFolder_IsSetPerServer_AndFallsBackToTheGlobalOne()
    {
        await using var app = await StartAsync();
        var backends = app.Get<BackendSettings>();
        var folders = app.Get<IModelFolders>();
        var b = DreamLayerApp.ServerName(1);
        var url = app.StandIns[1].BaseAddress.ToString();

        var refused = Assert.IsType<BackendRefused>(await backends.SaveAsync(b, b, url, 2, true, default, Path.Combine(_root, "missing")));
        Assert.Contains("cannot find the folder", refused.Reason, StringComparison.Ordinal);
        Assert.IsType<BackendRefused>(await backends.SaveAsync(b, b, url, 2, true, default, "relative/models"));
        Assert.Null(folders.RootFor(b));

        Assert.IsType<BackendChanged>(await backends.SaveAsync(b, b, url, 2, true, default, Remote));
        Assert.Equal(Remote, folders.RootFor(b));
        Assert.Equal(Reachable, folders.RootFor(DreamLayerApp.ServerName(0)));
        Assert.True(app.Backends[1].IsOnline); // only the folder changed: the same connection

        await app.Get<ModelCatalogue>().RefreshAsync(app.Backends[1], default);
        var remote = (await app.Get<ModelOverview>().QueryAsync(new ModelQuery(Search: RemoteOnly), default)).Single();
        Assert.Equal(new FileInfo(Path.Combine(Remote, "checkpoints", RemoteOnly)).Length, remote.Size);
    }
}
