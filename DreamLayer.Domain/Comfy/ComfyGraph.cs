using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// A ComfyUI API-format graph: node id (any string) → node. Input values are kept as JSON so that
/// literals of every type survive exactly (64-bit seeds included); a link is a two-item array
/// <c>["node id", output index]</c>.
/// </summary>
public sealed class ComfyGraph
{
    private readonly Dictionary<string, ComfyNode> _nodes;

    public ComfyGraph() => _nodes = new(StringComparer.Ordinal);

    private ComfyGraph(Dictionary<string, ComfyNode> nodes) => _nodes = nodes;

    public IReadOnlyDictionary<string, ComfyNode> Nodes => _nodes;

    public ComfyNode this[string id] => _nodes[id];

    public bool TryGetNode(string id, out ComfyNode node) => _nodes.TryGetValue(id, out node!);

    public void Add(string id, ComfyNode node) => _nodes.Add(id, node);

    public bool Remove(string id) => _nodes.Remove(id);

    /// <summary>Parses an API-format graph. Throws <see cref="ComfyGraphFormatException"/> on anything else.</summary>
    public static ComfyGraph Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ComfyGraphFormatException($"Not valid JSON: {ex.Message}", ex);
        }
        return FromJson(root);
    }

    public static ComfyGraph FromJson(JsonNode? root)
    {
        if (root is not JsonObject obj)
        {
            throw new ComfyGraphFormatException("An API-format workflow is a JSON object keyed by node id.");
        }
        if (obj.ContainsKey("nodes") && obj.ContainsKey("links"))
        {
            throw new ComfyGraphFormatException(
                "This is a UI-format workflow (it has \"nodes\" and \"links\"). In ComfyUI use Workflow → Export (API) and import that file.");
        }
        var nodes = new Dictionary<string, ComfyNode>(StringComparer.Ordinal);
        foreach (var (id, value) in obj)
        {
            if (value is not JsonObject nodeObj)
            {
                throw new ComfyGraphFormatException($"Node '{id}' is not an object.");
            }
            var classType = nodeObj["class_type"] is JsonValue cv && cv.TryGetValue<string>(out var ct) ? ct : null;
            var inputs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            if (nodeObj["inputs"] is JsonObject inputObj)
            {
                foreach (var (name, input) in inputObj)
                {
                    inputs[name] = input?.DeepClone();
                }
            }
            string? title = nodeObj["_meta"]?["title"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
            nodes[id] = new ComfyNode(classType ?? string.Empty, inputs, title);
        }
        return new ComfyGraph(nodes);
    }

    public JsonObject ToJson()
    {
        var obj = new JsonObject();
        foreach (var (id, node) in _nodes)
        {
            var inputs = new JsonObject();
            foreach (var (name, value) in node.Inputs)
            {
                inputs[name] = value?.DeepClone();
            }
            var nodeObj = new JsonObject
            {
                ["class_type"] = node.ClassType,
                ["inputs"] = inputs,
            };
            if (node.Title is not null)
            {
                nodeObj["_meta"] = new JsonObject { ["title"] = node.Title };
            }
            obj[id] = nodeObj;
        }
        return obj;
    }

    public string ToJsonString() => ToJson().ToJsonString();

    public ComfyGraph Clone() => FromJson(ToJson());

    /// <summary>Ids of nodes whose class is an output node in <paramref name="info"/>.</summary>
    public IEnumerable<string> OutputNodeIds(ObjectInfo info) =>
        _nodes.Where(n => info.TryGetNode(n.Value.ClassType, out var def) && def.IsOutputNode).Select(n => n.Key);

    /// <summary>Returns an id not used in this graph, numeric like the ComfyUI frontend's.</summary>
    public string NextId()
    {
        var max = _nodes.Keys.Select(k => long.TryParse(k, out var n) ? n : 0).DefaultIfEmpty(0).Max();
        return (max + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>One node of an API-format graph.</summary>
public sealed class ComfyNode(string classType, Dictionary<string, JsonNode?> inputs, string? title = null)
{
    public string ClassType { get; } = classType;

    public Dictionary<string, JsonNode?> Inputs { get; } = inputs;

    public string? Title { get; set; } = title;

    public ComfyNode(string classType) : this(classType, new Dictionary<string, JsonNode?>(StringComparer.Ordinal))
    {
    }

    public ComfyNode Set(string input, JsonNode? value)
    {
        Inputs[input] = value;
        return this;
    }

    public ComfyNode Link(string input, string sourceId, int outputIndex)
    {
        Inputs[input] = ComfyLink.ToJson(sourceId, outputIndex);
        return this;
    }
}

/// <summary>A link input: <c>["source id", output index]</c>.</summary>
public readonly record struct ComfyLink(string SourceId, int OutputIndex)
{
    public static JsonArray ToJson(string sourceId, int outputIndex) => new(JsonValue.Create(sourceId), JsonValue.Create(outputIndex));

    /// <summary>True when <paramref name="value"/> is a well-formed link (string id, integer index).</summary>
    public static bool TryParse(JsonNode? value, out ComfyLink link)
    {
        link = default;
        if (value is JsonArray { Count: 2 } arr
            && arr[0] is JsonValue idValue && idValue.GetValueKind() == JsonValueKind.String
            && arr[1] is JsonValue indexValue && indexValue.GetValueKind() == JsonValueKind.Number
            && indexValue.TryGetValue<int>(out var index))
        {
            link = new ComfyLink(idValue.GetValue<string>(), index);
            return true;
        }
        return false;
    }
}

public sealed class ComfyGraphFormatException : Exception
{
    public ComfyGraphFormatException(string message) : base(message)
    {
    }

    public ComfyGraphFormatException(string message, Exception inner) : base(message, inner)
    {
    }

    public ComfyGraphFormatException()
    {
    }
}
