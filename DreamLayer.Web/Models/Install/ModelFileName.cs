namespace DreamLayer.Web.Models.Install;

/// <summary>
/// The rules for the name a model file gets in a models folder: a plain file name (no folder, no <c>..</c>, no
/// absolute path), no character Windows or a share refuses, and a model file's extension, so that what is written
/// lands exactly where the admin asked and ComfyUI lists it.
/// </summary>
public static class ModelFileName
{
    public const int MaxLength = 200;

    /// <summary>The extensions ComfyUI (and ComfyUI-GGUF for <c>.gguf</c>) lists as model files.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".safetensors", ".sft", ".ckpt", ".pt", ".pth", ".bin", ".gguf"];

    private static readonly System.Buffers.SearchValues<char> Reserved = System.Buffers.SearchValues.Create("<>:\"/\\|?*");

    private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>Null when <paramref name="name"/> may be used as it is; otherwise why not, in words.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Give the file a name.";
        }
        if (name.Length > MaxLength)
        {
            return $"The file name is {name.Length} characters long; at most {MaxLength} are allowed.";
        }
        if (name.Contains("..", StringComparison.Ordinal))
        {
            return $"\"{name}\" contains \"..\"; give a plain file name.";
        }
        if (Path.IsPathRooted(name) || name.StartsWith('/') || name.StartsWith('\\') || (name.Length > 1 && name[1] == ':'))
        {
            return $"\"{name}\" is an absolute path; give a plain file name (the kind picks the folder).";
        }
        if (name.Any(char.IsControl))
        {
            return "The file name contains a control character.";
        }
        if (name.IndexOfAny(Reserved) is var at and >= 0)
        {
            return $"\"{name}\" contains \"{name[at]}\", which a file name may not hold (none of < > : \" / \\ | ? *).";
        }
        if (name != name.Trim() || name.EndsWith('.'))
        {
            return $"\"{name}\" starts or ends with a space or ends with a dot; remove them.";
        }
        if (name.StartsWith('.'))
        {
            return $"\"{name}\" starts with a dot (a hidden file ComfyUI may not list).";
        }
        if (ReservedNames.Contains(Path.GetFileNameWithoutExtension(name)))
        {
            return $"\"{name}\" is a name Windows reserves for a device; pick another.";
        }
        var extension = Path.GetExtension(name);
        if (!Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
        {
            return $"\"{name}\" is not a model file: the name must end with one of {string.Join(", ", Extensions)}.";
        }
        return null;
    }

    /// <summary>
    /// Null when <paramref name="relative"/> is a model file as a server lists it (a file name, maybe under subfolders
    /// written with <c>/</c>), each part following the rules; otherwise why not.
    /// </summary>
    public static string? ListedProblem(string? relative)
    {
        if (string.IsNullOrEmpty(relative))
        {
            return "No file named.";
        }
        if (relative.StartsWith('/') || relative.StartsWith('\\') || Path.IsPathRooted(relative))
        {
            return $"\"{relative}\" is an absolute path; give the name as the server lists it.";
        }
        var parts = relative.Replace('\\', '/').Split('/');
        foreach (var folder in parts[..^1])
        {
            if (Problem(folder + ".safetensors") is { } problem)
            {
                return $"The folder \"{folder}\" of {relative}: {problem}";
            }
        }
        return Problem(parts[^1]);
    }

    /// <summary>The file name at the end of a download address (<c>.../resolve/main/model.safetensors?download=true</c>), or null.</summary>
    public static string? FromUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var last = Uri.UnescapeDataString(url.AbsolutePath.TrimEnd('/').Split('/')[^1]);
        return last.Length > 0 && Problem(last) is null ? last : null;
    }
}
