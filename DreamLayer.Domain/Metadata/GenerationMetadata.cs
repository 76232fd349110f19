namespace DreamLayer.Domain.Metadata;

/// <summary>The program that wrote an image's generation data.</summary>
public enum MetadataTool
{
    A1111,
    Forge,
    ComfyUI,
    SwarmUI,
    InvokeAI,
    DreamLayer,
    Fooocus,
    NovelAI,
}

/// <summary>The container format, recognised from the file's first bytes.</summary>
public enum ImageFileFormat
{
    Unknown,
    Png,
    Jpeg,
    WebP,
}

/// <summary>One piece of text found in the file, as stored: its key and where it was (PNG chunk type, EXIF tag).</summary>
public sealed record MetadataText(string Key, string Text, string Where);

/// <summary>A LoRA the image was made with; weights and hash when the file says.</summary>
public sealed record LoraUse(string Name, double? Weight = null, double? ClipWeight = null, string? Hash = null);

/// <summary>
/// Generation parameters, the same whichever tool wrote them. Sampler and scheduler are ComfyUI names (so they can
/// fill DreamLayer's form); <see cref="Parameters"/> lists every parameter the file carries, named and written as
/// the tool wrote it, in its order.
/// </summary>
public sealed record GenerationMetadata
{
    public required MetadataTool Tool { get; init; }

    /// <summary>The tool and, when the file says, its version or variant ("InvokeAI 3+ (invokeai_metadata)").</summary>
    public required string ToolLabel { get; init; }

    public string? Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public int? Steps { get; init; }
    public string? Sampler { get; init; }
    public string? Scheduler { get; init; }
    public double? Cfg { get; init; }
    public ulong? Seed { get; init; }
    public int? Width { get; init; }
    public int? Height { get; init; }
    public string? Model { get; init; }
    public string? ModelHash { get; init; }
    public double? Denoise { get; init; }
    public IReadOnlyList<LoraUse> Loras { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>
    /// For a graph with several outputs (a ComfyUI prompt saving the first pass and the hires pass), each output's
    /// own parameters, traced back from it; <see cref="Parameters"/> are those of the output that has the most passes.
    /// Empty when the file has one set of parameters.
    /// </summary>
    public IReadOnlyList<MetadataOutput> Outputs { get; init; } = [];

    /// <summary>The value of a parameter as written, or null.</summary>
    public string? this[string key] => Parameters.FirstOrDefault(p => string.Equals(p.Key, key, StringComparison.Ordinal)).Value;
}

/// <summary>One output of a graph (a save or preview node) and the parameters of the passes that made its image.</summary>
public sealed record MetadataOutput(string Title, IReadOnlyList<KeyValuePair<string, string>> Parameters, bool IsMain);

/// <summary>
/// Everything read from one image file: its format, the generation data (null means "no generation data"), every
/// text it carries, and in words what could not be read (damaged chunks, text over the limits, malformed JSON).
/// </summary>
public sealed record ImageMetadata(ImageFileFormat Format, GenerationMetadata? Generation, IReadOnlyList<MetadataText> Texts, IReadOnlyList<string> Problems)
{
    public const string NoGenerationData = "No generation data: this image carries no parameters from A1111, Forge, ComfyUI, SwarmUI, InvokeAI, Fooocus, NovelAI or DreamLayer.";
}
