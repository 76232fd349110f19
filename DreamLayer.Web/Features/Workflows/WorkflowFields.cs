using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Images;

namespace DreamLayer.Web.Features.Workflows;

/// <summary>One field as the editor changes it: its label, meaning, target input, default (as typed) and visibility.</summary>
public sealed class BindingDraft
{
    public required string Node { get; set; }
    public required string Input { get; set; }
    public BindingKind Kind { get; set; }
    public string Label { get; set; } = string.Empty;
    public string DefaultText { get; set; } = string.Empty;
    public bool Visible { get; set; } = true;

    /// <summary>The value in the graph, which decides whether the default is text or JSON (a number, true/false).</summary>
    public JsonNode? Original { get; set; }

    public string Target => WorkflowTarget.Key(Node, Input);

    public static BindingDraft From(WorkflowBinding binding, ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(graph);
        return new BindingDraft
        {
            Node = binding.Node,
            Input = binding.Input,
            Kind = binding.Kind,
            Label = binding.Label,
            Visible = !binding.Hidden,
            Original = graph.TryGetNode(binding.Node, out var node) ? node.Inputs.GetValueOrDefault(binding.Input)?.DeepClone() : null,
            DefaultText = Text(binding.Default),
        };
    }

    /// <summary>Points the field at another input and takes that input's value as its default.</summary>
    public void Retarget(ComfyGraph graph, string node, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Node = node;
        Input = input;
        Original = graph[node].Inputs.GetValueOrDefault(input)?.DeepClone();
        DefaultText = Text(Original);
    }

    /// <summary>The binding to save, or the reason the typed default does not fit the input.</summary>
    public (WorkflowBinding? Binding, string? Error) ToBinding()
    {
        JsonNode? value;
        if (Original is JsonValue s && s.GetValueKind() == JsonValueKind.String)
        {
            value = JsonValue.Create(DefaultText);
        }
        else
        {
            try
            {
                value = JsonNode.Parse(DefaultText.Trim());
            }
            catch (JsonException)
            {
                return (null, $"'{Label}': the default '{DefaultText}' is not a number or true/false.");
            }
            if (value is not JsonValue)
            {
                return (null, $"'{Label}': the default must be a single value.");
            }
        }
        return (new WorkflowBinding(Node, Input, Kind, Label.Trim(), value, !Visible), null);
    }

    public static string Text(JsonNode? value) =>
        value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : value?.ToJsonString() ?? string.Empty;
}

/// <summary>Every literal input of a graph, as targets a field can point at.</summary>
public static class WorkflowTarget
{
    public static string Key(string node, string input) => node + "\u001f" + input;

    public static IReadOnlyList<(string Key, string Node, string Input, string Text)> All(ComfyGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return WorkflowImporter.OrderedIds(graph)
            .SelectMany(id => graph[id].Inputs.Where(i => !ComfyLink.TryParse(i.Value, out _) && i.Value is JsonValue)
                .Select(i => (Key(id, i.Key), id, i.Key, $"{WorkflowImporter.Describe(graph, id)} › {i.Key}")))
            .ToList();
    }
}

/// <summary>How the run form shows one field.</summary>
public enum RunControl
{
    Text,
    LongText,
    Number,
    Choice,
    Flag,
    Image,
}

/// <summary>One visible field of the run form, with the server's spec for its input (range, list of values).</summary>
public sealed class RunField
{
    public required WorkflowBinding Binding { get; init; }
    public InputSpec? Spec { get; init; }
    public RunControl Control { get; init; }
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>The model kind a loader's list names (checkpoints, loras, ...), or null when the list is not of models.</summary>
    public Domain.Models.ModelKind? ModelKind { get; init; }

    public string Text { get; set; } = string.Empty;
    public double? Number { get; set; }
    public bool Flag { get; set; }
    public string? Choice { get; set; }
    public UploadAccepted? Image { get; set; }
    public string? ImageName { get; set; }
    public string? ImageError { get; set; }

