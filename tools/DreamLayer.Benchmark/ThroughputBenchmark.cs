using System.Diagnostics;
using System.Globalization;
using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>One run of the throughput figure: K servers, the wall time, each server's busy time, and what was lost or doubled.</summary>
internal sealed record ThroughputRun(int Servers, int Jobs, TimeSpan Wall, IReadOnlyList<(string Name, TimeSpan Busy, int Prompts)> PerServer, int Lost, int Duplicated, IdleGaps Gaps)
{
    public double JobsPerSecond => Jobs / Wall.TotalSeconds;
}

/// <summary>
/// Where servers stood idle, measured by the stand-ins themselves: <paramref name="Starved"/> the most time one server
/// waited with an empty queue between its first and last prompt (the app was late to refill it), <paramref name="BeforeFirst"/>
/// from the start of submitting to the last server's first prompt, <paramref name="AfterLast"/> from the first server to
/// run out of work to the last image saved, and <paramref name="MinBusyBetween"/> the lowest busy fraction between a
/// server's own first and last prompt.
/// </summary>
internal sealed record IdleGaps(TimeSpan Starved, TimeSpan BeforeFirst, TimeSpan AfterLast, double MinBusyBetween);

/// <summary>
/// The scheduler's throughput: 4 people submit the jobs at once (round-robin between them), the app spreads them
/// over K stand-in servers with a fixed step time, and every image must arrive exactly once.
/// </summary>
internal sealed class ThroughputBenchmark(int jobs, int steps, TimeSpan stepTime, string workDirectory)
{
    private const int People = 4;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public async Task<ThroughputRun> RunAsync(int servers, CancellationToken ct)
    {
        var standIns = new List<StandInServer>();
        try
        {
            for (var i = 0; i < servers; i++)
            {
                standIns.Add(await StandInServer.StartAsync(new StandInOptions
                {
                    Port = 0,
                    StepTime = stepTime,
                    Previews = false,
                    DataDirectory = Path.Combine(workDirectory, $"k{servers}", $"standin{i}"),
                }, ct));
            }
            await using var app = new ManyServerApp(standIns, Path.Combine(workDirectory, $"k{servers}", "data"));
            await app.StartAsync(ct);
            var queue = app.Services.GetRequiredService<JobQueue>();
            var events = app.Services.GetRequiredService<JobEvents>();
            using var done = new FinishCounter(events, jobs);

            var busyBefore = standIns.Select(s => s.BusyTime).ToList();
            var started = Stopwatch.GetTimestamp();
            var perPerson = jobs / People;
            await Task.WhenAll(Enumerable.Range(0, People).Select(p => Task.Run(async () =>
            {
                for (var i = 0; i < perPerson + (p < jobs % People ? 1 : 0); i++)
                {
                    var result = await queue.SubmitAsync(Request((ulong)((p * 10_000) + i + 1)), $"person{p + 1}", ct);
                    if (result is not SubmitAccepted)
                    {
                        throw new InvalidOperationException($"The app refused a benchmark job: {result}");
                    }
                }
            }, ct)));
            await done.Task.WaitAsync(Timeout, ct);
            var finished = Stopwatch.GetTimestamp();
            var wall = Stopwatch.GetElapsedTime(started, finished);

            var perServer = standIns.Select((s, i) => (DreamLayerServerName(i), s.BusyTime - busyBefore[i], s.PromptsAccepted)).ToList();
            var dbFactory = app.Services.GetRequiredService<IDbContextFactory<DreamLayerDbContext>>();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var succeeded = await db.Jobs.CountAsync(j => j.Status == JobStatus.Succeeded, ct);
            var imagesPerJob = await db.Images.GroupBy(i => i.JobId).Select(g => g.Count()).ToListAsync(ct);
            var duplicated = imagesPerJob.Sum(c => c - 1) + Math.Max(0, standIns.Sum(s => s.PromptsAccepted) - jobs);
            var spans = standIns.Select(x => x.Span).ToList();
            var gaps = new IdleGaps(
                Starved: standIns.Max(x => x.StarvedTime),
                BeforeFirst: TimeSpan.FromTicks(spans.Max(x => Stopwatch.GetElapsedTime(started, x.FirstStarted).Ticks)),
                AfterLast: TimeSpan.FromTicks(spans.Max(x => Stopwatch.GetElapsedTime(x.LastFinished, finished).Ticks)),
                MinBusyBetween: standIns.Select((x, i) => (x.BusyTime - busyBefore[i]).TotalSeconds / Stopwatch.GetElapsedTime(spans[i].FirstStarted, spans[i].LastFinished).TotalSeconds).Min());
            return new ThroughputRun(servers, jobs, wall, perServer, jobs - succeeded, duplicated, gaps);
        }
        finally
        {
            foreach (var standIn in standIns)
            {
                await standIn.DisposeAsync();
            }
        }
    }

    private GenerationRequest Request(ulong seed) => new()
    {
        Prompt = "a lighthouse on a cliff at dusk",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = steps,
        Width = 256,
        Height = 256,
        SeedMode = SeedMode.Fixed,
        Seed = seed,
    };

