using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>
/// The command line of the api mode: <c>api [--jobs 100] [--warmup 20] [--image 512] [--clients 8] [--servers 4]
/// [--per-client 25] [--step-ms 250]</c>.
/// </summary>
internal sealed record ApiSettings(int Jobs, int Warmup, int ImageSize, int Clients, int Servers, int PerClient, int StepMs)
{
    public const string Usage = "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- api [--jobs 100] [--warmup 20] [--image 512] [--clients 8] [--servers 4] [--per-client 25] [--step-ms 250]";

    public static ApiSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new ApiSettings(Jobs: 100, Warmup: 20, ImageSize: 512, Clients: 8, Servers: 4, PerClient: 25, StepMs: 250);
        for (var i = 0; i < args.Count; i += 2)
        {
            var value = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new ArgumentException($"{args[i]} needs a whole number");
            settings = args[i] switch
            {
                "--jobs" when value >= 1 => settings with { Jobs = value },
                "--warmup" => settings with { Warmup = value },
                "--image" when value is >= 64 and <= 2048 && value % 8 == 0 => settings with { ImageSize = value },
                "--clients" when value is >= 1 and <= 64 => settings with { Clients = value },
                "--servers" when value is >= 1 and <= 16 => settings with { Servers = value },
                "--per-client" when value >= 1 => settings with { PerClient = value },
                "--step-ms" when value is >= 0 and <= 10_000 => settings with { StepMs = value },
                "--jobs" or "--image" or "--clients" or "--servers" or "--per-client" or "--step-ms" => throw new ArgumentException($"{args[i]} {value} is out of range"),
                _ => throw new ArgumentException($"Unknown option {args[i]}"),
            };
        }
        return settings;
    }
}

/// <summary>One face's figures: its jobs and the direct loop's run in turn (ms), and jobs per second with many clients at once.</summary>
internal sealed record FaceFigures(string Name, IReadOnlyList<double> Face, IReadOnlyList<double> Direct, ThroughputFigure Throughput);

/// <summary>Jobs finished over the wall time they took, every client at once.</summary>
internal sealed record ThroughputFigure(int Jobs, TimeSpan Wall)
{
    public double JobsPerSecond => Jobs / Wall.TotalSeconds;
}

/// <summary>
/// What each public face adds to a job over a bare ComfyUI client: one job at a time through the face and one of the direct
/// loop in turn against one zero-step-time stand-in (its own process, as in the default mode); then many clients of each
/// face at once against several stand-ins with a step time, in jobs per second, beside as many direct-loop clients.
/// </summary>
internal sealed class ApiBenchmark(ApiSettings settings, string work)
{
    private const string Password = "api-benchmark-password";

