using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using Microsoft.EntityFrameworkCore;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>An admin indexes an existing folder; paths never lead outside the images folder.</summary>
public sealed class FolderImportTests : IDisposable
{
    private readonly GalleryDatabase _db = new();
    private readonly string _source = Path.Combine(Path.GetTempPath(), "dreamlayer-import-" + Guid.NewGuid().ToString("N"));

    private static string Fixture(string name) => Path.Combine(TestPaths.TestData, "metadata", name);

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
    public async Task Import_StealthFooocusNovelAiAndMultiPassFiles_IndexesTheirParameters()
    {
        Directory.CreateDirectory(_source);
        foreach (var name in (string[])["a1111_stealth_pngcomp.png", "fooocus_scheme_fooocus.png", "fooocus_scheme_a1111.png", "novelai.png", "comfyui_hiresfix_latent_workflow.png"])
        {
            File.Copy(TestPaths.TestFile("metadata", name), Path.Combine(_source, name));
        }

        var report = await _db.Importer().ImportAsync(Admin, _source);

        Assert.Equal(5, report.Imported);
        await using var db = _db.Factory.CreateDbContext();
        var rows = await db.Images.Include(i => i.Job).Include(i => i.Loras).ToListAsync();
        string Row(ImageEntity i) => $"{i.Prompt.Trim()[..Math.Min(20, i.Prompt.Trim().Length)]} | {i.Model} | {i.Sampler} | {i.Job!.Seed} | {string.Join(",", i.Loras.Select(l => l.Name))}";
        Assert.Equal(
            [
                "a circle | realisticVisionV51_v51VAE | euler | 2015833630 | ",
                "cinematic still A li | juggernautXL_v8Rundiffusion | dpmpp_2m_sde | 127589946317439009 | sd_xl_offset_example-lora_1.0",
                "cinematic still a sm | juggernautXL_v8Rundiffusion | dpmpp_2m_sde_gpu | 6952411511246973023 | ",
                "masterpiece HDR vict | v2-1_768-ema-pruned.ckpt | dpmpp_sde | 89848141647836 | ",
                "masterpiece, best qu | Stable Diffusion | euler_ancestral | 2253955223 | ",
            ],
            rows.Select(Row).Order(StringComparer.Ordinal));
        // The stealth file's hidden infotext is its own text, as for any A1111 file.
        Assert.Contains(rows, r => r.Parameters.StartsWith("a circle\nNegative prompt: a square\nSteps: 20", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Import_FilesFromEveryTool_IndexesEachWithItsParametersAndASecondImportAddsNothing()
    {
        Directory.CreateDirectory(_source);
        // The sd-parsers set (A1111 PNG and JPEG, ComfyUI, InvokeAI, a late zTXt chunk, damaged and plain files); the files
        // of the other tools have a test of their own above.
        foreach (var name in (string[])["a1111.png", "a1111.jpg", "comfyui_img2img.png", "invokeai_metadata.png", "text_after_idat_ztxt.png", "bad_empty_file.png", "bad_no_metadata.png", "bad_no_metadata.jpg"])
        {
            File.Copy(TestPaths.TestFile("metadata", name), Path.Combine(_source, name));
        }
        Directory.CreateDirectory(Path.Combine(_source, "comfy"));
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.TestData, "comfyui-png")))
        {
            File.Copy(file, Path.Combine(_source, "comfy", Path.GetFileName(file)));
        }
        var plain = await File.ReadAllBytesAsync(Fixture("bad_no_metadata.png"));
        await File.WriteAllBytesAsync(Path.Combine(_source, "swarm.png"), DreamLayer.Domain.Metadata.PngTextChunks.AddText(plain, [("parameters", Swarm)]));
        var dreamLayer = DreamLayer.Domain.Metadata.A1111Infotext.Write(new("a fox <lora:Style_Ink:0.5>", "rain", 12, "dpmpp_2m", "karras", 5.5, 77, 640, 448, "dl-model"));
        await File.WriteAllBytesAsync(Path.Combine(_source, "dreamlayer.png"), DreamLayer.Domain.Metadata.PngTextChunks.AddText(plain, [("parameters", dreamLayer)]));

        var report = await _db.Importer().ImportAsync(Admin, _source);

        Assert.Equal(12, report.Imported);
        Assert.Equal(new Dictionary<string, int> { ["empty file"] = 1 }, report.Skipped);
        Assert.Equal(["bad_empty_file.png: empty file"], report.Examples);
        await using (var db = _db.Factory.CreateDbContext())
        {
            var rows = await db.Images.Include(i => i.Job).Include(i => i.Loras).ToListAsync();
            string Row(ImageEntity i) => $"{i.Prompt.Trim()} | {i.Model} | {i.Sampler} | {i.Job!.Seed} | {string.Join(",", i.Loras.Select(l => l.Name).Order(StringComparer.Ordinal))}";
            Assert.Equal(
                string.Join('\n',
                [
                    " |  |  | 0 | ",
                    " |  |  | 0 | ",
                    "a fox <lora:Style_Ink:0.5> | dl-model | dpmpp_2m | 77 | Style_Ink",
                    "a lighthouse at dusk | OfficialStableDiffusion/sd_xl_base_1.0 | dpmpp_2m_sde | 1122334455 | detail_tweaker",
                    "digital artwork, oil painting. painterly brushstrokes, holidays, | juggernautXL | euler | 3293022630 | ",
                    "evening sunset scenery blue sky nature, glass bottle with a galaxy in it | sd_xl_base_1.0.safetensors | euler | 721897303308196 | ",
                    "masterpiece best quality girl | v1-5-pruned-emaonly.ckpt | euler | 851616030078638 | epiNoiseoffset_v2.safetensors",
                    "photo of a duck | realistic_realisticVisionV20_v20 | uni_pc | 235284042 | ",
                    "photo of a duck | realistic_realisticVisionV20_v20 | uni_pc | 235284042 | ",
                    "photo of a duck | realistic_realisticVisionV20_v20 | uni_pc | 235284042 | ",
                    "photograph of victorian woman with wings, sky clouds, meadow grass | v1-5-pruned-emaonly.ckpt | dpmpp_2m | 280823642470253 | ",
                    "photograph of victorian woman with wings, sky clouds, meadow grass | v1-5-pruned-emaonly.ckpt | dpmpp_2m | 280823642470253 | ",
                ]),
                string.Join('\n', rows.Select(Row).Order(StringComparer.Ordinal)));
            Assert.All(rows, r => Assert.NotNull(r.ImportHash));
            // An A1111 file keeps its own text; another tool's parameters are shown the A1111 way, LoRAs as tags.
            Assert.Contains(rows, r => r.Parameters.StartsWith("photo of a duck\nNegative prompt: monochrome\nSteps: 15, Sampler: UniPC,", StringComparison.Ordinal));
            var lora = rows.Single(r => r.Prompt.StartsWith("masterpiece", StringComparison.Ordinal));
            Assert.StartsWith("masterpiece best quality girl <lora:epiNoiseoffset_v2:1>\nNegative prompt: bad hands\nSteps: 20, Sampler: Euler,", lora.Parameters, StringComparison.Ordinal);
            Assert.DoesNotContain("Version", lora.Parameters, StringComparison.Ordinal);
        }

        // Searchable like any image.
        Assert.Single(await _db.Gallery.PageAsync(Alice, new GalleryFilter { Text = "lighthouse" }, null, 20));

        var again = await _db.Importer().ImportAsync(Admin, _source);

        Assert.Equal(0, again.Imported);
        Assert.Equal(12, again.Skipped["already imported (the same file is in the gallery or its trash)"]);
        Assert.Equal(1, again.Skipped["empty file"]);
        await using (var db = _db.Factory.CreateDbContext())
        {
            Assert.Equal(12, await db.Images.CountAsync());
        }
    }

    private const string Swarm = """
        {"sui_image_params":{"prompt":"a lighthouse at dusk","negativeprompt":"people","model":"OfficialStableDiffusion/sd_xl_base_1.0","seed":1122334455,"steps":30,
        "cfgscale":6.5,"width":1024,"height":1024,"sampler":"dpmpp_2m_sde","scheduler":"karras","loras":["detail_tweaker"],"loraweights":["0.8"],"swarm_version":"0.9.2.1"}}
        """;

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
