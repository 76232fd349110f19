namespace DreamLayer.Web.Tests;

/// <summary>Locates the repository and the reference data the tests read, all of it inside the repository.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>
    /// Real files from other tools and real workflows (<c>DreamLayer.Web.Tests/TestData</c>); where each came from and
    /// its licence is in <c>TestData/SOURCES.md</c>.
    /// </summary>
    public static string TestData { get; } = Path.Combine(RepoRoot, "DreamLayer.Web.Tests", "TestData");

    /// <summary>The real <c>/object_info</c> dump the stand-in serves by default.</summary>
    public static string ObjectInfoJson => Path.Combine(RepoRoot, "tools", "ComfyStandIn", "Catalog", "object_info.json");

    public static string Workflows => Path.Combine(RepoRoot, "workflows");

    /// <summary>A file under <see cref="TestData"/>, in <paramref name="folder"/>.</summary>
    public static string TestFile(string folder, string name) => Path.Combine(TestData, folder, name);

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
