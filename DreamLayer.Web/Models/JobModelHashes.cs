using DreamLayer.Domain.Generation;
using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Models;

/// <summary>
/// The hashes A1111 writes into an image (<c>Model hash</c>, <c>Lora hashes</c>), of the files on the server that ran
/// the job: its own models folder as <see cref="IModelFolders"/> says (the one the Models page reads; the global
/// <c>ComfyUi:ModelsDirectory</c> only for a server without one). Each file is hashed once, in the background, by
/// <see cref="ModelHashes"/>; never on a job's path.
/// </summary>
public sealed class JobModelHashes(IModelFolders folders, BackendPool pool, ModelHashes hashes)
{
    /// <summary>
    /// Asks for the hashes of a request's checkpoint and LoRAs (picker and prompt tags) in every reachable folder, since
    /// the server that will run it is not chosen yet, so that they are ready for its images.
    /// </summary>
    public void Prepare(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var roots = pool.Backends.Select(b => folders.RootFor(b.Name)).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        if (roots.Count == 0)
        {
            return; // no folder reachable: nothing to hash, and no work on the submit path
        }
        var loras = AdvancedValidator.EffectiveLoras(request, available: null);
        foreach (var root in roots)
        {
            _ = Sha256(root, ModelHashes.Checkpoints, request.Checkpoint);
            foreach (var lora in loras)
            {
                _ = Sha256(root, ModelHashes.Loras, lora.Name);
            }
        }
    }

    /// <summary>The hashes of the files in <paramref name="server"/>'s models folder.</summary>
    public ServerModelHashes For(string server) => new(this, folders.RootFor(server));

    internal string? Sha256(string? root, string folder, string name) =>
        root is null || string.IsNullOrEmpty(name) || ModelHashes.Locate(root, folder, name) is not { } file ? null : hashes.Sha256(file);
}

/// <summary>The hashes of one server's model files, as A1111 writes them; null where the file is not reachable or not hashed yet.</summary>
public sealed class ServerModelHashes
{
    private readonly JobModelHashes _hashes;
    private readonly string? _root;

    internal ServerModelHashes(JobModelHashes hashes, string? root)
    {
        _hashes = hashes;
        _root = root;
    }

    /// <summary>A1111's model hash: the first 10 hex digits of the checkpoint file's SHA-256, if known.</summary>
    public string? ModelHash(string checkpoint) => CheckpointSha256(checkpoint)?[..10];

    /// <summary>The checkpoint file's whole SHA-256 (hex), if known.</summary>
    public string? CheckpointSha256(string checkpoint) => _hashes.Sha256(_root, ModelHashes.Checkpoints, checkpoint);

    /// <summary>A1111's LoRA hash: the first 12 hex digits of the file's SHA-256, if known.</summary>
    public string? LoraHash(string lora) => _hashes.Sha256(_root, ModelHashes.Loras, lora)?[..12];
}
