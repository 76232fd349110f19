namespace ComfyStandIn;

/// <summary>How a stand-in server is started. Mirrors the ComfyUI command line where it can.</summary>
public sealed class StandInOptions
{
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 8188;

    /// <summary>null takes the catalogue that ships with the stand-in (<c>Catalog/object_info.json</c>).</summary>
    public string? ObjectInfoPath { get; set; }

    /// <summary>When set, replaces every <c>ckpt_name</c> list.</summary>
    public IList<string>? Checkpoints { get; set; }

    /// <summary>When set, replaces every <c>lora_name</c> list.</summary>
    public IList<string>? Loras { get; set; }

    /// <summary>
    /// Adds two comfyui_controlnet_aux preprocessor nodes (LineArtPreprocessor, DepthAnythingPreprocessor) to the
    /// catalogue, declared as that pack declares them, like a server with the pack installed.
    /// </summary>
    public bool ControlNetAux { get; set; }

    /// <summary>
    /// Adds ComfyUI-WD14-Tagger's captioning node (<c>WD14Tagger|pysssss</c>) to the catalogue, declared as that pack
    /// declares it, like a server with the pack installed; it answers with tags read from the picture's colours.
    /// </summary>
    public bool Wd14Tagger { get; set; }

    /// <summary>Time per sampler step.</summary>
    public TimeSpan StepTime { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Like <c>--preview-method auto</c>; false is like <c>none</c> (progress still flows).</summary>
    public bool Previews { get; set; } = true;

    /// <summary>
    /// Sampler previews of a real server's size (<c>--realistic-previews</c>): 512×512 JPEGs at quality 95 with detail,
    /// made once at start and sent in turn, each carrying its number in its top-left corner (see <see cref="PreviewFrames"/>).
    /// False keeps the cheap synthetic preview drawn at each step.
    /// </summary>
    public bool RealisticPreviews { get; set; }

    /// <summary>When set, a line per preview frame is appended to this file as the frame is sent (see <see cref="FrameLog"/>).</summary>
    public string? FrameLogPath { get; set; }

    /// <summary>
    /// Refuses an upload (400, with the reason) whose multipart parts are not written as RFC 7578 and browsers write
    /// them (quoted <c>name</c>/<c>filename</c>, no <c>filename*</c>), as strict servers and proxies in front of ComfyUI
    /// do. ComfyUI's aiohttp alone accepts them; false behaves like it.
    /// </summary>
    public bool StrictMultipart { get; set; } = true;

    /// <summary>
    /// Answers the client's <c>feature_flags</c> and sends it type-4 frames (ComfyUI 0.3.44 and later); false behaves like
    /// an older ComfyUI, which ignores the message and sends every image frame as type 1.
    /// </summary>
    public bool PreviewMetadata { get; set; } = true;

    /// <summary>
    /// ComfyUI's <c>models</c> folder (<c>checkpoints/</c>, <c>loras/</c>, ...). When set, <c>/models/{folder}</c> and
    /// the loaders' lists in <c>/object_info</c> are read from it (again whenever asked, so a file copied in shows
    /// without a restart), and <c>/view_metadata</c> reads the safetensors headers of its files. It takes precedence
    /// over <see cref="Checkpoints"/> and <see cref="Loras"/>.
    /// </summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>Behaves like a ComfyUI older than the <c>/models</c> routes: they answer 404.</summary>
    public bool NoModelsRoutes { get; set; }

    /// <summary>What <c>/system_stats</c> reports as the device's total and free memory and the machine's RAM, in bytes.</summary>
    public long VramTotal { get; set; }

    public long VramFree { get; set; }

    public long RamTotal { get; set; }

    public long RamFree { get; set; }

    /// <summary>input/, output/ and temp/ live here; null means a fresh temporary directory.</summary>
    public string? DataDirectory { get; set; }
}
