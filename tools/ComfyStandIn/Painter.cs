using System.Security.Cryptography;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace ComfyStandIn;

/// <summary>Draws the deterministic synthetic picture for a seed and prompt: a gradient with a few discs.</summary>
internal static class Painter
{
    public static Image<Rgb24> Render(string seed, string text, int width, int height, int index)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{text}\n{index}"));
        var image = new Image<Rgb24>(Math.Max(1, width), Math.Max(1, height));
        var c0 = new Rgb24(hash[0], hash[1], hash[2]);
        var c1 = new Rgb24(hash[3], hash[4], hash[5]);
        var discs = Enumerable.Range(0, 5).Select(i =>
        {
            var o = 6 + (i * 5);
            return (X: hash[o] / 255.0, Y: hash[o + 1] / 255.0, R: 0.08 + (hash[o + 2] / 255.0 * 0.25), Color: new Rgb24(hash[o + 3], hash[o + 4], (byte)(hash[o + 3] ^ hash[o + 4])));
        }).ToArray();
        var angle = hash[31] / 255.0 * Math.PI * 2;
        var (ca, sa) = (Math.Cos(angle), Math.Sin(angle));
        var w = image.Width;
        var h = image.Height;
        var scale = Math.Max(w, h);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                var ny = (double)y / scale;
                for (var x = 0; x < row.Length; x++)
                {
                    var nx = (double)x / scale;
                    var t = Math.Clamp(0.5 + (((nx - 0.5) * ca) + ((ny - 0.5) * sa)), 0, 1);
                    var px = Lerp(c0, c1, t);
                    foreach (var d in discs)
                    {
                        var dx = nx - d.X;
                        var dy = ny - d.Y;
                        if ((dx * dx) + (dy * dy) < d.R * d.R) { px = Lerp(px, d.Color, 0.8); }
                    }
                    row[x] = px;
                }
            }
        });
        return image;
    }

    /// <summary>
    /// A loaded picture as a preprocessor would leave it: <c>edges:&lt;t&gt;</c> gives white edges on black (Sobel, then a
    /// threshold, like a Canny map), <c>depth</c> a blurred grey-scale (near is bright), null the picture itself.
    /// </summary>
    public static Image<Rgb24> Filtered(string path, string? filter)
    {
        var image = Image.Load<Rgb24>(path);
        if (filter is null)
        {
            return image;
        }
        if (filter.StartsWith("edges:", StringComparison.Ordinal))
        {
            var threshold = float.Parse(filter["edges:".Length..], System.Globalization.CultureInfo.InvariantCulture);
            image.Mutate(x => x.Grayscale().DetectEdges().BinaryThreshold(Math.Clamp(threshold * 0.5f, 0.01f, 0.99f)));
        }
        else if (filter == "depth")
        {
            image.Mutate(x => x.Grayscale().GaussianBlur(Math.Max(1, Math.Max(image.Width, image.Height) / 64f)));
        }
        return image;
    }

    /// <summary>A JPEG preview for a sampler step, fitted into a 512 px square, noisier at early steps.</summary>
    public static byte[] Preview(string seed, string text, int width, int height, int step, int steps)
    {
        var longSide = Math.Max(1, Math.Max(width, height));
        var small = Math.Max(1, 64 * width / longSide);
        var smallH = Math.Max(1, 64 * height / longSide);
        using var image = Render(seed, text, small, smallH, 0);
        var noise = 1.0 - ((double)step / Math.Max(1, steps));
        var rng = new Random(step * 7919);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var g = (byte)rng.Next(256);
                    row[x] = Lerp(row[x], new Rgb24(g, g, g), noise * 0.8);
                }
            }
        });
        var (pw, ph) = width >= height ? (512, Math.Max(1, (int)Math.Round(512.0 * height / longSide))) : (Math.Max(1, (int)Math.Round(512.0 * width / longSide)), 512);
        image.Mutate(m => m.Resize(pw, ph));
        using var ms = new MemoryStream();
        image.SaveAsJpeg(ms, new JpegEncoder { Quality = 95 });
        return ms.ToArray();
    }

    /// <summary>The picture as PNG without text chunks, as PIL writes it for a websocket frame (compress level 1).</summary>
    public static byte[] Png(Image<Rgb24> image)
    {
        image.Metadata.GetPngMetadata().TextData.Clear();
        using var ms = new MemoryStream();
        image.SaveAsPng(ms, new PngEncoder { CompressionLevel = PngCompressionLevel.Level1 });
        return ms.ToArray();
    }

    public static void SavePng(Image<Rgb24> image, string path, IEnumerable<KeyValuePair<string, string>> text)
    {
        var png = image.Metadata.GetPngMetadata();
        png.TextData.Clear();
        foreach (var (key, value) in text)
        {
            png.TextData.Add(new PngTextData(key, value, string.Empty, string.Empty));
        }
        image.SaveAsPng(path, new PngEncoder { TextCompressionThreshold = int.MaxValue, CompressionLevel = PngCompressionLevel.Level4 });
    }

    private static Rgb24 Lerp(Rgb24 a, Rgb24 b, double t) => new(
        (byte)(a.R + ((b.R - a.R) * t)),
        (byte)(a.G + ((b.G - a.G) * t)),
        (byte)(a.B + ((b.B - a.B) * t)));
}
