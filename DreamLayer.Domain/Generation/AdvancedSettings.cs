using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Generation;

/// <summary>One LoRA from the picker: the server's file name and its strength on the diffusion model and on CLIP.</summary>
public sealed record LoraSetting(string Name, double ModelStrength = 1.0, double ClipStrength = 1.0);

/// <summary>
/// One ControlNet unit. <see cref="Image"/> is a stored upload: the control map itself, or, with a
/// <see cref="Preprocessor"/>, the picture the server turns into one (Canny, or a comfyui_controlnet_aux node).
/// </summary>
public sealed record ControlNetSetting
{
    /// <summary>The server's ControlNet model file (ControlNetLoader's <c>control_net_name</c>).</summary>
    public string Model { get; init; } = string.Empty;

    /// <summary>The stored upload sent to the server's input folder before the prompt.</summary>
    public Guid? Image { get; init; }

    /// <summary>The preprocessor node's class (<c>Canny</c>, <c>LineArtPreprocessor</c>, ...); null uses the image as the control map.</summary>
    public string? Preprocessor { get; init; }

    /// <summary>The preprocessor's own inputs (thresholds, resolution, ...), as JSON values of the types its node declares.</summary>
    public IReadOnlyDictionary<string, JsonNode?> PreprocessorSettings { get; init; } = new Dictionary<string, JsonNode?>();

    public double Strength { get; init; } = 1.0;
    public double StartPercent { get; init; }
    public double EndPercent { get; init; } = 1.0;
}

/// <summary>How hires fix enlarges the first pass before the second.</summary>
public enum HiresUpscaler
{
    /// <summary>LatentUpscaleBy with <see cref="HiresFixSetting.LatentMethod"/>.</summary>
    Latent,
    /// <summary>Decode, an upscale model, resize to the exact size, encode again.</summary>
    Model,
}

/// <summary>A second sampling pass at <see cref="Scale"/> times the size (A1111's "Hires. fix").</summary>
public sealed record HiresFixSetting
{
    public HiresUpscaler Upscaler { get; init; } = HiresUpscaler.Latent;

    /// <summary>LatentUpscaleBy's <c>upscale_method</c> for <see cref="HiresUpscaler.Latent"/>.</summary>
    public string LatentMethod { get; init; } = "nearest-exact";

    /// <summary>The upscale model file for <see cref="HiresUpscaler.Model"/>.</summary>
    public string UpscaleModel { get; init; } = string.Empty;

    public double Scale { get; init; } = 2.0;

    /// <summary>Steps of the second pass; 0 means as many as the first (as in A1111).</summary>
    public int Steps { get; init; }

    public double Denoise { get; init; } = 0.5;

    /// <summary>The second pass's sampler; null keeps the first pass's.</summary>
    public string? Sampler { get; init; }
}

/// <summary>An SDXL refiner: its checkpoint, taking over after <see cref="SwitchAt"/> of the steps.</summary>
public sealed record RefinerSetting(string Checkpoint, double SwitchAt = 0.8);

/// <summary>
/// Decode the finished latent in tiles (core <c>VAEDecodeTiled</c>) instead of all at once: slower, but a large image
/// decodes on a GPU with little memory. <see cref="TileSize"/> and <see cref="Overlap"/> are in pixels.
/// </summary>
public sealed record TiledVaeSetting(int TileSize = TiledVaeSetting.DefaultTileSize, int Overlap = TiledVaeSetting.DefaultOverlap)
{
    public const int DefaultTileSize = 512;
    public const int DefaultOverlap = 64;
}
