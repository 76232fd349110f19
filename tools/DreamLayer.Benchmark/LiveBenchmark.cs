using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>The figures with one number of tabs open.</summary>
/// <param name="CpuMsPerJob">App CPU time (user + system) over the jobs, divided by their number.</param>
/// <param name="JitMsPerJob">The part of <paramref name="CpuMsPerJob"/> the runtime's background JIT spent (<see cref="LiveCpu"/>).</param>
/// <param name="IdleCpuMsPerSecond">App CPU time per second with the tabs open and no job running.</param>
/// <param name="IdleJitMsPerSecond">The part of <paramref name="IdleCpuMsPerSecond"/> the background JIT spent.</param>
/// <param name="Latency">Stand-in sent a frame → a tab painted it (ms), over every Txt2Img tab; null if none was painted.</param>
/// <param name="ClockSkewMs">The most a tab's clock was off the wall clock (see <see cref="LiveBrowser.ClockSkewMs"/>).</param>
internal sealed record TabFigures(int Tabs, int Jobs, double CpuMsPerJob, double JitMsPerJob, double IdleCpuMsPerSecond, double IdleJitMsPerSecond, Percentiles? Latency, int FramesSent, int FramesPainted, int Unmatched, double ClockSkewMs);

/// <summary>One configuration (K stand-ins) of the live mode.</summary>
internal sealed record LiveRun(
    int Servers,
    ProcessMemory Idle,
    IReadOnlyList<(int Tabs, double ResidentMb)> TabMemory,
    IReadOnlyList<TabFigures> PerTabs,
    (int Jobs, ProcessMemory Memory) Short,
    (int Jobs, ProcessMemory Memory) Long,
    double PreviewKb)
{
    /// <summary>Least-squares slope of resident memory over the number of open tabs (MB per tab).</summary>
    public double MbPerTab
    {
        get
        {
            if (TabMemory.Count < 2)
            {
                return double.NaN;
            }
            var mx = TabMemory.Average(t => t.Tabs);
            var my = TabMemory.Average(t => t.ResidentMb);
            return TabMemory.Sum(t => (t.Tabs - mx) * (t.ResidentMb - my)) / TabMemory.Sum(t => (t.Tabs - mx) * (t.Tabs - mx));
        }
    }
}

/// <summary>
/// The live path as people see it: the app as its own process (Release build), K stand-ins (own processes) at 50 ms a
/// step sending realistic previews (512×512 JPEG, quality 95), one person in headless Chromium with N tabs open (their
/// own Txt2Img page, the gallery and the Queue page in turn), jobs submitted from the first tab with the Generate button.
/// See <see cref="LiveReport"/> for what each figure means.
/// </summary>
internal sealed class LiveBenchmark(LiveSettings settings, string workDirectory)
{
    private const string Person = "person", Password = "live-benchmark-password";
    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Quiet time before a memory figure: the app collects and gives memory back 30 s after the last job.</summary>
    private static readonly TimeSpan MemorySettle = TimeSpan.FromSeconds(35);

