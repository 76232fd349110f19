using System.Diagnostics;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>One job's figures in ms: submit → POST /prompt, final event → image published, and submit → image published.</summary>
internal sealed record AppJob(double SubmitMs, double CompletionMs, double EndToEndMs);

/// <summary>
/// The very first job after the app connected, the measured jobs after the warm-up, the direct loop's jobs run in
/// turn with them, and the thumbnails the app made in the background meanwhile (count and time).
/// </summary>
internal sealed record AppResults(AppJob First, IReadOnlyList<AppJob> Measured, IReadOnlyList<double> Direct, (int Count, TimeSpan Time) Thumbnails);

/// <summary>
/// Runs jobs one at a time through the real app (Kestrel, SQLite, image store) against a zero-step-time stand-in, and
/// after the first, a job of the direct loop before each one: both meet the stand-in in the same state, so the
/// difference is the app's. Between jobs the app is let go quiet so that it makes its thumbnails (background work
/// that waits for a quiet moment), which therefore count in neither figure; their cost is reported on its own.
/// </summary>
internal sealed class AppBenchmark(BenchmarkSettings settings, Uri standIn, string workDirectory)
{
    public async Task<AppResults> RunAsync(DirectLoop direct, CancellationToken ct)
    {
        await using var app = new InProcessApp(standIn, Path.Combine(workDirectory, "data"), settings.AppWarmUp);
        await app.StartAsync(ct);
        var queue = app.Services.GetRequiredService<JobQueue>();
        using var watcher = new ImageWatcher(app.Services.GetRequiredService<JobEvents>());
        var thumbnails = app.Services.GetRequiredService<ThumbnailQueue>();
        await watcher.WarmUpAsync(ct);

        var runs = new List<(Guid JobId, double EndToEndMs)>();
        var directTimes = new List<double>(settings.Jobs);
        for (var i = 0; i < 1 + settings.Warmup + settings.Jobs; i++)
        {
            await WaitUntilQuietAsync(thumbnails, ct);
            if (i > 0)
            {
                var directMs = await direct.RunJobAsync(Workload.DirectSeed(i), ct);
                if (i > settings.Warmup)
                {
                    directTimes.Add(directMs);
                }
                await Task.Delay(Settle, ct); // each job starts from an equally settled machine
            }
            var published = watcher.Arm();
            var started = Stopwatch.GetTimestamp();
            var result = await queue.SubmitAsync(Workload.Request(settings.ImageSize, Workload.AppSeed(i)), "benchmark", ct);
            if (result is not SubmitAccepted { JobIds: [var jobId] })
            {
                throw new InvalidOperationException($"The app refused the benchmark job: {result}");
            }
            var (imageJob, at) = await published.WaitAsync(Workload.JobTimeout, ct);
            if (imageJob != jobId)
            {
                throw new InvalidOperationException($"Expected an image of job {jobId}, got one of {imageJob}.");
            }
            runs.Add((jobId, Stopwatch.GetElapsedTime(started, at).TotalMilliseconds));
        }

        await WaitUntilQuietAsync(thumbnails, ct);
        var jobs = await ReadOverheadsAsync(app.Services.GetRequiredService<IDbContextFactory<DreamLayerDbContext>>(), runs, ct);
        return new AppResults(jobs[0], jobs[(1 + settings.Warmup)..], directTimes, thumbnails.Made);
    }

