using DreamLayer.Domain.Models;

namespace DreamLayer.Web.Models.Install;

/// <summary>
/// What installing needs of the kinds of model (<see cref="ModelKind"/>, the one list of ComfyUI's model folders): the
/// loader whose list shows a folder's files, and a kind's name checked.
/// </summary>
public static class ModelKinds
{
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

    public static string Label(string folder) => ModelKind.Find(folder)?.Label ?? folder;

    /// <summary>Null when <paramref name="folder"/> is one of <see cref="ModelKind.All"/>; otherwise why not, in words.</summary>
    public static string? Problem(string? folder) => ModelKind.Find(folder) is not null
        ? null
        : $"\"{folder}\" is not a kind of model; pick one of: {string.Join(", ", ModelKind.All.Select(k => k.Folder))}.";
}
