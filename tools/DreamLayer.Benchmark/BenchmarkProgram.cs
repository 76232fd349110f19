using System.Globalization;

namespace DreamLayer.Benchmark;

/// <summary>
/// Measures what DreamLayer adds on top of ComfyUI: the app against a zero-step-time stand-in, the same
/// work done by a bare client, the first job after start, and the idle memory of an app process.
/// </summary>
internal static class BenchmarkProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["gallery", .. var rest])
        {
            return await RunGalleryAsync(rest);
        }
        if (args is ["dashboard", .. var dashboardArgs])
        {
            return ParseOrExplain(dashboardArgs, DashboardSettings.Parse) is { } dashboard
                ? await InWorkDirectoryAsync("dreamlayer-bench-dashboard-", async (work, ct) =>
                {
                    DashboardReport.Write(Console.Out, await new DashboardBenchmark(dashboard, work).RunAsync(ct));
                    return 0;
                })
                : 2;
        }
        if (args is ["models"]) { return await InWorkDirectoryAsync("dreamlayer-bench-models-", (work, ct) => ModelsBenchmark.RunAsync(work, afterAnotherPage: false, ct)); }
        if (args is ["models", "--after-another-page"]) { return await InWorkDirectoryAsync("dreamlayer-bench-models-", (work, ct) => ModelsBenchmark.RunAsync(work, afterAnotherPage: true, ct)); }
        if (args is ["images"])
        {
            return await RunImagesAsync();
        }
        if (args is ["install"])
        {
            return await InWorkDirectoryAsync("dreamlayer-bench-install-", InstallBenchmark.RunAsync);
        }
        if (args is ["live", .. var live])
        {
            return await RunLiveAsync(live);
        }
        if (args is ["cloud", .. var cloudArgs])
        {
            return ParseOrExplain(cloudArgs, CloudSettings.Parse) is { } cloud
                ? await InWorkDirectoryAsync("dreamlayer-bench-cloud-", (work, ct) => new CloudBenchmark(cloud, work).RunAsync(ct))
                : 2;
        }
        if (args is ["api", .. var apiArgs])
        {
            return ParseOrExplain(apiArgs, ApiSettings.Parse) is { } api
                ? await InWorkDirectoryAsync("dreamlayer-bench-api-", (work, ct) => new ApiBenchmark(api, work).RunAsync(ct))
                : 2;
        }
        if (ParseOrExplain(args, BenchmarkSettings.Parse) is not { } settings)
        {
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var work = Directory.CreateTempSubdirectory("dreamlayer-bench-");
        try
        {
            if (settings.Throughput)
            {
                var stepTime = TimeSpan.FromMilliseconds(settings.StepMs);
                var bench = new ThroughputBenchmark(settings.Jobs, settings.Steps, stepTime, work.FullName);
                var runs = new List<ThroughputRun>();
                foreach (var k in settings.Servers is { } only ? [only] : new[] { 1, 2, 4, 8 })
                {
                    Progress($"Throughput: {settings.Jobs} jobs over {k} stand-in server(s)…");
                    runs.Add(await bench.RunAsync(k, stop.Token));
                }
                ThroughputBenchmark.Write(Console.Out, runs, settings.Steps, stepTime);
                return 0;
            }
            // One stand-in process serves both, as one ComfyUI would. Its code gets much faster once recompiled hot, so it
            // is warmed up before anything is measured; then the app's jobs and the direct loop's take turns.
            await using var standIn = await StandInProcess.StartAsync(Path.Combine(work.FullName, "standin"), stop.Token);
            await using var direct = await DirectLoop.ConnectAsync(settings, standIn.BaseAddress, stop.Token);
            Progress($"Warming up the stand-in: {StandInWarmup} jobs…");
            await direct.WarmUpAsync(StandInWarmup, stop.Token);
            Progress($"App: 1 first job, then {settings.Warmup} + {settings.Jobs} jobs through DreamLayer, each after one of the direct loop…");
            var app = await new AppBenchmark(settings, standIn.BaseAddress, Path.Combine(work.FullName, "app")).RunAsync(direct, stop.Token);
            Progress($"Idle memory: an app process {IdleMemory.IdleTime.TotalSeconds:0} s idle after its first start, then after a restart…");
            var memory = await new IdleMemory(Path.Combine(work.FullName, "idle")).MeasureAsync(stop.Token);
            new Report(Console.Out, settings).Write(app, memory);
            return 0;
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a closing handle; the OS cleans its temp folder.
            }
        }
    }

    /// <summary>The gallery mode: a seeded database, its queries' times, thumbnail time and database size.</summary>
    private static async Task<int> RunGalleryAsync(string[] args)
    {
        if (ParseOrExplain(args, GallerySettings.Parse) is not { } settings)
        {
            return 2;
        }
        return await InWorkDirectoryAsync("dreamlayer-bench-gallery-", async (work, ct) =>
        {
            var results = await new GalleryBenchmark(settings, work).RunAsync(ct);
            GalleryReport.Write(Console.Out, results);
            return 0;
        });
    }

    /// <summary>The images mode: the memory hostile uploads cost the app (<see cref="ImageMemoryBenchmark"/>).</summary>
    private static Task<int> RunImagesAsync() =>
        InWorkDirectoryAsync("dreamlayer-bench-images-", ImageMemoryBenchmark.RunAsync);

    /// <summary>The live mode: CPU per job, preview latency and memory with real browsers (<see cref="LiveBenchmark"/>).</summary>
    private static async Task<int> RunLiveAsync(string[] args)
    {
        if (ParseOrExplain(args, LiveSettings.Parse) is not { } settings)
        {
            return 2;
        }
        return await InWorkDirectoryAsync("dreamlayer-bench-live-", async (work, ct) =>
        {
            var bench = new LiveBenchmark(settings, work);
            var runs = new List<LiveRun>();
            foreach (var servers in settings.Servers)
            {
                Progress($"Live path with {servers} stand-in(s), tabs {string.Join(",", settings.Tabs)}…");
                runs.Add(await bench.RunAsync(servers, ct));
            }
            LiveReport.Write(Console.Out, settings, runs);
            return 0;
        });
    }

    /// <summary>
    /// A mode's settings read from its arguments, or null once it has printed why they are wrong and the usage (the mode
    /// then exits with 2).
    /// </summary>
    private static T? ParseOrExplain<T>(IReadOnlyList<string> args, Func<IReadOnlyList<string>, T> parse)
        where T : class
    {
        try
        {
            return parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(BenchmarkSettings.Usage);
            return null;
        }
    }

    /// <summary>Runs a mode in a fresh temporary folder, deleted afterwards; Ctrl+C cancels it.</summary>
    private static async Task<int> InWorkDirectoryAsync(string prefix, Func<string, CancellationToken, Task<int>> run)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        var work = Directory.CreateTempSubdirectory(prefix);
        try
        {
            return await run(work.FullName, stop.Token);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A file still held by a closing handle; the OS cleans its temp folder.
            }
        }
    }

    /// <summary>Unmeasured jobs that bring the stand-in's own code to its steady speed.</summary>
    private const int StandInWarmup = 300;

    private static void Progress(string message) => Console.Error.WriteLine(message);
}

