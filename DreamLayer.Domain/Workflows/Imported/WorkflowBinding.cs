using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DreamLayer.Domain.Workflows.Imported;

/// <summary>What a detected input of an imported workflow means, which decides how the run form shows it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BindingKind>))]
public enum BindingKind
{
    Prompt,
    NegativePrompt,
    Seed,
    Steps,
    Cfg,
    Sampler,
    Scheduler,
    Denoise,
    Width,
    Height,
    BatchSize,
    Checkpoint,
    Lora,
    LoraStrength,
    /// <summary>A LoadImage file: the person uploads one and the server's name for it goes in.</summary>
    Image,
    /// <summary>Any other literal input a person chose to expose.</summary>
    Other,
}

/// <summary>
/// One field of an imported workflow's form: the node input it sets, what it means, what the form calls it,
/// and its value when the person does not change it. A hidden binding keeps <see cref="Default"/>.
/// </summary>
public sealed record WorkflowBinding(string Node, string Input, BindingKind Kind, string Label, JsonNode? Default, bool Hidden = false)
{
    /// <summary>A key unique within one workflow (node ids are any string, so both parts are kept apart).</summary>
    public string Key => Node + "\u001f" + Input;

    public static string Serialize(IReadOnlyList<WorkflowBinding> bindings) =>
        JsonSerializer.Serialize(bindings.ToList(), WorkflowJsonContext.Default.ListWorkflowBinding);

    public static IReadOnlyList<WorkflowBinding> Deserialize(string json) =>
        JsonSerializer.Deserialize(json, WorkflowJsonContext.Default.ListWorkflowBinding) ?? [];
}

/// <summary>A value a person gave one binding for one run.</summary>
public sealed record WorkflowValue(string Node, string Input, JsonNode? Value);

/// <summary>An image a person uploaded for a LoadImage input; the dispatcher sends it to the server first.</summary>
public sealed record WorkflowImageInput(string Node, string Input, Guid Upload);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<WorkflowBinding>))]
internal sealed partial class WorkflowJsonContext : JsonSerializerContext;
