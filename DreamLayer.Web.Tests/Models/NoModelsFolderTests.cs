using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Models;

/// <summary>Without a models folder the app can reach, installing and the file actions are off, and say why.</summary>
public sealed class NoModelsFolderTests
{
    [Fact]
    public async Task NoReachableFolder_PageSaysWhy_AndInstallsAndActionsAreRefused()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var admin = await app.CreateClientAsync(app.Admin);
        var actor = new SignedInUser(app.Admin.Id, app.Admin.UserName, app.Admin.DisplayName, IsAdmin: true);

        var html = System.Net.WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/models/install", UriKind.Relative)));
        var (id, error) = app.Get<ModelDownloads>().Enqueue(actor, new InstallRequest("checkpoints", "a.safetensors", ["standin"], new Uri("https://huggingface.co/x/resolve/main/a.safetensors")));

        Assert.Contains("Installing is off: standin: the app cannot reach its models folder (set ComfyUi:ModelsDirectory", html, StringComparison.Ordinal);
        Assert.Null(id);
        Assert.StartsWith("standin cannot get models from here: the app cannot reach its models folder", error, StringComparison.Ordinal);
        Assert.StartsWith("Installing is off", app.Get<ModelFiles>().Unavailable("checkpoints", "a.safetensors"), StringComparison.Ordinal);
        Assert.False((await app.Get<ModelFiles>().DeleteAsync(actor, "checkpoints", "a.safetensors", default)).Done);
    }
}
