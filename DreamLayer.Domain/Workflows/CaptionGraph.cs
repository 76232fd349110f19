using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows;

/// <summary>A captioning node a server has: its class, its name for people, and the input its instructions go to (if any).</summary>
public sealed record Captioner(string ClassType, string DisplayName, string? InstructionsInput);

/// <summary>
/// Captioning nodes of a ComfyUI server and the small prompt that runs one: LoadImage → the captioner, whose text
/// lands in the history as its <c>ui</c> (decision 0034). A node is a captioner when its category names captioning
/// (a segment containing "caption", "tagg" or "interrogat", case-insensitive) or it is one of the captioners whose
/// category says nothing (<see cref="KnownByName"/>); and when it can run alone: an output node (so its text is in the
/// history), with one required <c>IMAGE</c> input, a <c>STRING</c> output, and every other required input a widget
/// with a value to give (a default, or a list's first entry).
/// </summary>
public static class CaptionGraph
{
    public const string LoadNode = "1";
    public const string CaptionNode = "2";

    /// <summary>The longest instructions sent to a node (the page refuses longer ones before this).</summary>
    public const int MaxInstructions = 4000;

    private static readonly string[] CategoryWords = ["caption", "tagg", "interrogat"];

    /// <summary>Captioners filed under a category that does not say so: WD14 Tagger is under "image".</summary>
    public static IReadOnlyList<string> KnownByName { get; } = ["WD14Tagger|pysssss"];

    /// <summary>Inputs, by name, that take a person's instructions (a question or a prompt for a vision-language node).</summary>
    private static readonly string[] InstructionInputs = ["text_input", "prompt", "custom_prompt", "question", "instruction", "instructions", "user_prompt"];

    private static readonly HashSet<string> Widgets = new(StringComparer.Ordinal) { "INT", "FLOAT", "STRING", "BOOLEAN", "COMBO" };

    /// <summary>The captioners in a server's catalogue, by display name.</summary>
    public static IReadOnlyList<Captioner> Find(ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Nodes.Values
            .Where(IsCaptioner)
            .Select(n => new Captioner(n.Name, string.IsNullOrEmpty(n.DisplayName) ? n.Name : n.DisplayName,
                InstructionInputs.FirstOrDefault(name => n.Required.TryGetValue(name, out var s) && s.Type == "STRING" || n.Optional.TryGetValue(name, out var o) && o.Type == "STRING")))
            .OrderBy(c => c.DisplayName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Whether the category names captioning (see the class summary), or the class is one known by name.</summary>
    public static bool NamesCaptioning(NodeDefinition node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return KnownByName.Contains(node.Name, StringComparer.Ordinal)
            || node.Category.Split('/').Any(segment => CategoryWords.Any(word => segment.Contains(word, StringComparison.OrdinalIgnoreCase)));
    }

    public static bool IsCaptioner(NodeDefinition node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (!NamesCaptioning(node) || !node.IsOutputNode || !node.Outputs.Contains("STRING") || node.IsApiNode)
        {
            return false;
        }
        var images = node.Required.Values.Count(i => i.Type == "IMAGE");
        return images == 1 && node.Required.Values.Where(i => i.Type != "IMAGE").All(i => ValueFor(i) is not null);
    }

    /// <summary>
    /// LoadImage of <paramref name="image"/> (the name the server gave the upload) → the captioner, its image linked, its
    /// other required inputs at their defaults, and the instructions in its instructions input when it has one.
    /// </summary>
    public static ComfyGraph Build(NodeDefinition node, string image, string? instructions)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentException.ThrowIfNullOrWhiteSpace(image);
        var graph = new ComfyGraph();
        graph.Add(LoadNode, new ComfyNode("LoadImage").Set("image", image));
        var caption = new ComfyNode(node.Name);
        foreach (var input in node.Required.Values)
        {
            if (input.Type == "IMAGE")
            {
                caption.Link(input.Name, LoadNode, 0);
            }
            else
            {
                caption.Set(input.Name, ValueFor(input));
            }
        }
        var target = InstructionInputs.FirstOrDefault(name => node.TryGetInput(name, out var spec) && spec.Type == "STRING");
        if (target is not null && !string.IsNullOrWhiteSpace(instructions))
        {
            caption.Set(target, instructions.Length > MaxInstructions ? instructions[..MaxInstructions] : instructions);
        }
        graph.Add(CaptionNode, caption);
        return graph;
    }

    /// <summary>The description in the history's texts of the captioner: its strings, trimmed and joined; null when there is none.</summary>
    public static string? ReadText(IReadOnlyList<string>? texts)
    {
        if (texts is null)
        {
            return null;
        }
        var parts = texts.Select(t => t.Trim().TrimEnd(',').Trim()).Where(t => t.Length > 0).ToList();
        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    /// <summary>The value a widget gets when nobody chose one: its default, else a list's first entry, else "" for text; null when there is none.</summary>
    private static JsonNode? ValueFor(InputSpec input)
    {
        if (!Widgets.Contains(input.Type) && !input.IsCombo)
        {
            return null;
        }
        if (input.Default is { } value && value.GetValueKind() != JsonValueKind.Null)
        {
            return value.DeepClone();
        }
        if (input.IsCombo)
        {
            return input.ComboValues is { Count: > 0 } values ? JsonValue.Create(values[0]) : null;
        }
        return input.Type == "STRING" ? JsonValue.Create(string.Empty) : null;
    }
}
