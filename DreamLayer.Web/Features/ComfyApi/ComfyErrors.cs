using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// ComfyUI's error body (PROTOCOL.md §2.3): <c>{error: {type, message, details, extra_info}, node_errors: {…}}</c>, used
/// for every refusal of the face, so a ComfyUI client shows each in the way it already knows.
/// </summary>
internal static class ComfyErrors
{
    public static IResult Error(int status, string type, string message, string details, JsonObject? nodeErrors = null) =>
        Results.Json(new JsonObject
        {
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message, ["details"] = details, ["extra_info"] = new JsonObject() },
            ["node_errors"] = nodeErrors ?? new JsonObject(),
        }, statusCode: status);

    /// <summary>A body that is not what the route reads (not JSON, not an object, a field of the wrong kind): 400, saying why.</summary>
    public static IResult BadRequest(string details) => Error(StatusCodes.Status400BadRequest, "invalid_prompt", "Invalid request body", details);

    public static IResult TooLarge(long limit) =>
        Error(StatusCodes.Status413PayloadTooLarge, "request_too_large", "Request body too large", $"A request body here may be at most {limit:N0} bytes.");

    /// <summary>The API's rate limit (its <c>Retry-After</c> is set for it): 429, saying when to come back.</summary>
    public static IResult TooManyRequests(string details) => Error(StatusCodes.Status429TooManyRequests, "rate_limited", "Too many requests", details);

    public static IResult NotFound(string details) => Error(StatusCodes.Status404NotFound, "not_found", "Not found", details);

    /// <summary>A graph the catalogue refuses: 400 with the graph-level error and each node's errors.</summary>
    public static IResult Invalid(PromptValidationResult validation)
    {
        var error = validation.Error ?? new ComfyError("prompt_outputs_failed_validation", "Prompt outputs failed validation", string.Empty);
        return Error(StatusCodes.Status400BadRequest, error.Type, error.Message, error.Details, NodeErrors(validation.NodeErrors));
    }

    /// <summary><c>node_errors</c>: node id → <c>{errors: [{type, message, details, extra_info}], dependent_outputs, class_type}</c>.</summary>
    public static JsonObject NodeErrors(IReadOnlyDictionary<string, ComfyNodeErrors> errors)
    {
        var result = new JsonObject();
        foreach (var (id, node) in errors)
        {
            var list = new JsonArray();
            foreach (var e in node.Errors)
            {
                var extra = new JsonObject();
                if (e.InputName is { } input)
                {
                    extra["input_name"] = input;
                }
                list.Add(new JsonObject { ["type"] = e.Type, ["message"] = e.Message, ["details"] = e.Details, ["extra_info"] = extra });
            }
            result[id] = new JsonObject
            {
                ["errors"] = list,
                ["dependent_outputs"] = new JsonArray([.. node.DependentOutputs.Select(o => JsonValue.Create(o))]),
                ["class_type"] = node.ClassType,
            };
        }
        return result;
    }
}
