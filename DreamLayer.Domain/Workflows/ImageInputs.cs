using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Workflows;

/// <summary>How a stored upload is fitted to a size before it is sent to the server.</summary>
public sealed record ImageFit(int Width, int Height, ResizeMode Mode);

/// <summary>
/// One image a job needs in the server's input folder before its prompt is sent: the stored upload, how it is fitted,
/// and the template parameter that receives the server's file name (LoadImage's <c>image</c>). With <see cref="Mask"/>,
/// the mask's painted area becomes the transparent area of that same file (ComfyUI's <c>/upload/mask</c>), so one
/// LoadImage gives both the picture (output 0) and the mask (output 1, which is 1 − alpha).
/// </summary>
public sealed record ImageInput(string Parameter, Guid Upload, ImageFit? Fit, Guid? Mask = null);

/// <summary>The one place that says which images a job uploads; extend it for new inputs (control images, workflow images).</summary>
public static class ImageInputs
{
    public static IReadOnlyList<ImageInput> For(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return [.. SourceInputs(request), .. ControlImages(request), .. WorkflowImages(request)];
    }

    /// <summary>The parameter name a ControlNet unit's picture is sent under (the builder finds it by upload id).</summary>
    public static string ControlImageParameter(Guid upload) => $"control_image:{upload:N}";

    private static IReadOnlyList<ImageInput> SourceInputs(GenerationRequest request)
    {
        if (request.SourceImage is not { } source)
        {
            return [];
        }
        var fit = new ImageFit(request.Width, request.Height, request.ResizeMode);
        return request.Mode switch
        {
            GenerationMode.Upscale => [new ImageInput(Parameters.Image, source, null)],
            GenerationMode.Img2Img => [new ImageInput(Parameters.Image, source, fit)],
            // Only the masked area: the source keeps its size; the graph crops, scales and pastes back.
            GenerationMode.Inpaint => [new ImageInput(Parameters.Image, source,
                request.Inpaint.Area == InpaintArea.OnlyMasked ? null : fit, request.Mask?.Upload)],
            _ => [],
        };
    }

    /// <summary>Each ControlNet unit's picture, once, as stored (the preprocessor or ControlNet scales it).</summary>
    private static IEnumerable<ImageInput> ControlImages(GenerationRequest request) =>
        request.Mode == GenerationMode.Upscale
            ? []
            : request.ControlNets.Select(u => u.Image).OfType<Guid>().Distinct().Select(id => new ImageInput(ControlImageParameter(id), id, null));

    /// <summary>An imported workflow's LoadImage inputs, each stored upload once, as stored.</summary>
    private static IEnumerable<ImageInput> WorkflowImages(GenerationRequest request) =>
        request is { Mode: GenerationMode.Workflow, Workflow: { } spec }
            ? spec.Images.Select(i => i.Upload).Distinct().Select(id => new ImageInput($"workflow_image:{id:N}", id, null))
            : [];
}
