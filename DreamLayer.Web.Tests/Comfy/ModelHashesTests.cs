using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

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

    private string Models => Path.Combine(_root, "models");

    /// <summary>Runs the hasher as the app does until <paramref name="hashed"/> holds, then stops it (which waits for the cache file).</summary>
    private static async Task HashInBackgroundAsync(ModelHashes hashes, Func<bool> hashed)
    {
        await hashes.StartAsync(CancellationToken.None);
        await DreamLayerApp.WaitUntilAsync(hashed, "the queued model files to be hashed in the background");
        await hashes.StopAsync(CancellationToken.None);
    }

    private ModelHashes Create() => new(
        new StoragePaths(Path.Combine(_root, "data"), _root, _root, Path.Combine(_root, "data", "db"), _root),
        NullLogger<ModelHashes>.Instance);

    [Fact]
    public async Task Sha256_IsUnknownUntilHashedInTheBackground_AndSurvivesARestart()
    {
        var hashes = Create();
        var file = ModelHashes.Locate(Models, ModelHashes.Checkpoints, "sd15/base.safetensors")!;
        Assert.Null(hashes.Sha256(file)); // never hashed on a job's path

        await HashInBackgroundAsync(hashes, () => hashes.Sha256(file) is not null);

        Assert.Equal(AbcSha256, hashes.Sha256(file));
        Assert.Equal(AbcSha256, hashes.Sha256(ModelHashes.Locate(Models, ModelHashes.Checkpoints, @"sd15\base.safetensors")!)); // a Windows server's subfolder
        Assert.Equal(AbcSha256, Create().Sha256(file)); // read back from data/model-hashes.json
    }

    [Fact]
    public void Locate_FindsAPromptTagWithoutItsExtension()
    {
        Assert.Equal(Path.Combine(Models, "loras", "detail", "add_detail.safetensors"), ModelHashes.Locate(Models, ModelHashes.Loras, "detail/add_detail")?.FullName);
    }

    [Theory]
    [InlineData("../secret.safetensors")]
    [InlineData(@"..\secret.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("missing.safetensors")]
    public void Locate_NameOutsideTheFolderOrMissing_FindsNothing(string name)
    {
        Assert.Null(ModelHashes.Locate(Models, ModelHashes.Checkpoints, name));
    }

    /// <summary>
    /// Two servers, each with its own models folder (no global one) holding a different file under the same name: the
    /// image carries A1111's hashes (10 and 12 digits) of the files of the server that ran its job.
    /// </summary>
    [Fact]
    public async Task SavedImage_CarriesTheHashesOfTheFilesOfTheServerThatRanIt()
    {
        const string checkpoint = "v1-5-pruned-emaonly.safetensors";
        string[] contents = ["abc", "other checkpoint bytes"];
        var folders = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var folder = Path.Combine(_root, $"server-{i}");
            Directory.CreateDirectory(Path.Combine(folder, "checkpoints"));
            Directory.CreateDirectory(Path.Combine(folder, "loras", "detail"));
            File.WriteAllText(Path.Combine(folder, "checkpoints", checkpoint), contents[i]);
            File.WriteAllText(Path.Combine(folder, "loras", "detail", "add_detail.safetensors"), $"lora bytes {i}");
            folders.Add(folder);
        }
        await using var app = await DreamLayerApp.StartManyAsync(
            [new StandInOptions { ModelsDirectory = folders[0] }, new StandInOptions { ModelsDirectory = folders[1] }],
            settings: new Dictionary<string, string?>
            {
                ["ComfyUi:Servers:0:ModelsDirectory"] = folders[0],
                ["ComfyUi:Servers:1:ModelsDirectory"] = folders[1],
            });
        var request = new GenerationRequest
        {
            Prompt = "a lighthouse",
            Checkpoint = checkpoint,
            Steps = 2,
            Width = 256,
            Height = 256,
            Loras = [new LoraSetting("detail/add_detail.safetensors", 0.8, 0.8)],
        };
        var hashes = app.Get<JobModelHashes>();
        hashes.Prepare(request);
        await DreamLayerApp.WaitUntilAsync(() => Enumerable.Range(0, 2).All(i => hashes.For(DreamLayerApp.ServerName(i)) is var server
            && server.ModelHash(checkpoint) is not null && server.LoraHash("detail/add_detail.safetensors") is not null), "the files to be hashed");

        var accepted = Assert.IsType<SubmitAccepted>(await app.Get<JobQueue>().SubmitAsync(request, "tester", default));
        var jobId = Assert.Single(accepted.JobIds);
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(jobId, out var p) && p.Status.IsTerminal(), "the job to finish");

        await using var db = app.CreateDbContext();
        var ranOn = (await db.Jobs.SingleAsync(j => j.Id == jobId)).Backend;
        var index = ranOn == DreamLayerApp.ServerName(1) ? 1 : 0;
        var parameters = (await db.Images.SingleAsync(i => i.JobId == jobId)).Parameters;
        var model = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(contents[index])))[..10];
        var lora = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"lora bytes {index}")))[..12];
        Assert.Contains($"Model hash: {model}, Model: v1-5-pruned-emaonly,", parameters, StringComparison.Ordinal);
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
