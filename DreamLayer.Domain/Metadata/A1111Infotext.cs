using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Metadata;

/// <summary>What goes into an A1111-style <c>parameters</c> text. Sampler and scheduler are ComfyUI names.</summary>
public sealed record InfotextParameters(
    string Prompt,
    string NegativePrompt,
    int Steps,
    string Sampler,
    string Scheduler,
    double Cfg,
    ulong Seed,
    int Width,
    int Height,
    string? Model,
    string? ModelHash = null,
    double? Denoise = null,
    IReadOnlyDictionary<string, string>? LoraHashes = null,
    IReadOnlyDictionary<string, string>? Extra = null,
    string? Vae = null,
    int ClipSkip = 1,
    string? Version = A1111Infotext.DreamLayerVersion);

/// <summary>An infotext read back: prompt, negative prompt and the <c>Key: value</c> pairs of the last line, in order.</summary>
public sealed record Infotext(string Prompt, string NegativePrompt, IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string key] => Parameters.GetValueOrDefault(key);
}

/// <summary>
/// Writes and reads the AUTOMATIC1111 <c>parameters</c> text that image sites and other UIs understand.
/// </summary>
public static partial class A1111Infotext
{
    public const string NegativePrefix = "Negative prompt:";

    /// <summary>The <c>Version</c> DreamLayer writes, by which its own files are told apart when read back.</summary>
    public const string DreamLayerVersion = "DreamLayer";

    public static string Write(InfotextParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var (sampler, scheduleType) = SamplerNames.ToA1111(p.Sampler, p.Scheduler);
        var fields = new List<(string Key, string? Value)>
        {
            ("Steps", p.Steps.ToString(CultureInfo.InvariantCulture)),
            ("Sampler", sampler),
            ("Schedule type", scheduleType),
            ("CFG scale", Number(p.Cfg)),
            ("Seed", p.Seed.ToString(CultureInfo.InvariantCulture)),
            ("Size", string.Create(CultureInfo.InvariantCulture, $"{p.Width}x{p.Height}")),
            ("Model hash", p.ModelHash),
            ("Model", p.Model),
            ("VAE", p.Vae),
            ("Denoising strength", p.Denoise is { } d ? Number(d) : null),
            ("Clip skip", p.ClipSkip > 1 ? p.ClipSkip.ToString(CultureInfo.InvariantCulture) : null),
        };
        // A1111's extra generation parameters (ControlNet units, hires fix, ...) come after its own, then the LoRA hashes.
        if (p.Extra is not null)
        {
            fields.AddRange(p.Extra.Select(x => (x.Key, (string?)x.Value)));
        }
        fields.Add(("Lora hashes", p.LoraHashes is { Count: > 0 } l ? string.Join(", ", l.Select(x => $"{x.Key}: {x.Value}")) : null));
        fields.Add(("Version", p.Version));
        return Write(p.Prompt, p.NegativePrompt, fields);
    }

    /// <summary>
    /// An infotext of <paramref name="prompt"/>, <paramref name="negativePrompt"/> and the given fields in their order
    /// (empty ones left out, values quoted as A1111 quotes them): for images that were not made with A1111's own settings,
    /// such as a cloud model's.
    /// </summary>
    public static string Write(string prompt, string negativePrompt, IEnumerable<(string Key, string? Value)> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var sb = new StringBuilder(prompt);
        if (!string.IsNullOrEmpty(negativePrompt))
        {
            sb.Append('\n').Append(NegativePrefix).Append(' ').Append(negativePrompt);
        }
        sb.Append('\n').AppendJoin(", ", fields.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => $"{f.Key}: {Quote(f.Value!)}"));
        return sb.ToString();
    }

    /// <summary>
    /// Parses an infotext. The last line holds the parameters when it has at least three <c>Key: value</c> pairs (as
    /// A1111 decides); lines before a line starting with "Negative prompt:" are the prompt. Quoted values are unquoted.
    /// </summary>
    public static Infotext Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Trim().Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var last = lines[^1];
        var matches = Param().Matches(last);
        if (matches.Count >= 3)
        {
            lines.RemoveAt(lines.Count - 1);
            foreach (Match m in matches)
            {
                var value = m.Groups[2].Value;
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = Unquote(value);
                }
                parameters[m.Groups[1].Value] = value;
            }
        }
        var prompt = new List<string>();
        var negative = new List<string>();
        foreach (var line in lines)
        {
            if (negative.Count == 0 && line.StartsWith(NegativePrefix, StringComparison.Ordinal))
            {
                negative.Add(line[NegativePrefix.Length..].TrimStart());
            }
            else
            {
                (negative.Count == 0 ? prompt : negative).Add(line);
            }
        }
        return new Infotext(string.Join('\n', prompt), string.Join('\n', negative), parameters);
    }

    /// <summary>
    /// The name A1111 writes for a checkpoint: the file name without folder or extension
    /// (<c>sdxl/juggernautXL_v9.safetensors</c> → <c>juggernautXL_v9</c>). Only model file extensions are removed, so
    /// <c>sd_xl_base_1.0</c> keeps its version.
    /// </summary>
    public static string ModelName(string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var name = checkpoint[(checkpoint.LastIndexOfAny(['/', '\\']) + 1)..];
        var extension = ModelExtensions.FirstOrDefault(e => name.Length > e.Length && name.EndsWith(e, StringComparison.OrdinalIgnoreCase));
        return extension is null ? name : name[..^extension.Length];
    }

    private static readonly string[] ModelExtensions = [".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft", ".gguf"];

    /// <summary>Splits a "Size" value such as <c>512x768</c>.</summary>
    public static bool TryParseSize(string? size, out int width, out int height)
    {
        width = height = 0;
        var m = size is null ? null : SizeValue().Match(size);
        return m is { Success: true }
            && int.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, out width)
            && int.TryParse(m.Groups[2].Value, CultureInfo.InvariantCulture, out height);
    }

    private static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A1111 quotes a value as a JSON string when it contains a comma, colon or newline (and here a quote).</summary>
    private static string Quote(string value)
    {
        if (value.IndexOfAny([',', ':', '\n', '"']) < 0)
        {
            return value;
        }
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ')
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static string Unquote(string quoted)
    {
        try
        {
            return JsonSerializer.Deserialize<string>(quoted) ?? quoted;
        }
        catch (JsonException)
        {
            return quoted;
        }
    }

    [GeneratedRegex(@"\s*(\w[\w \-/]+):\s*(""(?:\\.|[^\\""])+""|[^,]*)(?:,|$)")]
    private static partial Regex Param();

    [GeneratedRegex(@"^(\d+)x(\d+)$")]
    private static partial Regex SizeValue();
}
