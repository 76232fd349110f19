using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>One LoRA to apply: its file name and its strength on the diffusion model and on CLIP.</summary>
public sealed record LoraSpec(string Name, double ModelStrength, double ClipStrength);

/// <summary>
/// One ControlNet unit: the model file, the control image (a LoadImage file name) and when and how strongly it applies.
/// With <paramref name="Preprocessor"/> (a node class such as <c>Canny</c>) the image goes through that node, with
/// <paramref name="PreprocessorSettings"/> as its other inputs, and its output is the control map.
/// </summary>
public sealed record ControlNetUnit(
    string Model,
    string Image,
    double Strength,
    double StartPercent,
    double EndPercent,
    string? Preprocessor = null,
    IReadOnlyDictionary<string, JsonNode?>? PreprocessorSettings = null);

/// <summary>
/// A second sampling pass at a larger size. <paramref name="Upscaler"/> null upscales the latent with
/// <paramref name="LatentMethod"/>; otherwise the first pass is decoded, upscaled with that model file and encoded again.
/// <paramref name="Sampler"/> and <paramref name="Scheduler"/> null keep the first pass's. <paramref name="BaseWidth"/> and
/// <paramref name="BaseHeight"/> are the first pass's size, which the model upscaler scales to exactly; null reads it from
/// the graph's EmptyLatentImage (a graph that starts from a picture has none, so it must give them).
/// </summary>
public sealed record HiresFix(
    double Scale,
    int Steps,
    double Denoise,
    string? Upscaler,
    string LatentMethod = "nearest-exact",
    string? Sampler = null,
    string? Scheduler = null,
    int? BaseWidth = null,
    int? BaseHeight = null);

/// <summary>An SDXL refiner: its checkpoint and the fraction of the steps after which it takes over.</summary>
public sealed record Refiner(string Checkpoint, double SwitchAt);

/// <summary>Tiled decoding: the tile size and the overlap between tiles, in pixels.</summary>
public sealed record TiledDecode(int TileSize, int Overlap);
