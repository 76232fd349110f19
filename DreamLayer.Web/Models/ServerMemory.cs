using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Models;

/// <summary>
/// A server's GPU memory: <b>Unload models</b> (<c>POST /free</c> with <c>unload_models</c>) takes the models off the
/// GPU; <b>Free memory</b> (<c>free_memory</c>) does that and also empties ComfyUI's node caches. ComfyUI acts once the
/// running prompt ends, or at once when idle. Admins only, checked here.
/// </summary>
public sealed class ServerMemory(BackendPool pool)
{
    /// <summary>Asks the server; what happened, in words, and whether it worked.</summary>
    public async Task<(bool Done, string Message)> FreeAsync(SignedInUser actor, string serverName, bool freeMemory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            return (false, "Only an admin can free a server's memory.");
        }
        if (pool.Find(serverName) is not { IsOnline: true } backend)
        {
            return (false, $"{serverName} is not online.");
        }
        try
        {
            await pool.ClientFor(backend).FreeAsync(unloadModels: true, freeMemory, ct);
            return (true, freeMemory
                ? $"{backend.Name} unloads its models and empties its caches once its current job ends (at once when idle)."
                : $"{backend.Name} unloads its models once its current job ends (at once when idle).");
        }
        catch (Exception ex) when (ex is HttpRequestException || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (false, $"{backend.Name} did not answer: {ex.Message}");
        }
    }
}
