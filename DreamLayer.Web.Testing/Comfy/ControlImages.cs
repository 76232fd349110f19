using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Pictures with clear edges, for a ControlNet unit to read.</summary>
public static class ControlImages
{
    /// <summary>A 128×96 picture with hard edges: a white square on black.</summary>
    public static byte[] SquarePng()
    {
        using var image = new Image<Rgba32>(128, 96, new Rgba32(0, 0, 0));
        for (var y = 24; y < 72; y++)
        {
            for (var x = 32; x < 96; x++)
            {
                image[x, y] = new Rgba32(255, 255, 255);
            }
        }
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }
}
