using System.Collections.Concurrent;
using System.Security.Cryptography;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// Installing a model by address, end to end: the app downloads from a file server on loopback into the models folder
/// a stand-in lists, and the stand-in's new list reaches the app without a restart.
/// </summary>
public sealed class ModelInstallTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
    private ModelFileServer _files = null!;
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync()
    {
        _files = await ModelFileServer.StartAsync();
        _app = await DreamLayerApp.StartAsync(settings: Settings(_models), standInOptions: new StandInOptions { ModelsDirectory = _models });
    }

    /// <summary>The app's settings for installs into <paramref name="models"/> from a loopback server.</summary>
    public static Dictionary<string, string?> Settings(string models) => new()
    {
        ["ComfyUi:ModelsDirectory"] = models,
        ["ModelInstall:AllowedPrivateNetworks:0"] = "127.0.0.0/8",
        ["ModelInstall:FreeSpaceMargin"] = "0",
    };

    private SignedInUser Admin => new(_app.Admin.Id, _app.Admin.UserName, _app.Admin.DisplayName, IsAdmin: true);

    [Fact]
    public async Task ByUrl_CutConnection_ResumesWithRangeAndTheServerListsTheModel()
    {
        var content = SafetensorsFiles.WithData(3 * 1024 * 1024);
        _files.Add("juggernaut.safetensors", content);
        _files.CutOnceAfter = 1024 * 1024;
        var events = new ConcurrentQueue<InstallProgress>();
        using var _ = _app.Get<ModelInstalls>().Subscribe(events.Enqueue);

        var done = await InstallAsync(new InstallRequest("checkpoints", "juggernaut.safetensors", ["standin"], _files.Url("redirect/2/juggernaut.safetensors"),
            Convert.ToHexStringLower(SHA256.HashData(content))));

        Assert.Equal(InstallState.Done, done.State);
        Assert.Contains("standin listed it again", done.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_models, "checkpoints", "juggernaut.safetensors")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_models, "checkpoints"), "*.part", SearchOption.AllDirectories).Concat(Directory.GetFiles(Path.Combine(_models, "checkpoints"), ".*")));
        // The first request had no Range; after the cut, the next one asked for the rest.
        var ranges = _files.Ranges.ToList();
        Assert.Null(ranges[0]);
        Assert.Contains(ranges.Skip(1), r => r is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range != "bytes=0-");
        // Progress was reported while it ran, with the size known.
        Assert.Contains(events, e => e.State == InstallState.Running && e.Received > 0 && e.Received < content.Length && e.Total == content.Length);
        // The server's list (read again from /object_info) has the model, with no restart.
        Assert.Contains("juggernaut.safetensors", _app.Backend.Limits!.Checkpoints);
    }

    [Fact]
    public async Task ByUrl_ChecksumMismatch_IsRefusedAndTheFileDeleted()
    {
        _files.Add("lora.safetensors", SafetensorsFiles.WithData(4096));

        var done = await InstallAsync(new InstallRequest("loras", "lora.safetensors", ["standin"], _files.Url("files/lora.safetensors"), new string('a', 64)));

        Assert.Equal(InstallState.Failed, done.State);
        Assert.Contains($"not the expected {new string('a', 64)}; the file was deleted", done.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_models, "loras"), "*", SearchOption.AllDirectories));
        Assert.DoesNotContain("lora.safetensors", _app.Backend.Limits!.Advanced.Loras);
    }

    [Theory]
    [InlineData("loop/a", "redirects in a loop")]
    [InlineData("page/x", "sent a web page, not a model file")]
    [InlineData("huge/x", "Not enough disk space")]
    [InlineData("files/missing.safetensors", "answered 404")]
    public async Task ByUrl_BadSources_FailWithTheReasonAndLeaveNothing(string path, string reason)
    {
        var done = await InstallAsync(new InstallRequest("checkpoints", "bad.safetensors", ["standin"], _files.Url(path)));

        Assert.Equal(InstallState.Failed, done.State);
        Assert.Contains(reason, done.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_models, "checkpoints")) && Directory.EnumerateFileSystemEntries(Path.Combine(_models, "checkpoints")).Any());
    }

    [Fact]
    public async Task ByUrl_DamagedSafetensors_IsRefusedAfterDownload()
    {
        var damaged = SafetensorsFiles.WithData(4096)[..^100];
        _files.Add("damaged.safetensors", damaged);

        var done = await InstallAsync(new InstallRequest("checkpoints", "damaged.safetensors", ["standin"], _files.Url("files/damaged.safetensors")));

        Assert.Equal(InstallState.Failed, done.State);
        Assert.Contains("damaged.safetensors was not installed: The tensor", done.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_models, "checkpoints")));
    }

    [Fact]
    public async Task ByUrl_PrivateAddressNotAllowedOrNotHttp_IsRefusedBeforeAnythingIsWritten()
    {
        var downloads = _app.Get<ModelDownloads>();
        Assert.Contains("\"ftp:\"", downloads.Enqueue(Admin, new InstallRequest("checkpoints", "a.safetensors", ["standin"], new Uri("ftp://example.com/a.safetensors"))).Error, StringComparison.Ordinal);

        // ::1 is loopback, outside the allowed 127.0.0.0/8.
        var done = await InstallAsync(new InstallRequest("checkpoints", "a.safetensors", ["standin"], new Uri($"http://[::1]:{_files.BaseAddress.Port}/files/a.safetensors")));
        Assert.Contains("private, loopback or link-local", done.Message, StringComparison.Ordinal);
        Assert.Empty(_files.Ranges);
    }

    [Fact]
    public async Task SameFileTwice_TheSecondIsRefused_AndAMemberCannotInstall()
    {
        var first = await StartHeldAsync("same.safetensors");
        var downloads = _app.Get<ModelDownloads>();
        var request = new InstallRequest("checkpoints", "same.safetensors", ["standin"], _files.Url("files/same.safetensors"));

        var second = downloads.Enqueue(Admin with { DisplayName = "Bob" }, request);

        Assert.Null(second.Id);
        Assert.Equal($"same.safetensors is already being installed into checkpoints by {_app.Admin.DisplayName}; wait for that install to finish or cancel it.", second.Error);
        var member = new SignedInUser(_app.Alice.Id, _app.Alice.UserName, _app.Alice.DisplayName, IsAdmin: false);
        Assert.Throws<UnauthorizedAccessException>(() => downloads.Enqueue(member, request with { FileName = "other.safetensors" }));
        _files.Release();
        Assert.Equal(InstallState.Done, (await WaitEndAsync(first)).State);
    }

    [Fact]
    public async Task Cancel_MidDownload_RemovesThePartialFile()
    {
        var id = await StartHeldAsync("cancel.safetensors");
        await DreamLayerApp.WaitUntilAsync(() => Directory.GetFiles(Path.Combine(_models, "checkpoints"), "*.part").Length == 1, "the partial file");

        Assert.True(_app.Get<ModelInstalls>().Cancel(Admin, id));
        var done = await WaitEndAsync(id);

        Assert.Equal(InstallState.Cancelled, done.State);
        Assert.Contains("partial file of cancel.safetensors was removed", done.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_models, "checkpoints")));
    }

    /// <summary>
    /// The file goes to the server's folder, not through the server: an install finishes while its server is offline,
    /// says so, and the server lists the model once it is back (it reads its lists on every connect).
    /// </summary>
    [Fact]
    public async Task ServerOfflineMidInstall_InstallFinishes_AndTheServerListsItWhenBack()
    {
        var id = await StartHeldAsync("offline.safetensors");
        await _app.KillStandInAsync(0);
        await DreamLayerApp.WaitUntilAsync(() => !_app.Backend.IsOnline, "the app to see the server offline");

        _files.Release();
        var done = await WaitEndAsync(id);

        Assert.Equal(InstallState.Done, done.State);
        Assert.Contains("standin is offline: it lists the model when it is back", done.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_models, "checkpoints", "offline.safetensors")));
        await _app.ReviveStandInAsync(0, new StandInOptions { ModelsDirectory = _models });
        await DreamLayerApp.WaitUntilAsync(() => _app.Backend.IsOnline && _app.Backend.Limits?.Checkpoints.Contains("offline.safetensors") == true, "the server back with the new model");
    }

    [Fact]
    public async Task FileActions_RenameMoveDelete_ChangeTheFolderAndTheServersList()
    {
        Directory.CreateDirectory(Path.Combine(_models, "loras"));
        await File.WriteAllBytesAsync(Path.Combine(_models, "loras", "style.safetensors"), SafetensorsFiles.WithData(128));
        await File.WriteAllBytesAsync(Path.Combine(_models, "loras", "taken.safetensors"), SafetensorsFiles.WithData(128));
        var files = _app.Get<ModelFiles>();

        Assert.Equal(["standin"], files.Find("loras", "style.safetensors").Single().Servers);
        var clash = await files.RenameAsync(Admin, "loras", "style.safetensors", "taken.safetensors", default);
        Assert.False(clash.Done);
        Assert.Contains("standin already has taken.safetensors in loras", clash.Message, StringComparison.Ordinal);
        Assert.Contains("\"..\"", (await files.RenameAsync(Admin, "loras", "style.safetensors", "../x.safetensors", default)).Message, StringComparison.Ordinal);

        var renamed = await files.RenameAsync(Admin, "loras", "style.safetensors", "style-v2.safetensors", default);
        Assert.True(renamed.Done, renamed.Message);
        Assert.Contains("style-v2.safetensors", _app.Backend.Limits!.Advanced.Loras);
        Assert.DoesNotContain("style.safetensors", _app.Backend.Limits!.Advanced.Loras);

        var moved = await files.MoveAsync(Admin, "loras", "style-v2.safetensors", "checkpoints", default);
        Assert.True(moved.Done, moved.Message);
        Assert.True(File.Exists(Path.Combine(_models, "checkpoints", "style-v2.safetensors")));
        Assert.Contains("style-v2.safetensors", _app.Backend.Limits!.Checkpoints);

        var member = new SignedInUser(_app.Alice.Id, _app.Alice.UserName, _app.Alice.DisplayName, IsAdmin: false);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => files.DeleteAsync(member, "checkpoints", "style-v2.safetensors", default));
        var deleted = await files.DeleteAsync(Admin, "checkpoints", "style-v2.safetensors", default);
        Assert.True(deleted.Done, deleted.Message);
        Assert.Equal("Deleted style-v2.safetensors from checkpoints on standin. standin listed it again.", deleted.Message);
        Assert.DoesNotContain("style-v2.safetensors", _app.Backend.Limits!.Checkpoints);
        Assert.Contains("No models folder the app can reach holds", files.Unavailable("checkpoints", "style-v2.safetensors"), StringComparison.Ordinal);
    }

    /// <summary>Starts a checkpoint download that the file server holds halfway (until <see cref="ModelFileServer.Release"/>).</summary>
    private async Task<string> StartHeldAsync(string name)
    {
        _files.Add(name, SafetensorsFiles.WithData(1024 * 1024));
        _files.Hold = true;
        var (id, error) = _app.Get<ModelDownloads>().Enqueue(Admin, new InstallRequest("checkpoints", name, ["standin"], _files.Url($"files/{name}")));
        Assert.True(id is not null, error);
        await _files.HeldHalfway.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return id;
    }

    private async Task<InstallProgress> InstallAsync(InstallRequest request)
    {
        var (id, error) = _app.Get<ModelDownloads>().Enqueue(Admin, request);
        Assert.True(id is not null, error);
        return await WaitEndAsync(id);
    }

    private async Task<InstallProgress> WaitEndAsync(string id)
    {
        InstallProgress? ended = null;
        await DreamLayerApp.WaitUntilAsync(() => (ended = _app.Get<ModelInstalls>().List().FirstOrDefault(p => p.Id == id && p.IsOver)) is not null, "the install to end");
        return ended!;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _files.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }
}