    /// <summary>The default mode's target for the UI path; issue 19 sets 10 ms at p50 for each face.</summary>
    private const double AddedP50Target = 10;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var overheads = await OverheadsAsync(ct);
        var (direct, throughputs) = await ThroughputsAsync(ct);
        var figures = ApiFaces.All.Select((f, i) => new FaceFigures(f.Name, overheads[i].Face, overheads[i].Direct, throughputs[i])).ToList();
        Write(Console.Out, figures, direct);
        return 0;
    }

    private BenchmarkSettings LoopSettings => new(settings.Jobs, settings.Warmup, settings.ImageSize);

    /// <summary>
    /// The faces in rounds: each round runs one job through every face, each after one of the direct loop, the faces in
    /// a turning order; the first <see cref="ApiSettings.Warmup"/> rounds are not counted. So every face meets the app in
    /// the same state: none is measured while the app still compiles the code all of them share (the first face used to
    /// be, with its warm-up alone).
    /// </summary>
    private async Task<List<(List<double> Face, List<double> Direct)>> OverheadsAsync(CancellationToken ct)
    {
        await using var standIn = await StandInProcess.StartAsync(Path.Combine(work, "standin"), ct);
        await using var direct = await DirectLoop.ConnectAsync(LoopSettings, standIn.BaseAddress, ct);
        Progress("Warming up the stand-in: 300 jobs…");
        await direct.WarmUpAsync(300, ct);
        await using var app = new InProcessApp(standIn.BaseAddress, Path.Combine(work, "app"), settings: AppSettings);
        await app.StartAsync(ct);
        var tokens = await TokensAsync(app, 1, ct);
        var thumbnails = app.Services.GetRequiredService<ThumbnailQueue>();
        var faces = new List<IApiFace>();
        try
        {
            foreach (var (_, connect) in ApiFaces.All)
            {
                faces.Add(await connect(new FaceClient(app.Root, tokens[0], settings.ImageSize), ct));
            }
            var results = faces.Select(_ => (Face: new List<double>(), Direct: new List<double>())).ToList();
            Progress($"{settings.Warmup} + {settings.Jobs} rounds of one job through each face, each after one of the direct loop…");
            var n = 0;
            for (var round = 0; round < settings.Warmup + settings.Jobs; round++)
            {
                for (var k = 0; k < faces.Count; k++, n++)
                {
                    var f = (round + k) % faces.Count;
                    await AppBenchmark.WaitUntilQuietAsync(thumbnails, ct);
                    var directMs = await direct.RunJobAsync(Workload.DirectSeed(n), ct);
                    await Task.Delay(Settle, ct); // each job starts from an equally settled machine
                    var faceMs = await faces[f].RunJobAsync(Workload.AppSeed(n), ct);
                    if (round >= settings.Warmup)
                    {
                        results[f].Direct.Add(directMs);
                        results[f].Face.Add(faceMs);
                    }
                }
            }
            return results;
        }
        finally
        {
            foreach (var face in faces)
            {
                await face.DisposeAsync();
            }
        }
    }

    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// The clients at once: first as direct loops spread evenly over the stand-ins (what the servers can do without the
    /// app), then as clients of each face through the app, each client its own token, after a short warm-up of each.
    /// </summary>
    private async Task<(ThroughputFigure Direct, List<ThroughputFigure> Faces)> ThroughputsAsync(CancellationToken ct)
    {
        var standIns = new List<StandInServer>();
        try
        {
            for (var i = 0; i < settings.Servers; i++)
            {
                standIns.Add(await StandInServer.StartAsync(new StandInOptions
                {
                    Port = 0,
                    StepTime = TimeSpan.FromMilliseconds(settings.StepMs),
                    Previews = false,
                    DataDirectory = Path.Combine(work, "many", $"standin{i}"),
                }, ct));
            }
            var appSettings = new Dictionary<string, string>(AppSettings) { ["ComfyUi:MaxJobsPerUser"] = "100" };
            for (var i = 1; i < standIns.Count; i++)
            {
                appSettings[$"ComfyUi:Servers:{i}:Name"] = $"gpu{i + 1}";
                appSettings[$"ComfyUi:Servers:{i}:Url"] = standIns[i].BaseAddress.ToString();
            }
            await using var app = new InProcessApp(standIns[0].BaseAddress, Path.Combine(work, "many", "app"), settings: appSettings);
            await app.StartAsync(ct);
            await WaitAllOnlineAsync(app.Services.GetRequiredService<BackendPool>(), ct);
            var tokens = await TokensAsync(app, settings.Clients, ct);

            Progress($"Throughput: {settings.Clients} direct-loop clients at once over {settings.Servers} stand-ins…");
            var loops = new List<DirectLoop>();
            try
            {
                for (var c = 0; c < settings.Clients; c++)
                {
                    loops.Add(await DirectLoop.ConnectAsync(LoopSettings, standIns[c % standIns.Count].BaseAddress, ct));
                }
                var direct = await AllAtOnceAsync(loops.Select(l => (Func<ulong, Task<double>>)(seed => l.RunJobAsync(seed, ct))).ToList(), 1UL << 50, ct);
                var faces = new List<ThroughputFigure>();
                var f = 0;
                foreach (var (name, connect) in ApiFaces.All)
                {
                    Progress($"Throughput: {settings.Clients} clients of {name} at once…");
                    var clients = new List<IApiFace>();
                    try
                    {
                        foreach (var token in tokens)
                        {
                            clients.Add(await connect(new FaceClient(app.Root, token, settings.ImageSize), ct));
                        }
                        faces.Add(await AllAtOnceAsync(clients.Select(c => (Func<ulong, Task<double>>)(seed => c.RunJobAsync(seed, ct))).ToList(), (2UL + (ulong)f++) << 50, ct));
                    }
                    finally
                    {
                        foreach (var client in clients)
                        {
                            await client.DisposeAsync();
                        }
                    }
                }
                return (direct, faces);
            }
            finally
            {
                foreach (var loop in loops)
                {
                    await loop.DisposeAsync();
                }
            }
        }
        finally
        {
            foreach (var standIn in standIns)
            {
                await standIn.DisposeAsync();
            }
        }
    }

    /// <summary>Each client runs 2 unmeasured jobs, then <see cref="ApiSettings.PerClient"/> jobs one after another, all clients at once; seeds never repeat.</summary>
    private async Task<ThroughputFigure> AllAtOnceAsync(List<Func<ulong, Task<double>>> clients, ulong seedBase, CancellationToken ct)
    {
        await Task.WhenAll(clients.Select((run, c) => Task.Run(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                await run(seedBase + (ulong)(c * 100_000) + (ulong)i);
            }
        }, ct)));
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(clients.Select((run, c) => Task.Run(async () =>
        {
            for (var i = 0; i < settings.PerClient; i++)
            {
                await run(seedBase + (ulong)(c * 100_000) + 10 + (ulong)i);
            }
        }, ct)));
        return new ThroughputFigure(clients.Count * settings.PerClient, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The app as shipped, but with a request budget per token no benchmark reaches (the default, 120 a minute, would answer 429).</summary>
    private static IReadOnlyDictionary<string, string> AppSettings { get; } = new Dictionary<string, string>
    {
        ["Accounts:ApiRequests"] = "1000000",
    };

    /// <summary>The first admin, and <paramref name="count"/> personal tokens of theirs.</summary>
    private static async Task<List<string>> TokensAsync(InProcessApp app, int count, CancellationToken ct)
    {
        var created = await app.Services.GetRequiredService<SetupState>().CreateFirstAdminAsync("bench", "Benchmark", Password, ct)
            ?? throw new InvalidOperationException("The app already had an admin.");
        var owner = new SignedInUser(created.User.Id, "bench", "Benchmark", IsAdmin: true);
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (token, error) = await app.Services.GetRequiredService<ApiTokens>().CreateAsync(owner, $"client {i + 1}", null, ct);
            tokens.Add(token?.Token ?? throw new InvalidOperationException(error));
        }
        return tokens;
    }

    private static async Task WaitAllOnlineAsync(BackendPool pool, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!pool.Backends.All(b => b.IsOnline))
        {
            if (Stopwatch.GetElapsedTime(started) > Workload.JobTimeout)
            {
                throw new TimeoutException("The app did not connect to every stand-in.");
            }
            await Task.Delay(10, ct);
        }
    }

    private void Write(TextWriter output, List<FaceFigures> faces, ThroughputFigure direct)
    {
        var c = CultureInfo.InvariantCulture;
        string F(double ms) => ms.ToString("0.00", c);
        output.WriteLine(string.Create(c, $"API benchmark: {settings.Jobs} rounds after {settings.Warmup} warm-up rounds, txt2img template, 1 step, {settings.ImageSize}×{settings.ImageSize}; one job at a time:"));
        output.WriteLine("each round one job through every face (in a turning order), each after one of the direct loop, against one stand-in (its own process)");
        output.WriteLine("with zero step time and previews on; app in-process on");
        output.WriteLine(string.Create(c, $"Kestrel, one bearer token. {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} CPUs, load average {CloudBenchmark.LoadAverage()} (at the end)."));
        output.WriteLine();
        output.WriteLine("1. Overhead per job through each face over the direct loop (ms; direct loop: POST /prompt, WS until done, GET /view)");
        output.WriteLine(string.Create(c, $"{"   face",-62}{"p50",8}{"p95",9}{"direct p50",12}{"direct p95",12}{"added p50",11}{"added p95",11}  target ≤ {AddedP50Target} ms at p50"));
        foreach (var face in faces)
        {
            var (mine, bare) = (Percentiles.Of(face.Face), Percentiles.Of(face.Direct));
            var added = mine.P50 - bare.P50;
            output.WriteLine(string.Create(c, $"{"   " + face.Name,-62}{F(mine.P50),8}{F(mine.P95),9}{F(bare.P50),12}{F(bare.P95),12}{F(added),11}{F(mine.P95 - bare.P95),11}  {(added <= AddedP50Target ? "met" : "MISSED")}"));
        }
        output.WriteLine();
        var ideal = settings.Servers * 1000.0 / Math.Max(settings.StepMs, 1);
        output.WriteLine(string.Create(c, $"2. Jobs per second, {settings.Clients} clients at once ({settings.PerClient} jobs each after 2 unmeasured), {settings.Servers} stand-ins with {settings.StepMs} ms per job (1 step),"));
        output.WriteLine(string.Create(c, $"   previews off; the servers alone could do at most {ideal:0.0} jobs/s. Each API client has its own token; one person (per-person cap 100)."));
        output.WriteLine(string.Create(c, $"{"   clients",-62}{"jobs",8}{"wall s",9}{"jobs/s",9}{"× direct",10}"));
        output.WriteLine(string.Create(c, $"{"   direct loop, spread over the stand-ins",-62}{direct.Jobs,8}{direct.Wall.TotalSeconds,9:0.00}{direct.JobsPerSecond,9:0.00}{1.0,10:0.00}"));
        foreach (var face in faces)
        {
            var t = face.Throughput;
            output.WriteLine(string.Create(c, $"{"   " + face.Name,-62}{t.Jobs,8}{t.Wall.TotalSeconds,9:0.00}{t.JobsPerSecond,9:0.00}{t.JobsPerSecond / direct.JobsPerSecond,10:0.00}"));
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine(message);
}
