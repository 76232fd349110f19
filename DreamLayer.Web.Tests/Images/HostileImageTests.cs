using System.Buffers.Binary;
using System.Net;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Domain;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Images;

/// <summary>
/// Every hostile file is answered in words and the call returns: pictures too large for what they are for, text chunks
/// that unpack to a gigabyte, sizes claimed by a header alone, files of countless chunks, files cut off. Decodes share a
/// memory budget, and a server's download is read no further than the byte limit.
/// </summary>
public sealed class HostileImageTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-hostile-" + Guid.NewGuid().ToString("N"));

    private StorageOptions Options_(long? decodeMemory = null)
    {
        var options = new StorageOptions { DataDirectory = _dataDirectory };
        if (decodeMemory is { } bytes)
        {
            options.DecodeMemoryBytes = bytes;
        }
        return options;
    }

    private UploadStore Uploads(StorageOptions? options = null)
    {
        options ??= Options_();
        return new UploadStore(StoragePaths.Resolve(options, Path.GetTempPath()), Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System);
    }

    [Fact]
    public async Task A_16384_square_grey_png_is_refused_as_a_picture_to_generate_from_naming_its_size_and_the_limit()
    {
        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(HostileImages.Grey16384), "grey.png", default));

        Assert.Equal("The image is 16384×16384 (268,435,456 pixels); the limit for a picture to generate from is 16,777,216 pixels (4096×4096).", rejected.Message);
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "uploads")) && Directory.EnumerateFiles(Path.Combine(_dataDirectory, "uploads")).Any());
    }

    [Fact]
    public async Task A_16384_square_grey_png_is_refused_on_Extras_with_the_upscale_limit()
    {
        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(HostileImages.Grey16384), "grey.png", ImagePurpose.Upscale, default));

        Assert.Equal("The image is 16384×16384 (268,435,456 pixels); the limit for a picture to upscale is 33,554,432 pixels.", rejected.Message);
    }

    [Fact]
    public async Task A_picture_over_the_generation_limit_but_within_the_upscale_limit_is_taken_by_Extras_only()
    {
        var wide = HostileImages.GreyPng(6000, 4000, shade: 90);

        Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(wide), "photo.png", default));
        var accepted = Assert.IsType<UploadAccepted>(await Uploads().SaveAsync(new MemoryStream(wide), "photo.png", ImagePurpose.Upscale, default));

        Assert.Equal((6000, 4000), (accepted.Width, accepted.Height));
    }

    [Fact]
    public async Task A_grey_upload_is_decoded_and_stored_grey_not_blown_up_to_rgba()
    {
        var store = Uploads();

        var accepted = Assert.IsType<UploadAccepted>(await store.SaveAsync(new MemoryStream(HostileImages.GreyPng(300, 200, shade: 77)), "grey.png", default));

        var stored = await File.ReadAllBytesAsync(store.Locate(accepted.Id)!);
        Assert.Equal(0, stored[8 + 8 + 9]); // IHDR colour type: grey
        using var image = Image.Load<Rgba32>(stored);
        Assert.Equal(new Rgba32(77, 77, 77), image[150, 100]);
    }

    [Fact]
    public async Task A_png_whose_text_chunk_inflates_to_a_gibibyte_is_taken_for_its_pixels_and_its_text_is_never_inflated()
    {
        var store = Uploads();

        var accepted = Assert.IsType<UploadAccepted>(await store.SaveAsync(new MemoryStream(HostileImages.ZtxtBomb), "bomb.png", default));

        Assert.Equal((64, 64), (accepted.Width, accepted.Height));
        Assert.Empty(PngTextChunks.Read(await File.ReadAllBytesAsync(store.Locate(accepted.Id)!)));
    }

    [Fact]
    public async Task Png_Info_answers_a_text_bomb_with_the_bounded_readers_message()
    {
        // What the PNG Info page does with a chosen file: check it, then read its metadata.
        var inspected = Assert.IsType<UploadInspected>(await Uploads().CheckAsync(new MemoryStream(HostileImages.ZtxtBomb), default));
        var read = ImageMetadataReader.Read(inspected.Bytes);

        Assert.Equal(("PNG", 64, 64), (inspected.Format, inspected.Width, inspected.Height));
        Assert.Equal(["The text chunk 'parameters' decompresses to more than 8 MiB. It was skipped."], read.Problems);
    }

    [Fact]
    public void Many_text_chunks_each_under_the_limit_do_not_add_up_past_four_times_it()
    {
        var deflated = PngBytes.Zlib(new byte[1_000_000]);
        using var chunks = new MemoryStream();
        for (var i = 0; i < 40; i++)
        {
            chunks.Write(PngBytes.Chunk("zTXt", [.. System.Text.Encoding.ASCII.GetBytes($"k{i}"), 0, 0, .. deflated]));
        }
        var png = PngBytes.Insert(HostileImages.GreyPng(64, 64), chunks.ToArray());

        var read = ImageMetadataReader.Read(png, maxTextBytes: 1024 * 1024);

        Assert.Equal(5, read.Texts.Count);
        Assert.Equal(["The text chunks add up to more than 4,194,304 bytes; the 35 after that were skipped."], read.Problems);
    }

    [Fact]
    public async Task A_text_bomb_sent_by_a_server_is_stored_with_its_size_read_from_its_header()
    {
        var options = Options_();
        var images = new ImageStore(StoragePaths.Resolve(options, Path.GetTempPath()), Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System);

        var row = await images.SaveAsync(new JobEntity { Id = Guid.NewGuid() }, 0, HostileImages.ZtxtBomb, "Steps: 1", default);
        await images.WriteThumbnailAsync(row.Id, HostileImages.ZtxtBomb, default);

        Assert.Equal((64, 64), (row.Width, row.Height));
        Assert.True(File.Exists(images.ThumbnailPath(row.Id)));
    }

    public static TheoryData<string, byte[], string> GiantHeaders => new()
    {
        { "jpeg", HostileImages.JpegClaiming(60000, 60000), "The image is 60000×60000 (3,600,000,000 pixels)" },
        { "webp", HostileImages.WebPClaiming(100000, 100000), "The image is 100000×100000 (10,000,000,000 pixels)" },
        { "gif", HostileImages.GifClaimingMaximum(), "The image is 65535×65535 (4,294,836,225 pixels)" },
    };

    [Theory]
    [MemberData(nameof(GiantHeaders))]
    public async Task A_giant_size_claimed_by_a_header_is_refused_before_decoding(string name, byte[] file, string expected)
    {
        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(file), name, ImagePurpose.Upscale, default));

        Assert.StartsWith(expected + "; the limit for a picture to upscale is 33,554,432 pixels", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_png_of_too_many_chunks_is_refused_and_one_with_a_thousand_is_taken()
    {
        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(HostileImages.ManyTextChunks(1001)), "chunks.png", default));

        Assert.Equal("The PNG carries more than 1,000 chunks besides its image data; DreamLayer reads at most that many.", rejected.Message);
        Assert.IsType<UploadAccepted>(await Uploads().SaveAsync(new MemoryStream(HostileImages.ManyTextChunks(1000)), "chunks.png", default));
    }

    [Fact]
    public async Task A_jpeg_of_too_many_metadata_segments_is_refused()
    {
        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(HostileImages.JpegClaiming(64, 64, extraSegments: 1001)), "icc.jpg", default));

        Assert.Equal("The JPEG carries more than 1,000 segments; DreamLayer reads at most that many.", rejected.Message);
    }

    [Fact]
    public async Task A_jpeg_cut_off_before_its_image_data_is_refused_as_truncated()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(10, 200, 30));
        using var ms = new MemoryStream();
        await image.SaveAsJpegAsync(ms);
        var jpeg = ms.ToArray();
        var scan = jpeg.AsSpan().IndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);

        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(jpeg[..(scan - 3)]), "cut.jpg", default));

        Assert.StartsWith("The image is damaged or truncated: the JPEG is cut off", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_png_whose_chunk_claims_more_bytes_than_the_file_has_is_refused_as_truncated()
    {
        var png = HostileImages.GreyPng(64, 64);
        var idat = png.AsSpan().IndexOf("IDAT"u8) - 4;
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(idat), 0x7FFF_FFF0);

        var rejected = Assert.IsType<UploadRejected>(await Uploads().SaveAsync(new MemoryStream(png), "claims.png", default));

        Assert.Equal("The image is damaged or truncated: the PNG is cut off inside its 'IDAT' chunk.", rejected.Message);
    }

    [Fact]
    public async Task Decodes_beyond_the_memory_budget_wait_for_the_one_before_to_give_its_memory_back()
    {
        // A 2048² grey picture is counted as 8 MiB (its pixels and one working copy); the budget holds one at a time.
        var options = Options_(decodeMemory: 12 * 1024 * 1024);
        var gate = new ImageGate(Options.Create(options));
        var file = HostileImages.GreyPng(2048, 2048);
        var header = gate.Check(file, ImagePurpose.Source).Header!;

        var first = await gate.DecodeAsync(file, header, rgba: false, default);
        var second = gate.DecodeAsync(file, header, rgba: false, default);

        Assert.False(second.IsCompleted);
        Assert.Equal(1, gate.Budget.Waiting);
        first.Dispose();
        using var decoded = await second;
        Assert.IsType<Image<L8>>(decoded.Image);
        Assert.Equal(8L * 1024 * 1024, gate.Budget.InUse);
    }

    [Fact]
    public async Task A_download_larger_than_the_limit_is_refused_without_reading_it_all()
    {
        var body = new CountingStream(50 * 1024 * 1024);
        using var http = new HttpClient(new FixedResponse(() => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }));
        var client = new ComfyUiClient(http, new Uri("http://comfy.invalid/"));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => client.GetImageAsync(new ComfyImageRef("big.png", "", "output"), 1024 * 1024, default));

        Assert.Equal("The server sent an image of more than 1,048,576 bytes; the limit is 1,048,576.", ex.Message);
        Assert.True(body.BytesRead < 2 * 1024 * 1024, $"read {body.BytesRead:N0} bytes");
    }

    [Fact]
    public async Task A_download_announcing_more_than_the_limit_is_refused_before_its_body_is_read()
    {
        var body = new CountingStream(4 * 1024 * 1024);
        using var http = new HttpClient(new FixedResponse(() =>
        {
            var content = new StreamContent(body);
            content.Headers.ContentLength = 4 * 1024 * 1024;
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }));
        var client = new ComfyUiClient(http, new Uri("http://comfy.invalid/"));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => client.GetImageAsync(new ComfyImageRef("big.png", "", "output"), 1024 * 1024, default));

        Assert.Equal("The server sent an image of 4,194,304 bytes; the limit is 1,048,576.", ex.Message);
        Assert.Equal(0, body.BytesRead);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private sealed class FixedResponse(Func<HttpResponseMessage> response) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(response());
    }

    /// <summary>A body of zeros of a given length that counts what was read from it.</summary>
    private sealed class CountingStream(long length) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - BytesRead);
            Array.Clear(buffer, offset, n);
            BytesRead += n;
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