/// <summary>
/// The command line: <c>[--jobs 200] [--warmup 50] [--image 512] [--no-warmup]</c> (the app starts without its warm-ups), or <c>--throughput [--jobs 200] [--steps 8] [--step-ms 50] [--servers K]</c>.
/// </summary>
internal sealed record BenchmarkSettings(int Jobs, int Warmup, int ImageSize, bool Throughput = false, int Steps = 8, int StepMs = 50, int? Servers = null, bool AppWarmUp = true)
{
    public const string Usage = "usage: dotnet run -c Release --project tools/DreamLayer.Benchmark -- [--jobs 200] [--warmup 50] [--image 512] [--no-warmup]\n"
        + "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- gallery [--images 100000] [--samples 200] [--warmup 20] [--thumbnails 30] [--data FOLDER]\n"
        + DashboardSettings.Usage + "\n"
        + "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- images\n"
        + "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- install\n"
        + LiveSettings.Usage + "\n"
        + CloudSettings.Usage + "\n"
        + ApiSettings.Usage + "\n"
        + "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- --throughput [--jobs 200] [--steps 8] [--step-ms 50] [--servers K]";

    public static BenchmarkSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new BenchmarkSettings(Jobs: 200, Warmup: 50, ImageSize: 512);
        if (args.Count > 0 && args[0] == "--throughput")
        {
            settings = settings with { Throughput = true };
            args = args.Skip(1).ToList();
        }
        for (var i = 0; i < args.Count; i += 2)
        {
            if (args[i] == "--no-warmup")
            {
                settings = settings with { AppWarmUp = false };
                i--;
                continue;
            }
            var value = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new ArgumentException($"{args[i]} needs a whole number");
            settings = args[i] switch
            {
                "--jobs" when value >= 1 => settings with { Jobs = value },
                "--warmup" => settings with { Warmup = value },
                "--image" when value is >= 64 and <= 2048 && value % 8 == 0 => settings with { ImageSize = value },
                "--steps" when value is >= 1 and <= 1000 => settings with { Steps = value },
                "--step-ms" when value is >= 1 and <= 10_000 => settings with { StepMs = value },
                "--servers" when value is >= 1 and <= 32 => settings with { Servers = value },
                "--jobs" or "--image" or "--steps" or "--step-ms" or "--servers" => throw new ArgumentException($"{args[i]} {value} is out of range"),
                _ => throw new ArgumentException($"Unknown option {args[i]}"),
            };
        }
        return settings;
    }
}
