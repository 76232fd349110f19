using System.Buffers.Binary;
using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>The stand-in's <c>--realistic-previews</c> and <c>--frame-log</c>, which the live-path benchmark relies on.</summary>
public sealed class RealisticPreviewTests
{
    /// <summary>Now in Unix milliseconds with the fraction the frame log writes (whole milliseconds would put a frame sent late in the last one outside).</summary>
    private static double UnixMilliseconds() => (TimeProvider.System.GetUtcNow() - DateTimeOffset.UnixEpoch).TotalMilliseconds;

    [Fact]
    public async Task RealisticPreviews_EachStepSendsADetailed512JpegThatSaysWhichFrameItIs_AndTheLogSaysWhenItWent()
    {
        var log = Path.Combine(Path.GetTempPath(), "standin-frames-" + Guid.NewGuid().ToString("N") + ".log");
        try
        {
            await using (var standIn = await StandInHarness.StartAsync(o =>
            {
                o.RealisticPreviews = true;
                o.FrameLogPath = log;
            }))
            {
                await using var ws = await standIn.ConnectAsync("realistic");
                var before = UnixMilliseconds();
                var id = await standIn.QueueAsync(StandInHarness.Txt2Img(steps: 4), "realistic");
                var events = await ws.UntilDoneAsync(id);
                var after = UnixMilliseconds();

                var frames = events.Where(e => e.Binary is not null).Select(e => e.Binary![8..]).ToList();
                Assert.Equal(4, frames.Count);
                var numbers = new List<int>();
                foreach (var jpeg in frames)
                {
                    Assert.Equal("JPEG", Image.DetectFormat(jpeg).Name);
                    using var image = Image.Load<Rgb24>(jpeg);
                    Assert.Equal((512, 512), (image.Width, image.Height));
                    // A real 512 px preview at quality 95 is tens of kilobytes, not the few a flat picture makes.
                    Assert.InRange(jpeg.Length, 40_000, 400_000);
                    numbers.Add(Marker(image));
                }
                Assert.Equal(4, frames.Select(Convert.ToBase64String).Distinct().Count());
                Assert.Equal(Enumerable.Range(numbers[0], 4), numbers);

                var lines = (await File.ReadAllLinesAsync(log)).Select(l => l.Split(' ')).ToList();
                Assert.Equal(4, lines.Count);
                for (var i = 0; i < 4; i++)
                {
                    var sentAt = double.Parse(lines[i][0], CultureInfo.InvariantCulture);
                    Assert.InRange(sentAt, before, after);
                    Assert.Equal(id, lines[i][1]);
                    Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), lines[i][2]);
                    Assert.Equal(numbers[i].ToString(CultureInfo.InvariantCulture), lines[i][3]);
                    Assert.Equal(frames[i].Length.ToString(CultureInfo.InvariantCulture), lines[i][4]);
                }
            }
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task DefaultPreviews_AreDrawnFromThePrompt_AndNotTheFixedFrames()
    {
        await using var standIn = await StandInHarness.StartAsync();
        await using var ws = await standIn.ConnectAsync("default");

        var id = await standIn.QueueAsync(StandInHarness.Txt2Img(steps: 2), "default");
        var frames = (await ws.UntilDoneAsync(id)).Where(e => e.Binary is not null).ToList();

        Assert.Equal(2, frames.Count);
        Assert.All(frames, f => Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(f.Binary)));
        using var image = Image.Load<Rgb24>(frames[0].Binary.AsSpan(8));
        Assert.Equal((512, 384), (image.Width, image.Height)); // the job's 64×48 shape, as ComfyUI fits it
    }

    /// <summary>The frame number in the top-left cells (16 px each, white = 1, lowest bit first), read at each cell's centre.</summary>
    private static int Marker(Image<Rgb24> image)
    {
        var number = 0;
        for (var bit = 0; bit < 8; bit++)
        {
            if (image[(bit * 16) + 8, 8].G > 127)
            {
                number |= 1 << bit;
            }
        }
        return number;
    }
}