    /// <summary>Waits until the app has made its thumbnails and settled, so that each job starts from an equally quiet app.</summary>
    internal static async Task WaitUntilQuietAsync(ThumbnailQueue thumbnails, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp();
        while (thumbnails.Pending > 0)
        {
            if (Stopwatch.GetElapsedTime(deadline) > Workload.JobTimeout)
            {
                throw new TimeoutException("The app did not make its thumbnails.");
            }
            await Task.Delay(10, ct);
        }
        await Task.Delay(Settle, ct); // the job's last write (its completion figure) lands after publishing
    }

    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);

    /// <summary>The overheads the app recorded per job (the completion figure is written just after publishing).</summary>
    private static async Task<List<AppJob>> ReadOverheadsAsync(IDbContextFactory<DreamLayerDbContext> dbFactory, List<(Guid JobId, double EndToEndMs)> runs, CancellationToken ct)
    {
        var ids = runs.Select(r => r.JobId).ToList();
        var deadline = Stopwatch.GetTimestamp();
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var rows = await db.Jobs.AsNoTracking().Where(j => ids.Contains(j.Id))
                .Select(j => new { j.Id, j.SubmitOverheadMs, j.CompletionOverheadMs }).ToDictionaryAsync(j => j.Id, ct);
            if (rows.Count == ids.Count && rows.Values.All(r => r is { SubmitOverheadMs: not null, CompletionOverheadMs: not null }))
            {
                return runs.Select(r => new AppJob(rows[r.JobId].SubmitOverheadMs!.Value, rows[r.JobId].CompletionOverheadMs!.Value, r.EndToEndMs)).ToList();
            }
            if (Stopwatch.GetElapsedTime(deadline) > Workload.JobTimeout)
            {
                throw new TimeoutException("The app did not record the overhead of every job.");
            }
            await Task.Delay(50, ct);
        }
    }
}

/// <summary>Hands the next <see cref="ImageCreated"/> (job id and the moment it was published) to whoever armed it.</summary>
internal sealed class ImageWatcher : IDisposable
{
    private readonly IDisposable _subscription;
    private TaskCompletionSource<(Guid JobId, long Timestamp)>? _next;

    public ImageWatcher(JobEvents events) => _subscription = events.Subscribe(OnEvent);

    public Task<(Guid JobId, long Timestamp)> Arm()
    {
        // Continuations run elsewhere: the app's completion worker must not run the benchmark's next submit.
        var next = new TaskCompletionSource<(Guid, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _next, next);
        return next.Task;
    }

    private void OnEvent(JobEvent evt)
    {
        switch (evt)
        {
            case ImageCreated created:
                Resolve(created.JobId);
                break;
            case JobChanged { Job.Status: JobStatus.Failed or JobStatus.Cancelled } changed:
                Volatile.Read(ref _next)?.TrySetException(new InvalidOperationException($"Job {changed.JobId} ended {changed.Job.Status}: {changed.Job.Message}"));
                break;
        }
    }

    /// <summary>
    /// Runs the watcher's own code once (arm, resolve, wait), so that the first job's figure holds the app's first-run
    /// costs and not the benchmark's.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken ct)
    {
        var armed = Arm();
        Resolve(Guid.Empty);
        _ = await armed.WaitAsync(Workload.JobTimeout, ct);
    }

    private void Resolve(Guid jobId) => Volatile.Read(ref _next)?.TrySetResult((jobId, Stopwatch.GetTimestamp()));

    public void Dispose() => _subscription.Dispose();
}

/// <summary>The real app on Kestrel (a loopback port) with its own data folder, pointed at a stand-in; production settings otherwise.</summary>
internal sealed class InProcessApp(Uri standIn, string dataDirectory, bool warmUp = true, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    public async Task StartAsync(CancellationToken ct)
    {
        UseKestrel(0);
        StartServer();
        var backend = Services.GetRequiredService<BackendPool>().Backends[0];
        var deadline = Stopwatch.GetTimestamp();
        while (!backend.IsOnline)
        {
            if (Stopwatch.GetElapsedTime(deadline) > Workload.JobTimeout)
            {
                throw new TimeoutException($"The app did not connect to the stand-in at {standIn}.");
            }
            await Task.Delay(10, ct);
        }
    }

    /// <summary>The address the app listens at on loopback (after <see cref="StartAsync"/>).</summary>
    public Uri Root => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("ComfyUi:Servers:0:Name", "standin");
        builder.UseSetting("ComfyUi:Servers:0:Url", standIn.ToString());
        builder.UseSetting("Storage:DataDirectory", dataDirectory);
        builder.UseSetting("ComfyUi:WarmUp", warmUp ? "true" : "false");
        // Logging as shipped (Information, to the file), but the console keeps to warnings so the table stays readable.
        builder.UseSetting("Serilog:WriteTo:0:Args:restrictedToMinimumLevel", "Warning");
        builder.UseSetting("Serilog:WriteTo:1:Args:path", Path.Combine(dataDirectory, "logs", "dreamlayer-.log"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.UseSetting(key, value);
        }
    }
}
