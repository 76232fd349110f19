using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Domain.Workflows.Transforms;

/// <summary>One input of one node: where a link ends.</summary>
public readonly record struct InputRef(string NodeId, string Input);

/// <summary>Small queries and edits on the links of a graph, used by the transforms.</summary>
public static class GraphLinks
{
    /// <summary>Every input in the graph whose value is a link to output <paramref name="outputIndex"/> of <paramref name="sourceId"/>.</summary>
    public static IReadOnlyList<InputRef> Consumers(ComfyGraph graph, string sourceId, int outputIndex)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var found = new List<InputRef>();
        foreach (var (id, node) in graph.Nodes)
        {
            foreach (var (name, value) in node.Inputs)
            {
                if (ComfyLink.TryParse(value, out var link) && link.SourceId == sourceId && link.OutputIndex == outputIndex)
                {
                    found.Add(new InputRef(id, name));
                }
            }
        }
        return found;
    }

    /// <summary>Points each of <paramref name="consumers"/> at output <paramref name="outputIndex"/> of <paramref name="sourceId"/>.</summary>
    public static void Rewire(ComfyGraph graph, IEnumerable<InputRef> consumers, string sourceId, int outputIndex)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(consumers);
        foreach (var consumer in consumers)
        {
            graph[consumer.NodeId].Link(consumer.Input, sourceId, outputIndex);
        }
    }

    /// <summary>The link held by <paramref name="input"/> of <paramref name="nodeId"/>, or null when it holds a literal or nothing.</summary>
    public static ComfyLink? LinkOf(ComfyGraph graph, string nodeId, string input)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.TryGetNode(nodeId, out var node) && node.Inputs.TryGetValue(input, out var value) && ComfyLink.TryParse(value, out var link)
            ? link
            : null;
    }

    /// <summary>
    /// The nearest node, breadth first, among <paramref name="startId"/> and everything it reaches upstream through links,
    /// whose class is one of <paramref name="classTypes"/>; null when there is none.
    /// </summary>
    public static string? FindUpstream(ComfyGraph graph, string startId, params string[] classTypes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var seen = new HashSet<string>(StringComparer.Ordinal) { startId };
        var queue = new Queue<string>([startId]);
        while (queue.Count > 0)
        {
            var id = queue.Dequeue();
            if (!graph.TryGetNode(id, out var node))
            {
                continue;
            }
            if (classTypes.Contains(node.ClassType, StringComparer.Ordinal))
            {
                return id;
            }
            foreach (var value in node.Inputs.Values)
            {
                if (ComfyLink.TryParse(value, out var link) && seen.Add(link.SourceId))
                {
                    queue.Enqueue(link.SourceId);
                }
            }
        }
        return null;
    }

    /// <summary>Adds <paramref name="node"/> under a fresh id and returns the id.</summary>
    public static string AddNode(ComfyGraph graph, ComfyNode node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var id = graph.NextId();
        graph.Add(id, node);
        return id;
    }

    internal static JsonNode? Copy(JsonNode? value) => value?.DeepClone();
}
