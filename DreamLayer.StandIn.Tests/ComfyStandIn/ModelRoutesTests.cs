using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DreamLayer.Web.Tests.Models;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>
/// The model routes as ComfyUI's server.py serves them (PROTOCOL §7.2, §7.3): <c>/models</c>, <c>/models/{folder}</c>
/// (404 for an unknown key), <c>/view_metadata/{folder}</c> (the header's <c>__metadata__</c>, 404 when it has none),
/// <c>POST /free</c> and the memory figures of <c>/system_stats</c>.
/// </summary>
public sealed class ModelRoutesTests : IAsyncLifetime
{
    private readonly string _models = Path.Combine(Path.GetTempPath(), "standin-models-" + Guid.NewGuid().ToString("N"));
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync()
    {
        SafetensorsFiles.Write(_models, "checkpoints", "sdxl/base.safetensors", SafetensorsFiles.SdxlCheckpoint,
            new Dictionary<string, string> { ["modelspec.architecture"] = "stable-diffusion-xl-v1-base", ["modelspec.title"] = "SDXL base" });
        SafetensorsFiles.Write(_models, "checkpoints", "plain.safetensors", SafetensorsFiles.Sd15Checkpoint);
        File.WriteAllBytes(Path.Combine(_models, "checkpoints", "old.ckpt"), new byte[16]);
        File.WriteAllText(Path.Combine(_models, "checkpoints", "notes.txt"), "not a model");
        SafetensorsFiles.Write(_models, "loras", "style.safetensors", SafetensorsFiles.Sd15Lora, new Dictionary<string, string> { ["ss_base_model_version"] = "sd_v1" });
        _standIn = await StandInHarness.StartAsync(o =>
        {
            o.ModelsDirectory = _models;
            (o.VramTotal, o.VramFree, o.RamTotal, o.RamFree) = (24L << 30, 20L << 30, 64L << 30, 48L << 30);
        });
    }

    public async Task DisposeAsync()
    {
        await _standIn.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using var response = await _standIn.Http.GetAsync(new Uri(path, UriKind.Relative));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Models_ListsTheFolderKeys_AndEachFoldersModelFilesSorted()
    {
        var (status, body) = await GetAsync("/models");
        Assert.Equal(HttpStatusCode.OK, status);
        var folders = JsonNode.Parse(body)!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        Assert.Contains("checkpoints", folders);
        Assert.Contains("diffusion_models", folders);

        (status, body) = await GetAsync("/models/checkpoints");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["old.ckpt", "plain.safetensors", "sdxl/base.safetensors"], JsonNode.Parse(body)!.AsArray().Select(f => f!.GetValue<string>()));
        (_, body) = await GetAsync("/api/models/vae");
        Assert.Equal("[]", body);
    }

    [Theory]
    [InlineData("/models/unknown")]
    [InlineData("/models/unet")] // legacy aliases are not keys of this route
    [InlineData("/models/clip")]
    public async Task Models_UnknownFolder_Is404(string path)
    {
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(path)).Status);
    }

    [Fact]
    public async Task ObjectInfo_ListsTheFolder_AndAFileCopiedInShowsWithoutARestart()
    {
        var (_, before) = await GetAsync("/object_info/CheckpointLoaderSimple");
        Assert.Contains("sdxl/base.safetensors", before, StringComparison.Ordinal);
        Assert.DoesNotContain("new.safetensors", before, StringComparison.Ordinal);

        SafetensorsFiles.Write(_models, "checkpoints", "new.safetensors", SafetensorsFiles.Sd15Checkpoint);
        await GetAsync("/object_info");
        var (_, after) = await GetAsync("/object_info/CheckpointLoaderSimple");
        Assert.Contains("new.safetensors", after, StringComparison.Ordinal);
        Assert.Contains("new.safetensors", (await GetAsync("/models/checkpoints")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ViewMetadata_ReturnsTheHeadersMetadataObject()
    {
        var (status, body) = await GetAsync("/view_metadata/checkpoints?filename=sdxl/base.safetensors");
        Assert.Equal(HttpStatusCode.OK, status);
        var metadata = JsonNode.Parse(body)!.AsObject();
        Assert.Equal("stable-diffusion-xl-v1-base", metadata["modelspec.architecture"]!.GetValue<string>());
        Assert.Equal(2, metadata.Count);
    }

    [Theory]
    [InlineData("/view_metadata/checkpoints?filename=plain.safetensors")] // a header without __metadata__: 404, not {}
    [InlineData("/view_metadata/checkpoints?filename=old.ckpt")] // only .safetensors files are read
    [InlineData("/view_metadata/checkpoints?filename=missing.safetensors")]
    [InlineData("/view_metadata/checkpoints")] // no filename
    [InlineData("/view_metadata/unknown?filename=plain.safetensors")]
    [InlineData("/view_metadata/checkpoints?filename=../loras/style.safetensors")]
    public async Task ViewMetadata_NothingToShow_Is404(string path)
    {
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(path)).Status);
    }

    [Fact]
    public async Task ViewMetadata_OversizedHeader_Is404WithoutReadingIt()
    {
        var path = Path.Combine(_models, "checkpoints", "huge.safetensors");
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes, (ulong)(2 * 1024 * 1024)); // over server.py's 1 MiB max_size
        File.WriteAllBytes(path, bytes);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/view_metadata/checkpoints?filename=huge.safetensors")).Status);
    }

    [Fact]
    public async Task Free_AnswersAnEmpty200_AndFreeMemoryImpliesUnloading()
    {
        using (var response = await _standIn.Http.PostAsync(new Uri("/free", UriKind.Relative), new StringContent("""{"unload_models": true}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
        using (var response = await _standIn.Http.PostAsync(new Uri("/api/free", UriKind.Relative), new StringContent("""{"free_memory": true}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal([(true, false), (true, true)], _standIn.Server.FreeRequests);
    }

    [Fact]
    public async Task SystemStats_ReportsTheConfiguredMemory()
    {
        var stats = JsonNode.Parse((await GetAsync("/system_stats")).Body)!;
        Assert.Equal(64L << 30, stats["system"]!["ram_total"]!.GetValue<long>());
        Assert.Equal(48L << 30, stats["system"]!["ram_free"]!.GetValue<long>());
        Assert.Equal(24L << 30, stats["devices"]![0]!["vram_total"]!.GetValue<long>());
        Assert.Equal(20L << 30, stats["devices"]![0]!["vram_free"]!.GetValue<long>());
    }

    [Fact]
    public async Task AnOlderServer_HasNoModelsRoutes()
    {
        await using var old = await StandInHarness.StartAsync(o => o.NoModelsRoutes = true);
        using var response = await old.Http.GetAsync(new Uri("/models", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var folder = await old.Http.GetAsync(new Uri("/models/checkpoints", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, folder.StatusCode);
    }
}
