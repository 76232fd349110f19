using System.Text.Json;

namespace DreamLayer.Domain.Comfy;

/// <summary>A graph-level error, like the server's <c>error</c> object.</summary>
public sealed record ComfyError(string Type, string Message, string Details);

/// <summary>One error on one node, like an entry of the server's <c>node_errors[id].errors</c>.</summary>
public sealed record ComfyInputError(string Type, string Message, string Details, string? InputName);

/// <summary>The errors of one node and the output nodes that fail because of it.</summary>
public sealed record ComfyNodeErrors(string NodeId, string ClassType, IReadOnlyList<ComfyInputError> Errors, IReadOnlyList<string> DependentOutputs);

/// <summary>
/// The outcome of validating a graph. Valid means at least one output passed; <see cref="NodeErrors"/> may still
/// list failing outputs (the server queues only the passing ones and answers 200 with these as warnings).
/// </summary>
public sealed record PromptValidationResult(ComfyError? Error, IReadOnlyDictionary<string, ComfyNodeErrors> NodeErrors, IReadOnlyList<string> GoodOutputs)
{
    public bool IsValid => Error is null;

    /// <summary>
    /// Reads the body of a <c>POST /prompt</c> reply (400, or 200 with warnings). Tolerates a string <c>error</c>
    /// (servers before v0.3.27), a list-shaped <c>node_errors</c> and missing fields.
    /// </summary>
    public static PromptValidationResult FromServerResponse(JsonElement body)
    {
        ComfyError? error = null;
        var nodeErrors = new Dictionary<string, ComfyNodeErrors>(StringComparer.Ordinal);
        if (body.ValueKind != JsonValueKind.Object)
        {
            return new PromptValidationResult(new ComfyError("unknown", "Unrecognised reply from the server", body.GetRawText()), nodeErrors, []);
        }
        if (body.TryGetProperty("error", out var e))
        {
            error = e.ValueKind switch
            {
                JsonValueKind.String => new ComfyError(SnakeCase(e.GetString()!), e.GetString()!, string.Empty),
                JsonValueKind.Object => new ComfyError(Str(e, "type") ?? "unknown", Str(e, "message") ?? string.Empty, Str(e, "details") ?? string.Empty),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => new ComfyError("unknown", e.GetRawText(), string.Empty),
            };
        }
        if (body.TryGetProperty("node_errors", out var ne) && ne.ValueKind == JsonValueKind.Object)
        {
            foreach (var node in ne.EnumerateObject())
            {
                if (node.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var errors = new List<ComfyInputError>();
                if (node.Value.TryGetProperty("errors", out var errs) && errs.ValueKind == JsonValueKind.Array)
                {
                    foreach (var x in errs.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object))
                    {
                        string? inputName = x.TryGetProperty("extra_info", out var extra) && extra.ValueKind == JsonValueKind.Object
                            ? Str(extra, "input_name")
                            : null;
                        errors.Add(new ComfyInputError(Str(x, "type") ?? "unknown", Str(x, "message") ?? string.Empty, Str(x, "details") ?? string.Empty, inputName));
                    }
                }
                var dependents = node.Value.TryGetProperty("dependent_outputs", out var d) && d.ValueKind == JsonValueKind.Array
                    ? d.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()).ToList()
                    : [];
                nodeErrors[node.Name] = new ComfyNodeErrors(node.Name, Str(node.Value, "class_type") ?? string.Empty, errors, dependents);
            }
        }
        return new PromptValidationResult(error, nodeErrors, []);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        } : null;

    private static string SnakeCase(string message) =>
        string.Join('_', message.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) is { Length: > 0 } s ? s : "unknown";
}