    public async Task<LiveRun> RunAsync(int servers, CancellationToken ct)
    {
        var dir = Path.Combine(workDirectory, $"k{servers}");
        var standIns = new List<StandInProcess>();
        var logs = Enumerable.Range(0, servers).Select(i => Path.Combine(dir, $"frames{i}.log")).ToList();
        try
        {
            for (var i = 0; i < servers; i++)
            {
                standIns.Add(await StandInProcess.StartAsync(Path.Combine(dir, $"standin{i}"), ct, LiveSettings.StepMs, "--realistic-previews", "--frame-log", logs[i]));
            }
            var data = Path.Combine(dir, "data");
            await SeedAccountsAsync(standIns[0].BaseAddress, data, ct);
            await using var app = await AppProcess.StartAsync(standIns.Select(s => s.BaseAddress).ToList(), data, ct,
                new Dictionary<string, string> { ["ComfyUi:MaxJobsPerUser"] = "100" });
            await Task.Delay(IdleMemory.IdleTime, ct);
            var idle = app.Memory();
            var jobs = new JobCounter(Path.Combine(data, "dreamlayer.db"));

            await using var browser = await LiveBrowser.StartAsync(app.Root, Person, Password);
            await browser.FillAsync("Prompt", "a lighthouse on a cliff at dusk");
            await browser.FillAsync("Steps", LiveSettings.Steps.ToString(CultureInfo.InvariantCulture));
            await browser.FillAsync("Batch count", servers.ToString(CultureInfo.InvariantCulture));
            Progress($"  {servers} server(s): warm-up job(s), then memory with 1…{settings.Tabs[^1]} tabs…");
            await RunJobsAsync(browser, jobs, servers, 1, ct);
            _ = await browser.TakePaintsAsync();

            var tabMemory = new List<(int, double)>();
            await Task.Delay(MemorySettle, ct);
            foreach (var tabs in settings.Tabs)
            {
                await browser.SetTabsAsync(tabs);
                await Task.Delay(TimeSpan.FromSeconds(5), ct);
                tabMemory.Add((tabs, app.Memory().ResidentMb));
            }

            var perTabs = new List<TabFigures>();
            var previewBytes = new List<int>();
            foreach (var tabs in settings.Tabs.Reverse())
            {
                Progress($"  {servers} server(s), {tabs} tab(s): {settings.Jobs} × {servers} job(s) of {LiveSettings.Steps} steps…");
                await browser.SetTabsAsync(tabs);
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
                _ = await browser.TakePaintsAsync();
                var idleClock = Stopwatch.GetTimestamp();
                CpuSpent idleCpu;
                await using (var meter = LiveCpu.Start(app))
                {
                    await Task.Delay(TimeSpan.FromSeconds(3), ct);
                    idleCpu = await meter.StopAsync();
                }
                var idleSeconds = Stopwatch.GetElapsedTime(idleClock).TotalSeconds;

                var sentFrom = logs.Sum(l => File.ReadLines(l).Count());
                int ran;
                CpuSpent cpu;
                await using (var meter = LiveCpu.Start(app))
                {
                    ran = await RunJobsAsync(browser, jobs, servers, settings.Jobs, ct);
                    await Task.Delay(TimeSpan.FromSeconds(1), ct); // the thumbnails, made once the app is quiet
                    cpu = await meter.StopAsync();
                }

                var sent = logs.SelectMany(l => File.ReadLines(l)).Select(SentFrame.Parse).ToList();
                previewBytes.AddRange(sent.Skip(sentFrom).Select(f => f.Bytes));
                var painted = await browser.TakePaintsAsync();
                var (latencies, unmatched) = Match(painted, sent, jobs.PromptIds());
                perTabs.Add(new TabFigures(tabs, ran, cpu.Total.TotalMilliseconds / ran, cpu.Jit.TotalMilliseconds / ran,
                    idleCpu.Total.TotalMilliseconds / idleSeconds, idleCpu.Jit.TotalMilliseconds / idleSeconds, latencies.Count > 0 ? Percentiles.Of(latencies) : null, sent.Count - sentFrom, painted.Count, unmatched, browser.ClockSkewMs));
            }

            Progress($"  {servers} server(s): long run of {settings.LongRun} jobs ({LiveSettings.LongRunSteps} steps × {LiveSettings.LongRunStepMs} ms), 1 tab…");
            await browser.SetTabsAsync(1);
            foreach (var standIn in standIns)
            {
                using var http = new HttpClient { BaseAddress = standIn.BaseAddress };
                using var response = await http.PostAsJsonAsync(new Uri("__standin/faults", UriKind.Relative), new { stepTimeMs = LiveSettings.LongRunStepMs }, ct);
                response.EnsureSuccessStatusCode();
            }
            await browser.FillAsync("Steps", LiveSettings.LongRunSteps.ToString(CultureInfo.InvariantCulture));
            var done = jobs.Finished();
            await RunBatchesAsync(browser, jobs, settings.ShortRun - done, ct);
            await Task.Delay(MemorySettle, ct);
            var shortRun = (jobs.Finished(), app.Memory());
            await RunBatchesAsync(browser, jobs, settings.LongRun - jobs.Finished(), ct);
            await Task.Delay(MemorySettle, ct);
            var longRun = (jobs.Finished(), app.Memory());
            return new LiveRun(servers, idle, tabMemory, perTabs.OrderBy(t => t.Tabs).ToList(), shortRun, longRun, previewBytes.Count == 0 ? 0 : previewBytes.Average() / 1024);
        }
        finally
        {
            foreach (var standIn in standIns)
            {
                await standIn.DisposeAsync();
            }
        }
    }

    /// <summary><paramref name="rounds"/> times: Generate (a batch of <paramref name="perRound"/> jobs), wait until all ended.</summary>
    private static async Task<int> RunJobsAsync(LiveBrowser browser, JobCounter jobs, int perRound, int rounds, CancellationToken ct)
    {
        for (var i = 0; i < rounds; i++)
        {
            var target = jobs.Finished() + perRound;
            await browser.GenerateAsync();
            await jobs.WaitForAsync(target, JobTimeout, ct);
        }
        return perRound * rounds;
    }

    /// <summary>Runs <paramref name="count"/> more jobs in batches of up to 100 (the form's largest batch count).</summary>
    private static async Task RunBatchesAsync(LiveBrowser browser, JobCounter jobs, int count, CancellationToken ct)
    {
        while (count > 0)
        {
            var batch = Math.Min(100, count);
            await browser.FillAsync("Batch count", batch.ToString(CultureInfo.InvariantCulture));
            var target = jobs.Finished() + batch;
            await browser.GenerateAsync();
            await jobs.WaitForAsync(target, JobTimeout * 5, ct);
            count -= batch;
        }
    }

