using System.Text;

namespace DreamLayer.Web.Tests.Architecture;

/// <summary>
/// The folders of DreamLayer.Web depend on each other one way (docs/ARCHITECTURE.md, "What each folder may
/// reference"): read from the compiled assembly, so a new reference anywhere in the code (a field, a parameter, a
/// call in a method body, a registration lambda) that closes a circle fails here with the types that close it.
/// </summary>
public class FolderDependencyTests
{
    private const string Root = "DreamLayer.Web.";

    [Fact]
    public void Folders_DependOnEachOtherOneWay()
    {
        var edges = FolderEdges();
        var circles = Circles(edges);

        Assert.True(circles.Count == 0, Describe(circles, edges));
    }

    /// <summary>
    /// The folder a type lives in: the namespace's first part after DreamLayer.Web, and for <c>Components</c> the first
    /// two (the shared components sit below the pages, the shell above them); null for the project's root
    /// (<c>Program</c>, <c>Words</c>) and anything outside the app. Each feature folder is a folder of its own too
    /// (<c>Features.Txt2Img</c>, <c>Features.Jobs</c>): the features use each other one way, like the rest.
    /// </summary>
    private static string? FolderOf(Type type)
    {
        var ns = type.Namespace;
        if (ns is null || !ns.StartsWith(Root, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = ns[Root.Length..].Split('.');
        return parts is ["Components" or "Features", var sub, ..] ? $"{parts[0]}.{sub}" : parts[0];
    }

    /// <summary>Each pair of folders (from, to) with the type pairs that make the reference.</summary>
    private static Dictionary<(string From, string To), SortedSet<string>> FolderEdges()
    {
        var edges = new Dictionary<(string, string), SortedSet<string>>();
        foreach (var type in typeof(Program).Assembly.GetTypes())
        {
            if (FolderOf(type) is not { } from)
            {
                continue;
            }
            foreach (var used in TypeReferences.Of(type))
            {
                if (used.Assembly != typeof(Program).Assembly || FolderOf(used) is not { } to || to == from)
                {
                    continue;
                }
                var key = (from, to);
                if (!edges.TryGetValue(key, out var pairs))
                {
                    edges[key] = pairs = new SortedSet<string>(StringComparer.Ordinal);
                }
                pairs.Add($"{Outermost(type).FullName} -> {Outermost(used).FullName}");
            }
        }
        return edges;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }
        return type;
    }

    /// <summary>The strongly connected groups of more than one folder (Tarjan's algorithm).</summary>
    private static List<List<string>> Circles(Dictionary<(string From, string To), SortedSet<string>> edges)
    {
        var next = edges.Keys.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).Order(StringComparer.Ordinal).ToList());
        var nodes = edges.Keys.SelectMany(e => new[] { e.From, e.To }).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var circles = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var to in next.GetValueOrDefault(node) ?? [])
            {
                if (!index.TryGetValue(to, out var seen))
                {
                    Visit(to);
                    low[node] = Math.Min(low[node], low[to]);
                }
                else if (onStack.Contains(to))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }
            if (low[node] == index[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);
                if (group.Count > 1)
                {
                    circles.Add([.. group.Order(StringComparer.Ordinal)]);
                }
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }
        return circles;
    }

    private static string Describe(List<List<string>> circles, Dictionary<(string From, string To), SortedSet<string>> edges)
    {
        var text = new StringBuilder();
        foreach (var circle in circles)
        {
            text.AppendLine($"These folders depend on each other in a circle: {string.Join(", ", circle)}. The references between them:");
            foreach (var ((from, to), pairs) in edges.Where(e => circle.Contains(e.Key.From) && circle.Contains(e.Key.To)).OrderBy(e => e.Key))
            {
                text.AppendLine($"  {from} -> {to}:");
                foreach (var pair in pairs)
                {
                    text.AppendLine($"    {pair}");
                }
            }
        }
        return text.ToString();
    }
}
