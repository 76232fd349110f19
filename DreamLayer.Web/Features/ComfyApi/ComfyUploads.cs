namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>One picture sent to <c>/comfy/upload/image</c>: the stored upload it became and the SHA-256 of its bytes.</summary>
internal sealed record ComfyUpload(Guid Upload, string Sha256);

/// <summary>
/// The names each person gave their pictures on <c>/comfy/upload/image</c> (<c>type</c>, <c>subfolder</c> and name, as a
/// LoadImage names them), each the stored upload it became. Per person and in memory: a name is what the person's later
/// prompts use; at most <see cref="MaxNamesPerPerson"/> names per person, the oldest forgotten first.
/// </summary>
internal sealed class ComfyUploads
{
    public const int MaxNamesPerPerson = 1000;

    private readonly Dictionary<string, OrderedDictionary<string, ComfyUpload>> _byOwner = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>The key of a file: its type and its path under that folder (<c>input:sub/name.png</c>).</summary>
    public static string Key(string type, string subfolder, string name) =>
        $"{type}:{(subfolder.Length == 0 ? name : subfolder.TrimEnd('/') + "/" + name)}";

    public ComfyUpload? Find(string owner, string key)
    {
        lock (_lock)
        {
            return _byOwner.TryGetValue(owner, out var names) && names.TryGetValue(key, out var upload) ? upload : null;
        }
    }

    public void Set(string owner, string key, ComfyUpload upload)
    {
        lock (_lock)
        {
            if (!_byOwner.TryGetValue(owner, out var names))
            {
                _byOwner[owner] = names = new OrderedDictionary<string, ComfyUpload>(StringComparer.Ordinal);
            }
            names.Remove(key);
            names.Add(key, upload);
            while (names.Count > MaxNamesPerPerson)
            {
                names.RemoveAt(0);
            }
        }
    }

    /// <summary>
    /// The upload a LoadImage value names for <paramref name="owner"/>: <c>name.png</c>, <c>sub/name.png</c>, or either
    /// with <c> [input]</c>, <c> [temp]</c> or <c> [output]</c> after it (PROTOCOL.md §6.4); null when they sent none so named.
    /// </summary>
    public ComfyUpload? Resolve(string owner, string value)
    {
        var type = "input";
        foreach (var folder in new[] { "input", "temp", "output" })
        {
            var suffix = $" [{folder}]";
            if (value.EndsWith(suffix, StringComparison.Ordinal))
            {
                (type, value) = (folder, value[..^suffix.Length]);
                break;
            }
        }
        return Find(owner, Key(type, string.Empty, value));
    }
}
