using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using CloudStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>
/// The command line of the cloud mode: <c>cloud [--jobs 40] [--warmup 5] [--ready-jobs 5] [--ready-after 0.5,3,20]</c>.
/// </summary>
internal sealed record CloudSettings(int Jobs, int Warmup, int ReadyJobs, IReadOnlyList<double> ReadyAfterSeconds)
{
    public const string Usage = "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- cloud [--jobs 40] [--warmup 5] [--ready-jobs 5] [--ready-after 0.5,3,20]";

    public static CloudSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new CloudSettings(Jobs: 40, Warmup: 5, ReadyJobs: 5, ReadyAfterSeconds: [0.5, 3, 20]);
        for (var i = 0; i < args.Count; i += 2)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            settings = args[i] switch
            {
                "--jobs" => settings with { Jobs = Whole(args[i], value, 1, 10_000) },
                "--warmup" => settings with { Warmup = Whole(args[i], value, 0, 10_000) },
                "--ready-jobs" => settings with { ReadyJobs = Whole(args[i], value, 1, 100) },
                "--ready-after" => settings with { ReadyAfterSeconds = Seconds(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}"),
            };
        }
        return settings;
    }

    private static int Whole(string option, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"{option} takes a whole number from {min} to {max}, not '{text}'");

    private static double[] Seconds(string text)
    {
        var values = text.Split(',').Select(s => double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 600
            ? v
            : throw new ArgumentException($"--ready-after takes seconds from 0 to 600 separated by commas, not '{text}'")).ToArray();
        return values.Length > 0 ? values : throw new ArgumentException("--ready-after needs at least one time");
    }
}

/// <summary>One provider's overhead figures: the bare client's times and the app's, each job in ms.</summary>
internal sealed record CloudOverhead(CloudProviderId Provider, string Model, IReadOnlyList<double> Bare, IReadOnlyList<double> App);

/// <summary>One FLUX job of the polling figure: how long the task took to be ready, the polls and the delay from ready to the image saved.</summary>
internal sealed record PollingJob(double ReadyAfterSeconds, int Polls, TimeSpan LastWait, TimeSpan ReadyToSaved);

/// <summary>
/// What a cloud job costs the app on top of the provider: each provider's request sent by the app's own provider client
/// straight to the cloud stand-in (the bare client), and the same request submitted to the app's queue until its image is
/// published, in turn, at the stand-in's zero latency; then BFL's polling against tasks that take a set time to be ready.
/// </summary>
internal sealed class CloudBenchmark(CloudSettings settings, string work)
{
    private static readonly (CloudProviderId Id, CloudSetting Setting)[] Providers =
    [
        (CloudProviderId.OpenAi, new CloudSetting("OpenAi", "gpt-image-1") { Size = "1024x1024", Options = new Dictionary<string, string> { ["quality"] = "low" } }),
        (CloudProviderId.Ideogram, new CloudSetting("Ideogram", "V_3") { AspectRatio = "1:1" }),
        (CloudProviderId.Bfl, new CloudSetting("Bfl", "flux-pro-1.1") { Size = "1024x1024" }),
        // Left empty, the format is a PNG (the app's default, which it stores as it comes); a JPEG chosen by the person is
        // decoded and stored as a PNG: the same job shows what that costs.
        (CloudProviderId.Bfl, new CloudSetting("Bfl", "flux-pro-1.1") { Size = "1024x1024", Options = new Dictionary<string, string> { ["output_format"] = "jpeg" } }),
    ];

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var options = new CloudStandInOptions { Port = 0, BflPendingPolls = 0 };
        await using var cloud = await CloudStandInServer.StartAsync(options, ct);
        await using var comfy = await Workload.StartStandInAsync(Path.Combine(work, "standin"), ct);
        var appSettings = new Dictionary<string, string>
        {
            ["Cloud:OpenAI:BaseUrl"] = new Uri(cloud.BaseAddress, "v1").ToString(),
            ["Cloud:Ideogram:BaseUrl"] = cloud.BaseAddress.ToString(),
            ["Cloud:Bfl:BaseUrl"] = cloud.BaseAddress.ToString(),
            ["Keys:OpenAI"] = options.Keys[CloudProvider.OpenAi],
            ["Keys:Ideogram"] = options.Keys[CloudProvider.Ideogram],
            ["Keys:BlackForestLabs"] = options.Keys[CloudProvider.Bfl],
        };
        await using var app = new InProcessApp(comfy.BaseAddress, Path.Combine(work, "app"), settings: appSettings);
        await app.StartAsync(ct);
        var owner = await app.Services.GetRequiredService<SetupState>().CreateFirstAdminAsync("bench", "Benchmark", "cloud-benchmark-password", ct)
            ?? throw new InvalidOperationException("The app already had an admin.");
        var queue = app.Services.GetRequiredService<JobQueue>();
        var thumbnails = app.Services.GetRequiredService<ThumbnailQueue>();
        using var watcher = new ImageWatcher(app.Services.GetRequiredService<JobEvents>());
        await watcher.WarmUpAsync(ct);

