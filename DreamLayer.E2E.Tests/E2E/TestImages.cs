using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>Small PNG files a person could choose in a browser test.</summary>
public static class TestImages
{
    /// <summary>The colour of every pixel of <see cref="Png"/>.</summary>
    public static Rgba32 Colour { get; } = new(30, 120, 200);

    public static byte[] Png(int width, int height)
    {
        using var image = new Image<Rgba32>(width, height, Colour);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}
