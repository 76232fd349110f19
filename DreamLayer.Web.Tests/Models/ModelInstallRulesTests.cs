using System.Buffers.Binary;
using System.Net;
using System.Text;
using DreamLayer.Web.Models;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Security;

namespace DreamLayer.Web.Tests.Models;

/// <summary>The rules an install checks before and after writing: file names, download addresses, safetensors headers.</summary>
public sealed class ModelInstallRulesTests
{
    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("Juggernaut XL v9 (RunDiffusion).safetensors")]
    [InlineData("4x-UltraSharp.pth")]
    [InlineData("flux1-dev-Q4_K_S.gguf")]
    [InlineData("ae.sft")]
    public void FileName_PlainModelNames_AreAccepted(string name) => Assert.Null(ModelFileName.Problem(name));

    [Theory]
    [InlineData("../model.safetensors", "..")]
    [InlineData("..", "..")]
    [InlineData("/etc/model.safetensors", "absolute path")]
    [InlineData("C:\\models\\model.safetensors", "absolute path")]
    [InlineData("sub/model.safetensors", "\"/\"")]
    [InlineData("sub\\model.safetensors", "\"\\\"")]
    [InlineData("mo:del.safetensors", "\":\"")]
    [InlineData("mo*del.safetensors", "\"*\"")]
    [InlineData("model\u0000.safetensors", "control character")]
    [InlineData("CON.safetensors", "reserves")]
    [InlineData(".hidden.safetensors", "starts with a dot")]
    [InlineData("model.safetensors.", "ends with a dot")]
    [InlineData("model.zip", "not a model file")]
    [InlineData("model.safetensors.exe", "not a model file")]
    [InlineData("", "Give the file a name")]
    public void FileName_BadNames_AreRefusedWithTheReason(string name, string reason)
    {
        var problem = ModelFileName.Problem(name);
        Assert.NotNull(problem);
        Assert.Contains(reason, problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void FileName_ListedNamesInSubfolders_AreCheckedPartByPart()
    {
        Assert.Null(ModelFileName.ListedProblem("sdxl/juggernaut.safetensors"));
        Assert.Contains("..", ModelFileName.ListedProblem("../x/juggernaut.safetensors"), StringComparison.Ordinal);
        Assert.Contains("absolute", ModelFileName.ListedProblem("/x/juggernaut.safetensors"), StringComparison.Ordinal);
    }

    [Fact]
    public void FileName_FromUrl_TakesTheLastPartWithoutTheQuery()
    {
        Assert.Equal("sd_xl_base_1.0.safetensors", ModelFileName.FromUrl(new Uri("https://huggingface.co/stabilityai/stable-diffusion-xl-base-1.0/resolve/main/sd_xl_base_1.0.safetensors?download=true")));
        Assert.Null(ModelFileName.FromUrl(new Uri("https://civitai.com/api/download/models/128713")));
    }

    [Theory]
    [InlineData("ftp://example.com/model.safetensors", "\"ftp:\"")]
    [InlineData("file:///etc/passwd", "\"file:\"")]
    [InlineData("javascript:alert(1)", "\"javascript:\"")]
    public void Address_NotHttp_IsRefused(string url, string reason) =>
        Assert.Contains(reason, DownloadAddresses.SchemeProblem(new Uri(url)), StringComparison.Ordinal);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.10")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Address_PrivateLoopbackLinkLocal_IsNotPublic(string address) =>
        Assert.False(DownloadAddresses.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:1.1.1.1")]
    public void Address_Public_IsPublic(string address) => Assert.True(DownloadAddresses.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public void Address_AllowedNetwork_IsAllowedAndNothingElse()
    {
        var addresses = new DownloadAddresses(["127.0.0.0/8", "10.0.0.5"]);
        Assert.True(addresses.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.True(addresses.Allows(IPAddress.Parse("10.0.0.5")));
        Assert.False(addresses.Allows(IPAddress.Parse("10.0.0.6")));
        Assert.False(addresses.Allows(IPAddress.Parse("192.168.0.1")));
        Assert.False(addresses.Allows(IPAddress.Parse("::1")));
    }

    [Fact]
    public async Task Address_NameOfAPrivateAddress_IsRefusedWhenResolved()
    {
        var addresses = new DownloadAddresses([]);
        var refused = await Assert.ThrowsAsync<DownloadRefusedException>(() => addresses.ResolveAsync("localhost", default));
        Assert.Contains("private, loopback or link-local", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_WholeFile_IsAccepted()
    {
        using var file = new MemoryStream(SafetensorsFiles.WithData(64));
        Assert.Null(SafetensorsHeader.WholeFileProblem(file, out var header));
        Assert.True(header!.RootElement.TryGetProperty("__metadata__", out _));
        header.Dispose();
    }

    [Fact]
    public void Header_ClaimingMoreThanTheLimit_IsRefusedBeforeReading()
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)SafetensorsHeader.MaxHeaderBytes + 1);
        var problem = SafetensorsHeader.WholeFileProblem(new MemoryStream(bytes), out _);
        Assert.Contains("over the limit of 100,000,000", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_LongerThanTheFile_IsRefused()
    {
        var bytes = new byte[100];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        Assert.Contains("cut short", SafetensorsHeader.WholeFileProblem(new MemoryStream(bytes), out _), StringComparison.Ordinal);
    }

    [Fact]
    public void Header_NotJson_IsRefused()
    {
        var text = Encoding.UTF8.GetBytes("<html>");
        var bytes = new byte[8 + text.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)text.Length);
        text.CopyTo(bytes, 8);
        Assert.Contains("not a JSON object", SafetensorsHeader.WholeFileProblem(new MemoryStream(bytes), out _), StringComparison.Ordinal);
    }

    [Fact]
    public void Header_TensorsPastTheEnd_IsRefused()
    {
        var whole = SafetensorsFiles.WithData(64);
        var cut = whole[..^10];
        Assert.Contains("cut short", SafetensorsHeader.WholeFileProblem(new MemoryStream(cut), out _), StringComparison.Ordinal);
    }

    [Fact]
    public void Header_ShorterThanItsLength_IsRefused() =>
        Assert.Contains("shorter than a safetensors header", SafetensorsHeader.WholeFileProblem(new MemoryStream([1, 2, 3]), out _), StringComparison.Ordinal);

    [Fact]
    public void Keys_Mask_ShowsOnlyTheLastFour()
    {
        Assert.Equal("••••wxyz", ProviderKeys.Mask("hf_abcdefghijklmnopqrstuvwxyz"));
        Assert.Equal("••••", ProviderKeys.Mask("short"));
    }

    [Fact]
    public void Keys_ProviderHosts_GetTheirKeyAndNoOtherHost()
    {
        Assert.Equal(KeyProviders.HuggingFace, KeyProviders.ForHost("huggingface.co"));
        Assert.Equal(KeyProviders.HuggingFace, KeyProviders.ForHost("cdn-lfs.huggingface.co"));
        Assert.Equal(KeyProviders.Civitai, KeyProviders.ForHost("civitai.com"));
        Assert.Null(KeyProviders.ForHost("evilhuggingface.co"));
        Assert.Null(KeyProviders.ForHost("huggingface.co.example.com"));
        Assert.Null(KeyProviders.ForHost("127.0.0.1"));
    }
}
