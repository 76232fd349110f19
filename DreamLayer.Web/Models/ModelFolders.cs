using DreamLayer.Web.Comfy;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models;

/// <summary>
/// Each server's models folder as the Backends page (or <c>ComfyUi:Servers[i].ModelsDirectory</c>) sets it, falling
/// back to the global <c>ComfyUi:ModelsDirectory</c>; null when neither is set or the server is unknown.
/// </summary>
public sealed class ModelFolders(BackendPool pool, IOptions<ComfyUiOptions> options) : IModelFolders
{
    public string? RootFor(string serverName)
    {
        if (pool.Find(serverName) is not { } backend)
        {
            return null;
        }
        var root = backend.ModelsDirectory is { Length: > 0 } own ? own : options.Value.ModelsDirectory;
        return string.IsNullOrWhiteSpace(root) ? null : root;
    }
}
