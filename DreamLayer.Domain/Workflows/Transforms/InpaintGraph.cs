using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>
/// Turns the inpaint template into the variant a request asks for. The template is the whole-picture, "original"
/// variant: LoadImage (picture + mask from its alpha) → VAEEncode → RepeatLatentBatch → SetLatentNoiseMask → KSampler
/// → VAEDecode → ImageCompositeMasked onto the original → SaveImage, the mask blurred by MaskToImage → ImageBlur →
/// ImageToMask. Anchors are found from the output node by following links; the refiner (applied before this) splits the
/// KSampler into a base and a refiner KSamplerAdvanced, and the masked latent still goes into the base. The noise mask
/// travels with the latent from the base to the refiner (ComfyUI copies the latent dict), so both sample only the mask.
/// <para>
/// "Only masked" crops, scales and pastes back with core nodes (ImageCrop, CropMask, ImageScale, ImageCompositeMasked at
/// the crop's offset) rather than in the app: the crop region comes from the mask's painted bounds, which the app
/// knows, and everything else stays in the graph, so the saved PNG's <c>prompt</c> reproduces the whole job in ComfyUI.
/// </para>
/// </summary>
public static class InpaintGraph
{
    /// <summary>VAEEncodeForInpaint's default growth of the mask, which hides the seam of a filled area.</summary>
    public const int FillGrowMask = 6;

    public static ComfyGraph Apply(ComfyGraph graph, string outputNodeId, GenerationRequest request, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(request);
        var composite = Expect(graph, Link(graph, outputNodeId, "images").SourceId, "ImageCompositeMasked");
        var decode = Expect(graph, Link(graph, composite, "source").SourceId, "VAEDecode");
        var sampler = FirstSampler(graph, Link(graph, decode, "samples").SourceId);
        var noiseMask = Expect(graph, Link(graph, sampler, "latent_image").SourceId, "SetLatentNoiseMask");
        var repeat = Expect(graph, Link(graph, noiseMask, "samples").SourceId, "RepeatLatentBatch");
        var encode = Expect(graph, Link(graph, repeat, "samples").SourceId, "VAEEncode");
        var picture = Link(graph, encode, "pixels");
        var mask = ApplyBlur(graph, Link(graph, composite, "mask"), request.Inpaint.MaskBlur);

        switch (request.Inpaint.MaskedContent)
        {
            case MaskedContent.Fill:
                // VAEEncodeForInpaint greys out the masked pixels and sets the latent's noise mask itself.
                var vae = Link(graph, encode, "vae");
                graph.Remove(encode);
                graph.Add(encode, new ComfyNode("VAEEncodeForInpaint") { Title = "VAE Encode (for Inpainting)" }
                    .Link("pixels", picture.SourceId, picture.OutputIndex)
                    .Link("vae", vae.SourceId, vae.OutputIndex)
                    .Link("mask", mask.SourceId, mask.OutputIndex)
                    .Set("grow_mask_by", FillGrowMask));
                graph[sampler].Link("latent_image", repeat, 0);
                graph.Remove(noiseMask);
                break;
            case MaskedContent.LatentNoise:
                AddLatentNoise(graph, request, seed, sampler, repeat, noiseMask, mask);
                break;
        }

        if (request.Inpaint.Area == InpaintArea.OnlyMasked)
        {
            CropToMask(graph, request, composite, decode, encode, picture, mask);
        }
        return graph;
    }

    /// <summary>
    /// Blur as A1111 does it (a Gaussian with the given standard deviation): ImageBlur's sigma, with a kernel
    /// reaching three sigmas. Zero removes the blur nodes and uses the mask as loaded. Returns the mask to use.
    /// </summary>
    private static ComfyLink ApplyBlur(ComfyGraph graph, ComfyLink blurred, int blur)
    {
        var toMask = Expect(graph, blurred.SourceId, "ImageToMask");
        var blurNode = Expect(graph, Link(graph, toMask, "image").SourceId, "ImageBlur");
        var toImage = Expect(graph, Link(graph, blurNode, "image").SourceId, "MaskToImage");
        if (blur > 0)
        {
            graph[blurNode].Set("sigma", (double)blur).Set("blur_radius", Math.Min(31, 3 * blur));
            return blurred;
        }
        var loaded = Link(graph, toImage, "mask");
        GraphLinks.Rewire(graph, GraphLinks.Consumers(graph, blurred.SourceId, blurred.OutputIndex), loaded.SourceId, loaded.OutputIndex);
        graph.Remove(toMask);
        graph.Remove(blurNode);
        graph.Remove(toImage);
        return loaded;
    }

