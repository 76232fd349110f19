using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>Where "only masked" inpainting crops the source, in the source's pixels.</summary>
public static class InpaintGeometry
{
    /// <summary>
    /// The painted area grown by <paramref name="padding"/> on every side, kept inside the image, then widened
    /// (or heightened) to the aspect ratio of the generation size so the crop is scaled without distortion
    /// (A1111's <c>expand_crop_region</c>).
    /// </summary>
    public static PixelRect CropRegion(PixelRect painted, int padding, int imageWidth, int imageHeight, int targetWidth, int targetHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetHeight);
        if (painted.IsEmpty)
        {
            throw new ArgumentException("Nothing was painted.", nameof(painted));
        }
        var x1 = Math.Max(painted.X - padding, 0);
        var y1 = Math.Max(painted.Y - padding, 0);
        var x2 = Math.Min(painted.Right + padding, imageWidth);
        var y2 = Math.Min(painted.Bottom + padding, imageHeight);

        var cropRatio = (double)(x2 - x1) / (y2 - y1);
        var targetRatio = (double)targetWidth / targetHeight;
        if (cropRatio > targetRatio)
        {
            (y1, y2) = Expand(y1, y2, (int)((x2 - x1) / targetRatio) - (y2 - y1), imageHeight);
        }
        else
        {
            (x1, x2) = Expand(x1, x2, (int)((y2 - y1) * targetRatio) - (x2 - x1), imageWidth);
        }
        return new PixelRect(x1, y1, x2 - x1, y2 - y1);
    }

    /// <summary>Grows [start, end) by <paramref name="diff"/>, half on each side, shifted back inside [0, limit).</summary>
    private static (int Start, int End) Expand(int start, int end, int diff, int limit)
    {
        start -= diff / 2;
        end += diff - diff / 2;
        if (end > limit)
        {
            start -= end - limit;
            end = limit;
        }
        if (start < 0)
        {
            end = Math.Min(end - start, limit);
            start = 0;
        }
        return (start, end);
    }
}