    public string Id => "field-" + Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(Binding.Key)).ToLowerInvariant();

    public bool IsInteger => Spec?.Type == "INT" || (Spec is null && Binding.Default is JsonValue v && v.GetValueKind() == JsonValueKind.Number && !v.ToJsonString().Contains('.', StringComparison.Ordinal));

    public double? Min => Spec?.Min is { } m ? (double)m : null;
    public double? Max => Spec?.Max is { } m ? (double)m : null;
    public double Step => Spec?.Step is { } s and > 0 ? (double)s : IsInteger ? 1 : 0.01;

    /// <param name="hidden">Whether a model (folder, file) is hidden from this person: it is left out of a loader's list.</param>
    public static RunField Create(WorkflowBinding binding, ComfyGraph graph, ObjectInfo info, Func<string, string, bool>? hidden = null)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(info);
        var node = graph.TryGetNode(binding.Node, out var n) ? n : null;
        InputSpec? spec = node is not null && info.TryGetNode(node.ClassType, out var def) && def.TryGetInput(binding.Input, out var s) ? s : null;
        var value = binding.Default;
        var kind = value is JsonValue v ? v.GetValueKind() : JsonValueKind.Undefined;
        var control = binding.Kind == BindingKind.Image ? RunControl.Image
            : spec is { IsCombo: true } ? RunControl.Choice
            : spec?.Type is "INT" or "FLOAT" || kind == JsonValueKind.Number ? RunControl.Number
            : spec?.Type == "BOOLEAN" || kind is JsonValueKind.True or JsonValueKind.False ? RunControl.Flag
            : binding.Kind is BindingKind.Prompt or BindingKind.NegativePrompt || spec?.Raw is JsonArray { Count: > 1 } raw && raw[1]?["multiline"]?.GetValueKind() == JsonValueKind.True ? RunControl.LongText
            : RunControl.Text;
        var text = BindingDraft.Text(value);
        var modelKind = node is not null && control == RunControl.Choice ? Domain.Models.ModelKind.Find(Domain.Models.ModelKind.FolderOf(node.ClassType, binding.Input)) : null;
        var choices = spec?.ComboValues ?? [];
        if (modelKind is not null && hidden is not null)
        {
            choices = [.. choices.Where(c => !hidden(modelKind.Folder, c))];
        }
        return new RunField
        {
            Binding = binding,
            Spec = spec,
            Control = control,
            Choices = choices,
            ModelKind = modelKind,
            Text = text,
            Number = control == RunControl.Number && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : null,
            Flag = kind == JsonValueKind.True,
            // A saved value the server does not list is not silently replaced: the person picks one.
            Choice = choices.Contains(text, StringComparer.Ordinal) ? text : null,
        };
    }

    /// <summary>The value to send, or the reason there is none.</summary>
    public (JsonNode? Value, string? Error) ToJson() => Control switch
    {
        RunControl.Number when Number is not { } n || double.IsNaN(n) => (null, $"{Binding.Label}: enter a number."),
        RunControl.Number when Min is { } min && Number < min => (null, $"{Binding.Label}: {Number} is below the minimum of {min}."),
        RunControl.Number when Max is { } max && Number > max => (null, $"{Binding.Label}: {Number} is above the maximum of {max}."),
        RunControl.Number => (IsInteger ? JsonValue.Create((long)Math.Round(Number!.Value)) : JsonValue.Create(Number!.Value), null),
        RunControl.Choice when Choice is null => (null, $"{Binding.Label}: pick one; '{Text}' is not available on this server."),
        RunControl.Choice => (JsonValue.Create(Choice), null),
        RunControl.Flag => (JsonValue.Create(Flag), null),
        RunControl.Image => (null, Image is null ? $"{Binding.Label}: choose an image to upload." : null),
        _ => (JsonValue.Create(Text), null),
    };
}

/// <summary>A workflow in the editor: newly imported (no id) or a saved one being changed.</summary>
public sealed class WorkflowDraft
{
    public Guid? Id { get; init; }
    public required ComfyGraph Graph { get; init; }
    public string Name { get; set; } = string.Empty;
    public string Description { get; set; } = string.Empty;
    public List<BindingDraft> Fields { get; init; } = [];

    public static WorkflowDraft FromImport(ImportedWorkflow imported, string name)
    {
        ArgumentNullException.ThrowIfNull(imported);
        return new WorkflowDraft { Graph = imported.Graph, Name = name, Fields = imported.Bindings.Select(b => BindingDraft.From(b, imported.Graph)).ToList() };
    }

    public static WorkflowDraft FromSaved(SavedWorkflow saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        return new WorkflowDraft
        {
            Id = saved.Id,
            Graph = saved.Graph,
            Name = saved.Name,
            Description = saved.Description,
            Fields = saved.Bindings.Select(b => BindingDraft.From(b, saved.Graph)).ToList(),
        };
    }

    /// <summary>Adds a field for an input no field sets yet.</summary>
    public void AddField(string target)
    {
        var (_, node, input, _) = WorkflowTarget.All(Graph).First(t => t.Key == target);
        var field = new BindingDraft { Node = node, Input = input, Kind = BindingKind.Other, Label = input };
        field.Retarget(Graph, node, input);
        Fields.Add(field);
    }

    public (IReadOnlyList<WorkflowBinding> Bindings, string? Error) ToBindings()
    {
        var bindings = new List<WorkflowBinding>();
        foreach (var field in Fields)
        {
            var (binding, error) = field.ToBinding();
            if (error is not null)
            {
                return ([], error);
            }
            bindings.Add(binding!);
        }
        return (bindings, null);
    }
}
