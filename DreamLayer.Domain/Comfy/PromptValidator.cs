using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DreamLayer.Domain.Comfy;

/// <summary>
/// Applies the checks a ComfyUI server runs on <c>POST /prompt</c> (PROTOCOL.md §2.4) before the graph is sent,
/// producing the same error types, messages and details.
/// </summary>
public static class PromptValidator
{
    /// <summary>Inputs that the server checks with a custom validator (file existence), so no list check applies.</summary>
    private static readonly HashSet<(string ClassType, string Input)> CustomValidated =
    [
        ("LoadImage", "image"),
        ("LoadImageMask", "image"),
    ];

    public static PromptValidationResult Validate(ComfyGraph graph, ObjectInfo objectInfo)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(objectInfo);
        var noNodeErrors = new Dictionary<string, ComfyNodeErrors>(StringComparer.Ordinal);

        var outputs = new List<string>();
        foreach (var (id, node) in graph.Nodes)
        {
            if (string.IsNullOrEmpty(node.ClassType))
            {
                return new PromptValidationResult(
                    new ComfyError("invalid_prompt", "Cannot execute because a node is missing the class_type property.", $"Node ID '#{id}'"),
                    noNodeErrors, []);
            }
            if (!objectInfo.TryGetNode(node.ClassType, out var def))
            {
                return new PromptValidationResult(
                    new ComfyError("invalid_prompt", $"Cannot execute because node {node.ClassType} does not exist.", $"Node ID '#{id}'"),
                    noNodeErrors, []);
            }
            if (def.IsOutputNode)
            {
                outputs.Add(id);
            }
        }
        if (outputs.Count == 0)
        {
            return new PromptValidationResult(new ComfyError("prompt_no_outputs", "Prompt has no outputs", string.Empty), noNodeErrors, []);
        }

