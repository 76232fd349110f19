using CloudStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Core;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// Cloud jobs through the app's one queue, against the cloud stand-in (and a ComfyUI stand-in that must see none of
/// them): each provider's picture lands in the gallery with everything it was made with, the request is sent once,
/// cancel before and after sending, every refusal in the client's words, restarts mid-poll and mid-call, and no key
/// in any log line.
/// </summary>
public sealed partial class CloudQueueTests : IAsyncLifetime
{
    private const string BflKey = "bfl-queue-test-key-0123456789";

    private CloudStandInServer _cloud = null!;
    private readonly List<string> _dataFolders = [];

    public CloudStandInOptions Options { get; } = new() { Port = 0 };

    public async Task InitializeAsync()
    {
        Options.Keys[CloudProvider.Bfl] = BflKey;
        _cloud = await CloudStandInServer.StartAsync(Options);
    }

    public async Task DisposeAsync()
    {
        await _cloud.DisposeAsync();
        if (_comfy is not null)
        {
            await _comfy.DisposeAsync();
        }
        foreach (var folder in _dataFolders.Where(Directory.Exists))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The app's settings: every provider at the stand-in, polls fast (or as given), OpenAI's and Ideogram's keys from configuration.</summary>
    private Dictionary<string, string?> Settings(string firstPoll = "00:00:00.050") => new()
    {
        ["Cloud:OpenAI:BaseUrl"] = new Uri(_cloud.BaseAddress, "v1").ToString(),
        ["Cloud:Ideogram:BaseUrl"] = _cloud.BaseAddress.ToString(),
        ["Cloud:Bfl:BaseUrl"] = _cloud.BaseAddress.ToString(),
        ["Cloud:FirstPollInterval"] = firstPoll,
        ["Cloud:MaxPollInterval"] = "00:00:00.200",
        ["Cloud:RequestTimeout"] = "00:00:30",
        ["Keys:OpenAI"] = Options.Keys[CloudProvider.OpenAi],
        ["Keys:Ideogram"] = Options.Keys[CloudProvider.Ideogram],
    };

    /// <summary>An app with every cloud provider enabled (BFL's key stored, encrypted, the others from configuration).</summary>
    private async Task<DreamLayerApp> StartAppAsync(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = await DreamLayerApp.StartAsync(settings: settings ?? Settings(), services: services);
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, BflKey, default));
        return app;
    }

    private static GenerationRequest Flux(string prompt, string size = "256x320") => new()
    {
        Prompt = prompt,
        SeedMode = SeedMode.Fixed,
        Seed = 77,
        Cloud = new CloudSetting("Bfl", "flux-pro-1.1")
        {
            Size = size,
            Options = new Dictionary<string, string> { ["safety_tolerance"] = "2", ["output_format"] = "jpeg" },
        },
    };

    private static GenerationRequest GptImage(string prompt) => new()
    {
        Prompt = prompt,
        Cloud = new CloudSetting("OpenAi", "gpt-image-1") { Size = "1024x1024", Options = new Dictionary<string, string> { ["quality"] = "low" } },
    };

    private static async Task<Guid> SubmitAsync(DreamLayerApp app, GenerationRequest request)
    {
        var result = await app.Get<JobQueue>().SubmitAsync(request, app.Alice.Id, default);
        return Assert.Single(Assert.IsType<SubmitAccepted>(result).JobIds);
    }

    private static async Task<JobProgress> EndAsync(DreamLayerApp app, Guid jobId)
    {
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the cloud job to end");
        Assert.True(events.TryGet(jobId, out var done));
        return done;
    }

    private static async Task<(JobEntity Job, List<ImageEntity> Images)> RowsAsync(DreamLayerApp app, Guid jobId)
    {
        await using var db = app.CreateDbContext();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
        var images = await db.Images.AsNoTracking().Where(i => i.JobId == jobId).OrderBy(i => i.Index).ToListAsync();
        return (job, images);
    }

    private int Accepted(string prompt) => _cloud.Accepted.Count(r => r.Prompt == prompt);

    [Fact]
    public async Task Flux_ThroughTheQueue_LandsInTheGallery_WithProviderModelSettingsSeedRequestIdAndCost()
    {
        await using var app = await StartAppAsync();

        var jobId = await SubmitAsync(app, Flux("a lighthouse in fog"));
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        var (job, images) = await RowsAsync(app, jobId);
        var task = Assert.Single(_cloud.Accepted, r => r.Prompt == "a lighthouse in fog");
        Assert.Equal("Bfl", job.CloudProvider);
        Assert.Equal(BflImageProviderName, job.Backend);
        Assert.Equal("flux-pro-1.1", job.Checkpoint);
        Assert.Equal(task.Id, job.CloudRequestId);
        Assert.Equal(4m, job.CloudCost);
        Assert.Equal("credits", job.CloudCostUnit);
        Assert.NotNull(job.CloudTaskJson);
        var image = Assert.Single(images);
        Assert.Equal("Bfl", image.CloudProvider);
        Assert.Equal(77, image.CloudSeed);
        Assert.Equal("flux-pro-1.1", image.Model);
        Assert.Equal((256, 320), (image.Width, image.Height));
        Assert.Equal(app.Alice.DisplayName, image.OwnerName);

        // The file is a PNG (BFL sent a JPEG) whose parameters chunk says everything the row does.
        var file = await File.ReadAllBytesAsync(Path.Combine(app.DataDirectory, "images", image.RelativePath));
        Assert.EndsWith(".png", image.RelativePath, StringComparison.Ordinal);
        var infotext = A1111Infotext.Read(PngTextChunks.Find(file, "parameters")!);
        Assert.Equal("a lighthouse in fog", infotext.Prompt);
        Assert.Equal("256x320", infotext["Size"]);
        Assert.Equal("77", infotext["Seed"]);
        Assert.Equal("flux-pro-1.1", infotext["Model"]);
        Assert.Equal(BflImageProviderName, infotext["Provider"]);
        Assert.Equal("2", infotext["Safety tolerance"]);
        Assert.Equal("jpeg", infotext["Format"]);
        Assert.Equal(task.Id, infotext["Request id"]);
        Assert.Equal("4 credits", infotext["Cost"]);
        Assert.Equal(image.Parameters, PngTextChunks.Find(file, "parameters"));
        Assert.Equal(0, app.StandIn!.PromptsAccepted); // never through ComfyUI
    }

    [Fact]
    public async Task Flux_FormatLeftEmpty_AsksForAPng_AndTheParametersSaySo()
    {
        await using var app = await StartAppAsync();
        var request = Flux("a lighthouse, format left empty");
        request = request with { Cloud = request.Cloud! with { Options = new Dictionary<string, string> { ["safety_tolerance"] = "2" } } };

        // What is sent: BFL's default would be a JPEG; the app asks for the PNG it stores.
        Assert.Equal("png", CloudBackends.ToCloudRequest(request, request.Cloud!, 77).Options["output_format"]);
        var gpt = GptImage("no default of the app's");
        Assert.False(CloudBackends.ToCloudRequest(gpt, gpt.Cloud!, null).Options.ContainsKey("output_format")); // OpenAI's own default applies

        var done = await EndAsync(app, await SubmitAsync(app, request));

        Assert.Equal(JobStatus.Succeeded, done.Status);
        var image = Assert.Single((await RowsAsync(app, done.JobId)).Images);
        var infotext = A1111Infotext.Read(image.Parameters!);
        Assert.Equal("png", infotext["Format"]);
        Assert.Equal("2", infotext["Safety tolerance"]);
    }

    [Fact]
    public async Task GptImage_ThroughTheQueue_StoresThePictureWithTheTokensItCost()
    {
        await using var app = await StartAppAsync();

        var jobId = await SubmitAsync(app, GptImage("a red bicycle"));
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        var (job, images) = await RowsAsync(app, jobId);
        Assert.Equal("OpenAi", job.CloudProvider);
        Assert.Equal("tokens", job.CloudCostUnit);
        Assert.True(job.CloudCost > 0);
        Assert.Null(job.CloudTaskJson);
        var image = Assert.Single(images);
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        Assert.Contains($"Cost: {job.CloudCost!.Value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} tokens", image.Parameters, StringComparison.Ordinal);
        Assert.Contains("Quality: low", image.Parameters, StringComparison.Ordinal);
        Assert.DoesNotContain("Seed:", image.Parameters, StringComparison.Ordinal); // OpenAI takes and reports none
        Assert.Equal(1, Accepted("a red bicycle"));
    }

    [Fact]
    public async Task ProviderCap_KeepsTheSecondJobWaiting_CancellingItDropsIt_CancellingTheSentOneSaysItMayStillBeBilled()
    {
        await using var app = await StartAppAsync();
        await app.Get<CloudBackends>().SetCapAsync(new Web.Accounts.SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true), CloudProviderId.OpenAi, 1, default);
        var faults = _cloud.Faults(CloudProvider.OpenAi);
        faults.HoldAnswers = true;
        var queue = app.Get<JobQueue>();
        var events = app.Get<JobEvents>();

        var sent = await SubmitAsync(app, GptImage("held at the provider"));
        await _cloud.WhenAcceptedAsync(1);
        var waiting = await SubmitAsync(app, GptImage("waiting for a free slot"));
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(sent, out var p) && p.Status == JobStatus.Running && p.Message?.StartsWith("Generating at OpenAI", StringComparison.Ordinal) == true, "the sent job to show it is generating");
        Assert.True(events.TryGet(waiting, out var stillWaiting));
        Assert.Equal(JobStatus.Queued, stillWaiting.Status);

        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(waiting, app.Alice.Id, isAdmin: false, default));
        Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(sent, app.Alice.Id, isAdmin: false, default));
        var dropped = await EndAsync(app, waiting);
        var abandoned = await EndAsync(app, sent);
        faults.HoldAnswers = false;
        faults.ReleaseAnswers();

        Assert.Equal(JobStatus.Cancelled, dropped.Status);
        Assert.Equal("Cancelled.", dropped.Message);
        Assert.Equal(0, Accepted("waiting for a free slot"));
        Assert.Equal(JobStatus.Cancelled, abandoned.Status);
        Assert.Contains("may still make and bill", abandoned.Message, StringComparison.Ordinal);
        Assert.Contains("result is discarded", abandoned.Message, StringComparison.Ordinal);
        var (job, images) = await RowsAsync(app, sent);
        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.Empty(images);
    }

    [Fact]
    public async Task Flux_CancelWhilePolling_StopsFollowingIt_AndSaysBflStillBillsIt()
    {
        await using var app = await StartAppAsync(Settings(firstPoll: "00:10:00"));
        var events = app.Get<JobEvents>();

        var jobId = await SubmitAsync(app, Flux("followed, then cancelled"));
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status == JobStatus.Running, "the task to be accepted");
        Assert.Equal(CancelOutcome.Cancelled, await app.Get<JobQueue>().CancelAsync(jobId, app.Alice.Id, isAdmin: false, default));
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Cancelled, done.Status);
        Assert.Contains("BFL has no cancel", done.Message, StringComparison.Ordinal);
        Assert.Equal(0, app.Get<CloudRunner>().InFlightCount(CloudProviderId.Bfl));
        Assert.Equal(1, Accepted("followed, then cancelled"));
    }

    [Theory]
    [InlineData(Rejection.Unauthorized, "OpenAI refused the API key")]
    [InlineData(Rejection.NoCredits, "quota")]
    [InlineData(Rejection.Moderated, "OpenAI's decision")]
    [InlineData(Rejection.ServerError, "was not sent again")]
    public async Task OpenAiRefusal_EndsTheJobFailed_InTheClientsWords_AndShowsOnTheBackend(Rejection rejection, string words)
    {
        await using var app = await StartAppAsync();

        var done = await RefusedAsync(app, CloudProvider.OpenAi, rejection, GptImage($"refused: {rejection}"));

        Assert.Contains(words, done.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Submits <paramref name="request"/> while <paramref name="provider"/> refuses it this way, and checks what a person
    /// sees: the job failed, its row (the card) and the provider's last error on the Backends page in the same words, no image.
    /// </summary>
    private async Task<JobProgress> RefusedAsync(DreamLayerApp app, CloudProvider provider, Rejection rejection, GenerationRequest request)
    {
        _cloud.Faults(provider).Reject = rejection;
        var jobId = await SubmitAsync(app, request);
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Failed, done.Status);
        var (job, images) = await RowsAsync(app, jobId);
        Assert.Equal(done.Message, job.StatusMessage);
        Assert.Empty(images);
        var backend = Enum.Parse<CloudProviderId>(provider.ToString());
        Assert.Equal(done.Message, app.Get<CloudBackends>().LastError(backend)?.Message);
        return done;
    }

    [Fact]
    public async Task Budget_ASubmitOverIt_IsRefusedWithTheAmountsAndNothingSent_OneWithinIt_RecordsItsCost()
    {
        await using var app = await StartAppAsync();
        var admin = new Web.Accounts.SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);
        Assert.Null(await app.Get<Web.Cloud.Pricing.CloudBudgets>().SetPerPersonAsync(admin, 0.10m, default));

        // gpt-image-1 at low quality, 1024x1024: $0.011 a picture; FLUX 1.1 [pro]: $0.04.
        var first = await SubmitAsync(app, GptImage("within the budget"));
        Assert.Equal(JobStatus.Succeeded, (await EndAsync(app, first)).Status);
        Assert.Equal(0.011m, (await RowsAsync(app, first)).Job.CostUsd);

        var batch = Flux("two runs over the budget") with { BatchCount = 3 }; // 3 × $0.04 = $0.12 > $0.089 left
        var refused = Assert.IsType<SubmitInvalid>(await app.Get<JobQueue>().SubmitAsync(batch, app.Alice.Id, default));
        var error = Assert.Single(refused.Errors);
        Assert.Equal(CloudRequestValidator.ModelField, error.Field);
        Assert.Contains("This would cost $0.12", error.Message, StringComparison.Ordinal);
        Assert.Contains("$0.10, of which $0.011 is spent", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, Accepted("two runs over the budget"));
        await using (var db = app.CreateDbContext())
        {
            Assert.Equal(1, await db.Jobs.CountAsync(j => j.Owner == app.Alice.Id));
        }

        // Bob's budget is his own.
        Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(Flux("Bob's harbour"), app.Bob.Id, default));
    }

    [Fact]
    public async Task Budget_AJobTheProviderRefusedOrThatWasNeverSent_GivesItsCostBack()
    {
        await using var app = await StartAppAsync();
        _cloud.Faults(CloudProvider.OpenAi).Reject = Rejection.Unauthorized;

        var refused = await SubmitAsync(app, GptImage("a refused key costs nothing"));
        Assert.Equal(JobStatus.Failed, (await EndAsync(app, refused)).Status);
        Assert.Equal(0m, (await RowsAsync(app, refused)).Job.CostUsd);

        // A provider that failed with an unknown outcome may have billed: the estimate stays.
        _cloud.Faults(CloudProvider.OpenAi).Reject = Rejection.ServerError;
        var unknown = await SubmitAsync(app, GptImage("a server error may have been billed"));
        Assert.Equal(JobStatus.Failed, (await EndAsync(app, unknown)).Status);
        Assert.Equal(0.011m, (await RowsAsync(app, unknown)).Job.CostUsd);
    }

    [Theory]
    [InlineData("Content Moderated", "withheld the picture")]
    [InlineData("Error", "failed")]
    [InlineData("Task not found", "does not know FLUX task")]
    public async Task FluxTaskEndingBadly_EndsTheJobFailed_InTheClientsWords(string end, string words)
    {
        await using var app = await StartAppAsync();
        _cloud.Faults(CloudProvider.Bfl).EndIn = end;

        var jobId = await SubmitAsync(app, Flux($"ends as {end}"));
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Contains(words, done.Message, StringComparison.Ordinal);
        Assert.Equal(1, Accepted($"ends as {end}"));
    }

    [Fact]
    public async Task AppRestartMidPoll_FollowsTheStoredTaskAgain_FetchesItsImageOnce_NeverSendsItTwice()
    {
        var data = NewDataFolder();
        Guid jobId;
        // The first app waits ten minutes before its first poll: it is stopped while following the accepted task.
        await using (var first = await DreamLayerApp.StartAgainstAsync(await ComfyAsync(), data, Settings(firstPoll: "00:10:00")))
        {
            Assert.Null(await first.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, BflKey, default));
            jobId = await SubmitAsync(first, Flux("survives a restart"));
            await DreamLayerApp.WaitUntilAsync(() => first.Get<JobEvents>().TryGet(jobId, out var p) && p.Status == JobStatus.Running, "the task to be accepted");
            var (stored, _) = await RowsAsync(first, jobId);
            Assert.Contains(stored.CloudRequestId!, stored.CloudTaskJson, StringComparison.Ordinal);
        }

        await using var second = await DreamLayerApp.StartAgainstAsync(_comfy!, data, Settings());
        var done = await EndAsync(second, jobId);

        Assert.Equal(JobStatus.Succeeded, done.Status);
        var (_, images) = await RowsAsync(second, jobId);
        Assert.Single(images);
        Assert.Equal(1, Accepted("survives a restart"));
    }

    [Fact]
    public async Task AppRestartDuringASynchronousCall_EndsTheJobFailed_SayingSo_NeverSendsItAgain()
    {
        var data = NewDataFolder();
        var faults = _cloud.Faults(CloudProvider.OpenAi);
        faults.HoldAnswers = true;
        Guid jobId;
        await using (var first = await DreamLayerApp.StartAgainstAsync(await ComfyAsync(), data, Settings()))
        {
            jobId = await SubmitAsync(first, GptImage("in flight at the restart"));
            await _cloud.WhenAcceptedAsync(1);
        }
        faults.HoldAnswers = false;
        faults.ReleaseAnswers();

        await using var second = await DreamLayerApp.StartAgainstAsync(_comfy!, data, Settings());
        var done = await EndAsync(second, jobId);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Contains("DreamLayer stopped while OpenAI was working on this request", done.Message, StringComparison.Ordinal);
        Assert.Contains("It was not sent again", done.Message, StringComparison.Ordinal);
        Assert.Equal(1, Accepted("in flight at the restart"));
    }

    [Fact]
    public async Task StoredKey_IsInNoLogLine_NorInTheLogFiles_ThroughSuccessAndFailure()
    {
        var logs = new LogCapture();
        var settings = Settings();
        settings["Serilog:MinimumLevel:Default"] = "Verbose";
        settings["Serilog:MinimumLevel:Override:System.Net.Http.HttpClient"] = "Verbose";
        settings["Logging:LogLevel:Default"] = "Trace";
        await using var app = await StartAppAsync(settings, s =>
        {
            s.AddSingleton<ILogEventSink>(logs);
            s.AddSingleton<ILoggerProvider>(logs);
        });

        var succeeded = await EndAsync(app, await SubmitAsync(app, Flux("logged, not the key")));
        _cloud.Faults(CloudProvider.Bfl).Reject = Rejection.Unauthorized;
        var failed = await EndAsync(app, await SubmitAsync(app, Flux("refused, key not logged")));

        Assert.Equal(JobStatus.Succeeded, succeeded.Status);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Contains("BFL refused the API key", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(BflKey, logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(BflKey, failed.Message, StringComparison.Ordinal);
        var logFolder = Path.Combine(app.DataDirectory, "logs");
        foreach (var file in Directory.Exists(logFolder) ? Directory.EnumerateFiles(logFolder) : [])
        {
            using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            Assert.DoesNotContain(BflKey, await reader.ReadToEndAsync(), StringComparison.Ordinal);
        }
    }

    private static GenerationRequest Ideogram(string prompt) => new()
    {
        Prompt = prompt,
        SeedMode = SeedMode.Fixed,
        Seed = 5,
        Cloud = new CloudSetting("Ideogram", "V_3") { AspectRatio = "1:1" },
    };

    [Theory]
    [InlineData(Rejection.Unauthorized, "Ideogram refused the API key (it is wrong or revoked); an admin can replace it under API keys. Nothing was billed.")]
    [InlineData(Rejection.Moderated, "Ideogram's safety check refused the prompt (Ideogram's decision, not the app's)")]
    [InlineData(Rejection.NoCredits, "Ideogram says the account has no credit left: add credit to the Ideogram API account. Nothing was billed.")]
    public async Task IdeogramRefusal_EndsTheJobFailed_InTheClientsWords_NothingBilled(Rejection rejection, string words)
    {
        await using var app = await StartAppAsync();

        var done = await RefusedAsync(app, CloudProvider.Ideogram, rejection, Ideogram($"ideogram refuses: {rejection}"));

        Assert.Contains(words, done.Message, StringComparison.Ordinal);
        Assert.Empty(_cloud.Accepted);
        Assert.Single(_cloud.Requests, r => r.Path == "/v1/ideogram-v3/generate"); // a refusal is not sent again
    }

    [Fact]
    public async Task RateLimitedBeforeAcceptance_SentAgainWithinTheLimit_ThenFailed_SayingWhenToRetry()
    {
        var settings = Settings();
        settings["Cloud:MaxRetries"] = "2";
        await using var app = await StartAppAsync(settings);
        var faults = _cloud.Faults(CloudProvider.OpenAi);
        faults.Reject = Rejection.RateLimited;
        faults.RetryAfterSeconds = 1;

        var limited = await EndAsync(app, await SubmitAsync(app, GptImage("rate limited every time")));

        Assert.Equal(JobStatus.Failed, limited.Status);
        Assert.Contains("OpenAI is rate-limiting this key; try again in 1 s. Nothing was billed.", limited.Message, StringComparison.Ordinal);
        Assert.Equal(3, _cloud.Requests.Count(r => r.Path == "/v1/images/generations" && r.Status == 429)); // the first and 2 retries
        Assert.Empty(_cloud.Accepted);

        // Limited once only: the retry, after the wait the provider asked for, is accepted and billed once.
        faults.Reject = Rejection.RateLimited;
        faults.RejectCount = 1;
        var retried = await EndAsync(app, await SubmitAsync(app, GptImage("rate limited once")));

        Assert.Equal(JobStatus.Succeeded, retried.Status);
        Assert.Equal(4, _cloud.Requests.Count(r => r.Path == "/v1/images/generations" && r.Status == 429));
        Assert.Equal(1, Accepted("rate limited once"));
    }

    [Fact]
    public async Task NoAnswerWithinTheTimeout_EndsTheJobFailed_SayingItMayHaveBeenBilled_NeverSentAgain()
    {
        var settings = Settings();
        settings["Cloud:RequestTimeout"] = "00:00:01";
        await using var app = await StartAppAsync(settings);
        var faults = _cloud.Faults(CloudProvider.OpenAi);
        faults.HoldAnswers = true; // accepted, then no answer until released

        var done = await EndAsync(app, await SubmitAsync(app, GptImage("no answer in time")));
        faults.Reset();

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Contains("No answer from OpenAI within 1 s", done.Message, StringComparison.Ordinal);
        Assert.Contains("may have made and billed it; it was not sent again", done.Message, StringComparison.Ordinal);
        Assert.Equal(1, Accepted("no answer in time"));
    }

    [Fact]
    public async Task Flux_ResultAddressExpiredBeforeTheFetch_EndsTheJobFailed_SayingItWasBilled_NeverSentAgain()
    {
        await using var app = await StartAppAsync();
        _cloud.Faults(CloudProvider.Bfl).UrlLifetimeSeconds = 0; // the result URL is expired when it is made

        var jobId = await SubmitAsync(app, Flux("fetched too late"));
        var done = await EndAsync(app, jobId);

        Assert.Equal(JobStatus.Failed, done.Status);
        Assert.Contains($"The picture's address at {BflImageProviderName} had expired (it answered 403) before it was fetched", done.Message, StringComparison.Ordinal);
        Assert.Contains("The request was billed; it was not sent again.", done.Message, StringComparison.Ordinal);
        Assert.Empty((await RowsAsync(app, jobId)).Images);
        Assert.Equal(1, Accepted("fetched too late"));
    }

    [Fact]
    public async Task StoredKeys_AreNotInTheLogFile_NorInTheKeysPage_TheBackendsPage_OrAFailedJobsCard()
    {
        const string OpenAiKey = "sk-stored-openai-0123456789abcdef", IdeogramKey = "stored-ideogram-0123456789abcdef";
        Options.Keys[CloudProvider.OpenAi] = OpenAiKey;
        Options.Keys[CloudProvider.Ideogram] = IdeogramKey;
        var settings = Settings();
        settings.Remove("Keys:OpenAI");
        settings.Remove("Keys:Ideogram");
        settings["Serilog:MinimumLevel:Default"] = "Verbose"; // the file gets every line the app writes
        await using var app = await StartAppAsync(settings);
        var logFolder = Path.Combine(app.DataDirectory, "logs"); // the app's own log file, from appsettings.json's file sink
        var keys = app.Get<ProviderKeys>();
        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.OpenAI, OpenAiKey, default));
        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.Ideogram, IdeogramKey, default));

        // One picture made with each stored key, then each key refused by its provider.
        Assert.Equal(JobStatus.Succeeded, (await EndAsync(app, await SubmitAsync(app, Flux("made with a stored key")))).Status);
        Assert.Equal(JobStatus.Succeeded, (await EndAsync(app, await SubmitAsync(app, GptImage("made with a stored OpenAI key")))).Status);
        Assert.Equal(JobStatus.Succeeded, (await EndAsync(app, await SubmitAsync(app, Ideogram("made with a stored Ideogram key")))).Status);
        foreach (var provider in Enum.GetValues<CloudProvider>())
        {
            _cloud.Faults(provider).Reject = Rejection.Unauthorized;
        }
        var failed = new[] { await SubmitAsync(app, Flux("refused flux")), await SubmitAsync(app, GptImage("refused gpt")), await SubmitAsync(app, Ideogram("refused ideogram")) };
        foreach (var jobId in failed)
        {
            Assert.Equal(JobStatus.Failed, (await EndAsync(app, jobId)).Status);
        }

        using var admin = await app.CreateClientAsync(app.Admin);
        using var alice = await app.CreateClientAsync(app.Alice);
        var keysPage = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/settings/keys", UriKind.Relative)));
        var backendsPage = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/backends", UriKind.Relative)));
        var cardsPage = System.Net.WebUtility.HtmlDecode(await alice.GetStringAsync(new Uri("/", UriKind.Relative)));
        // Each page shows what it is about: the keys by their last four, the providers' last errors, the failed jobs' cards.
        Assert.Contains("••••" + BflKey[^4..], keysPage, StringComparison.Ordinal);
        Assert.Contains("••••" + OpenAiKey[^4..], keysPage, StringComparison.Ordinal);
        Assert.Contains("OpenAI refused the API key", backendsPage, StringComparison.Ordinal);
        Assert.Contains("BFL refused the API key", backendsPage, StringComparison.Ordinal);
        Assert.Contains("Ideogram refused the API key", cardsPage, StringComparison.Ordinal);
        Assert.Contains("BFL refused the API key", cardsPage, StringComparison.Ordinal);

        var logFiles = Directory.GetFiles(logFolder);
        Assert.NotEmpty(logFiles);
        var log = string.Concat(logFiles.Select(ReadShared));
        var task = Assert.Single(_cloud.Accepted, r => r.Prompt == "made with a stored key");
        Assert.Contains($"FLUX task {task.Id} accepted", log, StringComparison.Ordinal); // the file is the app's log, written as it runs
        foreach (var key in new[] { BflKey, OpenAiKey, IdeogramKey })
        {
            foreach (var (where, text) in new[] { ("the log file", log), ("/settings/keys", keysPage), ("/backends", backendsPage), ("the job cards", cardsPage) })
            {
                Assert.False(text.Contains(key[..^4], StringComparison.Ordinal), $"A stored key (all but its last four) is in {where}.");
                Assert.False(text.Contains(key[4..], StringComparison.Ordinal), $"A stored key (all but its first four) is in {where}.");
            }
        }
    }

    /// <summary>A log file's text while the app still holds it open for writing.</summary>
    private static string ReadShared(string path)
    {
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task RequestTheModelDoesNotTake_IsRefusedOnItsField_BeforeAnythingIsQueued()
    {
        await using var app = await StartAppAsync();

        var result = await app.Get<JobQueue>().SubmitAsync(Flux("too wide", size: "2000x320") with { NegativePrompt = "blur" }, app.Alice.Id, default);

        var invalid = Assert.IsType<SubmitInvalid>(result);
        Assert.Contains(invalid.Errors, e => e.Field == CloudRequestValidator.SizeField);
        Assert.Contains(invalid.Errors, e => e.Field == CloudRequestValidator.NegativeField);
        Assert.DoesNotContain(_cloud.Requests, r => r.Prompt == "too wide");
    }

    [Fact]
    public async Task ProviderWithoutAKey_RefusesTheJob_SayingAnAdminAddsOne()
    {
        var settings = Settings();
        settings.Remove("Keys:Ideogram");
        await using var app = await DreamLayerApp.StartAsync(settings: settings);

        var result = await app.Get<JobQueue>().SubmitAsync(new GenerationRequest { Prompt = "no key", Cloud = new CloudSetting("Ideogram", "V_3") }, app.Alice.Id, default);

        var error = Assert.Single(Assert.IsType<SubmitInvalid>(result).Errors);
        Assert.Equal("Ideogram has no key; an admin adds one under API keys.", error.Message);
    }

    private const string BflImageProviderName = "Black Forest Labs (FLUX)";

    private ComfyStandIn.StandInServer? _comfy;

    /// <summary>One ComfyUI stand-in shared by the two apps of a restart (it sees no cloud job).</summary>
    private async Task<ComfyStandIn.StandInServer> ComfyAsync()
    {
        _comfy ??= await ComfyStandIn.StandInServer.StartAsync(new ComfyStandIn.StandInOptions { Port = 0 });
        return _comfy;
    }

    private string NewDataFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dreamlayer-cloudq-" + Guid.NewGuid().ToString("N"));
        _dataFolders.Add(folder);
        return folder;
    }
}
