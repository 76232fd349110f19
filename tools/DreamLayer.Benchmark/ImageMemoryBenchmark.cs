using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Images;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Benchmark;

/// <summary>
/// The memory an untrusted image costs the app: the real app (in this process, on Kestrel, against an in-process
/// stand-in) is handed hostile files through <see cref="UploadStore"/>, the service the Img2Img, Inpaint, ControlNet,
/// Extras, Workflows and PNG Info pages use, and this process's resident memory (<c>VmRSS</c>) is read before each
/// case, sampled every 5 ms while it runs (peak), and read again after 10 s of quiet, in which the app gives memory
/// back by itself (nothing here forces a collection). Cases: a valid 260 KB grey PNG of 16384×16384 once, then four at
/// once; four grey PNGs at the source limit (4096²) at once; four 8192×4096 at once on Extras; a 1 MB PNG whose zTXt
/// chunk inflates to 1 GiB, read as PNG Info reads it and stored as an Img2Img source.
/// </summary>
internal static class ImageMemoryBenchmark
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(string work, CancellationToken ct)
    {
        Console.Error.WriteLine("Making the files: a 16384×16384 grey PNG and a zTXt bomb of 1 GiB…");
        var grey = GreyPng(16384, 16384);
        var bomb = ZtxtBomb(1024);
        var atLimit = GreyPng(4096, 4096);
        var wide = GreyPng(8192, 4096);
        await using var standIn = await Workload.StartStandInAsync(Path.Combine(work, "standin"), ct);
        using var app = new InProcessApp(standIn.BaseAddress, Path.Combine(work, "app"));
        await app.StartAsync(ct);
        var uploads = app.Services.GetRequiredService<UploadStore>();
        Console.Error.WriteLine("App started; letting its start-up settle…");
        await Task.Delay(Quiet, ct);

        using var sampler = new ResidentSampler();
        var rows = new List<string[]>();
        var cases = new (string Name, Func<Task<string>> Run)[]
        {
            ($"1 grey PNG 16384² ({grey.Length / 1024:N0} KB) as Img2Img source", async () => Describe(await uploads.SaveAsync(new MemoryStream(grey), "grey.png", ct))),
            ("4 of them at once", async () => string.Join(" | ", (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => uploads.SaveAsync(new MemoryStream(grey), "grey.png", ct)))).Select(Describe).Distinct())),
            ("4 grey PNG 4096² at once (Img2Img source)", async () => string.Join(" | ", (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => uploads.SaveAsync(new MemoryStream(atLimit), "grey.png", ct)))).Select(Describe).Distinct())),
            ("4 grey PNG 8192×4096 at once (Extras)", async () => string.Join(" | ", (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => uploads.SaveAsync(new MemoryStream(wide), "grey.png", ImagePurpose.Upscale, ct)))).Select(Describe).Distinct())),
            ($"zTXt bomb ({bomb.Length / 1024:N0} KB → 1 GiB) in PNG Info", async () =>
            {
                var checkedFile = await uploads.CheckAsync(new MemoryStream(bomb), ct);
                return checkedFile is UploadInspected inspected ? string.Join(" ", ImageMetadataReader.Read(inspected.Bytes).Problems.DefaultIfEmpty("read, no problem")) : Describe(checkedFile);
            }),
            ("zTXt bomb as Img2Img source", async () => Describe(await uploads.SaveAsync(new MemoryStream(bomb), "bomb.png", ct))),
        };
        foreach (var (name, run) in cases)
        {
            Console.Error.WriteLine($"{name}…");
            var before = ResidentSampler.ResidentMb();
            sampler.ResetPeak();
            var started = Stopwatch.GetTimestamp();
            var work1 = run();
            var answered = await Task.WhenAny(work1, Task.Delay(GiveUpAfter, ct)) == work1;
            var elapsed = Stopwatch.GetElapsedTime(started);
            var peak = sampler.Peak;
            if (!answered)
            {
                rows.Add([name, $"no answer within {GiveUpAfter.TotalSeconds:0} s", "-", Mb(before), Mb(peak), "-"]);
                break; // the work goes on in the background; later figures would measure it, not their case
            }
            string result;
            try
            {
                result = await work1;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                result = $"{ex.GetType().Name}: {ex.Message}";
            }
            await Task.Delay(Quiet, ct);
            rows.Add([name, Shorten(result), $"{elapsed.TotalMilliseconds:N0} ms", Mb(before), Mb(peak), Mb(ResidentSampler.ResidentMb())]);
        }
        Write(Console.Out, rows);
        return 0;
    }

    private static string Describe(UploadResult result) => result switch
    {
        UploadAccepted a => $"accepted {a.Width}×{a.Height}",
        UploadRejected r => $"refused: {r.Message}",
        UploadInspected i => $"checked {i.Width}×{i.Height}",
        _ => result.GetType().Name,
    };

    private static string Shorten(string text) => text.Length <= 110 ? text : text[..107] + "…";

    private static string Mb(double mb) => string.Create(CultureInfo.InvariantCulture, $"{mb:N0} MB");

    private static void Write(TextWriter output, List<string[]> rows)
    {
        string[] header = ["case", "answer", "time", "RSS before", "RSS peak", $"RSS {Quiet.TotalSeconds:0} s after"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        }
        output.WriteLine();
        output.WriteLine($"Resident memory of this process (the app in-process, {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}); peak sampled every 5 ms.");
    }

    /// <summary>A valid 8-bit grey PNG, all black, its rows deflated as they are made.</summary>
    private static byte[] GreyPng(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        png.Write(Chunk("IHDR", ihdr));
        using (var idat = new MemoryStream())
        {
            using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                var row = new byte[width + 1];
                for (var y = 0; y < height; y++)
                {
                    z.Write(row);
                }
            }
            png.Write(Chunk("IDAT", idat.ToArray()));
        }
        png.Write(Chunk("IEND", []));
        return png.ToArray();
    }

    /// <summary>A 64×64 grey PNG with a zTXt 'parameters' chunk that inflates to <paramref name="mebibytes"/> MiB.</summary>
    private static byte[] ZtxtBomb(int mebibytes)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < mebibytes; i++)
            {
                z.Write(zeros);
            }
        }
        var small = GreyPng(64, 64);
        byte[] chunk = Chunk("zTXt", [.. "parameters"u8, 0, 0, .. compressed.ToArray()]);
        return [.. small[..^12], .. chunk, .. small[^12..]];
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var result = new byte[data.Length + 12];
        BinaryPrimitives.WriteUInt32BigEndian(result, (uint)data.Length);
        Encoding.ASCII.GetBytes(type, result.AsSpan(4));
        data.CopyTo(result, 8);
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(8 + data.Length), Crc32.Compute(result.AsSpan(4, 4 + data.Length)));
        return result;
    }

    /// <summary>Reads this process's <c>VmRSS</c> every 5 ms on a thread of its own and keeps the highest.</summary>
    internal sealed class ResidentSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peakKb;

        public ResidentSampler()
        {
            _thread = new Thread(Sample) { IsBackground = true, Name = "rss-sampler" };
            _thread.Start();
        }

        public double Peak => Interlocked.Read(ref _peakKb) / 1024.0;

        public void ResetPeak() => Interlocked.Exchange(ref _peakKb, ResidentKb());

        public static double ResidentMb() => ResidentKb() / 1024.0;

        private static long ResidentKb()
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
            return 0;
        }

        private void Sample()
        {
            while (!_stop)
            {
                var now = ResidentKb();
                var seen = Interlocked.Read(ref _peakKb);
                while (now > seen)
                {
                    var found = Interlocked.CompareExchange(ref _peakKb, now, seen);
                    seen = found == seen ? now : found;
                }
                Thread.Sleep(5);
            }
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
