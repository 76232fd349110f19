using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Operations;
using DreamLayer.Web.Tests.Domain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>The walk through a job's pure steps that runs before the first server is shown online.</summary>
public sealed class PipelineWarmUpTests
{
    [Fact]
    public async Task Against_a_real_servers_catalogue_every_step_runs_and_nothing_is_sent()
    {
        var (warmUp, log) = Create();
        var backend = Backend(CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson)));

        await warmUp.RunAsync(backend, CancellationToken.None);

        Assert.Empty(log.Messages); // a step that threw would say so (and the HTTP factory below refuses any call)
    }

    [Fact]
    public async Task A_catalogue_it_cannot_use_costs_the_head_start_only()
    {
        var (warmUp, log) = Create();
        var catalogue = """{"KSampler": {"input": {"required": {"sampler_name": [["euler"]]}}, "output": ["LATENT"], "output_node": false, "name": "KSampler"}}""";
        var backend = Backend(CatalogueJson.Parse(catalogue));

        var walk = await Record.ExceptionAsync(() => warmUp.RunAsync(backend, CancellationToken.None));

        Assert.Null(walk);
    }

    [Fact]
    public async Task Switched_off_it_does_not_walk()
    {
        var (on, _) = Create();
        var (off, offLog) = Create(warmUp: false);
        var catalogue = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        // A walk that starts stops with the cancellation at its first call that listens (the POST /prompt at the latest).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => on.RunAsync(Backend(catalogue), cancelled.Token));
        await off.RunAsync(Backend(catalogue), cancelled.Token);

        Assert.Empty(offLog.Messages);
    }

    [Fact]
    public async Task Switched_off_the_start_up_warm_up_touches_nothing()
    {
        // Every service it would use is missing: any step that ran would throw.
        var warmUp = new StartupWarmUp(null!, null!, null!, null!, null!, Options.Create(new ComfyUiOptions { WarmUp = false }));

        var started = await Record.ExceptionAsync(() => warmUp.StartAsync(CancellationToken.None));

        Assert.Null(started);
    }

    private static ComfyBackend Backend(ObjectInfo info)
    {
        var backend = new ComfyBackend("gpu-1", new Uri("http://127.0.0.1:9/"));
        backend.SetObjectInfo(info, new Dictionary<GenerationMode, string>());
        return backend;
    }

    private static (PipelineWarmUp WarmUp, ListLogger Log) Create(bool warmUp = true)
    {
        var pool = new BackendPool(Options.Create(new ComfyUiOptions()), new NoHttpClients());
        var log = new ListLogger();
        var storage = new StorageOptions { DataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-warmup-tests") };
        var uploads = new JobUploads(new UploadStore(StoragePaths.Resolve(storage, Path.GetTempPath()), Options.Create(storage), new ImageGate(Options.Create(storage)), TimeProvider.System));
        return (new PipelineWarmUp(new WorkflowLibrary(TestPaths.Workflows), pool, uploads, new MemoryTrim(NullLogger<MemoryTrim>.Instance),
            Options.Create(new ComfyUiOptions { WarmUp = warmUp }), log), log);
    }

    private sealed class NoHttpClients : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => throw new InvalidOperationException("The warm-up must not call a server.");
    }

    private sealed class ListLogger : ILogger<PipelineWarmUp>
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
