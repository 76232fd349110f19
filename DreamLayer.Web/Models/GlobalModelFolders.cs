using DreamLayer.Web.Comfy;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Models;

/// <summary>
/// Every server's models folder is the one <c>ComfyUi:ModelsDirectory</c> names (the setting model hashing reads), or
/// none when it is not set. Stands in until each server has a folder of its own.
/// </summary>
public sealed class GlobalModelFolders(IOptions<ComfyUiOptions> options) : IModelFolders
{
    public string? RootFor(string serverName) =>
        options.Value.ModelsDirectory is { Length: > 0 } folder ? Path.GetFullPath(folder) : null;
}
