namespace DreamLayer.Web.Tests;

/// <summary>Locates the repository and the shared reference data (<c>../shared</c> beside the repository).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// The shared folder with PROTOCOL.md, object_info.json and the real-world fixtures: <c>DREAMLAYER_SHARED</c> when set
    /// (test.sh sets it for a clone made elsewhere), otherwise <c>../shared</c> beside the repository.
    /// </summary>
    public static string Shared { get; } = Path.GetFullPath(
        Environment.GetEnvironmentVariable("DREAMLAYER_SHARED") is { Length: > 0 } shared ? shared : Path.Combine(RepoRoot, "..", "shared"));

    public static string ObjectInfoJson => Path.Combine(Shared, "comfyui", "object_info.json");

    public static string Workflows => Path.Combine(RepoRoot, "workflows");

    /// <summary>A file under the test project's own <c>TestData</c> (copied beside the test assembly; see TestData/SOURCES.md).</summary>
    public static string TestData(string folder, string name) => Path.Combine(AppContext.BaseDirectory, "TestData", folder, name);

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DreamLayer.Web.sln")))
        {
            dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("DreamLayer.Web.sln not found above " + AppContext.BaseDirectory);
    }
}
