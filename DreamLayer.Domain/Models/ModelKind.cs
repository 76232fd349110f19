namespace DreamLayer.Domain.Models;

/// <summary>A kind of model: one of ComfyUI's model folders (its <c>GET /models</c> key) and what people call it.</summary>
public sealed record ModelKind(string Folder, string Label, string Singular)
{
    public static ModelKind Checkpoints { get; } = new("checkpoints", "Checkpoints", "checkpoint");
    public static ModelKind DiffusionModels { get; } = new("diffusion_models", "Diffusion models (UNet, FLUX)", "diffusion model");
    public static ModelKind Loras { get; } = new("loras", "LoRAs", "LoRA");
    public static ModelKind Vaes { get; } = new("vae", "VAEs", "VAE");
    public static ModelKind ControlNets { get; } = new("controlnet", "ControlNets", "ControlNet");
    public static ModelKind UpscaleModels { get; } = new("upscale_models", "Upscale models", "upscale model");
    public static ModelKind Embeddings { get; } = new("embeddings", "Embeddings", "embedding");
    public static ModelKind TextEncoders { get; } = new("text_encoders", "Text encoders", "text encoder");

    /// <summary>The kinds the Models page lists and a model can be installed into, in their order.</summary>
    public static IReadOnlyList<ModelKind> All { get; } = [Checkpoints, DiffusionModels, Loras, Vaes, ControlNets, UpscaleModels, Embeddings, TextEncoders];

    public static ModelKind? Find(string? folder) => All.FirstOrDefault(k => k.Folder == folder);

    /// <summary>
    /// The folder a loader input reads from (<c>ckpt_name</c> → checkpoints), or null for an input that names no model
    /// of these kinds. The node type matters only for inputs that several loaders name differently.
    /// </summary>
    public static string? FolderOf(string nodeType, string input) => input switch
    {
        "ckpt_name" when nodeType.Contains("Preprocessor", StringComparison.Ordinal) => null, // preprocessors name their own weights
        "ckpt_name" => Checkpoints.Folder,
        "lora_name" => Loras.Folder,
        "vae_name" => Vaes.Folder,
        "control_net_name" => ControlNets.Folder,
        "unet_name" => DiffusionModels.Folder,
        "model_name" when nodeType == "UpscaleModelLoader" => UpscaleModels.Folder,
        "clip_name" or "clip_name1" or "clip_name2" or "clip_name3" or "clip_name4" when !nodeType.Contains("Vision", StringComparison.Ordinal) => TextEncoders.Folder,
        _ => null,
    };
}
