using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// Turns an API-format graph into the UI-format (LiteGraph) workflow that ComfyUI's frontend saves and loads: the JSON
/// the frontend sends as <c>extra_data.extra_pnginfo.workflow</c> and SaveImage writes into the PNG's <c>workflow</c>
/// chunk, so an image opens in ComfyUI as an editable graph.
/// </summary>
/// <remarks>
/// The shape follows the frontend's serialisation (workflow version 0.4): integer node ids, sockets from the server's
/// catalogue with link ids, every widget's value in the catalogue's input order (seed widgets followed by their
/// "control after generate" value), a linked widget input in the converted-widget form, and
/// <c>[id, from node, from slot, to node, to slot, type]</c> links. Nodes are laid out left to right by depth.
/// </remarks>
public static class UiWorkflow
{
    /// <summary>The value the frontend's "control after generate" widget gets; "fixed" keeps the seed the image was made with.</summary>
    public const string ControlAfterGenerate = "fixed";

    /// <summary>The value the frontend saves for the upload button it adds after an image combo (LoadImage's "choose file to upload").</summary>
    public const string ImageUpload = "image";

    private const int ColumnWidth = 400;
    private const int RowGap = 40;
    private const int Margin = 50;

    public static JsonObject FromApiGraph(ComfyGraph graph, ObjectInfo info)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(info);
        var ids = NumericIds(graph);
        var shapes = graph.Nodes.ToDictionary(n => n.Key, n => Shape(n.Value, info), StringComparer.Ordinal);
        // A class the catalogue lacks gets untyped outputs up to the highest one the graph uses.
        foreach (var node in graph.Nodes.Values)
        {
            foreach (var value in node.Inputs.Values)
            {
                if (ComfyLink.TryParse(value, out var link) && link.OutputIndex is >= 0 and < 64
                    && shapes.TryGetValue(link.SourceId, out var source) && !info.HasNode(graph[link.SourceId].ClassType))
                {
                    while (source.Outputs.Count <= link.OutputIndex)
                    {
                        source.Outputs.Add(new SlotShape("*", "*"));
                    }
                }
            }
        }

        // Links, numbered in node then slot order; a link to a node that is not in the graph is left unconnected.
        var links = new JsonArray();
        var linkIdsByOutput = new Dictionary<(string Node, int Slot), List<int>>();
        var linkOfInput = new Dictionary<(string Node, int Slot), int>();
        var nextLink = 0;
        foreach (var (id, node) in graph.Nodes)
        {
            var shape = shapes[id];
            for (var slot = 0; slot < shape.Inputs.Count; slot++)
            {
                if (!ComfyLink.TryParse(node.Inputs.GetValueOrDefault(shape.Inputs[slot].Name), out var link)
                    || !graph.Nodes.ContainsKey(link.SourceId) || link.OutputIndex < 0)
                {
                    continue;
                }
                var linkId = ++nextLink;
                var type = shapes[link.SourceId].OutputType(link.OutputIndex);
                links.Add(new JsonArray(linkId, ids[link.SourceId], link.OutputIndex, ids[id], slot, type));
                linkOfInput[(id, slot)] = linkId;
                if (!linkIdsByOutput.TryGetValue((link.SourceId, link.OutputIndex), out var list))
                {
                    linkIdsByOutput[(link.SourceId, link.OutputIndex)] = list = [];
                }
                list.Add(linkId);
            }
        }

        var depth = Depths(graph);
        var order = graph.Nodes.Keys.OrderBy(k => depth[k]).ThenBy(k => ids[k]).ToList();
        var columnY = new Dictionary<int, int>();
        var nodes = new JsonArray();
        for (var position = 0; position < order.Count; position++)
        {
            var id = order[position];
            var node = graph.Nodes[id];
            var shape = shapes[id];
            var (width, height) = shape.Size();
            var column = depth[id];
            var y = columnY.GetValueOrDefault(column, Margin);
            columnY[column] = y + height + RowGap;

            var inputs = new JsonArray();
            for (var slot = 0; slot < shape.Inputs.Count; slot++)
            {
                var input = shape.Inputs[slot];
                var entry = new JsonObject
                {
                    ["name"] = input.Name,
                    ["type"] = input.Type,
                    ["link"] = linkOfInput.TryGetValue((id, slot), out var linkId) ? linkId : null,
                };
                if (input.IsConvertedWidget)
                {
                    entry["widget"] = new JsonObject { ["name"] = input.Name };
                }
                inputs.Add(entry);
            }
            var outputs = new JsonArray();
            for (var slot = 0; slot < shape.Outputs.Count; slot++)
            {
                var used = linkIdsByOutput.GetValueOrDefault((id, slot)) ?? [];
                outputs.Add(new JsonObject
                {
                    ["name"] = shape.Outputs[slot].Name,
                    ["type"] = shape.Outputs[slot].Type,
                    ["links"] = new JsonArray([.. used.Select(l => (JsonNode)l)]),
                    ["slot_index"] = slot,
                });
            }
            var ui = new JsonObject
            {
                ["id"] = ids[id],
                ["type"] = node.ClassType,
                ["pos"] = new JsonArray(Margin + (column * ColumnWidth), y),
                ["size"] = new JsonArray(width, height),
                ["flags"] = new JsonObject(),
                ["order"] = position,
                ["mode"] = 0,
                ["inputs"] = inputs,
                ["outputs"] = outputs,
                ["properties"] = new JsonObject { ["Node name for S&R"] = node.ClassType },
            };
            if (node.Title is { } title && title != shape.DisplayName)
            {
                ui["title"] = title;
            }
            if (shape.Widgets.Count > 0)
            {
                ui["widgets_values"] = WidgetValues(node, shape);
            }
            nodes.Add(ui);
        }

