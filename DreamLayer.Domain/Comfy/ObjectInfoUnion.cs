using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// One catalogue for several servers, in ComfyUI's <c>/object_info</c> shape: every node class any of them has, each as
/// the first server that has it describes it, with the inputs only later servers declare added and the values of each
/// list input (both combo forms) joined, so a graph one of them can run is accepted and every value one of them lists is
/// offered. Numeric ranges, types and the other keys are the first server's.
/// </summary>
public static class ObjectInfoUnion
{
    private static readonly string[] Sections = ["required", "optional"];

    /// <summary>The joined catalogue as JSON (what <c>GET /object_info</c> answers).</summary>
    public static JsonObject Json(IEnumerable<ObjectInfo> catalogues)
    {
        ArgumentNullException.ThrowIfNull(catalogues);
        var merged = new JsonObject();
        foreach (var catalogue in catalogues)
        {
            foreach (var (name, definition) in catalogue.Nodes)
            {
                if (definition.Raw.ValueKind != JsonValueKind.Object || JsonNode.Parse(definition.Raw.GetRawText()) is not JsonObject node)
                {
                    continue;
                }
                if (merged[name] is JsonObject first)
                {
                    Join(first, node);
                }
                else
                {
                    merged[name] = node;
                }
            }
        }
        return merged;
    }

    /// <summary>The joined catalogue, parsed.</summary>
    public static ObjectInfo Parse(JsonObject union)
    {
        ArgumentNullException.ThrowIfNull(union);
        return ObjectInfo.Parse(JsonSerializer.SerializeToElement(union));
    }

    private static void Join(JsonObject first, JsonObject other)
    {
        if (other["input"] is not JsonObject otherInput)
        {
            return;
        }
        if (first["input"] is not JsonObject input)
        {
            first["input"] = otherInput.DeepClone();
            return;
        }
        foreach (var section in Sections)
        {
            if (otherInput[section] is not JsonObject otherSpecs)
            {
                continue;
            }
            if (input[section] is not JsonObject specs)
            {
                input[section] = otherSpecs.DeepClone();
                continue;
            }
            foreach (var (inputName, otherSpec) in otherSpecs)
            {
                if (!specs.ContainsKey(inputName))
                {
                    specs[inputName] = otherSpec?.DeepClone();
                }
                else if (Values(specs[inputName]) is { } values && Values(otherSpec) is { } more)
                {
                    foreach (var value in more.Where(v => !values.Any(known => JsonNode.DeepEquals(known, v))).ToList())
                    {
                        values.Add(value?.DeepClone());
                    }
                }
            }
        }
    }

    /// <summary>The list of a combo input: the array of the classic form, or <c>options</c> of the <c>"COMBO"</c> form; null for any other input.</summary>
    private static JsonArray? Values(JsonNode? spec) => spec switch
    {
        JsonArray { Count: > 0 } a when a[0] is JsonArray list => list,
        JsonArray { Count: > 1 } a when a[0] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == "COMBO"
            && a[1] is JsonObject options && options["options"] is JsonArray list => list,
        _ => null,
    };
}
