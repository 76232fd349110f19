using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Cloud;

/// <summary>
/// The app's mask (<see cref="CloudImageRequest.Mask"/>: painted pixels, not fully transparent, are repainted;
/// transparent ones kept) in each provider's own convention, as its API reference documents it:
/// OpenAI's edits take a PNG whose fully transparent pixels are repainted (<see cref="ToOpenAi"/>); Ideogram 3.0's
/// edit takes a black and white picture whose black part is repainted (<see cref="ToIdeogram"/>).
/// </summary>
public static class CloudMasks
{
    /// <summary>OpenAI: transparent (alpha 0) where painted, opaque black elsewhere; a PNG of the same size.</summary>
    public static CloudPicture ToOpenAi(CloudPicture mask) =>
        Convert(mask, painted: new Rgba32(0, 0, 0, 0), kept: new Rgba32(0, 0, 0, 255), PngColorType.RgbWithAlpha);

    /// <summary>Ideogram: black where painted, white elsewhere; an opaque PNG of the same size.</summary>
    public static CloudPicture ToIdeogram(CloudPicture mask) =>
        Convert(mask, painted: new Rgba32(0, 0, 0, 255), kept: new Rgba32(255, 255, 255, 255), PngColorType.Rgb);

    private static CloudPicture Convert(CloudPicture mask, Rgba32 painted, Rgba32 kept, PngColorType colorType)
    {
        ArgumentNullException.ThrowIfNull(mask);
        using var image = Image.Load<Rgba32>(mask.Bytes);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (ref var p in rows.GetRowSpan(y))
                {
                    p = p.A > 0 ? painted : kept;
                }
            }
        });
        using var png = new MemoryStream();
        image.SaveAsPng(png, new PngEncoder { ColorType = colorType, BitDepth = PngBitDepth.Bit8 });
        return new CloudPicture(png.ToArray(), "image/png", image.Width, image.Height);
    }
}
