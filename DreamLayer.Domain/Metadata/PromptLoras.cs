using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Metadata;

/// <summary>LoRAs named in a prompt the A1111 way: <c>&lt;lora:name:0.8&gt;</c> (also <c>&lt;lyco:…&gt;</c>).</summary>
public static partial class PromptLoras
{
    /// <summary>The distinct LoRA names in <paramref name="prompt"/>, in order of appearance.</summary>
    public static IReadOnlyList<string> Names(string? prompt) =>
        string.IsNullOrEmpty(prompt)
            ? []
            : Tag().Matches(prompt).Select(m => m.Groups[1].Value.Trim()).Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"<(?:lora|lyco):([^:<>]{1,200})(?::[^<>]*)?>", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Tag();
}
