using System.Diagnostics;
using System.Globalization;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Dashboard;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <param name="SeedTime">How long seeding took (rollups included); null when a seeded data folder was reused.</param>
/// <param name="RollupTime">How long building the rollups from the seeded jobs took: what the migration costs an upgrade.</param>
internal sealed record DashboardResults(int Jobs, TimeSpan? SeedTime, TimeSpan? RollupTime, IReadOnlyList<GalleryFigure> Queries);

/// <summary>
/// Seeds the real app's database with jobs only (<see cref="GallerySeeder"/> with <c>jobsOnly</c>: a year of ten people,
/// eight models, three servers and a cloud provider, about 5% failed), then times each dashboard chart's query
/// (<see cref="DashboardQueries"/>) over the last 30 days and over the whole year.
/// </summary>
internal sealed class DashboardBenchmark(DashboardSettings settings, string workDirectory)
{
    public async Task<DashboardResults> RunAsync(CancellationToken ct)
    {
        await using var standIn = await Workload.StartStandInAsync(Path.Combine(workDirectory, "standin"), ct);
        var dataDirectory = settings.DataDirectory ?? Path.Combine(workDirectory, "data");
        StoragePaths paths;
        await using (var migrated = new InProcessApp(standIn.BaseAddress, dataDirectory, warmUp: false))
        {
            await migrated.StartAsync(ct);
            paths = migrated.Services.GetRequiredService<StoragePaths>();
        }
        SqliteConnection.ClearAllPools();
        TimeSpan? seedTime = null;
        TimeSpan? rollupTime = null;
        var existing = await CountJobsAsync(paths, ct);
        if (existing == 0)
        {
            var seeding = Stopwatch.StartNew();
            var seeder = new GallerySeeder(settings.Jobs, jobsOnly: true);
            seeder.Seed(paths.DatabasePath, ct);
            (seedTime, rollupTime) = (seeding.Elapsed, seeder.RollupTime);
        }
        else if (existing != settings.Jobs)
        {
            throw new InvalidOperationException($"The data folder {settings.DataDirectory} holds {existing:N0} jobs, not {settings.Jobs:N0}.");
        }

        await using var app = new InProcessApp(standIn.BaseAddress, dataDirectory);
        await app.StartAsync(ct);
        var dashboard = app.Services.GetRequiredService<DashboardQueries>();
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var queries = new List<GalleryFigure>();
        (string Name, DashboardRange Range)[] ranges =
        [
            ("30 days", new DashboardRange(new DateOnly(2025, 12, 2), new DateOnly(2025, 12, 31))),
            ("a year", new DashboardRange(new DateOnly(2025, 1, 1), new DateOnly(2025, 12, 31))),
        ];
        foreach (var (name, range) in ranges)
        {
            async Task Measure(string chart, Func<Task<int>> query) =>
                queries.Add(await GalleryFigure.MeasureAsync($"{chart}, {name}", settings.Warmup, settings.Samples, _ => query()));
            await Measure("totals and success rate", async () => (int)(await dashboard.TotalsAsync(range, ct)).Jobs);
            await Measure("generations per day", async () => (await dashboard.DaysAsync(range, ct)).Count);
            await Measure("per person", async () => (await dashboard.PeopleAsync(range, ct)).Count);
            await Measure("per model, with wait and run p50/p95", async () => (await dashboard.ModelsAsync(range, ct)).Count);
            await Measure("per server, with wait and run p50/p95", async () => (await dashboard.ServersAsync(range, ct)).Count);
            await Measure("steps/s per server", async () => (await dashboard.SpeedAsync(range, ct)).Count);
            await Measure("failure reasons", async () => (await dashboard.FailuresAsync(range, ct)).Count);
            await Measure("busiest hours (Europe/Berlin)", async () => (await dashboard.HoursAsync(range, zone, ct)).Count);
        }
        return new DashboardResults(settings.Jobs, seedTime, rollupTime, queries);
    }

    private static async Task<long> CountJobsAsync(StoragePaths paths, CancellationToken ct)
    {
        await using var connection = new SqliteConnection($"Data Source={paths.DatabasePath};Pooling=False");
        await connection.OpenAsync(ct);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM Jobs";
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }
}

/// <summary>The dashboard mode's command line: <c>dashboard [--jobs 1000000] [--samples 100] [--warmup 10] [--data FOLDER]</c>.</summary>
internal sealed record DashboardSettings(int Jobs, int Samples, int Warmup, string? DataDirectory = null)
{
    public const string Usage = "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- dashboard [--jobs 1000000] [--samples 100] [--warmup 10] [--data FOLDER]";

    public static DashboardSettings Parse(IReadOnlyList<string> args) =>
        DataModeOptions.Parse(args, new DashboardSettings(1_000_000, 100, 10), (s, folder) => s with { DataDirectory = folder }, (s, option, value) => option switch
        {
            "--jobs" => s with { Jobs = value },
            "--samples" => s with { Samples = value },
            "--warmup" => s with { Warmup = value },
            _ => throw new ArgumentException($"Unknown option {option}"),
        });
}

internal static class DashboardReport
{
    private const double TargetP95 = 100;

    public static void Write(TextWriter output, DashboardResults results)
    {
        var seeded = results.SeedTime is { } seedTime
            ? $"seeded in {seedTime.TotalSeconds:0.0} s, rollups built from the jobs in {results.RollupTime!.Value.TotalSeconds:0.0} s"
            : "a seeded data folder reused";
        output.WriteLine($"DreamLayer dashboard benchmark: {results.Jobs:N0} jobs over a year ({GallerySeeder.DashboardPeople} people, "
            + $"{GallerySeeder.DashboardModels.Length} models, {GallerySeeder.Servers.Length} servers, ~5% failed), {seeded};");
        output.WriteLine($"server-side time of each chart's DashboardQueries call. {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, "
            + $"{Environment.ProcessorCount} CPUs, load average {LoadAverage()}.");
        output.WriteLine();
        output.WriteLine($"{"chart (ms)",-56}{"p50",8}{"p95",9}{"max",9}{"CPU",8}{"rows",8}  target p95 < {TargetP95} ms");
        foreach (var q in results.Queries)
        {
            output.WriteLine($"{"  " + q.Name,-56}{F(q.Times.P50),8}{F(q.Times.P95),9}{F(q.Times.Max),9}{F(q.CpuMeanMs),8}{q.Rows,8}  {(q.Times.P95 < TargetP95 ? "met" : "MISSED")}");
        }
        output.WriteLine("  (p50/p95/max: wall time of the call; CPU: the process's CPU time per call, mean — wall time includes waiting for a core)");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string F(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);
}
