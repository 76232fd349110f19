using System.Net;
using System.Net.Sockets;
using ComfyStandIn;
using DreamLayer.Domain.Comfy;
using DreamLayer.Web.Comfy;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Comfy;

/// <summary><c>POST /upload/image</c> against the stand-in, which stores uploads the way ComfyUI does.</summary>
public sealed class UploadImageTests : IAsyncLifetime, IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private StandInServer _server = null!;

    private ComfyUiClient Client => new(_http, _server.BaseAddress);

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.FromMilliseconds(5) });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private static MemoryStream Png(byte red)
    {
        using var image = new Image<Rgba32>(16, 16, new Rgba32(red, 40, 80));
        var ms = new MemoryStream();
        image.SaveAsPng(ms);
        ms.Position = 0;
        return ms;
    }

    private static ComfyGraph LoadAndSave(string imageValue) => ComfyGraph.Parse($$"""
        {
          "1": { "class_type": "LoadImage", "inputs": { "image": "{{imageValue}}" } },
          "2": { "class_type": "SaveImage", "inputs": { "images": ["1", 0], "filename_prefix": "upload-test" } }
        }
        """);

    [Fact]
    public async Task UploadImageAsync_NewFile_ReturnsServersName()
    {
        using var png = Png(10);

        var uploaded = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(png, "init.png", "", default));

        Assert.Equal(("init.png", "", "input"), (uploaded.Name, uploaded.Subfolder, uploaded.Type));
        Assert.Equal("init.png", uploaded.GraphValue);
    }

    [Fact]
    public async Task UploadImageAsync_SameNameTwiceWithOverwrite_KeepsNameAndLatestBytes()
    {
        using var first = Png(10);
        using var second = Png(200);
        var expected = second.ToArray();

        var a = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(first, "same.png", "dreamlayer", default));
        var b = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(second, "same.png", "dreamlayer", default));
        using var third = Png(200);
        var c = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(third, "same.png", "dreamlayer", default));

        // overwrite=true: no "same (1).png", whether the bytes differ or are identical.
        Assert.Equal("same.png", a.Name);
        Assert.Equal("same.png", b.Name);
        Assert.Equal("same.png", c.Name);
        var stored = await Client.GetImageAsync(new ComfyImageRef(b.Name, b.Subfolder, b.Type), default);
        Assert.Equal(expected, stored);
    }

    [Fact]
    public async Task UploadImageAsync_GraphValueWithSubfolder_PassesServerValidation()
    {
        using var png = Png(30);
        var uploaded = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(png, "source.png", "dreamlayer/uploads", default));
        Assert.Equal("dreamlayer/uploads/source.png", uploaded.GraphValue);

        var result = await Client.QueuePromptAsync(LoadAndSave(uploaded.GraphValue), "tests", Guid.NewGuid().ToString(), null, default);

        Assert.IsType<PromptAccepted>(result);
    }

    [Fact]
    public async Task QueuePromptAsync_LoadImageOfMissingFile_Rejected()
    {
        var result = await Client.QueuePromptAsync(LoadAndSave("dreamlayer/never-uploaded.png"), "tests", Guid.NewGuid().ToString(), null, default);

        Assert.IsType<PromptRejected>(result);
    }

    [Fact]
    public async Task UploadImageAsync_NothingListening_ReturnsFailureValue()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var png = Png(10);
        var client = new ComfyUiClient(_http, new Uri($"http://127.0.0.1:{port}/"));

        var failed = Assert.IsType<ComfyUploadFailed>(await client.UploadImageAsync(png, "init.png", "", default));

        Assert.Contains($"127.0.0.1:{port}", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadForm_EveryPart_HasQuotedValuesAsBrowsersWriteThem()
    {
        using var png = Png(10);
        using var form = ComfyUiClient.UploadForm(png, "init.png", "dreamlayer/job", new ComfyUploaded("src.png", "dreamlayer", "input"));

        var body = await form.ReadAsStringAsync();

        Assert.Contains("Content-Disposition: form-data; name=\"image\"; filename=\"init.png\"\r\n", body, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: form-data; name=\"original_ref\"\r\n", body, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: form-data; name=\"type\"\r\n", body, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: form-data; name=\"subfolder\"\r\n", body, StringComparison.Ordinal);
        Assert.Contains("Content-Disposition: form-data; name=\"overwrite\"\r\n", body, StringComparison.Ordinal);
        Assert.DoesNotContain("filename*", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadForm_QuoteAndLineBreakInFileName_ArePercentEncodedAsBrowsersDo()
    {
        using var png = Png(10);
        using var form = ComfyUiClient.UploadForm(png, "say \"hi\"\r\n.png", "", original: null);

        var body = await form.ReadAsStringAsync();

        Assert.Contains("name=\"image\"; filename=\"say %22hi%22%0D%0A.png\"\r\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadImageAsync_StrictServer_AcceptsTheFormAndKeepsTheName()
    {
        // The stand-in refuses unquoted Content-Disposition values as strict proxies do.
        using var png = Png(10);
        using var mask = Png(0);

        var uploaded = Assert.IsType<ComfyUploaded>(await Client.UploadImageAsync(png, "été \"1\".png", "dreamlayer", default));
        var masked = Assert.IsType<ComfyUploaded>(await Client.UploadMaskAsync(mask, "mask.png", "dreamlayer", uploaded, default));

        Assert.Equal("été %221%22.png", uploaded.Name);
        Assert.Equal("mask.png", masked.Name);
    }

    [Fact]
    public void GraphValue_OutputType_HasSuffix()
    {
        Assert.Equal("a/b.png [output]", new ComfyUploaded("b.png", "a", "output").GraphValue);
    }
}
