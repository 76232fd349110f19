using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace ComfyStandIn;

/// <summary>
/// Previews the size a real server sends (<c>--realistic-previews</c>): 512×512 JPEGs at quality 95, as ComfyUI sends a
/// TAESD preview at the default <c>--preview-size</c>, with detail in them (the synthetic picture under grain that fades
/// from frame to frame, as a sampler's noise does), so their sizes are a real preview's, not a flat colour's. They are
/// made once at start, <see cref="Count"/> of them, and sent in turn, so a step costs the stand-in nothing. Each frame
/// carries its number in its top-left corner (<see cref="MarkerBits"/> cells of <see cref="MarkerCell"/> px, white = 1,
/// lowest bit first), so that a page that shows it can tell which frame it is.
/// </summary>
internal sealed class PreviewFrames
{
    public const int Count = 32, Size = 512, MarkerBits = 8, MarkerCell = 16;

    private readonly byte[][] _frames;
    private int _next = -1;

    private PreviewFrames(byte[][] frames) => _frames = frames;

    public static PreviewFrames Create() =>
        new(Enumerable.Range(0, Count).AsParallel().AsOrdered().Select(Encode).ToArray());

    /// <summary>The next frame in turn and its number.</summary>
    public (byte[] Jpeg, int Number) Next()
    {
        var number = (int)((uint)Interlocked.Increment(ref _next) % Count);
        return (_frames[number], number);
    }

    private static byte[] Encode(int number)
    {
        using var image = Painter.Render("realistic-preview", "frame", Size, Size, number % 4);
        // Grain from strong (an early step) to faint (a late one), different in every frame.
        var amplitude = 32 - (28 * (number % 16) / 15);
        var rng = new Random(number * 7919);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    if (y < MarkerCell && x < MarkerBits * MarkerCell)
                    {
                        var on = ((number >> (x / MarkerCell)) & 1) == 1;
                        row[x] = on ? new Rgb24(255, 255, 255) : new Rgb24(0, 0, 0);
                        continue;
                    }
                    var n = rng.Next(-amplitude, amplitude + 1);
                    var p = row[x];
                    row[x] = new Rgb24(Clamp(p.R + n), Clamp(p.G + n), Clamp(p.B + n));
                }
            }
        });
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms, new JpegEncoder { Quality = 95 });
        return ms.ToArray();
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}

/// <summary>
/// <c>--frame-log path</c>: one line per preview frame, written as the frame is handed to a socket:
/// <c>&lt;Unix time in ms, 3 decimals&gt; &lt;prompt_id&gt; &lt;step&gt; &lt;frame number or -1&gt; &lt;bytes&gt;</c>.
/// Benchmarks relate what a page shows to when the server sent it.
/// </summary>
internal sealed class FrameLog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;

    public FrameLog(string path)
    {
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public void Sent(string promptId, int step, int frame, int bytes)
    {
        var ms = (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;
        lock (_lock)
        {
            _writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms:0.000} {promptId} {step} {frame} {bytes}"));
        }
    }

    public void Dispose()
    {
        lock (_lock) { _writer.Dispose(); }
    }
}