    /// <summary>
    /// Relates each painted frame to the frame the stand-in sent: the tab knows the job (its card) and the frame's number
    /// (drawn in its corner); the app's database gives the job's prompt id; the stand-in's log gives when it sent that
    /// frame of that prompt. A job's frames come from one server in turn, so the pair is unique.
    /// </summary>
    private static (List<double> Latencies, int Unmatched) Match(List<PaintedFrame> painted, List<SentFrame> sent, Dictionary<Guid, string> promptIds)
    {
        var sentAt = new Dictionary<(string, int), double>();
        foreach (var f in sent)
        {
            sentAt[(f.PromptId, f.Frame)] = f.SentAtMs;
        }
        var latencies = new List<double>();
        var unmatched = 0;
        foreach (var p in painted)
        {
            if (promptIds.TryGetValue(p.JobId, out var prompt) && sentAt.TryGetValue((prompt, p.Frame), out var at))
            {
                latencies.Add(p.PaintedAtMs - at);
            }
            else
            {
                unmatched++;
            }
        }
        return (latencies, unmatched);
    }

    /// <summary>Creates the person's account (and an admin, so the app is set up) before the app process first starts.</summary>
    private static async Task SeedAccountsAsync(Uri standIn, string data, CancellationToken ct)
    {
        await using var seeder = new AccountSeeder(standIn, data);
        seeder.StartServer();
        var hash = new PasswordHasher<DreamLayerUser>().HashPassword(new DreamLayerUser(), Password);
        await using var scope = seeder.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<DreamLayerUser>>();
        foreach (var (name, role) in new[] { ("owner", Roles.Admin), (Person, Roles.Member) })
        {
            ct.ThrowIfCancellationRequested();
            var user = new DreamLayerUser { Id = "bench-" + name, UserName = name, DisplayName = name, PasswordHash = hash };
            Check(await users.CreateAsync(user));
            Check(await users.AddToRoleAsync(user, role));
        }
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine(message);

    /// <summary>The app in-process for a moment, only to create its database and accounts.</summary>
    private sealed class AccountSeeder(Uri standIn, string data) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ComfyUi:Servers:0:Name", AppProcess.ServerName(0));
            builder.UseSetting("ComfyUi:Servers:0:Url", standIn.ToString());
            builder.UseSetting("Storage:DataDirectory", data);
            builder.UseSetting("ComfyUi:WarmUp", "false");
            builder.UseSetting("Serilog:WriteTo:0:Args:restrictedToMinimumLevel", "Warning");
            builder.UseSetting("Serilog:WriteTo:1:Args:path", Path.Combine(data, "logs", "seed-.log"));
        }
    }
}

/// <summary>One line of a stand-in's <c>--frame-log</c>.</summary>
internal sealed record SentFrame(double SentAtMs, string PromptId, int Step, int Frame, int Bytes)
{
    public static SentFrame Parse(string line)
    {
        var f = line.Split(' ');
        return new SentFrame(double.Parse(f[0], CultureInfo.InvariantCulture), f[1], int.Parse(f[2], CultureInfo.InvariantCulture),
            int.Parse(f[3], CultureInfo.InvariantCulture), int.Parse(f[4], CultureInfo.InvariantCulture));
    }
}

/// <summary>Reads the app's database (read-only, from outside the app) for jobs that ended and their prompt ids.</summary>
internal sealed class JobCounter(string databasePath)
{
    private readonly string _connection = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();

    public int Finished() => Scalar("SELECT COUNT(*) FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled')");

    public async Task WaitForAsync(int finished, TimeSpan timeout, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (Finished() < finished)
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"Only {Finished()} of {finished} jobs ended within {timeout.TotalSeconds:0} s.");
            }
            await Task.Delay(50, ct);
        }
        if (Scalar("SELECT COUNT(*) FROM Jobs WHERE Status IN ('Failed', 'Cancelled')") is > 0 and var failed)
        {
            throw new InvalidOperationException($"{failed} benchmark job(s) did not succeed.");
        }
    }

    public Dictionary<Guid, string> PromptIds()
    {
        using var connection = new SqliteConnection(_connection);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id, PromptId FROM Jobs WHERE PromptId IS NOT NULL";
        using var reader = command.ExecuteReader();
        var ids = new Dictionary<Guid, string>();
        while (reader.Read())
        {
            ids[Guid.Parse(reader.GetString(0), CultureInfo.InvariantCulture)] = reader.GetString(1);
        }
        return ids;
    }

    private int Scalar(string sql)
    {
        using var connection = new SqliteConnection(_connection);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }
}
