namespace DreamLayer.Domain.Generation;

/// <summary>How an input image is fitted to the generation size (A1111's img2img "Resize mode").</summary>
public enum ResizeMode
{
    /// <summary>Stretch to the exact size; the aspect ratio is not kept.</summary>
    JustResize,

    /// <summary>Scale to cover the size, then cut the overflow equally from both sides (centre crop).</summary>
    CropAndResize,

    /// <summary>Scale to fit inside the size, then fill the borders.</summary>
    ResizeAndFill,
}
