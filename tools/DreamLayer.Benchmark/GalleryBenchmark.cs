using System.Diagnostics;
using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using static DreamLayer.Benchmark.GallerySeeder;

namespace DreamLayer.Benchmark;

/// <summary>One gallery query's server-side times in ms.</summary>
internal sealed record GalleryFigure(string Name, Percentiles Times, double CpuMeanMs, int Rows)
{
    /// <summary>Times a query: <paramref name="warmup"/> unmeasured calls, then <paramref name="samples"/> timed ones (given their index).</summary>
    public static async Task<GalleryFigure> MeasureAsync(string name, int warmup, int samples, Func<int, Task<int>> query)
    {
        for (var i = 0; i < warmup; i++)
        {
            await query(i);
        }
        var times = new List<double>(samples);
        var rows = 0;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            rows = await query(i);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        process.Refresh();
        var figure = new GalleryFigure(name, Percentiles.Of(times), (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / samples, rows);
        Console.Error.WriteLine($"  {name}: p95 {figure.Times.P95:0.00} ms");
        return figure;
    }
}

/// <param name="SeedTime">How long seeding took; null when a seeded data folder was reused.</param>
internal sealed record GalleryResults(int Images, TimeSpan? SeedTime, IReadOnlyList<GalleryFigure> Queries, Percentiles Thumbnails, long DatabaseBytes);

/// <summary>
/// Seeds the real app's database with synthetic images (<see cref="GallerySeeder"/>: rows only, into the schema the app's
/// own migrations made), then times the gallery's own queries (<see cref="GalleryService"/>) as a Member sees them, and thumbnail creation.
/// </summary>
internal sealed class GalleryBenchmark(GallerySettings settings, string workDirectory)
{
    private const int PageSize = 100;

