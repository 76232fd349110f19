using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>An admin indexes an existing folder; paths never lead outside the images folder.</summary>
public sealed class FolderImportTests : IDisposable
{
    private readonly GalleryDatabase _db = new();
    private readonly string _source = Path.Combine(Path.GetTempPath(), "dreamlayer-import-" + Guid.NewGuid().ToString("N"));

    private static string Fixture(string name) => Path.Combine(TestPaths.Shared, "fixtures", "metadata", name);

    [Fact]
    public async Task Import_MixedFolder_IndexesImagesWithTheirParametersAndCountsWhatWasSkipped()
    {
        Directory.CreateDirectory(Path.Combine(_source, "nested"));
        File.Copy(Fixture("a1111.png"), Path.Combine(_source, "a1111.png"));
        File.Copy(Fixture("bad_no_metadata.jpg"), Path.Combine(_source, "nested", "plain.jpg"));
        File.Copy(Fixture("bad_empty_file.png"), Path.Combine(_source, "empty.png"));
        await File.WriteAllTextAsync(Path.Combine(_source, "notes.txt"), "not an image");
        await File.WriteAllBytesAsync(Path.Combine(_source, "nested", "fake.png"), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]);

        var report = await _db.Importer().ImportAsync(Admin, _source);

        Assert.Equal(2, report.Imported);
        Assert.Equal(3, report.SkippedCount);
        Assert.Equal(1, report.Skipped["empty file"]);
        Assert.Contains(report.Examples, e => e.StartsWith("notes.txt: ", StringComparison.Ordinal));
        var page = await _db.Gallery.PageAsync(Alice, new GalleryFilter(), null, 10);
        Assert.Equal(2, page.Count);
        Assert.All(page, i => Assert.Equal("admin", i.OwnerName));
        Assert.All(page, i => Assert.True(File.Exists(_db.Store.ThumbnailPath(i.Id))));

        // The A1111 file's prompt is searchable and its settings became the job's.
        var a1111 = A1111Infotext(Fixture("a1111.png"));
        var word = a1111.Prompt.Split(' ', ',').First(w => w.Length > 4);
        var found = Assert.Single(await _db.Gallery.PageAsync(Alice, new GalleryFilter { Text = word }, null, 10));
        var row = await _db.Gallery.FindVisibleAsync(Alice, found.Id);
        Assert.Equal(a1111.Prompt, row!.Prompt);
        Assert.Equal(FolderImport.ImportMode, row.Mode);
        Assert.True(File.Exists(Path.Combine(_source, "a1111.png")));
    }

    [Fact]
    public async Task Import_ByAMember_IsRefused() =>
        await Assert.ThrowsAsync<ImportRefusedException>(() => _db.Importer().ImportAsync(Alice, _source));

    [Theory]
    [InlineData("")]
    [InlineData("relative/folder")]
    [InlineData("../etc")]
    public void CheckFolder_NotAFullPath_IsRefused(string folder) =>
        Assert.Throws<ImportRefusedException>(() => _db.Importer().CheckFolder(folder));

    [Fact]
    public void CheckFolder_MissingOrTheImagesFolder_IsRefused()
    {
        Assert.Throws<ImportRefusedException>(() => _db.Importer().CheckFolder(Path.Combine(_source, "missing")));
        Assert.Throws<ImportRefusedException>(() => _db.Importer().CheckFolder(_db.Paths.ImagesDirectory));
        Assert.Throws<ImportRefusedException>(() => _db.Importer().CheckFolder(_db.Paths.ThumbnailsDirectory));
        Assert.Throws<ImportRefusedException>(() => _db.Importer().CheckFolder(_db.Paths.DataDirectory));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("2026/../../outside.png")]
    [InlineData("/etc/passwd")]
    public void Locate_RowPathLeavingTheImagesFolder_IsNull(string relative) =>
        Assert.Null(_db.Store.Locate(new ImageEntity { Id = Guid.NewGuid(), RelativePath = relative }));

    [Fact]
    public void DownloadName_IsBuiltFromDateAndIdOnly()
    {
        var image = new ImageEntity
        {
            Id = Guid.Parse("0192f0c4-0000-7000-8000-000000000001"),
            RelativePath = "2026/01/01/x.png",
            CreatedAt = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            Prompt = "../../evil\" name",
        };
        Assert.Equal("dreamlayer-20260102-030405-0192f0c4000070008000000000000001.png", ImageEndpoints.DownloadName(image));
    }

    private static DreamLayer.Domain.Metadata.Infotext A1111Infotext(string path) =>
        DreamLayer.Domain.Metadata.A1111Infotext.Read(DreamLayer.Domain.Metadata.PngTextChunks.Find(File.ReadAllBytes(path), "parameters")!);

    public void Dispose()
    {
        _db.Dispose();
        if (Directory.Exists(_source))
        {
            Directory.Delete(_source, recursive: true);
        }
    }
}