    private static string DreamLayerServerName(int i) => $"gpu{i + 1}";

    public static void Write(TextWriter output, IReadOnlyList<ThroughputRun> runs, int steps, TimeSpan stepTime)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"Throughput: {runs[0].Jobs} jobs from {People} people at once, txt2img {steps} steps × {stepTime.TotalMilliseconds:0} ms, 256×256, previews off;"));
        output.WriteLine(string.Create(c, $"each server runs 1 job + 1 waiting (default). Busy = the server's time running prompts / wall time. {Environment.ProcessorCount} CPUs."));
        output.WriteLine();
        output.WriteLine(string.Create(c, $"{"K",3}{"wall s",9}{"jobs/s",9}{"× K=1",7}{"busy min",10}{"busy mean",11}{"lost",6}{"dup",5}  per-server busy/prompts"));
        var baseline = runs[0].JobsPerSecond;
        foreach (var run in runs)
        {
            var busy = run.PerServer.Select(s => s.Busy.TotalSeconds / run.Wall.TotalSeconds).ToList();
            var each = string.Join(" ", busy.Select((b, i) => string.Create(c, $"{b:P0}/{run.PerServer[i].Prompts}")));
            output.WriteLine(string.Create(c, $"{run.Servers,3}{run.Wall.TotalSeconds,9:0.0}{run.JobsPerSecond,9:0.00}{run.JobsPerSecond / baseline,7:0.00}{busy.Min(),10:P1}{busy.Average(),11:P1}{run.Lost,6}{run.Duplicated,5}  {each}"));
        }
        output.WriteLine();
        output.WriteLine("Where servers idled (the stand-ins' own clocks): starved = the most one server waited with an empty queue between");
        output.WriteLine("its first and last prompt; ramp-up = start of submitting to the last server's first prompt; run-out = the first server");
        output.WriteLine("to finish its last prompt to the last image saved; busy between = lowest busy fraction between a server's first and last prompt.");
        foreach (var run in runs)
        {
            var g = run.Gaps;
            output.WriteLine(string.Create(c, $"{run.Servers,3}  starved {g.Starved.TotalMilliseconds,6:0} ms   ramp-up {g.BeforeFirst.TotalMilliseconds,6:0} ms   run-out {g.AfterLast.TotalMilliseconds,6:0} ms   busy between {g.MinBusyBetween,7:P1}"));
        }
        output.WriteLine();
        output.WriteLine("Targets: busy ≥ 95% per server at K = 8, throughput rising linearly with K, 0 lost, 0 duplicated.");
    }

    /// <summary>Completes when every job reached an end; fails at the first that did not succeed.</summary>
    private sealed class FinishCounter : IDisposable
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly HashSet<Guid> _finished = [];
        private readonly IDisposable _subscription;
        private readonly int _expected;

        public FinishCounter(JobEvents events, int expected)
        {
            _expected = expected;
            _subscription = events.Subscribe(OnEvent);
        }

        public Task Task => _done.Task;

        private void OnEvent(JobEvent evt)
        {
            if (evt is not JobChanged { Job.Status: var status } changed || !status.IsTerminal())
            {
                return;
            }
            lock (_finished)
            {
                if (status != JobStatus.Succeeded)
                {
                    _done.TrySetException(new InvalidOperationException($"Job {changed.JobId} ended {status}: {changed.Job.Message}"));
                }
                else if (_finished.Add(changed.JobId) && _finished.Count == _expected)
                {
                    _done.TrySetResult();
                }
            }
        }

        public void Dispose() => _subscription.Dispose();
    }

    /// <summary>The real app with production settings, pointed at K stand-ins named gpu1..gpuK.</summary>
    private sealed class ManyServerApp(IReadOnlyList<StandInServer> standIns, string dataDirectory) : WebApplicationFactory<Program>
    {
        public async Task StartAsync(CancellationToken ct)
        {
            UseKestrel(0);
            StartServer();
            var pool = Services.GetRequiredService<BackendPool>();
            var deadline = Stopwatch.GetTimestamp();
            while (!pool.Backends.All(b => b.IsOnline))
            {
                if (Stopwatch.GetElapsedTime(deadline) > Workload.JobTimeout)
                {
                    throw new TimeoutException("The app did not connect to every stand-in.");
                }
                await Task.Delay(10, ct);
            }
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            for (var i = 0; i < standIns.Count; i++)
            {
                builder.UseSetting($"ComfyUi:Servers:{i}:Name", DreamLayerServerName(i));
                builder.UseSetting($"ComfyUi:Servers:{i}:Url", standIns[i].BaseAddress.ToString());
            }
            builder.UseSetting("ComfyUi:MaxJobsPerUser", "100");
            builder.UseSetting("Storage:DataDirectory", dataDirectory);
            builder.UseSetting("Serilog:WriteTo:0:Args:restrictedToMinimumLevel", "Warning");
            builder.UseSetting("Serilog:WriteTo:1:Args:path", Path.Combine(dataDirectory, "logs", "dreamlayer-.log"));
        }
    }
}
