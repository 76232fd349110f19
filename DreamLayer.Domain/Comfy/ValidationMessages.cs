using System.Globalization;
using System.Text.RegularExpressions;

namespace DreamLayer.Domain.Comfy;

/// <summary>Turns ComfyUI validation errors into sentences a user understands.</summary>
public static partial class ValidationMessages
{
    private static readonly string[] WidgetTypes = ["INT", "FLOAT", "STRING", "BOOLEAN"];

    /// <summary>
    /// E.g. "Load Checkpoint › ckpt_name: 'x.safetensors' is not available on this server (it has 7 checkpoints)."
    /// The node is named by its display name, with its title when that differs.
    /// </summary>
    public static string Describe(ComfyNodeErrors node, ComfyInputError error, ObjectInfo? objectInfo = null, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(error);
        NodeDefinition? def = null;
        if (objectInfo is not null && objectInfo.TryGetNode(node.ClassType, out var d))
        {
            def = d;
        }
        var display = string.IsNullOrEmpty(def?.DisplayName) ? node.ClassType : def.DisplayName;
        var label = string.IsNullOrWhiteSpace(title) || title == display ? display : $"{title} ({display})";
        var input = error.InputName ?? FirstField(error.Details);
        var where = input is null ? label : $"{label} › {input}";
        InputSpec? spec = null;
        if (input is not null && def is not null && def.TryGetInput(input, out var s))
        {
            spec = s;
        }

        switch (error.Type)
        {
            case "required_input_missing":
                return spec is { Kind: InputKind.Typed } && !WidgetTypes.Contains(spec.Type)
                    ? $"{where} is not connected."
                    : $"{where} has no value.";
            case "value_not_in_list":
                return NotInList(where, input, error, spec, def?.Name);
            case "value_smaller_than_min" when MinMax().Match(error.Message) is { Success: true } m:
                return $"{where}: {m.Groups[1].Value} is below the minimum of {m.Groups[2].Value}.";
            case "value_bigger_than_max" when MinMax().Match(error.Message) is { Success: true } m:
                return $"{where}: {m.Groups[1].Value} is above the maximum of {m.Groups[2].Value}.";
            case "invalid_input_type":
                return InvalidType(where, input, error);
            case "bad_linked_input":
                return $"{where} has a malformed link (it must be [node id, output index]).";
            case "return_type_mismatch" when TypeMismatch().Match(error.Details) is { Success: true } m:
                return $"{where} is connected to an output of type {m.Groups[1].Value}, but it needs {m.Groups[2].Value}.";
            case "exception_during_validation":
            case "exception_during_inner_validation":
                return Exception(label, error.Details);
            case "custom_validation_failed":
                return $"{where}: {error.Details}";
            default:
                return string.IsNullOrEmpty(error.Details) ? $"{where}: {error.Message}." : $"{where}: {error.Message} ({error.Details}).";
        }
    }

    /// <summary>One sentence for a graph-level error.</summary>
    public static string Describe(ComfyError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.Type switch
        {
            "prompt_no_outputs" => "The workflow has no output node (such as Save Image), so there is nothing to run.",
            "prompt_outputs_failed_validation" => "None of the workflow's outputs can run; see the errors on the nodes.",
            "no_prompt" => "The server received no workflow.",
            _ => string.IsNullOrEmpty(error.Details) ? error.Message : $"{error.Message} ({error.Details})",
        };
    }

    /// <summary>Every node error of a result as sentences, titles taken from <paramref name="graph"/> when given.</summary>
    public static IReadOnlyList<string> DescribeAll(PromptValidationResult result, ObjectInfo? objectInfo = null, ComfyGraph? graph = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var lines = new List<string>();
        foreach (var node in result.NodeErrors.Values)
        {
            string? title = graph is not null && graph.TryGetNode(node.NodeId, out var n) ? n.Title : null;
            lines.AddRange(node.Errors.Select(e => Describe(node, e, objectInfo, title)));
        }
        if (lines.Count == 0 && result.Error is not null)
        {
            lines.Add(Describe(result.Error));
        }
        return lines;
    }

