namespace DreamLayer.Domain.Generation;

/// <summary>A rectangle in pixels; empty when it has no area.</summary>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    public bool IsEmpty => Width <= 0 || Height <= 0;

    public int Right => X + Width;

    public int Bottom => Y + Height;
}

/// <summary>
/// The mask a person painted: a stored upload (painted pixels opaque, the rest transparent), its size, and the
/// bounding box of what was painted (empty when nothing was).
/// </summary>
public sealed record InpaintMask(Guid Upload, int Width, int Height, PixelRect Painted);

/// <summary>What fills the masked area before sampling (A1111's "Masked content").</summary>
public enum MaskedContent
{
    /// <summary>The source as it is: encoded, then only the masked area is sampled (<c>SetLatentNoiseMask</c>).</summary>
    Original,

    /// <summary>The masked area of the latent replaced by fresh random noise before sampling.</summary>
    LatentNoise,

    /// <summary>The masked pixels blanked to grey before encoding (<c>VAEEncodeForInpaint</c>); use with denoise 1.</summary>
    Fill,
}

/// <summary>Which part of the picture is sampled (A1111's "Inpaint area").</summary>
public enum InpaintArea
{
    /// <summary>The whole picture at the chosen size; only the masked area changes.</summary>
    WholePicture,

    /// <summary>Only the painted area plus padding, scaled to the chosen size, then pasted back at the source's size.</summary>
    OnlyMasked,
}

/// <summary>Inpainting options: mask blur (standard deviation in pixels), masked content, inpaint area and the padding around the painted area.</summary>
public sealed record InpaintSettings
{
    public int MaskBlur { get; init; } = 4;
    public MaskedContent MaskedContent { get; init; } = MaskedContent.Original;
    public InpaintArea Area { get; init; } = InpaintArea.WholePicture;
    public int Padding { get; init; } = 32;

    /// <summary>Mask blur is a Gaussian's standard deviation in pixels, as in A1111; ComfyUI's ImageBlur allows a sigma up to 10.</summary>
    public const int MaxMaskBlur = 10;
    public const int MaxPadding = 512;
}
