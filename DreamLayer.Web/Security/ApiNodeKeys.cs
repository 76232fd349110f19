using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Security;

/// <summary>What a prompt needs for ComfyUI's paid API nodes on the server it goes to.</summary>
public abstract record ApiNodeCredential;

/// <summary>The prompt uses no API node: it carries no key.</summary>
public sealed record NoApiNodes : ApiNodeCredential;

/// <summary>The prompt uses API nodes and the Comfy.org key is set. The key is only ever put in that prompt's <c>extra_data</c>.</summary>
public sealed record ApiNodeKey(string Key) : ApiNodeCredential
{
    /// <summary>Never the key itself: a record's generated text would otherwise put it in a log line.</summary>
    public override string ToString() => "ApiNodeKey { Key = •••• }";
}

/// <summary>The prompt uses API nodes and no Comfy.org key is set: it is refused before it is sent, with these words.</summary>
public sealed record ApiNodeKeyMissing(IReadOnlyList<string> Nodes, string Message) : ApiNodeCredential;

/// <summary>
/// The Comfy.org key for ComfyUI's paid API nodes (<c>"api_node": true</c> in the server's <c>/object_info</c>). As
/// ComfyUI's own frontend does, the key goes in the prompt's <c>extra_data.api_key_comfy_org</c>; ComfyUI hands it to
/// the node (its hidden input <c>API_KEY_COMFY_ORG</c>) and removes it before the prompt is kept in its history. Only a
/// prompt that uses such a node on that server carries it.
/// </summary>
public sealed class ApiNodeKeys(ProviderKeys keys)
{
    /// <summary>The <c>extra_data</c> field ComfyUI reads the key from (ComfyUI's frontend: <c>api_key_comfy_org</c>).</summary>
    public const string ExtraDataField = "api_key_comfy_org";

    /// <summary>What <paramref name="graph"/> needs on a server whose catalogue is <paramref name="info"/>.</summary>
    public async Task<ApiNodeCredential> ForAsync(ComfyGraph graph, ObjectInfo info, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(info);
        var nodes = info.ApiNodesIn(graph);
        if (nodes.Count == 0)
        {
            return new NoApiNodes();
        }
        return await keys.GetAsync(KeyProviders.ComfyOrg, ct) is { } key
            ? new ApiNodeKey(key)
            : new ApiNodeKeyMissing(nodes, Missing(nodes));
    }

    /// <summary>Adds the key to a prompt's <c>extra_data</c> when the prompt needs it; leaves it as it is otherwise.</summary>
    public static JsonObject AddTo(JsonObject extraData, ApiNodeCredential credential)
    {
        ArgumentNullException.ThrowIfNull(extraData);
        if (credential is ApiNodeKey { Key: var key })
        {
            extraData[ExtraDataField] = key;
        }
        return extraData;
    }

    /// <summary>The refusal, naming the nodes by the names ComfyUI shows.</summary>
    public static string Missing(IReadOnlyList<string> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var names = string.Join(", ", nodes);
        var them = nodes.Count == 1 ? "It is one of ComfyUI's paid API nodes, which needs" : "They are ComfyUI's paid API nodes, which need";
        return $"This workflow uses {names}. {them} a Comfy.org key; an admin adds one under Keys ({KeyProviders.ComfyOrg.WhereToGetOne} makes one).";
    }
}
