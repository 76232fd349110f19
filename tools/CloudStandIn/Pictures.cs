using ComfyStandIn;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace CloudStandIn;

/// <summary>The synthetic pictures a provider "generates", encoded as the request asked.</summary>
internal static class Pictures
{
    /// <summary>The media type of each output format the providers know.</summary>
    public static string MediaType(string format) => format switch
    {
        "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        _ => "image/png",
    };

    /// <summary>
    /// Draws image <paramref name="index"/> of a request (the ComfyUI stand-in's gradient with discs, from the seed
    /// and prompt) and encodes it as <paramref name="format"/> (<c>png</c>, <c>jpeg</c> or <c>webp</c>).
    /// <paramref name="transparent"/> leaves a transparent border an eighth of the width wide (PNG and WebP keep it).
    /// </summary>
    public static byte[] Draw(string seed, string prompt, int width, int height, int index, string format, bool transparent = false, int quality = 90)
    {
        // Drawn at most 256 px on its long side and scaled up: a provider's megapixel pictures cost the stand-in little.
        var scale = Math.Min(1.0, 256.0 / Math.Max(width, height));
        using var picture = Painter.Render(seed, prompt, Math.Max(1, (int)(width * scale)), Math.Max(1, (int)(height * scale)), index);
        picture.Mutate(m => m.Resize(width, height, KnownResamplers.NearestNeighbor));
        using var ms = new MemoryStream();
        if (transparent && format != "jpeg")
        {
            using var rgba = picture.CloneAs<Rgba32>();
            var border = Math.Max(1, width / 8);
            rgba.ProcessPixelRows(rows =>
            {
                for (var y = 0; y < rows.Height; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        if (x < border || x >= row.Length - border || y < border || y >= rows.Height - border) { row[x].A = 0; }
                    }
                }
            });
            Save(rgba, ms, format, quality);
        }
        else
        {
            Save(picture, ms, format, quality);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Draws image <paramref name="index"/> of an edit: the drawn picture (as <see cref="Draw"/>) over the input
    /// <paramref name="source"/> (scaled to the output size), so the result shows the input was used. With a
    /// <paramref name="mask"/>, each pixel <paramref name="repaint"/> says is to be repainted is drawn and every other
    /// pixel is the source's, unchanged (as a provider keeps what its mask keeps); without one, the whole picture is
    /// the source mixed with the drawing, <paramref name="sourceWeight"/> (0 to 1) of it the source.
    /// </summary>
    public static byte[] DrawEdit(string seed, string prompt, int width, int height, int index, string format, byte[] source, byte[]? mask, Func<Rgba32, bool> repaint, double sourceWeight)
    {
        var scale = Math.Min(1.0, 256.0 / Math.Max(width, height));
        using var rendered = Painter.Render(seed, prompt, Math.Max(1, (int)(width * scale)), Math.Max(1, (int)(height * scale)), index);
        using var drawn = rendered.CloneAs<Rgba32>();
        drawn.Mutate(m => m.Resize(width, height, KnownResamplers.NearestNeighbor));
        using var input = Image.Load<Rgba32>(source);
        input.Mutate(m => m.Resize(width, height, KnownResamplers.NearestNeighbor));
        using var marks = mask is null ? null : Image.Load<Rgba32>(mask);
        marks?.Mutate(m => m.Resize(width, height, KnownResamplers.NearestNeighbor));
        var weight = (float)Math.Clamp(sourceWeight, 0, 1);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var kept = input[x, y];
                if (marks is not null)
                {
                    if (!repaint(marks[x, y])) { drawn[x, y] = kept; }
                    continue;
                }
                var made = drawn[x, y];
                drawn[x, y] = new Rgba32(
                    (byte)((kept.R * weight) + (made.R * (1 - weight))),
                    (byte)((kept.G * weight) + (made.G * (1 - weight))),
                    (byte)((kept.B * weight) + (made.B * (1 - weight))),
                    255);
            }
        }
        using var ms = new MemoryStream();
        Save(drawn, ms, format, 90);
        return ms.ToArray();
    }

    private static void Save(Image image, Stream stream, string format, int quality)
    {
        switch (format)
        {
            case "jpeg": image.SaveAsJpeg(stream, new JpegEncoder { Quality = Math.Clamp(quality, 1, 100) }); break;
            case "webp": image.SaveAsWebp(stream, new WebpEncoder { Quality = Math.Clamp(quality, 1, 100) }); break;
            default: image.SaveAsPng(stream, new PngEncoder { CompressionLevel = PngCompressionLevel.Level1 }); break;
        }
    }
}
