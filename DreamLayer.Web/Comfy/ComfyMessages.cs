using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DreamLayer.Web.Comfy;

/// <summary>A WebSocket event from a ComfyUI server, already typed.</summary>
public abstract record ComfyEvent(string? PromptId);

public sealed record StatusEvent(int QueueRemaining, string? Sid) : ComfyEvent((string?)null);
public sealed record ExecutionStartEvent(string? PromptId) : ComfyEvent(PromptId);
public sealed record ExecutionCachedEvent(string? PromptId, IReadOnlyList<string> Nodes) : ComfyEvent(PromptId);
/// <summary><c>executing</c>; <see cref="Node"/> null means the prompt is completely finished.</summary>
public sealed record ExecutingEvent(string? PromptId, string? Node, string? DisplayNode) : ComfyEvent(PromptId);
public sealed record ProgressEvent(string? PromptId, string? Node, int Value, int Max) : ComfyEvent(PromptId);
public sealed record ExecutedEvent(string? PromptId, string? Node, IReadOnlyList<ComfyImageRef> Images) : ComfyEvent(PromptId);
public sealed record ExecutionSuccessEvent(string? PromptId) : ComfyEvent(PromptId);
public sealed record ExecutionErrorEvent(string? PromptId, string? NodeId, string? NodeType, string? ExceptionType, string? ExceptionMessage) : ComfyEvent(PromptId);
public sealed record ExecutionInterruptedEvent(string? PromptId, string? NodeId, string? NodeType) : ComfyEvent(PromptId);
/// <summary>
/// An image frame: a sampler's preview, or an image a <c>SaveImageWebsocket</c> node sends as its output. Type-1 frames
/// carry neither prompt nor node (they belong to the running prompt's executing node); type 4 names both
/// (<see cref="Node"/>: the node of the submitted graph that sent it).
/// </summary>
public sealed record PreviewEvent(string? PromptId, ReadOnlyMemory<byte> Image, string MediaType, string? Node = null) : ComfyEvent(PromptId);

/// <summary>A binary frame over the size limit, dropped unread: the running prompt's node sent it.</summary>
public sealed record FrameTooLargeEvent(long Bytes, long Limit) : ComfyEvent((string?)null);

/// <summary>A file ComfyUI wrote: the three parts <c>/view</c> needs.</summary>
public sealed record ComfyImageRef(
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("subfolder")] string? Subfolder,
    [property: JsonPropertyName("type")] string? Type);

/// <summary>Reads ComfyUI's WebSocket frames (PROTOCOL.md §4). Unknown types are ignored.</summary>
public static class ComfyMessageParser
{
    public static ComfyEvent? ParseText(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var typeEl) || typeEl.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var promptId = Str(data, "prompt_id");
        return typeEl.GetString() switch
        {
            "status" => new StatusEvent(
                data.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object
                    && s.TryGetProperty("exec_info", out var ei) && ei.ValueKind == JsonValueKind.Object
                    && ei.TryGetProperty("queue_remaining", out var qr) && qr.TryGetInt32(out var q) ? q : 0,
                Str(data, "sid")),
            "execution_start" => new ExecutionStartEvent(promptId),
            "execution_cached" => new ExecutionCachedEvent(promptId, Strings(data, "nodes")),
            "executing" => new ExecutingEvent(promptId, Str(data, "node"), Str(data, "display_node")),
            "progress" => new ProgressEvent(promptId, Str(data, "node"), Int(data, "value"), Int(data, "max")),
            "executed" => new ExecutedEvent(promptId, Str(data, "node"), Images(data)),
            "execution_success" => new ExecutionSuccessEvent(promptId),
            "execution_error" => new ExecutionErrorEvent(promptId, Str(data, "node_id"), Str(data, "node_type"), Str(data, "exception_type"), Str(data, "exception_message")),
            "execution_interrupted" => new ExecutionInterruptedEvent(promptId, Str(data, "node_id"), Str(data, "node_type")),
            _ => null,
        };
    }

    /// <summary>Binary frame: type 1 (legacy preview, format 1 JPEG or 2 PNG) or type 4 (with metadata). Text frames (3) are ignored.</summary>
    public static PreviewEvent? ParseBinary(ReadOnlyMemory<byte> frame)
    {
        var span = frame.Span;
        if (span.Length < 8)
        {
            return null;
        }
        var type = BinaryPrimitives.ReadUInt32BigEndian(span);
        switch (type)
        {
            case 1:
                var format = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
                return new PreviewEvent(null, frame[8..], format == 2 ? "image/png" : "image/jpeg");
            case 4:
                var length = BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
                if (length > (uint)(span.Length - 8))
                {
                    return null;
                }
                using (var meta = JsonDocument.Parse(frame.Slice(8, (int)length)))
                {
                    var root = meta.RootElement;
                    var mediaType = root.ValueKind == JsonValueKind.Object ? Str(root, "image_type") ?? "image/jpeg" : "image/jpeg";
                    var promptId = root.ValueKind == JsonValueKind.Object ? Str(root, "prompt_id") : null;
                    var node = root.ValueKind == JsonValueKind.Object ? Str(root, "display_node_id") ?? Str(root, "node_id") : null;
                    return new PreviewEvent(promptId, frame[(8 + (int)length)..], mediaType, node);
                }
            default:
                return null;
        }
    }

    public static IReadOnlyList<ComfyImageRef> Images(JsonElement nodeOutput)
    {
        var output = nodeOutput;
        if (output.ValueKind == JsonValueKind.Object && output.TryGetProperty("output", out var nested))
        {
            output = nested;
        }
        if (output.ValueKind != JsonValueKind.Object || !output.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
        {
            return [];
        }
        var list = new List<ComfyImageRef>();
        foreach (var img in images.EnumerateArray())
        {
            if (img.ValueKind == JsonValueKind.Object && Str(img, "filename") is { } name)
            {
                list.Add(new ComfyImageRef(name, Str(img, "subfolder"), Str(img, "type")));
            }
        }
        return list;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    private static List<string> Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
            : [];

    public static byte[] FeatureFlagsMessage { get; } = Encoding.UTF8.GetBytes("""{"type":"feature_flags","data":{"supports_preview_metadata":true}}""");
}