    private static string NotInList(string where, string? input, ComfyInputError error, InputSpec? spec, string? classType)
    {
        var m = NotInListDetails().Match(error.Details);
        var value = m.Success ? m.Groups[1].Value : "?";
        int? count = spec?.ComboValues?.Count;
        if (count is null)
        {
            var length = ListLength().Match(error.Details);
            count = length.Success ? int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture) : null;
            var listed = ListedItems().Match(error.Details);
            if (count is null && listed.Success)
            {
                count = QuotedItem().Count(listed.Groups[1].Value);
            }
        }
        var noun = Noun(input, classType);
        if (input is not null && (input.EndsWith("_name", StringComparison.Ordinal) || noun != "options"))
        {
            var has = count switch
            {
                null => string.Empty,
                0 => $" (it has no {noun})",
                1 => $" (it has 1 {Singular(noun)})",
                _ => $" (it has {count} {noun})",
            };
            return $"{where}: '{value}' is not available on this server{has}.";
        }
        return count is null
            ? $"{where}: '{value}' is not one of the allowed values."
            : $"{where}: '{value}' is not one of the {count} allowed values.";
    }

    private static string InvalidType(string where, string? input, ComfyInputError error)
    {
        var details = error.Details;
        var prefix = input is null ? string.Empty : input + ", ";
        var rest = details.StartsWith(prefix, StringComparison.Ordinal) ? details[prefix.Length..] : details;
        var comma = rest.LastIndexOf(", ", StringComparison.Ordinal);
        var value = comma > 0 ? rest[..comma] : rest;
        if (error.Message.EndsWith(" INT value", StringComparison.Ordinal))
        {
            return $"{where}: '{value}' is not a whole number.";
        }
        return error.Message.EndsWith(" FLOAT value", StringComparison.Ordinal)
            ? $"{where}: '{value}' is not a number."
            : $"{where}: '{value}' has the wrong type.";
    }

    private static string Exception(string label, string details)
    {
        if (KeyErrorDetails().Match(details) is { Success: true } m)
        {
            return $"{label} is linked to node {m.Groups[1].Value}, which is not in the workflow.";
        }
        if (details == "tuple index out of range")
        {
            return $"{label} is linked to an output the source node does not have.";
        }
        return details.StartsWith("tuple indices", StringComparison.Ordinal)
            ? $"{label} has a link whose output index is not a number."
            : $"{label} could not be checked: {details}";
    }

    private static string Noun(string? input, string? classType) => input switch
    {
        "ckpt_name" => "checkpoints",
        "lora_name" => "LoRAs",
        "vae_name" => "VAEs",
        "control_net_name" => "ControlNet models",
        "unet_name" => "diffusion models",
        "clip_name" or "clip_name1" or "clip_name2" or "clip_name3" => "text encoders",
        "upscale_model" or "model_name" when classType == "UpscaleModelLoader" => "upscale models",
        "sampler_name" => "samplers",
        "scheduler" => "schedulers",
        "image" => "images",
        _ => "options",
    };

    private static string Singular(string noun) => noun.TrimEnd('s');

    private static string? FirstField(string details)
    {
        var i = details.IndexOfAny([',', ':']);
        var first = i < 0 ? details : details[..i];
        return first.Length > 0 && !first.Contains(' ', StringComparison.Ordinal) && !first.StartsWith('\'') ? first : null;
    }

    [GeneratedRegex(@"^Value (.+) (?:smaller|bigger) than (?:min|max) of (.+)$")]
    private static partial Regex MinMax();

    [GeneratedRegex(@"received_type\((.*)\) mismatch input_type\((.*)\)$")]
    private static partial Regex TypeMismatch();

    [GeneratedRegex(@"^[^:]*: '(.*)' not in ", RegexOptions.Singleline)]
    private static partial Regex NotInListDetails();

    [GeneratedRegex(@"\(list of length (\d+)\)$")]
    private static partial Regex ListLength();

    [GeneratedRegex(@" not in \[(.*)\]$", RegexOptions.Singleline)]
    private static partial Regex ListedItems();

    [GeneratedRegex(@"'(?:[^'\\]|\\.)*'|""(?:[^""\\]|\\.)*""")]
    private static partial Regex QuotedItem();

    [GeneratedRegex(@"^'(.*)'$")]
    private static partial Regex KeyErrorDetails();
}
