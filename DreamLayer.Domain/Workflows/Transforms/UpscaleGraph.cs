using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>
/// Turns the upscale template (LoadImage → ImageScaleBy → SaveImage) into the variant a request asks for:
/// an upscale model in front (assumed <see cref="GraphTransforms.AssumedModelScale"/>×, as the hires fix assumes too),
/// and ImageScaleBy for a factor or ImageScale for an exact size.
/// </summary>
public static class UpscaleGraph
{
    public static ComfyGraph Apply(ComfyGraph graph, string scaleNodeId, GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(request);
        var scaleNode = graph[scaleNodeId];
        if (scaleNode.ClassType != "ImageScaleBy")
        {
            throw new ComfyGraphFormatException($"The upscale template's scale node '{scaleNodeId}' is a {scaleNode.ClassType}, not an ImageScaleBy.");
        }
        var source = GraphLinks.LinkOf(graph, scaleNodeId, "image")
            ?? throw new ComfyGraphFormatException($"The upscale template's scale node '{scaleNodeId}' has no image link.");
        var image = source;
        if (request.UpscaleMethod == UpscaleMethod.Model)
        {
            image = new ComfyLink(GraphTransforms.UpscaleWithModel(graph, request.UpscaleModel, source.SourceId), 0);
        }

        if (request.Scale is { } scale)
        {
            var factor = request.UpscaleMethod == UpscaleMethod.Model ? scale / GraphTransforms.AssumedModelScale : scale;
            if (request.UpscaleMethod == UpscaleMethod.Model && factor == 1.0)
            {
                GraphLinks.Rewire(graph, GraphLinks.Consumers(graph, scaleNodeId, 0), image.SourceId, image.OutputIndex);
                graph.Remove(scaleNodeId);
                return graph;
            }
            scaleNode.Link("image", image.SourceId, image.OutputIndex).Set("scale_by", factor);
            return graph;
        }

        graph.Remove(scaleNodeId);
        graph.Add(scaleNodeId, new ComfyNode("ImageScale")
            .Link("image", image.SourceId, image.OutputIndex)
            .Set("upscale_method", request.ResizeFilter)
            .Set("width", request.Width)
            .Set("height", request.Height)
            .Set("crop", "disabled"));
        return graph;
    }
}
