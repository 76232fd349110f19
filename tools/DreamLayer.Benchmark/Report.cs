using System.Globalization;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using DreamLayer.Web.Images;

namespace DreamLayer.Benchmark;

/// <summary>Nearest-rank percentiles of a set of timings in ms.</summary>
internal sealed record Percentiles(double P50, double P95, double Max)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("No values.", nameof(values));
        }
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(At(0.50), At(0.95), sorted[^1]);
    }
}

/// <summary>Prints the figures as a plain text table, with the targets beside them.</summary>
internal sealed class Report(TextWriter output, BenchmarkSettings settings)
{
    // Idle memory: issue 16 withdrew the earlier 130 MB target as out of reach for this stack and set 150 MB (what
    // SwarmUI measured idle on the same kind of machine).
    private const double AddedP50Target = 8, AddedP95Target = 15, MemoryTargetMb = 150;

    public void Write(AppResults app, MemoryFigures memory)
    {
        var submit = Percentiles.Of(app.Measured.Select(j => j.SubmitMs));
        var completion = Percentiles.Of(app.Measured.Select(j => j.CompletionMs));
        var both = Percentiles.Of(app.Measured.Select(j => j.SubmitMs + j.CompletionMs));
        var endToEnd = Percentiles.Of(app.Measured.Select(j => j.EndToEndMs));
        var bare = Percentiles.Of(app.Direct);
        var (addedP50, addedP95) = (endToEnd.P50 - bare.P50, endToEnd.P95 - bare.P95);

        Line($"DreamLayer benchmark: {settings.Jobs} jobs after {settings.Warmup} warm-up, txt2img template, 1 step, {settings.ImageSize}×{settings.ImageSize},");
        Line($"app code {(ReadyToRun ? "ReadyToRun (precompiled)" : "JIT-compiled")}; stand-in (its own process) with zero step time and previews on; one job at a time, the app's and the direct loop's in turn. {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} CPUs.");
        Line();
        Line($"{"1. App overhead per job (ms)",-56}{"p50",8}{"p95",9}{"max",9}");
        Row("   (a) submit → POST /prompt", submit);
        Row("   (b) final event → image saved, indexed, published", completion);
        Row("   (c) (a) + (b)", both);
        Row("   (d) end to end: submit → image published", endToEnd);
        Line();
        Line($"{"2. Against a bare ComfyUI client (ms)",-56}{"p50",8}{"p95",9}");
        Line($"{"   direct loop: POST /prompt, WS until done, GET /view",-56}{F(bare.P50),8}{F(bare.P95),9}");
        Line($"{"   DreamLayer end to end",-56}{F(endToEnd.P50),8}{F(endToEnd.P95),9}");
        Line($"   DreamLayer adds {F(addedP50)} ms at p50, {F(addedP95)} ms at p95 (target ≤ {AddedP50Target} ms at p50, ≤ {AddedP95Target} ms at p95): "
             + Verdict(addedP50 <= AddedP50Target && addedP95 <= AddedP95Target));
        var (thumbs, thumbTime) = app.Thumbnails;
        Line($"   Not counted above: the thumbnails, made once the app is quiet ({ThumbnailQueue.QuietPeriod.TotalMilliseconds:0} ms, at most {ThumbnailQueue.MaxDelay.TotalSeconds:0} s late");
        Line($"   under constant load): {thumbs} made, {F(thumbs == 0 ? 0 : thumbTime.TotalMilliseconds / thumbs)} ms each.");
        Line();
        var first = app.First;
        var median = new AppJob(submit.P50, completion.P50, endToEnd.P50);
        Line($"{(settings.AppWarmUp ? "3. First job after start (ms)" : "3. First job after start, warm-ups off (ms)"),-48}{"submit",8}{"complete",10}{"end to end",12}");
        Line($"{"   first job",-48}{F(first.SubmitMs),8}{F(first.CompletionMs),10}{F(first.EndToEndMs),12}");
        Line($"{"   median of later jobs",-48}{F(median.SubmitMs),8}{F(median.CompletionMs),10}{F(median.EndToEndMs),12}");
        Line($"   extra delay of the first job: {F(first.EndToEndMs - median.EndToEndMs)} ms "
             + $"({F(first.SubmitMs - median.SubmitMs)} in submit, {F(first.CompletionMs - median.CompletionMs)} in completion; target: none)");
        Line();
        Line($"4. Idle memory (app process, {IdleMemory.IdleTime.TotalSeconds:0} s idle after connecting; no forced GC; target ≤ {MemoryTargetMb} MB)");
        Line($"   first start, empty data folder (creates the database): resident (VmRSS) {memory.FirstStart.ResidentMb:0.0} MB, peak {memory.FirstStart.PeakResidentMb:0.0} MB: "
             + Verdict(memory.FirstStart.ResidentMb <= MemoryTargetMb));
        Line($"   restart on that folder (nothing to migrate):             resident (VmRSS) {memory.Restart.ResidentMb:0.0} MB, peak {memory.Restart.PeakResidentMb:0.0} MB: "
             + Verdict(memory.Restart.ResidentMb <= MemoryTargetMb));
    }

    /// <summary>Whether the app's own assembly was published ReadyToRun (its code precompiled), as <c>--r2r</c> publishing does.</summary>
    public static bool ReadyToRun
    {
        get
        {
            using var file = File.OpenRead(typeof(Program).Assembly.Location);
            using var pe = new PEReader(file);
            return pe.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
        }
    }

    private void Row(string label, Percentiles p) => Line($"{label,-56}{F(p.P50),8}{F(p.P95),9}{F(p.Max),9}");

    private void Line(string text = "") => output.WriteLine(text);

    private static string F(double ms) => ms.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Verdict(bool met) => met ? "met" : "MISSED";
}