    public async Task<GalleryResults> RunAsync(CancellationToken ct)
    {
        await using var standIn = await Workload.StartStandInAsync(Path.Combine(workDirectory, "standin"), ct);
        var dataDirectory = settings.DataDirectory ?? Path.Combine(workDirectory, "data");
        TimeSpan? seedTime = null;
        StoragePaths paths;
        // The first start applies the app's own migrations; the seed then writes into that schema with the app stopped.
        await using (var migrated = new InProcessApp(standIn.BaseAddress, dataDirectory, warmUp: false))
        {
            await migrated.StartAsync(ct);
            paths = migrated.Services.GetRequiredService<StoragePaths>();
        }
        SqliteConnection.ClearAllPools();
        var existing = await CountImagesAsync(paths, ct);
        if (existing == 0)
        {
            var seeding = Stopwatch.StartNew();
            new GallerySeeder(settings.Images).Seed(paths.DatabasePath, ct);
            seedTime = seeding.Elapsed;
        }
        else if (existing != settings.Images)
        {
            throw new InvalidOperationException(
                $"The data folder {settings.DataDirectory} holds {existing:N0} images, not {settings.Images:N0}: give --images {existing} to reuse it, or an empty folder to seed.");
        }
        else
        {
            Console.Error.WriteLine($"Reusing the {existing:N0} images seeded in {settings.DataDirectory}.");
        }

        await using var app = new InProcessApp(standIn.BaseAddress, dataDirectory);
        await app.StartAsync(ct);
        var gallery = app.Services.GetRequiredService<GalleryService>();
        var member = new SignedInUser(Member, Member, "person 03", IsAdmin: false);
        var queries = new List<GalleryFigure>();
        async Task Measure(string name, Func<int, Task<int>> query) =>
            queries.Add(await GalleryFigure.MeasureAsync(name, settings.Warmup, settings.Samples, query));

        var all = new GalleryFilter();
        // Cursors at many depths, as someone scrolling would send them.
        var cursors = new List<GalleryCursor>();
        GalleryCursor? cursor = null;
        for (var i = 0; i < 200; i++)
        {
            var page = await gallery.PageAsync(member, all, cursor, PageSize, ct);
            cursor = page[^1].Cursor;
            cursors.Add(cursor);
        }
        var byPerson = new GalleryFilter { Sort = GallerySort.Person };
        var personCursors = new List<GalleryCursor>();
        cursor = null;
        for (var i = 0; i < 200; i++)
        {
            var page = await gallery.PageAsync(member, byPerson, cursor, PageSize, ct);
            cursor = page[^1].Cursor;
            personCursors.Add(cursor);
        }

        await Measure("first page (100 newest)", async _ => (await gallery.PageAsync(member, all, null, PageSize, ct)).Count);
        await Measure("next page (keyset, pages 1-200)", async i => (await gallery.PageAsync(member, all, cursors[i % cursors.Count], PageSize, ct)).Count);
        await Measure($"count (up to {GalleryService.CountLimit + 1:N0})", async _ => await gallery.CountAsync(member, all, ct));
        await Measure("sorted by person, next page", async i => (await gallery.PageAsync(member, byPerson, personCursors[i % personCursors.Count], PageSize, ct)).Count);
        await Measure("search a word, first page", async i => (await gallery.PageAsync(member, all with { Text = Vocabulary[i % 200] }, null, PageSize, ct)).Count);
        await Measure("search a rare word, first page", async i => (await gallery.PageAsync(member, all with { Text = Vocabulary[1500 + i % 400] }, null, PageSize, ct)).Count);
        await Measure("search a common word, first page", async i => (await gallery.PageAsync(member, all with { Text = "masterpiece" }, null, PageSize, ct)).Count);
        await Measure("search two words (prefix), first page", async i => (await gallery.PageAsync(member, all with { Text = $"{Vocabulary[i % 200]} {Vocabulary[(i * 7 + 3) % 200][..3]}" }, null, PageSize, ct)).Count);
        await Measure("search a word, count", async i => await gallery.CountAsync(member, all with { Text = Vocabulary[i % 200] }, ct));
        await Measure("search + model + sampler", async i => (await gallery.PageAsync(member, all with { Text = Vocabulary[i % 200], Model = Models[i % Models.Length], Sampler = Samplers[i % Samplers.Length] }, null, PageSize, ct)).Count);
        await Measure("search + person + date range", async i => (await gallery.PageAsync(member, all with { Text = Vocabulary[i % 200], OwnerId = $"user-{i % People:00}", From = new DateOnly(2025, 3, 1), To = new DateOnly(2025, 9, 30) }, null, PageSize, ct)).Count);
        await Measure("filter: model, next page", async i => (await gallery.PageAsync(member, all with { Model = Models[i % Models.Length] }, cursors[i % 20], PageSize, ct)).Count);
        await Measure("filter: LoRA", async i => (await gallery.PageAsync(member, all with { Lora = Loras[i % Loras.Length] }, null, PageSize, ct)).Count);
        await Measure("filter: size + mode", async i => (await gallery.PageAsync(member, all with { Width = Sizes[i % Sizes.Length].W, Height = Sizes[i % Sizes.Length].H, Mode = Modes[i % Modes.Length] }, null, PageSize, ct)).Count);
        await Measure("filter: mine only", async _ => (await gallery.PageAsync(member, all with { MineOnly = true }, null, PageSize, ct)).Count);
        await Measure("filter: favourites", async _ => (await gallery.PageAsync(member, all with { FavouritesOnly = true }, null, PageSize, ct)).Count);
        await Measure("board: 1 image in 100", async _ => (await gallery.PageAsync(member, all with { BoardId = LargeBoard }, null, PageSize, ct)).Count);
        await Measure("board: 1 image in 5,000", async _ => (await gallery.PageAsync(member, all with { BoardId = SmallBoard }, null, PageSize, ct)).Count);
        await Measure("trash view", async _ => (await gallery.PageAsync(member, all with { View = GallerySection.Trash }, null, PageSize, ct)).Count);
        await Measure("live update: does a new image match?", async i => await gallery.MatchesAsync(member, all with { Text = Vocabulary[i % 200] }, Guid.CreateVersion7(), ct) ? 1 : 0);

        var thumbnails = await MeasureThumbnailsAsync(app.Services.GetRequiredService<ImageStore>(), ct);
        long size;
        await using (var connection = new SqliteConnection($"Data Source={paths.DatabasePath}"))
        {
            await connection.OpenAsync(ct);
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await checkpoint.ExecuteNonQueryAsync(ct);
            size = new FileInfo(paths.DatabasePath).Length;
        }
        return new GalleryResults(settings.Images, seedTime, queries, thumbnails, size);
    }

