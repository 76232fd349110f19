using System.Globalization;

namespace DreamLayer.Benchmark;

/// <summary>Prints the live mode's figures as a table, with the issue's targets and what exactly each figure measures.</summary>
internal static class LiveReport
{
    private const double CpuPerJobTarget = 100, PerTabPerStepTarget = 0.2, LatencyP95Target = 50, MbPerTabTarget = 2, IdleTargetMb = 150;

    public static void Write(TextWriter output, LiveSettings settings, IReadOnlyList<LiveRun> runs)
    {
        void Line(string text = "") => output.WriteLine(text);
        var c = CultureInfo.InvariantCulture;
        Line(string.Create(c, $"DreamLayer live path: the app (Release, its own process) and K stand-ins (own processes), txt2img {LiveSettings.Steps} steps × {LiveSettings.StepMs} ms,"));
        Line(string.Create(c, $"512×512, previews 512×512 JPEG q95 (mean {runs.Select(r => r.PreviewKb).DefaultIfEmpty().Average():0} KB); one person in headless Chromium, tabs in turn their Txt2Img page,"));
        Line(string.Create(c, $"the gallery and the Queue page; jobs submitted with the Generate button of the first tab (a batch of K, one per server)."));
        Line(string.Create(c, $"{Environment.ProcessorCount} CPUs, shared with other work: latency is sensitive to that load, CPU time per job much less."));
        Line();
        Line(string.Create(c, $"{"K",2}{"tabs",6}{"jobs",6}{"CPU/job ms",12}{"of it JIT",11}{"per step",10}{"+tab/step",11}{"idle ms/s",11}{"of it JIT",11}{"lat p50",9}{"p95",8}{"max",8}{"sent",7}{"painted",9}{"unmatched",11}"));
        foreach (var run in runs)
        {
            var one = run.PerTabs.FirstOrDefault(t => t.Tabs == 1);
            foreach (var t in run.PerTabs)
            {
                var perTab = one is null || t.Tabs == 1 ? "-" : string.Create(c, $"{(t.CpuMsPerJob - one.CpuMsPerJob) / (t.Tabs - 1) / LiveSettings.Steps:0.00}");
                var txt2imgTabs = Enumerable.Range(0, t.Tabs).Count(i => LiveBrowser.KindOf(i) == TabKind.Txt2Img);
                var painted = t.FramesSent == 0 ? "-" : string.Create(c, $"{(double)t.FramesPainted / (t.FramesSent * txt2imgTabs):P0}");
                var (p50, p95, max) = t.Latency is { } l ? (F(l.P50), F(l.P95), F(l.Max)) : ("-", "-", "-");
                Line(string.Create(c, $"{run.Servers,2}{t.Tabs,6}{t.Jobs,6}{t.CpuMsPerJob,12:0.0}{t.JitMsPerJob,11:0.0}{t.CpuMsPerJob / LiveSettings.Steps,10:0.00}{perTab,11}{t.IdleCpuMsPerSecond,11:0.0}{t.IdleJitMsPerSecond,11:0.0}{p50,9}{p95,8}{max,8}{t.FramesSent,7}{painted,9}{t.Unmatched,11}"));
            }
        }
        Line();
        Line(string.Create(c, $"{"K",2}{"idle MB",9}{"MB/tab",8}  {"RSS by tabs (MB)",-28}{"after N jobs",14}{"after M jobs",14}{"growth MB",11}"));
        foreach (var run in runs)
        {
            var byTabs = string.Join(" ", run.TabMemory.Select(t => string.Create(c, $"{t.Tabs}:{t.ResidentMb:0}")));
            Line(string.Create(c, $"{run.Servers,2}{run.Idle.ResidentMb,9:0.0}{run.MbPerTab,8:0.00}  {byTabs,-28}{$"{run.Short.Jobs}: {run.Short.Memory.ResidentMb:0.0}",14}{$"{run.Long.Jobs}: {run.Long.Memory.ResidentMb:0.0}",14}{run.Long.Memory.ResidentMb - run.Short.Memory.ResidentMb,11:0.0}"));
        }
        var skew = runs.SelectMany(r => r.PerTabs).Select(t => t.ClockSkewMs).DefaultIfEmpty().Max();
        Line(string.Create(c, $"(The tabs' clocks were at most {skew:0.0} ms off the system's wall clock, which the stand-ins' logs use.)"));
        Line();
        Line("What is measured:");
        Line(string.Create(c, $"- CPU/job: the app process's user + system CPU time (/proc/<pid>/stat) from just before the first Generate to 1 s after the"));
        Line(string.Create(c, $"  last job ended (its thumbnail made), divided by the jobs, after one warm-up job; the submit through the page, {LiveSettings.Steps} progress"));
        Line("  events and preview frames, the image's download, storage and thumbnail, and every open tab's updates. per step = CPU/job / steps;");
        Line("  +tab/step = (CPU/job with n tabs - with 1 tab) / (n - 1) / steps. idle ms/s: the app's CPU per second with the tabs open, no job.");
        Line("  of it JIT: the part spent by the runtime's background JIT thread (.NET Tiered Compilation, /proc/<pid>/task/*/stat read every");
        Line("  100 ms), which recompiles methods once they have run often enough: a cost of warming up (a method run once per job is");
        Line("  recompiled after about 30 jobs), which a long-running app has paid; CPU/job minus it is the cost of the jobs themselves.");
        Line("- lat: from the stand-in handing a preview frame to its socket (its --frame-log, wall clock) to the first animation frame after a");
        Line("  Txt2Img tab's <img data-testid=preview> fired `load` for that frame (performance.timeOrigin + now(): the frame that paints it).");
        Line("  The frame is identified exactly, not by time: the stand-in draws its number in the picture's corner, the tab reads it from the");
        Line("  loaded image, the card's job id gives the prompt id (app database), and the log gives when that frame of that prompt was sent.");
        Line("  Frames a tab never painted (latest-wins skips) have no latency; painted = frames painted / (frames sent × Txt2Img tabs).");
        Line("  Works whether the preview is a data: URL in the render or a /previews/{job}?v= URL (an init script watches src changes).");
        Line(string.Create(c, $"- memory: VmRSS of the app (no forced GC). idle: {IdleMemory.IdleTime.TotalSeconds:0} s after it connected, no tab open. MB/tab: least-squares slope of"));
        Line("  RSS over the tab counts, each read 5 s after opening the tabs (no job in between, after the app's own trim 30 s after the warm-up).");
        Line(string.Create(c, $"  after N / M jobs: with 1 tab, jobs of {LiveSettings.LongRunSteps} steps × {LiveSettings.LongRunStepMs} ms (faster than above, so the run stays short) in batches of 100,"));
        Line("  read 35 s after the last job (after the app gives memory back, 30 s after the last job); N and M count every job the app ran.");
        Line();
        Line(string.Create(c, $"Targets (issue 16): CPU/job ≤ {CpuPerJobTarget} ms with 5 tabs, +tab/step ≤ {PerTabPerStepTarget} ms, latency p95 < {LatencyP95Target} ms with 20 tabs,"));
        Line(string.Create(c, $"RSS per tab < {MbPerTabTarget} MB, idle RSS ≤ {IdleTargetMb} MB, no growth from N to M jobs beyond a stated cache bound."));
        foreach (var run in runs)
        {
            var five = run.PerTabs.FirstOrDefault(t => t.Tabs == 5);
            var twenty = run.PerTabs.FirstOrDefault(t => t.Tabs == 20);
            Line(string.Create(c, $"  K={run.Servers}: CPU/job with 5 tabs {(five is null ? "not measured" : Verdict(five.CpuMsPerJob <= CpuPerJobTarget))}, "
                + $"p95 with 20 tabs {(twenty?.Latency is { } l ? Verdict(l.P95 < LatencyP95Target) : "not measured")}, "
                + $"MB/tab {Verdict(run.MbPerTab < MbPerTabTarget)}, idle {Verdict(run.Idle.ResidentMb <= IdleTargetMb)}"));
        }
        _ = settings;
    }

    private static string F(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Verdict(bool met) => met ? "met" : "MISSED";
}
