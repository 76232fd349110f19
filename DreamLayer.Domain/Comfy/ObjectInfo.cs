using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// A server's node catalogue, read from <c>GET /object_info</c>. Both combo forms are understood:
/// the classic array form <c>[["a","b"], {...}]</c> and the newer <c>["COMBO", {"options": [...]}]</c>.
/// Unknown keys are ignored so that older and newer servers both parse.
/// </summary>
public sealed class ObjectInfo
{
    private readonly Dictionary<string, NodeDefinition> _nodes;

    private ObjectInfo(Dictionary<string, NodeDefinition> nodes) => _nodes = nodes;

    public static ObjectInfo Empty { get; } = new(new Dictionary<string, NodeDefinition>(StringComparer.Ordinal));

    public IReadOnlyDictionary<string, NodeDefinition> Nodes => _nodes;

    public bool TryGetNode(string classType, out NodeDefinition node) => _nodes.TryGetValue(classType, out node!);

    public bool HasNode(string classType) => _nodes.ContainsKey(classType);

    /// <summary>The values of a combo input (either form), or an empty list when the node or input is unknown.</summary>
    public IReadOnlyList<string> ComboValues(string classType, string input) =>
        TryGetNode(classType, out var node) && node.TryGetInput(input, out var spec) && spec.ComboValues is { } values
            ? values
            : [];

    /// <summary>
    /// The display names of the paid API nodes (<see cref="NodeDefinition.IsApiNode"/>) <paramref name="graph"/> uses on
    /// this server, each once, in the graph's order; empty when it uses none.
    /// </summary>
    public IReadOnlyList<string> ApiNodesIn(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Nodes.Values
            .Select(n => TryGetNode(n.ClassType, out var node) && node.IsApiNode ? node.DisplayName : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    public static ObjectInfo Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("object_info is not a JSON object.");
        }
        var nodes = new Dictionary<string, NodeDefinition>(StringComparer.Ordinal);
        foreach (var prop in root.EnumerateObject())
        {
            if (prop.Value.ValueKind == JsonValueKind.Object)
            {
                nodes[prop.Name] = NodeDefinition.Parse(prop.Name, prop.Value);
            }
        }
        return new ObjectInfo(nodes);
    }
}

public sealed class NodeDefinition
{
    public required string Name { get; init; }
    public string DisplayName { get; init; } = string.Empty;
    public string Category { get; init; } = string.Empty;
    public bool IsOutputNode { get; init; }

    /// <summary>
    /// One of ComfyUI's paid API nodes (<c>"api_node": true</c>): it calls Comfy.org while it runs, with the Comfy.org
    /// key the prompt's <c>extra_data</c> carries, and fails without one.
    /// </summary>
    public bool IsApiNode { get; init; }
    public IReadOnlyList<string> Outputs { get; init; } = [];
    public IReadOnlyList<string> OutputNames { get; init; } = [];
    public IReadOnlyDictionary<string, InputSpec> Required { get; init; } = new Dictionary<string, InputSpec>();
    public IReadOnlyDictionary<string, InputSpec> Optional { get; init; } = new Dictionary<string, InputSpec>();
    public IReadOnlyList<string> Hidden { get; init; } = [];

    /// <summary>The node's entry exactly as the server sent it (undefined for a definition not read from a server).</summary>
    public JsonElement Raw { get; init; }

    public bool TryGetInput(string name, out InputSpec spec) =>
        Required.TryGetValue(name, out spec!) || Optional.TryGetValue(name, out spec!);

    internal static NodeDefinition Parse(string name, JsonElement e)
    {
        var required = new Dictionary<string, InputSpec>(StringComparer.Ordinal);
        var optional = new Dictionary<string, InputSpec>(StringComparer.Ordinal);
        var hidden = new List<string>();
        if (e.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object)
        {
            ReadSection(input, "required", required, isRequired: true);
            ReadSection(input, "optional", optional, isRequired: false);
            if (input.TryGetProperty("hidden", out var h) && h.ValueKind == JsonValueKind.Object)
            {
                hidden.AddRange(h.EnumerateObject().Select(p => p.Name));
            }
        }
        return new NodeDefinition
        {
            Name = name,
            DisplayName = GetString(e, "display_name") ?? name,
            Category = GetString(e, "category") ?? string.Empty,
            IsOutputNode = e.TryGetProperty("output_node", out var on) && on.ValueKind == JsonValueKind.True,
            IsApiNode = e.TryGetProperty("api_node", out var api) && api.ValueKind == JsonValueKind.True,
            Outputs = GetStrings(e, "output"),
            OutputNames = GetStrings(e, "output_name"),
            Required = required,
            Optional = optional,
            Hidden = hidden,
            Raw = e.Clone(),
        };
    }