        async Task<(Guid JobId, long PublishedAt, long SubmittedAt)> ThroughTheAppAsync(GenerationRequest request)
        {
            await AppBenchmark.WaitUntilQuietAsync(thumbnails, ct);
            var published = watcher.Arm();
            var started = Stopwatch.GetTimestamp();
            if (await queue.SubmitAsync(request, owner.User.Id, ct) is not SubmitAccepted { JobIds: [var jobId] } accepted)
            {
                throw new InvalidOperationException("The app refused the benchmark's cloud job.");
            }
            var (imageJob, at) = await published.WaitAsync(CloudJobTimeout, ct);
            return imageJob == jobId ? (jobId, at, started) : throw new InvalidOperationException($"Expected an image of job {jobId}, got one of {imageJob}.");
        }

        var overheads = new List<CloudOverhead>();
        foreach (var (id, setting) in Providers)
        {
            Progress($"Cloud {id} {setting.Model}: {settings.Warmup} + {settings.Jobs} jobs by the bare client and through the app, in turn…");
            var provider = app.Services.GetServices<ICloudImageProvider>().Single(p => p.Provider == id);
            var key = new CloudKey(options.Keys[CloudFixture.StandIn(id)]);
            var (bare, through) = (new List<double>(), new List<double>());
            for (var i = 0; i < settings.Warmup + settings.Jobs; i++)
            {
                var seeded = CloudBackends.SeedMax(setting) is not null; // gpt-image-1 takes no seed
                var request = new GenerationRequest { Prompt = $"a lighthouse at dusk, {id} {i}", SeedMode = seeded ? SeedMode.Fixed : SeedMode.Random, Seed = (ulong)i + 1, Cloud = setting };
                var bareMs = await BareAsync(provider, key, CloudBackends.ToCloudRequest(request, setting, seeded ? i + 1 : null), ct);
                var (_, at, started) = await ThroughTheAppAsync(request with { Prompt = request.Prompt + " (app)" });
                if (i >= settings.Warmup)
                {
                    bare.Add(bareMs);
                    through.Add(Stopwatch.GetElapsedTime(started, at).TotalMilliseconds);
                }
            }
            overheads.Add(new CloudOverhead(id, setting.Options.TryGetValue("output_format", out var format) ? $"{setting.Model} ({format})" : setting.Model, bare, through));
        }