    /// <summary>
    /// A1111's "latent noise": the masked area of the latent is replaced by unit Gaussian noise before sampling.
    /// AddNoise scales RandomNoise by |σ₀ − σ_last| of the sigmas it is given; a one-step Karras schedule from
    /// σ=1 gives [1, 0], so an empty latent becomes plain N(0, 1) noise, which LatentCompositeMasked puts in the mask.
    /// </summary>
    private static void AddLatentNoise(ComfyGraph graph, GenerationRequest request, ulong seed, string sampler, string repeat, string noiseMask, ComfyLink mask)
    {
        var model = Link(graph, sampler, "model");
        var empty = GraphLinks.AddNode(graph, new ComfyNode("EmptyLatentImage")
            .Set("width", request.Width).Set("height", request.Height).Set("batch_size", request.BatchSize));
        var noise = GraphLinks.AddNode(graph, new ComfyNode("RandomNoise").Set("noise_seed", seed));
        var sigmas = GraphLinks.AddNode(graph, new ComfyNode("KarrasScheduler")
            .Set("steps", 1).Set("sigma_max", 1.0).Set("sigma_min", 1.0).Set("rho", 7.0));
        var noisy = GraphLinks.AddNode(graph, new ComfyNode("AddNoise")
            .Link("model", model.SourceId, model.OutputIndex)
            .Link("noise", noise, 0)
            .Link("sigmas", sigmas, 0)
            .Link("latent_image", empty, 0));
        var filled = GraphLinks.AddNode(graph, new ComfyNode("LatentCompositeMasked")
            .Link("destination", repeat, 0)
            .Link("source", noisy, 0)
            .Set("x", 0).Set("y", 0).Set("resize_source", false)
            .Link("mask", mask.SourceId, mask.OutputIndex));
        graph[noiseMask].Link("samples", filled, 0);
    }

    /// <summary>Samples only the crop region scaled to the generation size, and pastes the result back at the crop's place and size.</summary>
    private static void CropToMask(ComfyGraph graph, GenerationRequest request, string composite, string decode, string encode, ComfyLink picture, ComfyLink mask)
    {
        var painted = request.Mask?.Painted ?? throw new ArgumentException("Only-masked inpainting needs the painted area.", nameof(request));
        var crop = InpaintGeometry.CropRegion(painted, request.Inpaint.Padding, request.SourceWidth, request.SourceHeight, request.Width, request.Height);
        var maskConsumers = GraphLinks.Consumers(graph, mask.SourceId, mask.OutputIndex);

        var cropped = GraphLinks.AddNode(graph, new ComfyNode("ImageCrop")
            .Link("image", picture.SourceId, picture.OutputIndex)
            .Set("width", crop.Width).Set("height", crop.Height).Set("x", crop.X).Set("y", crop.Y));
        var scaled = GraphLinks.AddNode(graph, new ComfyNode("ImageScale")
            .Link("image", cropped, 0)
            .Set("upscale_method", "lanczos").Set("width", request.Width).Set("height", request.Height).Set("crop", "disabled"));
        graph[encode].Link("pixels", scaled, 0);

        var croppedMask = GraphLinks.AddNode(graph, new ComfyNode("CropMask")
            .Link("mask", mask.SourceId, mask.OutputIndex)
            .Set("x", crop.X).Set("y", crop.Y).Set("width", crop.Width).Set("height", crop.Height));
        GraphLinks.Rewire(graph, maskConsumers, croppedMask, 0);

        var back = GraphLinks.AddNode(graph, new ComfyNode("ImageScale")
            .Link("image", decode, 0)
            .Set("upscale_method", "lanczos").Set("width", crop.Width).Set("height", crop.Height).Set("crop", "disabled"));
        graph[composite].Link("source", back, 0).Set("x", crop.X).Set("y", crop.Y);
    }

    /// <summary>
    /// The sampler that takes the encoded picture: the decoder's own KSampler, or with the refiner (a base and a refiner
    /// KSamplerAdvanced, the refiner taking the base's latent) the base.
    /// </summary>
    private static string FirstSampler(ComfyGraph graph, string sampler)
    {
        if (graph[sampler].ClassType == "KSampler")
        {
            return sampler;
        }
        Expect(graph, sampler, "KSamplerAdvanced");
        var previous = Link(graph, sampler, "latent_image").SourceId;
        return graph[previous].ClassType == "KSamplerAdvanced" ? previous : sampler;
    }

    private static ComfyLink Link(ComfyGraph graph, string nodeId, string input) =>
        GraphLinks.LinkOf(graph, nodeId, input)
        ?? throw new ComfyGraphFormatException($"The inpaint template's node '{nodeId}' has no link on '{input}'.");

    private static string Expect(ComfyGraph graph, string nodeId, string classType) =>
        graph[nodeId].ClassType == classType
            ? nodeId
            : throw new ComfyGraphFormatException($"The inpaint template's node '{nodeId}' is a {graph[nodeId].ClassType}, not a {classType}.");
}