    private static void ReadSection(JsonElement input, string section, Dictionary<string, InputSpec> into, bool isRequired)
    {
        if (!input.TryGetProperty(section, out var s) || s.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in s.EnumerateObject())
        {
            if (InputSpec.TryParse(p.Name, p.Value, isRequired, out var spec))
            {
                into[p.Name] = spec;
            }
        }
    }

    private static string? GetString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static List<string> GetStrings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToList()
            : [];
}

/// <summary>How ComfyUI declares one input.</summary>
public enum InputKind
{
    /// <summary>A socket or widget type such as <c>INT</c>, <c>MODEL</c>, a union <c>FLOAT,INT</c> or <c>*</c>.</summary>
    Typed,
    /// <summary>Classic array-form combo: membership is validated by the server.</summary>
    ListCombo,
    /// <summary>New <c>"COMBO"</c> form: values in <c>options.options</c>, not validated by the server.</summary>
    ComboType,
}

public sealed class InputSpec
{
    public required string Name { get; init; }
    public required InputKind Kind { get; init; }
    public bool IsRequired { get; init; }

    /// <summary>The declared type for <see cref="InputKind.Typed"/>; <c>COMBO</c> for both combo forms.</summary>
    public required string Type { get; init; }

    /// <summary>Allowed values for a combo (either form), as strings exactly as the server lists them.</summary>
    public IReadOnlyList<string>? ComboValues { get; init; }

    public decimal? Min { get; init; }
    public decimal? Max { get; init; }
    public decimal? Step { get; init; }
    public JsonNode? Default { get; init; }

    /// <summary>The raw declared spec <c>[type_or_list, options]</c>, as ComfyUI reports it in <c>input_config</c>.</summary>
    public required JsonNode Raw { get; init; }

    public bool IsCombo => Kind != InputKind.Typed;

    internal static bool TryParse(string name, JsonElement e, bool isRequired, out InputSpec spec)
    {
        spec = null!;
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
        {
            return false;
        }
        var first = e[0];
        var options = e.GetArrayLength() > 1 && e[1].ValueKind == JsonValueKind.Object ? e[1] : default;
        var raw = JsonNode.Parse(e.GetRawText())!;
        InputKind kind;
        string type;
        IReadOnlyList<string>? values = null;
        if (first.ValueKind == JsonValueKind.Array)
        {
            kind = InputKind.ListCombo;
            type = "COMBO";
            values = first.EnumerateArray().Select(ValueText).ToList();
        }
        else if (first.ValueKind == JsonValueKind.String && first.GetString() == "COMBO")
        {
            kind = InputKind.ComboType;
            type = "COMBO";
            values = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Array
                ? o.EnumerateArray().Select(ValueText).ToList()
                : [];
        }
        else if (first.ValueKind == JsonValueKind.String)
        {
            kind = InputKind.Typed;
            type = first.GetString()!;
        }
        else
        {
            return false;
        }
        spec = new InputSpec
        {
            Name = name,
            Kind = kind,
            IsRequired = isRequired,
            Type = type,
            ComboValues = values,
            Min = Number(options, "min"),
            Max = Number(options, "max"),
            Step = Number(options, "step"),
            Default = options.ValueKind == JsonValueKind.Object && options.TryGetProperty("default", out var d) ? JsonNode.Parse(d.GetRawText()) : null,
            Raw = raw,
        };
        return true;
    }

    private static string ValueText(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    private static decimal? Number(JsonElement options, string key)
    {
        if (options.ValueKind != JsonValueKind.Object || !options.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Number)
        {
            return null;
        }
        if (v.TryGetDecimal(out var d))
        {
            return d;
        }
        return decimal.TryParse(v.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out d) ? d : null;
    }
}
