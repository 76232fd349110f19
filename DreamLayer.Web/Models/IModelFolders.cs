namespace DreamLayer.Web.Models;

/// <summary>
/// Where the app can reach each ComfyUI server's models folder: the same machine, or a share the GPU boxes read.
/// </summary>
public interface IModelFolders
{
    /// <summary>
    /// The local path of the server's models root (the folder holding <c>checkpoints/</c>, <c>loras/</c>, ...), or
    /// null when the app cannot reach that server's files.
    /// </summary>
    string? RootFor(string serverName);
}
