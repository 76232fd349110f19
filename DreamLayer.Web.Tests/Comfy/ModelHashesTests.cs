using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary>Model and LoRA hashes read from a models folder the app can reach, for A1111's "Model hash" and "Lora hashes".</summary>
public sealed class ModelHashesTests : IDisposable
{
    // sha256("abc") and sha256("lora bytes")
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "dreamlayer-models-" + Guid.NewGuid().ToString("N"));

    public ModelHashesTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "models", "checkpoints", "sd15"));
        Directory.CreateDirectory(Path.Combine(_root, "models", "loras", "detail"));
        Directory.CreateDirectory(Path.Combine(_root, "data"));
        File.WriteAllText(Path.Combine(_root, "models", "checkpoints", "sd15", "base.safetensors"), "abc");
        File.WriteAllText(Path.Combine(_root, "models", "loras", "detail", "add_detail.safetensors"), "lora bytes");
        File.WriteAllText(Path.Combine(_root, "models", "secret.safetensors"), "abc");
    }

    /// <summary>Runs the hasher as the app does until <paramref name="hashed"/> holds, then stops it (which waits for the cache file).</summary>
    private static async Task HashInBackgroundAsync(ModelHashes hashes, Func<bool> hashed)
    {
        await hashes.StartAsync(CancellationToken.None);
        await DreamLayerApp.WaitUntilAsync(hashed, "the queued model files to be hashed in the background");
        await hashes.StopAsync(CancellationToken.None);
    }

    private ModelHashes Create() => new(
        Options.Create(new ComfyUiOptions { ModelsDirectory = Path.Combine(_root, "models") }),
        new StoragePaths(Path.Combine(_root, "data"), _root, _root, Path.Combine(_root, "data", "db"), _root),
        NullLogger<ModelHashes>.Instance);

    [Fact]
    public async Task ModelHash_IsUnknownUntilHashedInTheBackground_ThenA1111sTenDigits_AndSurvivesARestart()
    {
        var hashes = Create();
        Assert.Null(hashes.ModelHash("sd15/base.safetensors")); // never hashed on a job's path

        await HashInBackgroundAsync(hashes, () => hashes.ModelHash("sd15/base.safetensors") is not null);

        Assert.Equal(AbcSha256[..10], hashes.ModelHash("sd15/base.safetensors"));
        Assert.Equal(AbcSha256[..10], hashes.ModelHash(@"sd15\base.safetensors")); // a Windows server's subfolder
        Assert.Equal(AbcSha256[..10], Create().ModelHash("sd15/base.safetensors")); // read back from data/model-hashes.json
    }

    [Fact]
    public async Task LoraHash_FindsAPromptTagWithoutItsExtension_AndIsTwelveDigits()
    {
        var hashes = Create();
        hashes.Prepare(new GenerationRequest { Prompt = "a cat <lora:detail/add_detail:0.7>", Checkpoint = "sd15/base.safetensors" });
        await HashInBackgroundAsync(hashes, () => hashes.LoraHash("detail/add_detail") is not null && hashes.ModelHash("sd15/base.safetensors") is not null);

        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("lora bytes"u8));
        Assert.Equal(expected[..12], hashes.LoraHash("detail/add_detail"));
        Assert.Equal(expected[..12], hashes.LoraHash("detail/add_detail.safetensors"));
        Assert.Equal(AbcSha256[..10], hashes.ModelHash("sd15/base.safetensors"));
    }

    [Theory]
    [InlineData("../secret.safetensors")]
    [InlineData(@"..\secret.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("missing.safetensors")]
    public void Locate_NameOutsideTheFolderOrMissing_FindsNothing(string name)
    {
        Assert.Null(Create().Locate(ModelHashes.Checkpoints, name));
    }

    [Fact]
    public async Task SavedImage_CarriesModelHashAndLoraHashes_OnceTheFilesAreHashed()
    {
        const string checkpoint = "v1-5-pruned-emaonly.safetensors";
        File.WriteAllText(Path.Combine(_root, "models", "checkpoints", checkpoint), "abc");
        await using var app = await DreamLayerApp.StartAsync(
            settings: new Dictionary<string, string?> { ["ComfyUi:ModelsDirectory"] = Path.Combine(_root, "models") },
            standInOptions: new StandInOptions { Loras = ["detail/add_detail.safetensors"] });
        var request = new GenerationRequest
        {
            Prompt = "a lighthouse",
            Checkpoint = checkpoint,
            Steps = 2,
            Width = 256,
            Height = 256,
            Loras = [new LoraSetting("detail/add_detail.safetensors", 0.8, 0.8)],
        };
        var hashes = app.Get<ModelHashes>();
        hashes.Prepare(request);
        await DreamLayerApp.WaitUntilAsync(() => hashes.ModelHash(checkpoint) is not null && hashes.LoraHash("detail/add_detail.safetensors") is not null, "the files to be hashed");

        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default));
        var jobId = Assert.Single(accepted.JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");

        await using var db = app.CreateDbContext();
        var parameters = (await db.Images.SingleAsync(i => i.JobId == jobId)).Parameters;
        var lora = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("lora bytes"u8))[..12];
        Assert.Contains($"Model hash: {AbcSha256[..10]}, Model: v1-5-pruned-emaonly,", parameters, StringComparison.Ordinal);
        Assert.Contains($"Lora hashes: \"add_detail: {lora}\"", parameters, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a stopping app; the temp folder is cleaned by the OS.
        }
    }
}
