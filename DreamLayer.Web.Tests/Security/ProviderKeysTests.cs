using System.Net;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Security;

/// <summary>The keys the app holds for other services: admins only, encrypted at rest, never shown or sent back whole.</summary>
public sealed class ProviderKeysTests
{
    private const string Token = "hf_SecretTokenValue0123456789wxyz";

    [Fact]
    public async Task KeysPage_Member_Gets403_AdminSeesOnlyTheLastFour()
    {
        await using var app = await DreamLayerApp.StartAsync();
        using var member = await app.CreateClientAsync(app.Alice);
        using var admin = await app.CreateClientAsync(app.Admin);
        Assert.Null(await app.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.HuggingFace, Token, default));

        using var denied = await member.GetAsync(new Uri("/settings/keys", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Found, denied.StatusCode);
        Assert.Equal(AccountPaths.AccessDenied, denied.Headers.Location!.AbsolutePath);
        using var deniedPage = await member.GetAsync(denied.Headers.Location);
        Assert.Equal(HttpStatusCode.Forbidden, deniedPage.StatusCode);

        var html = WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/settings/keys", UriKind.Relative)));
        Assert.Contains("<code>••••wxyz</code>", html, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, html, StringComparison.Ordinal);
        Assert.DoesNotContain(Token[..12], html, StringComparison.Ordinal);
        Assert.Contains("Not set.", html, StringComparison.Ordinal); // Civitai
    }

    [Fact]
    public async Task StoredKey_IsEncryptedInTheDatabase_AndReadBackWhole()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var keys = app.Get<ProviderKeys>();

        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.HuggingFace, $"  {Token}  ", default));

        await using (var db = app.CreateDbContext())
        {
            var stored = await db.Settings.SingleAsync(s => s.Key == ProviderKeys.SettingKey(KeyProviders.HuggingFace));
            Assert.DoesNotContain(Token, stored.Value, StringComparison.Ordinal);
            Assert.DoesNotContain("wxyz", stored.Value, StringComparison.Ordinal);
        }
        Assert.Equal(Token, await keys.GetAsync(KeyProviders.HuggingFace, default));
        var status = (await keys.StatusAsync(default)).Single(s => s.Provider == KeyProviders.HuggingFace);
        Assert.Equal((KeySource.Stored, "••••wxyz"), (status.Source, status.Masked));

        await keys.RemoveAsync(actorIsAdmin: true, KeyProviders.HuggingFace, default);
        Assert.Null(await keys.GetAsync(KeyProviders.HuggingFace, default));
    }

    [Fact]
    public async Task Keys_MemberRefused_BadValuesExplained_ConfigurationWins()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Keys:Civitai"] = "civitai-configured-key-9876" });
        var keys = app.Get<ProviderKeys>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => keys.SetAsync(actorIsAdmin: false, KeyProviders.HuggingFace, Token, default));
        Assert.Equal("Paste the Hugging Face key first.", await keys.SetAsync(actorIsAdmin: true, KeyProviders.HuggingFace, "  ", default));
        Assert.Equal("A Hugging Face key has no spaces or line breaks; paste the key alone.", await keys.SetAsync(actorIsAdmin: true, KeyProviders.HuggingFace, "hf_a b", default));
        var tooLong = await keys.SetAsync(actorIsAdmin: true, KeyProviders.HuggingFace, new string('x', ProviderKeys.MaxLength + 1), default);
        Assert.DoesNotContain("xxxx", tooLong, StringComparison.Ordinal);

        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.Civitai, "civitai-stored-key-1111", default));
        Assert.Equal("civitai-configured-key-9876", await keys.GetAsync(KeyProviders.Civitai, default));
        var status = (await keys.StatusAsync(default)).Single(s => s.Provider == KeyProviders.Civitai);
        Assert.Equal((KeySource.Configuration, "••••9876"), (status.Source, status.Masked));
    }

    [Fact]
    public async Task ComfyOrgKey_IsAProviderLikeTheOthers_SentOnlyToComfyOrg_OverriddenByKeysComfyOrg()
    {
        Assert.Equal("Keys:ComfyOrg", KeyProviders.ComfyOrg.ConfigurationKey);
        Assert.Same(KeyProviders.ComfyOrg, KeyProviders.ForHost("api.comfy.org"));
        Assert.Same(KeyProviders.ComfyOrg, KeyProviders.ForHost("platform.comfy.org"));
        Assert.Null(KeyProviders.ForHost("comfy.org.example.com"));
        Assert.Null(KeyProviders.ForHost("evilcomfy.org"));

        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?> { ["Keys:ComfyOrg"] = "comfyui-configured-key-5555" });
        var keys = app.Get<ProviderKeys>();
        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, "comfyui-stored-key-4444", default));
        Assert.Equal("comfyui-configured-key-5555", await keys.GetAsync(KeyProviders.ComfyOrg, default));

        using var admin = await app.CreateClientAsync(app.Admin);
        var html = WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/settings/keys", UriKind.Relative)));
        Assert.Contains("ComfyUI's API nodes: paid nodes such as OpenAI GPT Image 1, Ideogram V3, FLUX Pro in your own workflows", html, StringComparison.Ordinal);
        Assert.Contains("https://platform.comfy.org/", html, StringComparison.Ordinal);
        Assert.Contains("<code>Keys:ComfyOrg</code>", html, StringComparison.Ordinal);
        Assert.Contains("<code>••••5555</code>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("comfyui-configured-key", html, StringComparison.Ordinal);
    }
}
