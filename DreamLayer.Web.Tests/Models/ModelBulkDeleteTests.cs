using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// Deleting several model files at once, over two servers: the first one's models folder is reachable by the app, the
/// second one's is not (it lists its own copies). What the confirmation says, what is deleted, and who may.
/// </summary>
public sealed class ModelBulkDeleteTests : IAsyncLifetime
{
    private readonly string _reachable = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
    private readonly string _remote = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync()
    {
        SafetensorsFiles.Write(_reachable, "checkpoints", "shared.safetensors", SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_reachable, "loras", "style/ink.safetensors", SafetensorsFiles.Sd15Lora);
        SafetensorsFiles.Write(_reachable, "checkpoints", "keep.safetensors", SafetensorsFiles.SdxlCheckpoint);
        SafetensorsFiles.Write(_remote, "checkpoints", "shared.safetensors", SafetensorsFiles.Sd15Checkpoint);
        SafetensorsFiles.Write(_remote, "checkpoints", "remote-only.safetensors", SafetensorsFiles.Sd15Checkpoint);
        _app = await DreamLayerApp.StartManyAsync(
            [new StandInOptions { ModelsDirectory = _reachable }, new StandInOptions { ModelsDirectory = _remote }],
            settings: new Dictionary<string, string?> { ["ComfyUi:Servers:0:ModelsDirectory"] = _reachable });
        await DreamLayerApp.WaitUntilAsync(() => _app.Get<ModelCatalogue>().Models().Count == 4, "the catalogue to read both servers");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_reachable, recursive: true);
        Directory.Delete(_remote, recursive: true);
    }

    private SignedInUser Admin => new(_app.Admin.Id, _app.Admin.UserName, _app.Admin.DisplayName, IsAdmin: true);

    [Fact]
    public void PlanDelete_NamesTheServersLosingTheFile_AndThoseKeepingItWithWhy()
    {
        var files = _app.Get<ModelFiles>();
        var models = _app.Get<ModelCatalogue>().Models().ToDictionary(m => m.Name);

        var shared = files.PlanDelete("checkpoints", "shared.safetensors", models["shared.safetensors"].Servers);
        var remote = files.PlanDelete("checkpoints", "remote-only.safetensors", models["remote-only.safetensors"].Servers);

        Assert.Equal(["standin"], shared.DeletedFrom);
        var (server, why) = Assert.Single(shared.KeptOn);
        Assert.Equal("standin1", server);
        Assert.StartsWith("The app cannot reach its models folder", why, StringComparison.Ordinal);
        Assert.Empty(remote.DeletedFrom);
        Assert.Equal("standin1", Assert.Single(remote.KeptOn).Server);
    }

    [Fact]
    public async Task DeleteMany_DeletesEachFileFromTheReachableFolder_NamesWhatCouldNotBe_AndTheListsRefresh()
    {
        var files = _app.Get<ModelFiles>();

        var (deleted, message) = await files.DeleteManyAsync(Admin,
            [("checkpoints", "shared.safetensors"), ("loras", "style/ink.safetensors"), ("checkpoints", "remote-only.safetensors")], default);

        Assert.Equal(2, deleted);
        Assert.StartsWith("Deleted 2 files: shared.safetensors, style/ink.safetensors. Not deleted: No models folder the app can reach holds remote-only.safetensors in checkpoints", message, StringComparison.Ordinal);
        Assert.EndsWith("standin listed them again.", message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_reachable, "checkpoints", "shared.safetensors")));
        Assert.False(File.Exists(Path.Combine(_reachable, "loras", "style", "ink.safetensors")));
        Assert.True(File.Exists(Path.Combine(_reachable, "checkpoints", "keep.safetensors")));
        Assert.True(File.Exists(Path.Combine(_remote, "checkpoints", "shared.safetensors"))); // not reachable: kept
        // The server read its lists again: it no longer lists what was deleted.
        var first = _app.Backends[0].Limits!;
        Assert.DoesNotContain("shared.safetensors", first.Checkpoints);
        Assert.DoesNotContain("style/ink.safetensors", first.Advanced.Loras);
        Assert.Contains("keep.safetensors", first.Checkpoints);
    }

    [Fact]
    public async Task DeleteMany_ByAMember_IsRefusedAndNothingDeleted()
    {
        var member = new SignedInUser(_app.Alice.Id, _app.Alice.UserName, _app.Alice.DisplayName, IsAdmin: false);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => _app.Get<ModelFiles>().DeleteManyAsync(member, [("checkpoints", "shared.safetensors")], default));

        Assert.True(File.Exists(Path.Combine(_reachable, "checkpoints", "shared.safetensors")));
    }
}