        return new JsonObject
        {
            ["last_node_id"] = ids.Count == 0 ? 0 : ids.Values.Max(),
            ["last_link_id"] = nextLink,
            ["nodes"] = nodes,
            ["links"] = links,
            ["groups"] = new JsonArray(),
            ["config"] = new JsonObject(),
            ["extra"] = new JsonObject(),
            ["version"] = 0.4,
        };
    }

    /// <summary>
    /// Integer ids for the frontend: a positive integer id is kept; any other id (<c>"lora_1"</c>, <c>"5:3"</c>, a
    /// duplicate such as <c>"07"</c> beside <c>"7"</c>) gets the next number after the largest.
    /// </summary>
    public static IReadOnlyDictionary<string, int> NumericIds(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var used = new HashSet<int>();
        foreach (var key in graph.Nodes.Keys)
        {
            if (int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && used.Add(n))
            {
                ids[key] = n;
            }
        }
        var next = used.Count == 0 ? 0 : used.Max();
        foreach (var key in graph.Nodes.Keys.Where(k => !ids.ContainsKey(k)))
        {
            ids[key] = ++next;
        }
        return ids;
    }

    private static JsonArray WidgetValues(ComfyNode node, NodeShape shape)
    {
        var values = new JsonArray();
        foreach (var widget in shape.Widgets)
        {
            var value = node.Inputs.TryGetValue(widget.Name, out var v) && !ComfyLink.TryParse(v, out _) ? v : widget.Default;
            values.Add(value?.DeepClone());
            if (widget.ControlAfterGenerate)
            {
                values.Add(ControlAfterGenerate);
            }
            if (widget.ImageUpload)
            {
                values.Add(ImageUpload);
            }
        }
        return values;
    }

    /// <summary>Each node's column: one more than the deepest node feeding it (cycles and dangling links count as depth 0).</summary>
    private static Dictionary<string, int> Depths(ComfyGraph graph)
    {
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var visiting = new HashSet<string>(StringComparer.Ordinal);
        int Of(string id)
        {
            if (depth.TryGetValue(id, out var known))
            {
                return known;
            }
            if (!visiting.Add(id))
            {
                return 0;
            }
            var d = 0;
            foreach (var value in graph.Nodes[id].Inputs.Values)
            {
                if (ComfyLink.TryParse(value, out var link) && graph.Nodes.ContainsKey(link.SourceId))
                {
                    d = Math.Max(d, Of(link.SourceId) + 1);
                }
            }
            visiting.Remove(id);
            depth[id] = d;
            return d;
        }
        foreach (var id in graph.Nodes.Keys)
        {
            Of(id);
        }
        return depth;
    }

    private sealed record SlotShape(string Name, string Type, bool IsConvertedWidget = false);

    private sealed record WidgetShape(string Name, JsonNode? Default, bool ControlAfterGenerate, bool Multiline, bool ImageUpload = false);

    private sealed record NodeShape(string DisplayName, List<SlotShape> Inputs, List<SlotShape> Outputs, List<WidgetShape> Widgets)
    {
        public string OutputType(int slot) => slot < Outputs.Count ? Outputs[slot].Type : "*";

        /// <summary>Roughly the frontend's computed size: a title bar, a row per slot, a row per widget, a text box for multiline strings.</summary>
        public (int Width, int Height) Size()
        {
            var multiline = Widgets.Any(w => w.Multiline);
            var width = multiline ? 400 : Widgets.Count > 0 ? 315 : 210;
            var rows = Math.Max(Inputs.Count(i => !i.IsConvertedWidget), Outputs.Count);
            var widgetRows = Widgets.Count(w => !w.Multiline) + Widgets.Count(w => w.ControlAfterGenerate) + Widgets.Count(w => w.ImageUpload);
            var height = 30 + (Math.Max(rows, 1) * 22) + (widgetRows * 24) + (multiline ? 120 : 0) + (Widgets.Any(w => w.ImageUpload) ? 250 : 0);
            return (width, height);
        }
    }

    /// <summary>
    /// A node as the frontend builds it from the catalogue: socket inputs (required, then optional), widgets in input
    /// order, and then any widget that is linked in the graph as a converted-widget input. A class the catalogue lacks
    /// keeps what the graph says: linked inputs as sockets, literals as widgets, outputs up to the highest one used.
    /// </summary>
    private static NodeShape Shape(ComfyNode node, ObjectInfo info)
    {
        var inputs = new List<SlotShape>();
        var converted = new List<SlotShape>();
        var widgets = new List<WidgetShape>();
        var outputs = new List<SlotShape>();
        if (!info.TryGetNode(node.ClassType, out var def))
        {
            foreach (var (name, value) in node.Inputs)
            {
                if (ComfyLink.TryParse(value, out _))
                {
                    inputs.Add(new SlotShape(name, "*"));
                }
                else
                {
                    widgets.Add(new WidgetShape(name, null, false, false));
                }
            }
            return new NodeShape(node.ClassType, inputs, outputs, widgets);
        }
        foreach (var spec in def.Required.Values.Concat(def.Optional.Values))
        {
            if (!IsWidget(spec))
            {
                inputs.Add(new SlotShape(spec.Name, spec.Type));
                continue;
            }
            widgets.Add(new WidgetShape(spec.Name, DefaultOf(spec), HasControlAfterGenerate(spec), IsTrue(spec, "multiline"), HasImageUpload(spec)));
            if (ComfyLink.TryParse(node.Inputs.GetValueOrDefault(spec.Name), out _))
            {
                converted.Add(new SlotShape(spec.Name, spec.Type, IsConvertedWidget: true));
            }
        }
        // Inputs the catalogue does not declare (a newer or older node version) still keep their links.
        foreach (var (name, value) in node.Inputs)
        {
            if (!def.TryGetInput(name, out _) && ComfyLink.TryParse(value, out _))
            {
                inputs.Add(new SlotShape(name, "*"));
            }
        }
        inputs.AddRange(converted);
        for (var i = 0; i < def.Outputs.Count; i++)
        {
            var type = def.Outputs[i].StartsWith('[') ? "COMBO" : def.Outputs[i];
            outputs.Add(new SlotShape(i < def.OutputNames.Count ? def.OutputNames[i] : type, type));
        }
        return new NodeShape(def.DisplayName, inputs, outputs, widgets);
    }

    /// <summary>Combos and INT/FLOAT/STRING/BOOLEAN inputs are widgets, unless declared <c>forceInput</c>.</summary>
    public static bool IsWidget(InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (IsTrue(spec, "forceInput"))
        {
            return false;
        }
        return spec.IsCombo || spec.Type is "INT" or "FLOAT" or "STRING" or "BOOLEAN";
    }

    /// <summary>
    /// Whether the frontend puts a "control after generate" widget after this one: declared with
    /// <c>control_after_generate</c>, or (older servers) an INT input named <c>seed</c> or <c>noise_seed</c>.
    /// </summary>
    public static bool HasControlAfterGenerate(InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (IsTrue(spec, "control_after_generate"))
        {
            return true;
        }
        return spec.Type == "INT" && spec.Name is "seed" or "noise_seed";
    }

    /// <summary>Whether the frontend adds an image upload button (saved as <see cref="ImageUpload"/>) after this combo.</summary>
    public static bool HasImageUpload(InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.IsCombo && IsTrue(spec, "image_upload");
    }

    private static bool IsTrue(InputSpec spec, string option) => Option(spec, option) is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static JsonNode? Option(InputSpec spec, string key) =>
        spec.Raw is JsonArray { Count: > 1 } raw && raw[1] is JsonObject options ? options[key] : null;

    /// <summary>The value the frontend shows for a widget nobody set: its default, else the first choice, else zero or empty.</summary>
    private static JsonNode? DefaultOf(InputSpec spec) =>
        spec.Default?.DeepClone()
        ?? (spec.ComboValues is { Count: > 0 } values ? JsonValue.Create(values[0])
            : spec.Type switch
            {
                "INT" or "FLOAT" => JsonValue.Create(spec.Min is { } min && min > 0 ? min : 0),
                "BOOLEAN" => JsonValue.Create(false),
                _ => JsonValue.Create(string.Empty),
            });
}