        var polling = new List<PollingJob>();
        var bfl = Providers.First(p => p.Id == CloudProviderId.Bfl).Setting;
        var schedule = Schedule(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CloudOptions>>().Value);
        foreach (var from in settings.ReadyAfterSeconds)
        {
            Progress($"BFL polling: {settings.ReadyJobs} task(s) ready from {from.ToString(CultureInfo.InvariantCulture)} s after acceptance, spread over the next polling interval…");
            for (var j = 0; j < settings.ReadyJobs; j++)
            {
                var readyAfter = ReadyAfter(from, j, settings.ReadyJobs, schedule);
                cloud.Faults(CloudProvider.Bfl).ReadyAfterMs = readyAfter * 1000;
                var prompt = $"a slow lighthouse, ready after {readyAfter.ToString(CultureInfo.InvariantCulture)} s, {j}";
                var pollsBefore = Polls(cloud);
                var (clockStart, stampStart) = (TimeProvider.System.GetUtcNow(), Stopwatch.GetTimestamp());
                var (_, at, _) = await ThroughTheAppAsync(new GenerationRequest { Prompt = prompt, SeedMode = SeedMode.Fixed, Seed = 9, Cloud = bfl });
                var published = clockStart + Stopwatch.GetElapsedTime(stampStart, at);
                var task = cloud.Accepted.Last(r => r.Prompt == prompt).Id!;
                var ready = cloud.BflReadyAt(task) ?? throw new InvalidOperationException($"The stand-in does not say when task {task} was ready.");
                var polls = Polls(cloud) - pollsBefore;
                polling.Add(new PollingJob(from, polls, schedule.ElementAt(polls - 1), published - ready));
            }
        }
        cloud.Faults(CloudProvider.Bfl).Reset();
        Write(Console.Out, overheads, polling, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CloudOptions>>().Value);
        return 0;
    }

    /// <summary>A cloud job is one request and, for FLUX, its polls; the 30 s of a ComfyUI job would not cover a 20 s task and its last poll.</summary>
    private static readonly TimeSpan CloudJobTimeout = TimeSpan.FromMinutes(2);

    /// <summary>The bare client: the app's provider client alone, from the request to the picture's bytes in hand, in ms.</summary>
    private static async Task<double> BareAsync(ICloudImageProvider provider, CloudKey key, CloudImageRequest request, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await provider.SubmitAsync(request, key, ct) switch
        {
            CloudFinished finished => finished.Result,
            CloudAccepted accepted => await provider.ResumeAsync(accepted.Task, key, ct),
            var other => throw new InvalidOperationException($"Unexpected submission {other}."),
        };
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return result.Images is [{ Bytes.Length: > 0 }, ..] ? elapsed : throw new InvalidDataException($"{provider.Name} gave no picture.");
    }

    /// <summary>
    /// When the <paramref name="j"/>th of <paramref name="jobs"/> tasks of a group is ready, in seconds: spread evenly over
    /// the polling interval that follows <paramref name="from"/>. A task is ready at an unknown moment between two polls;
    /// tasks all ready at one instant measure one point of that interval (at the instant of a poll, its worst: a whole
    /// interval plus the saving).
    /// </summary>
    internal static double ReadyAfter(double from, int j, int jobs, IEnumerable<TimeSpan> schedule)
    {
        var at = 0.0;
        foreach (var wait in schedule)
        {
            at += wait.TotalSeconds;
            if (at > from)
            {
                return Math.Round(from + (wait.TotalSeconds * (j + 0.5) / jobs), 3);
            }
        }
        return from;
    }

    private static int Polls(CloudStandInServer cloud) => cloud.Requests.Count(r => r.Path == "/v1/get_result");

    /// <summary>The waits before each poll, as the BFL client chooses them (<c>BflImageProvider</c>: first, then × back-off up to the longest).</summary>
    internal static IEnumerable<TimeSpan> Schedule(CloudOptions options)
    {
        var interval = options.FirstPollInterval;
        while (true)
        {
            yield return interval;
            interval = BflImageProvider.Next(interval, options);
        }
    }

    private static void Write(TextWriter output, List<CloudOverhead> overheads, List<PollingJob> polling, CloudOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        string F(double ms) => ms.ToString("0.00", c);
        output.WriteLine(string.Create(c, $"Cloud benchmark: {overheads[0].App.Count} jobs per provider after warm-up, one at a time, the bare client's and the app's in turn; cloud stand-in in-process at zero latency."));
        output.WriteLine(string.Create(c, $"{RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} CPUs, load average {LoadAverage()} (at the end)."));
        output.WriteLine();
        output.WriteLine("1. Overhead per cloud job (ms). Bare: the app's provider client alone, request → picture's bytes (FLUX: submit, polls, download).");
        output.WriteLine("   App: the same request submitted to the queue → image saved, indexed and published (ImageCreated).");
        output.WriteLine(string.Create(c, $"{"   provider / model",-34}{"bare p50",10}{"bare p95",10}{"app p50",10}{"app p95",10}{"added p50",11}{"added p95",11}"));
        foreach (var o in overheads)
        {
            var (bare, app) = (Percentiles.Of(o.Bare), Percentiles.Of(o.App));
            output.WriteLine(string.Create(c, $"{"   " + o.Provider + " / " + o.Model,-34}{F(bare.P50),10}{F(bare.P95),10}{F(app.P50),10}{F(app.P95),10}{F(app.P50 - bare.P50),11}{F(app.P95 - bare.P95),11}"));
        }
        output.WriteLine();
        var schedule = string.Join(", ", Schedule(options).Take(8).Select(w => w.TotalSeconds.ToString("0.###", c)));
        output.WriteLine(string.Create(c, $"2. BFL polling, production schedule: waits {schedule} … s (first {options.FirstPollInterval.TotalSeconds:0.###} s, × {options.PollBackoff}, at most {options.MaxPollInterval.TotalSeconds:0.###} s)."));
        output.WriteLine("   Each group's tasks are ready at moments spread evenly over the polling interval after its start time. Requests per job");
        output.WriteLine("   = 1 submit + the polls + 1 download. Delay = task ready at the stand-in → image saved and published; target: its p50 under");
        output.WriteLine("   the wait before the poll that found it ready (the polling interval at that moment). A task ready just after a poll waits");
        output.WriteLine("   that whole interval, plus the saving: the max column shows how close to it the group came.");
        output.WriteLine(string.Create(c, $"{"   ready from",-16}{"jobs",6}{"polls",8}{"requests",10}{"delay p50 ms",14}{"max ms",10}{"interval s",12}  verdict"));
        foreach (var group in polling.GroupBy(p => p.ReadyAfterSeconds))
        {
            var jobs = group.ToList();
            var delays = Percentiles.Of(jobs.Select(j => j.ReadyToSaved.TotalMilliseconds));
            var met = delays.P50 < Percentiles.Of(jobs.Select(j => j.LastWait.TotalMilliseconds)).P50;
            var polls = string.Join("/", jobs.Select(j => j.Polls).Distinct());
            var waits = string.Join("/", jobs.Select(j => j.LastWait.TotalSeconds.ToString("0.###", c)).Distinct());
            output.WriteLine(string.Create(c, $"{"   " + group.Key.ToString("0.###", c) + " s",-16}{jobs.Count,6}{polls,8}{string.Join("/", jobs.Select(j => j.Polls + 2).Distinct()),10}{F(delays.P50),14}{F(delays.Max),10}{waits,12}  {(met ? "met" : "MISSED")}"));
        }
    }

    /// <summary>The machine's 1-minute load average (<c>/proc/loadavg</c>): the figures are only as quiet as the machine.</summary>
    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static void Progress(string message) => Console.Error.WriteLine(message);

    /// <summary>The stand-in's provider for the app's.</summary>
    private static class CloudFixture
    {
        public static CloudProvider StandIn(CloudProviderId id) => id switch
        {
            CloudProviderId.OpenAi => CloudProvider.OpenAi,
            CloudProviderId.Ideogram => CloudProvider.Ideogram,
            _ => CloudProvider.Bfl,
        };
    }
}
