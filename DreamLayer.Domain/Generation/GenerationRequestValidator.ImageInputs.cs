using System.Globalization;

namespace DreamLayer.Domain.Generation;

public static partial class GenerationRequestValidator
{
    /// <summary>Img2img and inpaint: the source image, denoise and, for inpaint, the mask and its options.</summary>
    private static void ValidateImageInputs(GenerationRequest request, Action<string, string> add)
    {
        var inpaint = request.Mode == GenerationMode.Inpaint;
        if (request.SourceImage is null)
        {
            add(nameof(request.SourceImage), inpaint ? "Choose an image to inpaint." : "Choose an image to start from.");
        }
        if (double.IsNaN(request.Denoise) || request.Denoise < 0 || request.Denoise > 1)
        {
            add(nameof(request.Denoise), "Denoise strength must be between 0 and 1.");
        }
        if (!Enum.IsDefined(request.ResizeMode))
        {
            add(nameof(request.ResizeMode), "Pick a resize mode.");
        }
        if (!inpaint || request.SourceImage is null)
        {
            return;
        }

        var settings = request.Inpaint;
        if (request.Mask is not { } mask || mask.Painted.IsEmpty)
        {
            add(nameof(request.Mask), "Paint over the part of the image to change.");
        }
        else if (mask.Width != request.SourceWidth || mask.Height != request.SourceHeight)
        {
            add(nameof(request.Mask), string.Create(CultureInfo.InvariantCulture,
                $"The mask is {mask.Width}×{mask.Height} but the image is {request.SourceWidth}×{request.SourceHeight}; paint the mask again on this image."));
        }
        else if (mask.Painted.X < 0 || mask.Painted.Y < 0 || mask.Painted.Right > mask.Width || mask.Painted.Bottom > mask.Height)
        {
            add(nameof(request.Mask), "The painted area lies outside the mask.");
        }
        if (settings.MaskBlur is < 0 or > InpaintSettings.MaxMaskBlur)
        {
            add(nameof(InpaintSettings.MaskBlur), $"Mask blur must be between 0 and {InpaintSettings.MaxMaskBlur} pixels.");
        }
        if (settings.Padding is < 0 or > InpaintSettings.MaxPadding)
        {
            add(nameof(InpaintSettings.Padding), $"Padding must be between 0 and {InpaintSettings.MaxPadding} pixels.");
        }
        if (!Enum.IsDefined(settings.MaskedContent))
        {
            add(nameof(InpaintSettings.MaskedContent), "Pick what fills the masked area.");
        }
        if (!Enum.IsDefined(settings.Area))
        {
            add(nameof(InpaintSettings.Area), "Pick the inpaint area.");
        }
    }
}