    private static async Task<long> CountImagesAsync(StoragePaths paths, CancellationToken ct)
    {
        // Not pooled: the seed that may follow needs the database to itself.
        await using var connection = new SqliteConnection($"Data Source={paths.DatabasePath};Pooling=False");
        await connection.OpenAsync(ct);
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM Images";
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    private async Task<Percentiles> MeasureThumbnailsAsync(ImageStore store, CancellationToken ct)
    {
        using var image = new Image<Rgb24>(1024, 1024);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgb24((byte)(x * 7 ^ y), (byte)(y * 3 + x), (byte)((x * y) >> 6));
                }
            }
        });
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png, ct);
        var bytes = png.ToArray();
        var times = new List<double>();
        for (var i = 0; i < settings.Warmup + settings.Thumbnails; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await store.WriteThumbnailAsync(Guid.NewGuid(), bytes, ct);
            if (i >= settings.Warmup)
            {
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        return Percentiles.Of(times);
    }
}

/// <summary>
/// The gallery mode's command line: <c>gallery [--images 100000] [--samples 200] [--warmup 20] [--thumbnails 30] [--data FOLDER]</c>.
/// With <c>--data</c>, the app's data folder (database and image files) is that folder and is kept: a run seeds it when it
/// is empty and reuses it when it already holds exactly <c>--images</c> images, so a large gallery is built once.
/// </summary>
internal sealed record GallerySettings(int Images, int Samples, int Warmup, int Thumbnails, string? DataDirectory = null)
{
    public static GallerySettings Parse(IReadOnlyList<string> args) =>
        DataModeOptions.Parse(args, new GallerySettings(100_000, 200, 20, 30), (s, folder) => s with { DataDirectory = folder }, (s, option, value) => option switch
        {
            "--images" when value >= 20_000 => s with { Images = value },
            "--images" => throw new ArgumentException("--images must be at least 20000 (the benchmark pages 200 pages deep)"),
            "--samples" => s with { Samples = value },
            "--warmup" => s with { Warmup = value },
            "--thumbnails" => s with { Thumbnails = value },
            _ => throw new ArgumentException($"Unknown option {option}"),
        });
}

internal static class GalleryReport
{
    private const double TargetP95 = 50;

    public static void Write(TextWriter output, GalleryResults results)
    {
        var seeded = results.SeedTime is { } seedTime ? $"seeded in {seedTime.TotalSeconds:0.0} s" : "a seeded data folder reused";
        output.WriteLine($"DreamLayer gallery benchmark: {results.Images:N0} images ({People()} people, 5% private, 1% in the trash), {seeded};");
        output.WriteLine($"server-side time of GalleryService calls as a Member (privacy applied), 100 per page. {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} CPUs.");
        output.WriteLine();
        output.WriteLine($"{"query (ms)",-46}{"p50",8}{"p95",9}{"max",9}{"CPU",8}{"rows",7}  target p95 < {TargetP95} ms");
        foreach (var q in results.Queries)
        {
            output.WriteLine($"{"  " + q.Name,-46}{F(q.Times.P50),8}{F(q.Times.P95),9}{F(q.Times.Max),9}{F(q.CpuMeanMs),8}{q.Rows,7}  {(q.Times.P95 < TargetP95 ? "met" : "MISSED")}");
        }
        output.WriteLine("  (p50/p95/max: wall time of the call; CPU: the process's CPU time per call, mean — wall time includes waiting for a core)");
        output.WriteLine();
        output.WriteLine($"{"thumbnail of a 1024×1024 PNG (ms)",-46}{F(results.Thumbnails.P50),8}{F(results.Thumbnails.P95),9}{F(results.Thumbnails.Max),9}");
        output.WriteLine($"database size (after checkpoint): {results.DatabaseBytes / (1024.0 * 1024.0):0.0} MB ({results.DatabaseBytes / (double)results.Images:0} bytes per image, jobs and search index included)");
    }

    private static int People() => 20;

    private static string F(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);
}
