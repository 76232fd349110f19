using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using ComfyStandIn;
using DreamLayer.Web.Features.Models.Install;
using DreamLayer.Web.Models.Install;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// Uploading a model: the browser posts the file as the body of <c>/models/install/upload</c>, which streams it to disk.
/// Alone in its collection: it measures what the process allocates while a large file goes through.
/// </summary>
[Collection(nameof(ModelUploadTests))]
[CollectionDefinition(nameof(ModelUploadTests), DisableParallelization = true)]
public sealed partial class ModelUploadTests : IAsyncLifetime
{
    private readonly string _models = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await DreamLayerApp.StartAsync(settings: ModelInstallTests.Settings(_models), standInOptions: new StandInOptions { ModelsDirectory = _models });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_models, recursive: true);
    }

    [Fact]
    public async Task Upload_LargeFile_IsStreamedToDiskWithBoundedMemory_AndListed()
    {
        using var admin = await _app.CreateClientAsync(_app.Admin);
        var token = await PageTokenAsync(admin);
        const long size = 512L * 1024 * 1024;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var response = await PostAsync(admin, token, "name=big.safetensors&kind=checkpoints&server=standin", new SafetensorsStream(size, hash));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("Installed big.safetensors", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var file = new FileInfo(Path.Combine(_models, "checkpoints", "big.safetensors"));
        Assert.Equal(new SafetensorsStream(size, null).Length, file.Length);
        await using (var stream = file.OpenRead())
        {
            Assert.Equal(hash.GetCurrentHash(), await SHA256.HashDataAsync(stream));
        }
        // A buffered upload would allocate at least the file's size; streaming allocates a small fraction of it.
        Assert.True(allocated < 64L * 1024 * 1024, $"Allocated {allocated / (1024 * 1024)} MB while uploading {size / (1024 * 1024)} MB.");
        Assert.Contains("big.safetensors", _app.Backend.Limits!.Checkpoints);
    }

    [Fact]
    public async Task Upload_BadNameMemberOrNoToken_IsRefusedAndNothingWritten()
    {
        using var admin = await _app.CreateClientAsync(_app.Admin);
        var token = await PageTokenAsync(admin);

        using var traversal = await PostAsync(admin, token, "name=..%2Fevil.safetensors&kind=checkpoints&server=standin", new SafetensorsStream(1024, null));
        Assert.Equal(HttpStatusCode.Conflict, traversal.StatusCode);
        Assert.Contains("contains \"..\"", await traversal.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var noToken = await PostAsync(admin, "wrong", "name=a.safetensors&kind=checkpoints&server=standin", new SafetensorsStream(1024, null));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);

        using var member = await _app.CreateClientAsync(_app.Alice);
        using var denied = await PostAsync(member, token, "name=a.safetensors&kind=checkpoints&server=standin", new SafetensorsStream(1024, null));
        Assert.NotEqual(HttpStatusCode.OK, denied.StatusCode);

        using var notModel = await PostAsync(admin, token, "name=a.ckpt&kind=checkpoints&server=standin", new MemoryStream("<html>sign in</html>"u8.ToArray()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notModel.StatusCode);
        Assert.Contains("not a model", await notModel.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.False(Directory.Exists(Path.Combine(_models, "checkpoints")) && Directory.EnumerateFiles(Path.Combine(_models, "checkpoints"), "*", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Upload_BrowserStopsMidway_RemovesThePartialFileAndSaysSo()
    {
        using var admin = await _app.CreateClientAsync(_app.Admin);
        var token = await PageTokenAsync(admin);

        // The page's Cancel aborts the request: the body stops after 4 MB of the 64 MB it announced.
        await Assert.ThrowsAnyAsync<Exception>(() => PostAsync(admin, token, "name=stopped.safetensors&kind=checkpoints&server=standin", new StoppingStream(new SafetensorsStream(64L * 1024 * 1024, null), 4L * 1024 * 1024)));

        InstallProgress? ended = null;
        await DreamLayerApp.WaitUntilAsync(() => (ended = _app.Get<ModelInstalls>().List().FirstOrDefault(p => p.FileName == "stopped.safetensors" && p.IsOver)) is not null, "the upload to end");
        Assert.Equal(InstallState.Cancelled, ended!.State);
        Assert.StartsWith("The upload of stopped.safetensors stopped after", ended.Message, StringComparison.Ordinal);
        Assert.EndsWith("the partial file was removed.", ended.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_models, "checkpoints")));
    }

    /// <summary>The antiforgery token the Install page hands its upload script (the cookie half lands in the client).</summary>
    public static async Task<string> PageTokenAsync(HttpClient admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        var html = await admin.GetStringAsync(new Uri("/models/install", UriKind.Relative));
        return WebUtility.HtmlDecode(TokenPattern().Match(html).Groups[1].Value);
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string token, string query, Stream body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{ModelUploadEndpoints.Path}?{query}", UriKind.Relative));
        request.Headers.Add("RequestVerificationToken", token);
        request.Content = new StreamContent(body, 1024 * 1024);
        request.Content.Headers.ContentLength = body.Length;
        return await client.SendAsync(request);
    }

    [GeneratedRegex("data-antiforgery=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>Reads through to another stream, then fails as a connection the browser dropped.</summary>
    private sealed class StoppingStream(Stream inner, long stopAt) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            inner.Position >= stopAt ? throw new IOException("The browser stopped sending.") : inner.Read(buffer, offset, (int)Math.Min(count, stopAt - inner.Position));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A safetensors file of <c>size</c> bytes made as it is read (nothing held in memory), hashed as it goes.</summary>
    private sealed class SafetensorsStream : Stream
    {
        private readonly byte[] _prefix;
        private readonly IncrementalHash? _hash;
        private long _position;

        public SafetensorsStream(long size, IncrementalHash? hash)
        {
            // The header's own length depends on the data's; one tensor filling the rest.
            var prefix = SafetensorsFiles.Prefix(size);
            _prefix = SafetensorsFiles.Prefix(size - prefix.Length);
            _prefix = SafetensorsFiles.Prefix(size - _prefix.Length);
            Length = size;
            _hash = hash;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length { get; }
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, Length - _position);
            for (var i = 0; i < n; i++)
            {
                var at = _position + i;
                buffer[i] = at < _prefix.Length ? _prefix[at] : (byte)0;
            }
            _hash?.AppendData(buffer[..n]);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
