using System.Globalization;

namespace DreamLayer.Benchmark;

/// <summary>CPU time of the app over a span: all of it, and the part its runtime's background JIT spent.</summary>
internal readonly record struct CpuSpent(TimeSpan Total, TimeSpan Jit);

/// <summary>
/// Measures the app's CPU time over a span and the share of it spent by the runtime's background JIT: the thread named
/// <c>.NET Tiered Com…</c>, which recompiles methods with full optimisation once they have been called often enough
/// (tiered compilation), so while the app warms up. That thread ends when it has nothing to do and a new one starts
/// later, and an ended thread's time leaves <c>/proc/&lt;pid&gt;/task</c>, so its time is read every 100 ms and the
/// last reading of each thread counts. The total is the process's own (<see cref="AppProcess.CpuTime"/>).
/// </summary>
internal sealed class LiveCpu : IAsyncDisposable
{
    /// <summary>The name (<c>comm</c>, 15 characters at most) of the runtime's tiered-compilation thread.</summary>
    private const string JitThread = ".NET Tiered Com";

    private const int ClockTicksPerSecond = 100;

    private readonly AppProcess _app;
    private readonly Dictionary<string, (long First, long Last)> _jit = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _from;
    private readonly Task _sampling;

    private LiveCpu(AppProcess app)
    {
        _app = app;
        _from = app.CpuTime();
        Sample(first: true);
        _sampling = SampleAsync(_stop.Token);
    }

    public static LiveCpu Start(AppProcess app) => new(app);

    /// <summary>Stops measuring and returns what the app spent since <see cref="Start"/>.</summary>
    public async Task<CpuSpent> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        Sample(first: false);
        var jit = _jit.Values.Sum(t => t.Last - t.First);
        return new CpuSpent(_app.CpuTime() - _from, TimeSpan.FromSeconds(jit / (double)ClockTicksPerSecond));
    }

    private async Task SampleAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                Sample(first: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    /// <summary>Reads every JIT thread's time; a thread first seen at the start counts from there, a later one from zero.</summary>
    private void Sample(bool first)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{_app.Pid.ToString(CultureInfo.InvariantCulture)}/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }
            var close = stat.LastIndexOf(')');
            if (!stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close].StartsWith(JitThread, StringComparison.Ordinal))
            {
                continue;
            }
            var fields = stat[(close + 2)..].Split(' ');
            // After the name: state is field 3, utime 14 and stime 15 (1-based, as proc(5) counts them).
            var ticks = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
            var tid = Path.GetFileName(task);
            _jit[tid] = _jit.TryGetValue(tid, out var seen) ? (seen.First, ticks) : (first ? ticks : 0, ticks);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}
