using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ComfyStandIn;

/// <summary>
/// ComfyUI's paid API nodes (<c>comfy_api_nodes</c>, <c>"api_node": true</c> in <c>/object_info</c>). In ComfyUI such a
/// node calls api.comfy.org while it executes, with the credentials the prompt's <c>extra_data</c> carried
/// (<c>auth_token_comfy_org</c> as a Bearer token, else <c>api_key_comfy_org</c> as <c>X-API-KEY</c>); without either
/// the call goes out bare, Comfy.org answers 401, and the node raises
/// <c>Exception("Unauthorized: Please login first to use this node.")</c> (comfy_api_nodes/util/client.py): an
/// <c>execution_error</c> at that node, after validation passed. With one, the stand-in draws the picture the node
/// would return, of the size its inputs ask.
/// </summary>
internal static class ApiNodes
{
    public const string UnauthorizedMessage = "Unauthorized: Please login first to use this node.";

    /// <summary>Megapixels of the picture a node sized by aspect ratio returns: FLUX 1.1 [pro] Ultra makes 4 MP, the others about 1.</summary>
    private static readonly Dictionary<string, double> MegapixelsByNode = new(StringComparer.Ordinal)
    {
        ["FluxProUltraImageNode"] = 4,
    };

    public static Payload Run(JsonObject extraData, string classType, JsonObject inputs, Dictionary<string, Payload> linked, Payload basis)
    {
        if (Credential(extraData, "auth_token_comfy_org") is null && Credential(extraData, "api_key_comfy_org") is null)
        {
            throw new NodeFailureException("Exception", UnauthorizedMessage);
        }
        var (width, height) = SizeOf(classType, inputs, linked);
        var batch = inputs["n"] is JsonValue n ? (int)Py.ToInt(n) : inputs["num_images"] is JsonValue count ? (int)Py.ToInt(count) : 1;
        var prompt = inputs["prompt"] is JsonValue text ? Py.Str(text) : basis.Text;
        var seed = inputs["seed"] is JsonValue s ? Py.Str(s) : "0";
        var source = linked.Values.FirstOrDefault(p => p.Width > 0)?.Text;
        return new Payload(width, height, Math.Max(1, batch), $"{classType}:{seed}", source is null ? prompt : $"{prompt}|{source}");
    }

    private static string? Credential(JsonObject extraData, string name) =>
        extraData[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length > 0 ? v.GetValue<string>() : null;

    /// <summary>
    /// The size the node's inputs ask for: <c>size</c> or <c>resolution</c> as <c>WxH</c>, else <c>aspect_ratio</c>
    /// (<c>W:H</c>) at the node's megapixels, else <c>width</c>/<c>height</c>, else the linked picture's, else 1024×1024.
    /// </summary>
    private static (int Width, int Height) SizeOf(string classType, JsonObject inputs, Dictionary<string, Payload> linked)
    {
        foreach (var name in new[] { "size", "resolution" })
        {
            if (inputs[name] is JsonValue v && Pair(Py.Str(v), 'x') is { } wh) { return wh; }
        }
        if (inputs["aspect_ratio"] is JsonValue a && Pair(Py.Str(a), ':') is { } ratio)
        {
            var pixels = MegapixelsByNode.GetValueOrDefault(classType, 1) * 1024 * 1024;
            var r = (double)ratio.Width / ratio.Height;
            return (RoundTo32(Math.Sqrt(pixels * r)), RoundTo32(Math.Sqrt(pixels / r)));
        }
        if (inputs["width"] is JsonValue w && inputs["height"] is JsonValue h) { return ((int)Py.ToInt(w), (int)Py.ToInt(h)); }
        return linked.Values.FirstOrDefault(p => p.Width > 0) is { } picture ? (picture.Width, picture.Height) : (1024, 1024);
    }

    private static (int Width, int Height)? Pair(string text, char separator)
    {
        var parts = text.Split(separator);
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var a)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var b) && a > 0 && b > 0
            ? (a, b)
            : null;
    }

    private static int RoundTo32(double side) => Math.Max(32, (int)Math.Round(side / 32) * 32);
}
