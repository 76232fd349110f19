namespace DreamLayer.Web.Models.Install;

/// <summary>The subfolders of ComfyUI's <c>models</c> folder a model can be installed into, with what people call them.</summary>
public static class ModelKinds
{
    public static IReadOnlyList<(string Folder, string Label)> All { get; } =
    [
        ("checkpoints", "Checkpoints"),
        ("diffusion_models", "Diffusion models (UNet, FLUX)"),
        ("loras", "LoRAs"),
        ("vae", "VAEs"),
        ("controlnet", "ControlNets"),
        ("upscale_models", "Upscale models"),
        ("embeddings", "Embeddings"),
        ("text_encoders", "Text encoders"),
    ];

    /// <summary>The core loader node and input whose list in <c>/object_info</c> is this folder's files (none for embeddings).</summary>
    public static (string ClassType, string Input)? Loader(string folder) => folder switch
    {
        "checkpoints" => ("CheckpointLoaderSimple", "ckpt_name"),
        "diffusion_models" => ("UNETLoader", "unet_name"),
        "loras" => ("LoraLoader", "lora_name"),
        "vae" => ("VAELoader", "vae_name"),
        "controlnet" => ("ControlNetLoader", "control_net_name"),
        "upscale_models" => ("UpscaleModelLoader", "model_name"),
        "text_encoders" => ("CLIPLoader", "clip_name"),
        _ => null,
    };

    public static bool IsKnown(string? folder) => All.Any(k => string.Equals(k.Folder, folder, StringComparison.Ordinal));

    public static string Label(string folder) => All.FirstOrDefault(k => k.Folder == folder).Label ?? folder;

    /// <summary>Null when <paramref name="folder"/> is one of <see cref="All"/>; otherwise why not, in words.</summary>
    public static string? Problem(string? folder) => IsKnown(folder)
        ? null
        : $"\"{folder}\" is not a kind of model; pick one of: {string.Join(", ", All.Select(k => k.Folder))}.";
}
