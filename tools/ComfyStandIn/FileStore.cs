namespace ComfyStandIn;

/// <summary>The input/, output/ and temp/ directories and ComfyUI's rules for naming files in them.</summary>
internal sealed class FileStore
{
    public FileStore(string root)
    {
        Root = Path.GetFullPath(root);
        Input = Path.Combine(Root, "input");
        Output = Path.Combine(Root, "output");
        Temp = Path.Combine(Root, "temp");
        if (Directory.Exists(Temp)) { Directory.Delete(Temp, recursive: true); }
        Directory.CreateDirectory(Input);
        Directory.CreateDirectory(Output);
        Directory.CreateDirectory(Temp);
    }

    public string Root { get; }

    public string Input { get; }

    public string Output { get; }

    public string Temp { get; }

    public string? DirectoryFor(string? type) => type switch
    {
        null or "" or "output" => Output,
        "input" => Input,
        "temp" => Temp,
        _ => null,
    };

    /// <summary>Splits a trailing <c>" [output]"</c>-style annotation off a name.</summary>
    public static (string Name, string? Type) Annotated(string name)
    {
        foreach (var type in new[] { "output", "input", "temp" })
        {
            var suffix = $" [{type}]";
            if (name.EndsWith(suffix, StringComparison.Ordinal)) { return (name[..^suffix.Length], type); }
        }
        return (name, null);
    }

    /// <summary>Resolves a LoadImage-style value (<c>sub/name.png [output]</c>) to a path, or null if it escapes.</summary>
    public string? ResolveAnnotated(string value)
    {
        var (name, type) = Annotated(value);
        var baseDir = DirectoryFor(type ?? "input")!;
        return Within(baseDir, Path.Combine(baseDir, name));
    }

    public bool AnnotatedFileExists(string value) => ResolveAnnotated(value) is { } p && File.Exists(p);

    /// <summary>The full path if it stays inside <paramref name="baseDir"/>, else null.</summary>
    public static string? Within(string baseDir, string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetFullPath(baseDir);
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }
}
