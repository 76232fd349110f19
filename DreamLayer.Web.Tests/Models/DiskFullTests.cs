using System.Net;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Models.Install;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// A disk that fills up while a model is written (<see cref="TestDisk"/>: the write to the <c>.part</c> file fails with
/// ENOSPC after 1 MiB): the partial file is removed, the install says the disk is full in words, the other files in the
/// folder are untouched, and once there is room the same install works.
/// </summary>
public sealed class DiskFullTests : IAsyncLifetime
{
    private const int Room = 1024 * 1024;

    private readonly string _models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
    private readonly TestDisk _disk = new();
    private readonly byte[] _kept = SafetensorsFiles.WithData(4096);
    private ModelFileServer _files = null!;
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_models, "checkpoints"));
        await File.WriteAllBytesAsync(Path.Combine(_models, "checkpoints", "kept.safetensors"), _kept);
        _files = await ModelFileServer.StartAsync();
        _app = await DreamLayerApp.StartAsync(settings: ModelInstallTests.Settings(_models), standInOptions: new StandInOptions { ModelsDirectory = _models },
            services: s => s.AddSingleton<IPartFiles>(_disk));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _files.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    private SignedInUser Admin => new(_app.Admin.Id, _app.Admin.UserName, _app.Admin.DisplayName, IsAdmin: true);

    [Fact]
    public async Task ByUrl_DiskFillsUpMidDownload_RemovesThePartialFile_SaysTheDiskIsFull_AndTheNextInstallWorks()
    {
        var content = SafetensorsFiles.WithData(3 * Room);
        _files.Add("big.safetensors", content);
        _disk.FullAfter = Room;

        var failed = await InstallAsync(new InstallRequest("checkpoints", "big.safetensors", ["standin"], _files.Url("files/big.safetensors")));

        Assert.Equal(1, _disk.Fills);
        Assert.Equal(InstallState.Failed, failed.State);
        Assert.StartsWith($"The disk holding {_models} is full: big.safetensors was not installed after ", failed.Message, StringComparison.Ordinal);
        Assert.EndsWith("and the partial file was removed. Free some space and install it again.", failed.Message, StringComparison.Ordinal);
        AssertOnlyTheKeptFile();

        _disk.FullAfter = null;
        var done = await InstallAsync(new InstallRequest("checkpoints", "big.safetensors", ["standin"], _files.Url("files/big.safetensors")));

        Assert.Equal(InstallState.Done, done.State);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_models, "checkpoints", "big.safetensors")));
        Assert.Contains("big.safetensors", _app.Backend.Limits!.Checkpoints);
    }

    [Fact]
    public async Task Upload_DiskFillsUpMidUpload_RemovesThePartialFile_SaysTheDiskIsFull_AndTheNextUploadWorks()
    {
        using var admin = await _app.CreateClientAsync(_app.Admin);
        var token = await ModelUploadTests.PageTokenAsync(admin);
        var content = SafetensorsFiles.WithData(3 * Room);
        _disk.FullAfter = Room;

        using (var full = await PostAsync(admin, token, content))
        {
            Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);
            var message = await full.Content.ReadAsStringAsync();
            Assert.StartsWith($"The disk holding {_models} is full: up.safetensors was not installed after ", message, StringComparison.Ordinal);
            Assert.EndsWith("and the partial file was removed. Free some space and install it again.", message, StringComparison.Ordinal);
        }
        Assert.Equal(1, _disk.Fills);
        var listed = _app.Get<ModelInstalls>().List().Single(p => p.FileName == "up.safetensors");
        Assert.Equal(InstallState.Failed, listed.State);
        Assert.Contains("is full", listed.Message, StringComparison.Ordinal);
        AssertOnlyTheKeptFile();

        _disk.FullAfter = null;
        using var again = await PostAsync(admin, token, content);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(content, await File.ReadAllBytesAsync(Path.Combine(_models, "checkpoints", "up.safetensors")));
    }

    /// <summary>No partial file is left, and the file that was there before is whole.</summary>
    private void AssertOnlyTheKeptFile()
    {
        Assert.Equal([Path.Combine(_models, "checkpoints", "kept.safetensors")], Directory.GetFiles(_models, "*", SearchOption.AllDirectories));
        Assert.Equal(_kept, File.ReadAllBytes(Path.Combine(_models, "checkpoints", "kept.safetensors")));
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string token, byte[] content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{ModelUploadEndpoints.Path}?name=up.safetensors&kind=checkpoints&server=standin", UriKind.Relative));
        request.Headers.Add("RequestVerificationToken", token);
        request.Content = new ByteArrayContent(content);
        return await client.SendAsync(request);
    }

    private async Task<InstallProgress> InstallAsync(InstallRequest request)
    {
        var (id, error) = _app.Get<ModelDownloads>().Enqueue(Admin, request);
        Assert.True(id is not null, error);
        InstallProgress? ended = null;
        await DreamLayerApp.WaitUntilAsync(() => (ended = _app.Get<ModelInstalls>().List().FirstOrDefault(p => p.Id == id && p.IsOver)) is not null, "the install to end");
        return ended!;
    }
}
