using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfyStandIn;

/// <summary>The outcome of validating a graph: the error (when nothing can run), good outputs and node errors.</summary>
internal sealed record ValidationResult(JsonObject? Error, IReadOnlyList<string> GoodOutputs, JsonObject NodeErrors)
{
    public bool Ok => Error is null;
}

/// <summary>Validates an API-format graph the way ComfyUI's <c>validate_prompt</c> does, coercing values in place.</summary>
internal sealed class PromptValidator(NodeCatalog catalog, FileStore files)
{
    private sealed record NodeResult(bool Valid, JsonArray Errors);

    private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

    public static JsonObject Error(string type, string message, string details) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = details,
        ["extra_info"] = new JsonObject(),
    };

    public ValidationResult Validate(JsonObject prompt, JsonArray? partialTargets)
    {
        var outputs = new List<string>();
        foreach (var (id, node) in prompt)
        {
            if (node is not JsonObject n || !n.ContainsKey("class_type"))
            {
                return Fail(Error("invalid_prompt", "Cannot execute because a node is missing the class_type property.", $"Node ID '#{id}'"));
            }
            var classType = Py.Str(n["class_type"]);
            if (!catalog.TryGet(classType, out var def))
            {
                return Fail(Error("invalid_prompt", $"Cannot execute because node {classType} does not exist.", $"Node ID '#{id}'"));
            }
            if (def.OutputNode) { outputs.Add(id); }
        }
        if (partialTargets is not null)
        {
            var targets = partialTargets.Select(Py.Str).ToHashSet(StringComparer.Ordinal);
            outputs = outputs.Where(targets.Contains).ToList();
        }
        if (outputs.Count == 0)
        {
            return Fail(Error("prompt_no_outputs", "Prompt has no outputs", string.Empty));
        }

        var validated = new Dictionary<string, NodeResult>(StringComparer.Ordinal);
        var good = new List<string>();
        var nodeErrors = new JsonObject();
        var detailLines = new List<string>();
        foreach (var o in outputs)
        {
            NodeResult result;
            try
            {
                result = ValidateNode(prompt, o, validated);
            }
            catch (PyException ex)
            {
                result = new NodeResult(false, [new JsonObject
                {
                    ["type"] = "exception_during_validation",
                    ["message"] = "Exception when validating node",
                    ["details"] = ex.Message,
                    ["extra_info"] = new JsonObject
                    {
                        ["exception_type"] = ex.PyType,
                        ["traceback"] = new JsonArray(Py.FakeTraceback("validate_inputs").Select(s => (JsonNode?)s).ToArray()),
                    },
                }]);
                validated[o] = result;
            }
            if (result.Valid)
            {
                good.Add(o);
                continue;
            }
            foreach (var (nodeId, r) in validated)
            {
                if (r.Valid || r.Errors.Count == 0) { continue; }
                if (nodeErrors[nodeId] is not JsonObject entry)
                {
                    entry = new JsonObject
                    {
                        ["errors"] = r.Errors.DeepClone(),
                        ["dependent_outputs"] = new JsonArray(),
                        ["class_type"] = Py.Str(prompt[nodeId]?["class_type"]),
                    };
                    nodeErrors[nodeId] = entry;
                }
                entry["dependent_outputs"]!.AsArray().Add(o);
                foreach (var e in r.Errors)
                {
                    detailLines.Add($"{Py.Str(e!["message"])}: {Py.Str(e["details"])}");
                }
            }
        }
        if (good.Count == 0)
        {
            var error = Error("prompt_outputs_failed_validation", "Prompt outputs failed validation", string.Join("\n", detailLines));
            return new ValidationResult(error, good, nodeErrors);
        }
        return new ValidationResult(null, good, nodeErrors);
    }

    private static ValidationResult Fail(JsonObject error) => new(error, [], new JsonObject());

    private NodeResult ValidateNode(JsonObject prompt, string id, Dictionary<string, NodeResult> validated)
    {
        if (validated.TryGetValue(id, out var done)) { return done; }
        if (!_inProgress.Add(id)) { throw new PyException("RecursionError", "maximum recursion depth exceeded"); }
        try
        {
            return ValidateNodeCore(prompt, id, validated);
        }
        finally
        {
            _inProgress.Remove(id);
        }
    }

    private NodeResult ValidateNodeCore(JsonObject prompt, string id, Dictionary<string, NodeResult> validated)
    {
        if (prompt[id] is not JsonObject node) { throw PyException.KeyError(JsonValue.Create(id)); }
        if (!node.ContainsKey("inputs")) { throw PyException.KeyError(JsonValue.Create("inputs")); }
        if (node["inputs"] is not JsonObject inputs)
        {
            throw new PyException("TypeError", "argument of type '" + Py.TypeName(node["inputs"]) + "' is not iterable");
        }
        var classType = Py.Str(node["class_type"]);
        catalog.TryGet(classType, out var def);
        var errors = new JsonArray();
        var valid = true;
        var customValidated = classType is "LoadImage" or "LoadImageMask";

        foreach (var input in def.Inputs)
        {
            var x = input.Name;
            if (!inputs.TryGetPropertyValue(x, out var val))
            {
                if (input.Required)
                {
                    errors.Add(new JsonObject
                    {
                        ["type"] = "required_input_missing",
                        ["message"] = "Required input is missing",
                        ["details"] = x,
                        ["extra_info"] = new JsonObject { ["input_name"] = x },
                    });
                }
                continue;
            }
            if (val is JsonArray link)
            {
                if (!ValidateLink(prompt, id, x, input, link, validated, errors)) { valid = false; }
                continue;
            }
            if (val is JsonObject wrapped && wrapped.ContainsKey("__value__"))
            {
                val = wrapped["__value__"]?.DeepClone();
                inputs[x] = val;
            }
            var typeName = input.TypeName;
            try
            {
                val = typeName switch
                {
                    "INT" => Py.RawNumber(Py.ToInt(val).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    "FLOAT" => Py.FloatNode(Py.ToFloat(val)),
                    "STRING" => JsonValue.Create(Py.Str(val)),
                    "BOOLEAN" => JsonValue.Create(Py.ToBool(val)),
                    _ => val,
                };
                if (typeName is "INT" or "FLOAT" or "STRING" or "BOOLEAN") { inputs[x] = val; }
            }
            catch (PyException ex)
            {
                errors.Add(new JsonObject
                {
                    ["type"] = "invalid_input_type",
                    ["message"] = $"Failed to convert an input value to a {typeName} value",
                    ["details"] = $"{x}, {Py.Str(val)}, {ex.Message}",
                    ["extra_info"] = new JsonObject
                    {
                        ["input_name"] = x,
                        ["input_config"] = input.Config(),
                        ["received_value"] = val?.DeepClone(),
                        ["exception_message"] = ex.Message,
                    },
                });
                continue;
            }
            if (customValidated && x == "image") { continue; }

            var num = Py.Num.FromJson(val);
            if (num is { } n && input.Options["min"] is { } minNode && Py.Num.FromJson(minNode) is { } min && n.CompareTo(min) < 0)
            {
                errors.Add(RangeError("value_smaller_than_min", $"Value {Py.Str(val)} smaller than min of {Py.Str(minNode)}", x, input, val));
                continue;
            }
            if (num is { } m && input.Options["max"] is { } maxNode && Py.Num.FromJson(maxNode) is { } max && m.CompareTo(max) > 0)
            {
                errors.Add(RangeError("value_bigger_than_max", $"Value {Py.Str(val)} bigger than max of {Py.Str(maxNode)}", x, input, val));
                continue;
            }
            if (input.ComboList is { } list && !list.Any(item => SameValue(item, val)))
            {
                var big = list.Count > 20;
                var listInfo = big ? $"(list of length {list.Count})" : Py.Repr(list);
                errors.Add(new JsonObject
                {
                    ["type"] = "value_not_in_list",
                    ["message"] = "Value not in list",
                    ["details"] = $"{x}: '{Py.Str(val)}' not in {listInfo}",
                    ["extra_info"] = new JsonObject
                    {
                        ["input_name"] = x,
                        ["input_config"] = big ? null : input.Config(),
                        ["received_value"] = val?.DeepClone(),
                    },
                });
            }
        }

        if (customValidated && inputs["image"] is JsonValue imageValue && errors.Count == 0 && valid)
        {
            var image = Py.Str(imageValue);
            if (!files.AnnotatedFileExists(image))
            {
                errors.Add(new JsonObject
                {
                    ["type"] = "custom_validation_failed",
                    ["message"] = "Custom validation failed for node",
                    ["details"] = $"image - Invalid image file: {image}",
                    ["extra_info"] = new JsonObject { ["input_name"] = "image" },
                });
            }
        }

        var result = errors.Count > 0 || !valid ? new NodeResult(false, errors) : new NodeResult(true, []);
        validated[id] = result;
        return result;
    }

    private bool ValidateLink(JsonObject prompt, string id, string x, InputDef input, JsonArray link, Dictionary<string, NodeResult> validated, JsonArray errors)
    {
        if (link.Count != 2)
        {
            errors.Add(new JsonObject
            {
                ["type"] = "bad_linked_input",
                ["message"] = "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                ["details"] = x,
                ["extra_info"] = new JsonObject { ["input_name"] = x, ["input_config"] = input.Config(), ["received_value"] = link.DeepClone() },
            });
            return true;
        }
        var sourceId = link[0] is JsonValue sv && sv.GetValueKind() == JsonValueKind.String ? sv.GetValue<string>() : null;
        if (sourceId is null || prompt[sourceId] is not JsonObject source)
        {
            throw PyException.KeyError(link[0]?.DeepClone());
        }
        catalog.TryGet(Py.Str(source["class_type"]), out var sourceDef);
        var slotNode = link[1];
        if (slotNode is not JsonValue slotValue || slotValue.GetValueKind() != JsonValueKind.Number || !Py.IsIntegerLiteral(slotValue.ToJsonString()))
        {
            throw new PyException("TypeError", "tuple indices must be integers or slices, not " + Py.TypeName(slotNode));
        }
        var slot = (int)Math.Clamp((long)Py.ToInt(slotValue), int.MinValue, int.MaxValue);
        if (slot < 0) { slot += sourceDef.Outputs.Count; }
        if (slot < 0 || slot >= sourceDef.Outputs.Count)
        {
            throw new PyException("IndexError", "tuple index out of range");
        }
        var receivedType = sourceDef.Outputs[slot];
        if (!TypesMatch(receivedType, input))
        {
            errors.Add(new JsonObject
            {
                ["type"] = "return_type_mismatch",
                ["message"] = "Return type mismatch between linked nodes",
                ["details"] = $"{x}, received_type({receivedType}) mismatch input_type({TypeText(input)})",
                ["extra_info"] = new JsonObject
                {
                    ["input_name"] = x,
                    ["input_config"] = input.Config(),
                    ["received_type"] = receivedType,
                    ["linked_node"] = link.DeepClone(),
                },
            });
            return true;
        }
        try
        {
            return ValidateNode(prompt, sourceId, validated).Valid;
        }
        catch (PyException ex)
        {
            validated[sourceId] = new NodeResult(false, [new JsonObject
            {
                ["type"] = "exception_during_inner_validation",
                ["message"] = "Exception when validating inner node",
                ["details"] = ex.Message,
                ["extra_info"] = new JsonObject
                {
                    ["input_name"] = x,
                    ["input_config"] = input.Config(),
                    ["exception_message"] = ex.Message,
                    ["exception_type"] = ex.PyType,
                    ["traceback"] = new JsonArray(Py.FakeTraceback("validate_inputs").Select(s => (JsonNode?)s).ToArray()),
                    ["linked_node"] = link.DeepClone(),
                },
            }]);
            return false;
        }
    }

    private static string TypeText(InputDef input) => input.TypeName ?? Py.Repr(input.Type);

    private static bool TypesMatch(string received, InputDef input)
    {
        if (input.TypeName is not { } expected) { return received == "*"; }
        if (received == expected || received == "*" || expected == "*") { return true; }
        var a = received.Split(',').Select(t => t.Trim()).ToHashSet(StringComparer.Ordinal);
        var b = expected.Split(',').Select(t => t.Trim());
        return b.Any(a.Contains);
    }

    private static bool SameValue(JsonNode? item, JsonNode? val)
    {
        if (item is JsonValue a && val is JsonValue b)
        {
            if (a.GetValueKind() == JsonValueKind.String || b.GetValueKind() == JsonValueKind.String)
            {
                return a.GetValueKind() == b.GetValueKind() && string.Equals(a.GetValue<string>(), b.GetValue<string>(), StringComparison.Ordinal);
            }
            return Py.Num.FromJson(a) is { } na && Py.Num.FromJson(b) is { } nb && na.CompareTo(nb) == 0;
        }
        return JsonNode.DeepEquals(item, val);
    }

    private static JsonObject RangeError(string type, string message, string x, InputDef input, JsonNode? val) => new()
    {
        ["type"] = type,
        ["message"] = message,
        ["details"] = x,
        ["extra_info"] = new JsonObject { ["input_name"] = x, ["input_config"] = input.Config(), ["received_value"] = val?.DeepClone() },
    };
}
