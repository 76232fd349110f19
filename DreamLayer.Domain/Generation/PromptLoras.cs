using System.Globalization;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Generation;

/// <summary>A <c>&lt;lora:…&gt;</c> tag found in a prompt: the name as typed and its strengths.</summary>
public sealed record PromptLora(string Tag, string Name, double ModelStrength, double ClipStrength);

/// <summary>A prompt with its LoRA tags taken out, the tags, and the tags that could not be read.</summary>
public sealed record PromptLoraParse(string Text, IReadOnlyList<PromptLora> Loras, IReadOnlyList<string> Errors);

/// <summary>
/// A1111's extra-network syntax for LoRAs, as people type it: <c>&lt;lora:name&gt;</c>, <c>&lt;lora:name:0.8&gt;</c>,
/// <c>&lt;lora:name:te:unet&gt;</c> (A1111's order: the first number is the text encoder (CLIP) strength, the second the
/// UNet (model) strength, which defaults to the first), and the named forms <c>te=</c> and <c>unet=</c>. <c>lyco</c> is
/// accepted as A1111 does. The tags are removed from the text that is encoded.
/// </summary>
public static partial class PromptLoras
{
    private static readonly string[] ModelExtensions = [".safetensors", ".ckpt", ".pt", ".pth", ".bin"];

    public static PromptLoraParse Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var loras = new List<PromptLora>();
        var errors = new List<string>();
        var text = Tag().Replace(prompt, match =>
        {
            if (Read(match.Value, match.Groups["args"].Value) is { } lora)
            {
                loras.Add(lora);
            }
            else
            {
                errors.Add($"{match.Value} in the prompt: write <lora:name>, <lora:name:weight> or <lora:name:te weight:unet weight> with numbers such as 0.8.");
            }
            return " ";
        });
        return new PromptLoraParse(loras.Count + errors.Count == 0 ? prompt : Tidy(text), loras, errors);
    }

    /// <summary>The prompt as encoded: without its LoRA tags.</summary>
    public static string Strip(string prompt) => Parse(prompt).Text;

    /// <summary>
    /// The server's LoRA file that a typed name means: the exact name, or the same name without extension or without
    /// its subfolder, compared without regard to case or slash direction. Null with a reason when none or several match.
    /// </summary>
    public static (string? Name, string? Error) Resolve(string typed, IReadOnlyList<string> available)
    {
        ArgumentNullException.ThrowIfNull(typed);
        ArgumentNullException.ThrowIfNull(available);
        var wanted = Normalize(typed);
        var wantedBare = WithoutExtension(wanted);
        var hasFolder = wanted.Contains('/', StringComparison.Ordinal);
        Func<string, bool>[] rules =
        [
            a => Normalize(a) == wanted,
            a => WithoutExtension(Normalize(a)) == wantedBare,
            a => !hasFolder && BaseName(Normalize(a)) == wanted,
            a => !hasFolder && WithoutExtension(BaseName(Normalize(a))) == wantedBare,
        ];
        foreach (var rule in rules)
        {
            var found = available.Where(rule).Distinct(StringComparer.Ordinal).ToList();
            if (found.Count == 1)
            {
                return (found[0], null);
            }
            if (found.Count > 1)
            {
                return (null, $"'{typed}' matches several LoRAs ({string.Join(", ", found)}); write the folder too, for example <lora:{WithoutExtension(found[0])}:1>.");
            }
        }
        return (null, available.Count == 0
            ? $"The server has no LoRAs, so <lora:{typed}> cannot be used: put LoRA files in ComfyUI's models/loras folder."
            : $"The server has no LoRA named '{typed}'.");
    }

    private static PromptLora? Read(string tag, string args)
    {
        var items = args.Split(':');
        var name = items[0].Trim();
        if (name.Length == 0)
        {
            return null;
        }
        var positional = items.Skip(1).Where(i => !i.Contains('=', StringComparison.Ordinal)).Select(i => i.Trim()).ToList();
        var named = items.Skip(1).Where(i => i.Contains('=', StringComparison.Ordinal))
            .Select(i => i.Split('=', 2))
            .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim(), StringComparer.Ordinal);
        double te = 1.0;
        if (positional.Count > 0 && !TryNumber(positional[0], out te))
        {
            return null;
        }
        if (named.TryGetValue("te", out var teText) && !TryNumber(teText, out te))
        {
            return null;
        }
        var unet = te;
        if (positional.Count > 1 && !TryNumber(positional[1], out unet))
        {
            return null;
        }
        if (named.TryGetValue("unet", out var unetText) && !TryNumber(unetText, out unet))
        {
            return null;
        }
        return new PromptLora(tag, name, unet, te);
    }

    private static bool TryNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Removes what taking the tags out leaves behind: doubled commas and spaces, commas at either end.</summary>
    private static string Tidy(string text)
    {
        var t = Spaces().Replace(text, " ");
        t = EmptyItems().Replace(t, ",");
        t = SpaceBeforeComma().Replace(t, ",");
        t = SpaceAroundNewline().Replace(t, "\n");
        return t.Trim().Trim(',').Trim();
    }

    private static string Normalize(string name) => name.Trim().Replace('\\', '/').ToLowerInvariant();

    private static string BaseName(string name) => name[(name.LastIndexOf('/') + 1)..];

    private static string WithoutExtension(string name) =>
        ModelExtensions.FirstOrDefault(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase)) is { } ext ? name[..^ext.Length] : name;

    [GeneratedRegex(@"<(?:lora|lyco):(?<args>[^>]+)>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Tag();

    [GeneratedRegex(@"[ \t]{2,}")]
    private static partial Regex Spaces();

    [GeneratedRegex(@",(\s*,)+")]
    private static partial Regex EmptyItems();

    [GeneratedRegex(@"[ \t]*\n[ \t]*")]
    private static partial Regex SpaceAroundNewline();

    [GeneratedRegex(@"[ \t]+,")]
    private static partial Regex SpaceBeforeComma();
}
