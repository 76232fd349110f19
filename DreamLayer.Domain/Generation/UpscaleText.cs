using System.Globalization;

namespace DreamLayer.Domain.Generation;

/// <summary>How an upscale request is described to people: on job cards and in the image's infotext.</summary>
public static class UpscaleText
{
    public const string NoModels = "This server has no upscale models (put one in ComfyUI's models/upscale_models folder)";

    /// <summary>For example <c>Upscale ×2 (lanczos)</c> or <c>Upscale to 2048×2048 (4x-UltraSharp.pth)</c>.</summary>
    public static string Summary(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var how = request.Scale is { } scale ? $"×{N(scale)}" : $"to {request.Width}×{request.Height}";
        return $"Upscale {how} ({Upscaler(request)})";
    }

    /// <summary>Short and true, in the shape of A1111's extras tab: only what was applied.</summary>
    public static string Infotext(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var how = request.Scale is { } scale
            ? $"Postprocess upscale by: {N(scale)}"
            : $"Postprocess upscale to: {request.Width}x{request.Height}";
        return $"{how}, Postprocess upscaler: {Upscaler(request)}";
    }

    private static string Upscaler(GenerationRequest request) =>
        request.UpscaleMethod == UpscaleMethod.Model ? request.UpscaleModel : request.ResizeFilter;

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