        var run = new Run(graph, objectInfo);
        var good = new List<string>();
        var failed = new List<(string Output, IReadOnlyList<ComfyInputError> Reasons)>();
        var dependents = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            NodeResult result;
            try
            {
                result = run.ValidateNode(output);
            }
            catch (ValidationFault fault)
            {
                result = new NodeResult(false, [new ComfyInputError("exception_during_validation", "Exception when validating node", fault.Message, null)]);
                run.Validated[output] = result;
            }
            if (result.Valid)
            {
                good.Add(output);
                continue;
            }
            failed.Add((output, result.Errors));
            foreach (var nodeId in run.Upstream(output))
            {
                if (run.Validated.TryGetValue(nodeId, out var r) && !r.Valid && r.Errors.Count > 0)
                {
                    if (!dependents.TryGetValue(nodeId, out var list))
                    {
                        dependents[nodeId] = list = [];
                    }
                    list.Add(output);
                }
            }
        }

        var nodeErrors = new Dictionary<string, ComfyNodeErrors>(StringComparer.Ordinal);
        foreach (var (nodeId, outs) in dependents)
        {
            nodeErrors[nodeId] = new ComfyNodeErrors(nodeId, graph[nodeId].ClassType, run.Validated[nodeId].Errors, outs);
        }
        if (good.Count == 0)
        {
            var details = string.Join("\n", failed.SelectMany(f => f.Reasons).Select(e => $"{e.Message}: {e.Details}"));
            return new PromptValidationResult(
                new ComfyError("prompt_outputs_failed_validation", "Prompt outputs failed validation", details), nodeErrors, good);
        }
        return new PromptValidationResult(null, nodeErrors, good);
    }

    /// <summary>
    /// Every node's own errors (models not installed, values out of range, mismatched links), each node checked as the
    /// server checks an output's ancestry, whether an output reaches it or not. For a graph the server refuses before it
    /// looks at any value (a node type it lacks): the caller passes the part of the graph the server knows, so the rest
    /// of what is wrong is named at once. Every class type in <paramref name="graph"/> must be in the catalogue.
    /// </summary>
    public static IReadOnlyDictionary<string, ComfyNodeErrors> ValidateEachNode(ComfyGraph graph, ObjectInfo objectInfo)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(objectInfo);
        var run = new Run(graph, objectInfo);
        var nodeErrors = new Dictionary<string, ComfyNodeErrors>(StringComparer.Ordinal);
        foreach (var (id, node) in graph.Nodes)
        {
            if (!objectInfo.TryGetNode(node.ClassType, out _))
            {
                throw new ArgumentException($"Node #{id} has class type '{node.ClassType}', which the catalogue lacks.", nameof(graph));
            }
            try
            {
                run.ValidateNode(id);
            }
            catch (ValidationFault fault)
            {
                run.Validated[id] = new NodeResult(false, [new ComfyInputError("exception_during_validation", "Exception when validating node", fault.Message, null)]);
            }
        }
        foreach (var id in graph.Nodes.Keys)
        {
            if (run.Validated.TryGetValue(id, out var result) && result.Errors.Count > 0)
            {
                nodeErrors[id] = new ComfyNodeErrors(id, graph[id].ClassType, result.Errors, []);
            }
        }
        return nodeErrors;
    }

    internal sealed record NodeResult(bool Valid, IReadOnlyList<ComfyInputError> Errors);

    /// <summary>What the server would raise as a Python exception while validating (KeyError, IndexError, …).</summary>
    private sealed class ValidationFault(string message) : Exception(message);

    private sealed class Run(ComfyGraph graph, ObjectInfo info)
    {
        public Dictionary<string, NodeResult> Validated { get; } = new(StringComparer.Ordinal);

        private readonly HashSet<string> _inProgress = new(StringComparer.Ordinal);

        /// <summary>The output and every node it reaches through well-formed links.</summary>
        public IEnumerable<string> Upstream(string output)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { output };
            var stack = new Stack<string>([output]);
            while (stack.Count > 0)
            {
                var id = stack.Pop();
                yield return id;
                if (!graph.TryGetNode(id, out var node) || !info.TryGetNode(node.ClassType, out var def))
                {
                    continue;
                }
                foreach (var (name, value) in node.Inputs)
                {
                    if (def.TryGetInput(name, out _) && ComfyLink.TryParse(value, out var link)
                        && graph.Nodes.ContainsKey(link.SourceId) && seen.Add(link.SourceId))
                    {
                        stack.Push(link.SourceId);
                    }
                }
            }
        }

        public NodeResult ValidateNode(string id)
        {
            if (Validated.TryGetValue(id, out var cached))
            {
                return cached;
            }
            if (!_inProgress.Add(id))
            {
                throw new ValidationFault("maximum recursion depth exceeded");
            }
            try
            {
                var result = ValidateInputs(id);
                Validated[id] = result;
                return result;
            }
            finally
            {
                _inProgress.Remove(id);
            }
        }

        private NodeResult ValidateInputs(string id)
        {
            var node = graph[id];
            var def = info.Nodes[node.ClassType];
            var errors = new List<ComfyInputError>();
            var valid = true;
            foreach (var spec in def.Required.Values.Concat(def.Optional.Values))
            {
                var x = spec.Name;
                if (!node.Inputs.TryGetValue(x, out var val))
                {
                    if (spec.IsRequired)
                    {
                        errors.Add(new ComfyInputError("required_input_missing", "Required input is missing", x, x));
                    }
                    continue;
                }
                if (val is JsonArray arr)
                {
                    if (arr.Count != 2)
                    {
                        errors.Add(new ComfyInputError("bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", x, x));
                        continue;
                    }
                    var sourceId = LinkedNodeId(arr[0]);
                    var source = graph[sourceId];
                    var returnTypes = info.Nodes[source.ClassType].Outputs;
                    var receivedType = returnTypes[OutputIndex(arr[1], returnTypes.Count)];
                    if (!TypesMatch(receivedType, spec))
                    {
                        errors.Add(new ComfyInputError("return_type_mismatch", "Return type mismatch between linked nodes",
                            $"{x}, received_type({receivedType}) mismatch input_type({PyFormat.TypeText(spec)})", x));
                        continue;
                    }
                    try
                    {
                        if (!ValidateNode(sourceId).Valid)
                        {
                            valid = false;
                        }
                    }
                    catch (ValidationFault fault)
                    {
                        valid = false;
                        Validated[sourceId] = new NodeResult(false,
                            [new ComfyInputError("exception_during_inner_validation", "Exception when validating inner node", fault.Message, x)]);
                    }
                    continue;
                }
                var error = CheckLiteral(node.ClassType, spec, Unwrap(val));
                if (error is not null)
                {
                    errors.Add(error);
                }
            }
            return new NodeResult(valid && errors.Count == 0, errors);
        }

        private string LinkedNodeId(JsonNode? first)
        {
            if (first is JsonValue v && v.GetValueKind() == JsonValueKind.String)
            {
                var s = v.GetValue<string>();
                return graph.Nodes.ContainsKey(s) ? s : throw new ValidationFault(PyFormat.Repr(first));
            }
            if (first is JsonArray or JsonObject)
            {
                throw new ValidationFault($"unhashable type: '{PyFormat.TypeName(first)}'");
            }
            throw new ValidationFault(PyFormat.Repr(first));
        }

        private static int OutputIndex(JsonNode? second, int count)
        {
            if (second is JsonValue v)
            {
                switch (v.GetValueKind())
                {
                    case JsonValueKind.True:
                        return Bound(1, count);
                    case JsonValueKind.False:
                        return Bound(0, count);
                    case JsonValueKind.Number when !PyFormat.IsFloatLiteral(v):
                        return BigInteger.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                            && n >= -count && n < count ? (int)(n < 0 ? n + count : n) : throw new ValidationFault("tuple index out of range");
                    default:
                        break;
                }
            }
            throw new ValidationFault($"tuple indices must be integers or slices, not {PyFormat.TypeName(second)}");
        }

        private static int Bound(int index, int count) => index < count ? index : throw new ValidationFault("tuple index out of range");
    }

    private static JsonNode? Unwrap(JsonNode? val) =>
        val is JsonObject obj && obj.TryGetPropertyValue("__value__", out var inner) ? inner : val;

    /// <summary>Equal types, or comma-separated unions sharing a member; <c>*</c> matches anything.</summary>
    internal static bool TypesMatch(string receivedType, InputSpec spec)
    {
        if (spec.IsCombo)
        {
            // A combo accepts what another combo or a wildcard produces (object_info prints list outputs as JSON arrays).
            return receivedType is "*" or "COMBO" || receivedType.StartsWith('[');
        }
        return TypesMatch(receivedType, spec.Type);
    }

    internal static bool TypesMatch(string receivedType, string inputType)
    {
        if (receivedType == inputType || receivedType == "*" || inputType == "*")
        {
            return true;
        }
        var received = receivedType.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var accepted = inputType.Split(',', StringSplitOptions.TrimEntries);
        return received.Contains("*") || accepted.Contains("*") || accepted.Any(received.Contains);
    }

    private static ComfyInputError? CheckLiteral(string classType, InputSpec spec, JsonNode? val)
    {
        var x = spec.Name;
        PyNumber? number = null;
        if (spec.Kind == InputKind.Typed)
        {
            switch (spec.Type)
            {
                case "INT":
                case "FLOAT":
                    var converted = spec.Type == "INT" ? PyNumber.ToInt(val) : PyNumber.ToFloat(val);
                    if (converted.Error is not null)
                    {
                        return new ComfyInputError("invalid_input_type", $"Failed to convert an input value to a {spec.Type} value",
                            $"{x}, {PyFormat.Str(val)}, {converted.Error}", x);
                    }
                    number = converted.Value;
                    break;
                default:
                    number = PyNumber.FromJson(val);
                    break;
            }
        }
        if (CustomValidated.Contains((classType, x)))
        {
            return null;
        }
        if (number is { IsNaN: false } n)
        {
            if (Bound(spec, "min") is { } min && n.CompareTo(min) < 0)
            {
                return new ComfyInputError("value_smaller_than_min", $"Value {n} smaller than min of {min}", x, x);
            }
            if (Bound(spec, "max") is { } max && n.CompareTo(max) > 0)
            {
                return new ComfyInputError("value_bigger_than_max", $"Value {n} bigger than max of {max}", x, x);
            }
        }
        if (spec.Kind == InputKind.ListCombo && spec.Raw is JsonArray { Count: > 0 } raw && raw[0] is JsonArray options
            && !options.Any(o => PyFormat.PyEquals(o, val)))
        {
            var listInfo = options.Count > 20
                ? $"(list of length {options.Count})"
                : "[" + string.Join(", ", options.Select(PyFormat.Repr)) + "]";
            return new ComfyInputError("value_not_in_list", "Value not in list", $"{x}: '{PyFormat.Str(val)}' not in {listInfo}", x);
        }
        return null;
    }

    private static PyNumber? Bound(InputSpec spec, string key) =>
        spec.Raw is JsonArray { Count: > 1 } raw && raw[1] is JsonObject options && options.TryGetPropertyValue(key, out var v)
            ? PyNumber.FromJson(v)
            : null;
}
