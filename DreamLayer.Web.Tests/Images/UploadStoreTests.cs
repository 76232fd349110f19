using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using Microsoft.Extensions.Options;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using FitMode = DreamLayer.Domain.Generation.ResizeMode;

namespace DreamLayer.Web.Tests.Images;

/// <summary>Uploads are checked before decoding, turned upright and stored as PNG under the data folder.</summary>
public sealed class UploadStoreTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "dreamlayer-uploads-" + Guid.NewGuid().ToString("N"));

    private static string Fixture(string name) => Path.Combine(TestPaths.TestData, "metadata", name);

    private UploadStore Store(long? maxBytes = null, long? maxPixels = null)
    {
        var options = new StorageOptions { DataDirectory = _dataDirectory };
        if (maxBytes is { } b)
        {
            options.MaxImageBytes = b;
        }
        if (maxPixels is { } p)
        {
            options.MaxImagePixels = p;
        }
        return new UploadStore(StoragePaths.Resolve(options, Path.GetTempPath()), Options.Create(options), new ImageGate(Options.Create(options)), TimeProvider.System);
    }

    private static byte[] Encode(Image image, bool jpeg)
    {
        using var ms = new MemoryStream();
        if (jpeg)
        {
            image.SaveAsJpeg(ms);
        }
        else
        {
            image.SaveAsPng(ms);
        }
        return ms.ToArray();
    }

    private static Image<Rgba32> Noise(int width, int height)
    {
        var random = new Random(7);
        var image = new Image<Rgba32>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgba32((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }
        return image;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SaveAsync_GeneratedImage_StoresPngWithSize(bool jpeg)
    {
        using var image = Noise(48, 32);
        var store = Store();

        var accepted = Assert.IsType<UploadAccepted>(await store.SaveAsync(new MemoryStream(Encode(image, jpeg)), "../../etc/passwd", default));

        Assert.Equal((48, 32), (accepted.Width, accepted.Height));
        var path = store.Locate(accepted.Id);
        Assert.NotNull(path);
        Assert.Equal(Path.Combine(_dataDirectory, "uploads", accepted.Id.ToString("N") + ".png"), path);
        Assert.Equal(accepted.Bytes, new FileInfo(path).Length);
        Assert.Equal("PNG", Image.DetectFormat(path)!.Name);
        Assert.Empty(Directory.GetFiles(_dataDirectory, "*.tmp", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("a1111.jpg")]
    [InlineData("a1111.png")]
    public async Task SaveAsync_RealFixture_Accepted(string name)
    {
        var info = Image.Identify(Fixture(name))!;
        await using var file = File.OpenRead(Fixture(name));

        var accepted = Assert.IsType<UploadAccepted>(await Store().SaveAsync(file, name, default));

        Assert.Equal((info.Width, info.Height), (accepted.Width, accepted.Height));
    }

    [Fact]
    public async Task SaveAsync_EmptyFile_RejectedAsEmpty()
    {
        await using var file = File.OpenRead(Fixture("bad_empty_file.png"));

        var rejected = Assert.IsType<UploadRejected>(await Store().SaveAsync(file, "bad_empty_file.png", default));

        Assert.Equal("The file is empty.", rejected.Message);
    }

    [Fact]
    public async Task SaveAsync_TruncatedPng_RejectedAsDamaged()
    {
        using var image = Noise(64, 64);
        var bytes = Encode(image, jpeg: false);

        var rejected = Assert.IsType<UploadRejected>(await Store().SaveAsync(new MemoryStream(bytes[..(bytes.Length / 2)]), "half.png", default));

        Assert.StartsWith("The image is damaged or truncated: ", rejected.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveAsync_TextFile_RejectedAsNotAnImage()
    {
        var text = Encoding.UTF8.GetBytes("Hello, this is a note, not a picture.\n");

        var rejected = Assert.IsType<UploadRejected>(await Store().SaveAsync(new MemoryStream(text), "note.png", default));

        Assert.Equal("This file is not an image DreamLayer can read (PNG, JPEG, WebP, GIF, BMP, TIFF).", rejected.Message);
    }

    [Fact]
    public async Task SaveAsync_UnseekableStreamOverLimit_RejectedAfterReadingOneByteMore()
    {
        var stream = new EndlessStream();

        var rejected = Assert.IsType<UploadRejected>(await Store(maxBytes: 4096).SaveAsync(stream, "big.png", default));

        Assert.Equal("The file is over 4 KB; the limit is 4 KB.", rejected.Message);
        Assert.Equal(4097, stream.BytesRead);
    }

    [Fact]
    public async Task SaveAsync_SeekableStreamOverLimit_RejectedWithItsSizeWithoutReading()
    {
        var stream = new MemoryStream(new byte[3 * 1024 * 1024]);

        var rejected = Assert.IsType<UploadRejected>(await Store(maxBytes: 2 * 1024 * 1024).SaveAsync(stream, "big.png", default));

        Assert.Equal("The file is 3 MB; the limit is 2 MB.", rejected.Message);
        Assert.Equal(0, stream.Position);
    }

    [Fact]
    public async Task SaveAsync_HugeDimensionsInHeader_RejectedByPixelLimitBeforeDecoding()
    {
        // A real PNG header claiming 30000×30000 with a tiny (and incomplete) data chunk: decoding it would
        // fail as damaged, so the pixel-limit message shows the check ran on the header alone.
        var bomb = BombPng(30000, 30000);

        var rejected = Assert.IsType<UploadRejected>(await Store().SaveAsync(new MemoryStream(bomb), "bomb.png", default));

        Assert.Equal("The image is 30000×30000 (900,000,000 pixels); the limit for a picture to generate from is 16,777,216 pixels (4096×4096).", rejected.Message);
        Assert.Empty(Directory.Exists(Path.Combine(_dataDirectory, "uploads")) ? Directory.GetFiles(Path.Combine(_dataDirectory, "uploads")) : []);
    }

    [Fact]
    public async Task SaveAsync_JpegWithExifOrientation6_StoredUpright()
    {
        using var image = new Image<Rgba32>(40, 20, new Rgba32(200, 30, 30));
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);

        var accepted = Assert.IsType<UploadAccepted>(await Store().SaveAsync(new MemoryStream(Encode(image, jpeg: true)), "phone.jpg", default));

        Assert.Equal((20, 40), (accepted.Width, accepted.Height));
    }

    [Theory]
    [InlineData(FitMode.JustResize)]
    [InlineData(FitMode.CropAndResize)]
    [InlineData(FitMode.ResizeAndFill)]
    public void Fit_EachMode_GivesExactlyTheAskedSize(FitMode mode)
    {
        using var image = Noise(300, 100);

        UploadStore.Fit(image, 128, 96, mode);

        Assert.Equal(new Size(128, 96), image.Size());
    }

    [Fact]
    public void Fit_CropAndResize_KeepsTheCentre()
    {
        using var image = new Image<Rgba32>(300, 100);
        for (var x = 0; x < 300; x++)
        {
            var colour = x < 100 ? new Rgba32(255, 0, 0) : x < 200 ? new Rgba32(0, 0, 255) : new Rgba32(0, 255, 0);
            for (var y = 0; y < 100; y++)
            {
                image[x, y] = colour;
            }
        }

        UploadStore.Fit(image, 50, 50, FitMode.CropAndResize);

        foreach (var (x, y) in new[] { (1, 1), (48, 1), (25, 25), (1, 48), (48, 48) })
        {
            Assert.Equal(new Rgba32(0, 0, 255), image[x, y]);
        }
    }

    [Fact]
    public void Fit_ResizeAndFill_PadsWithAverageColour()
    {
        using var image = new Image<Rgba32>(200, 100, new Rgba32(10, 120, 240));

        UploadStore.Fit(image, 100, 100, FitMode.ResizeAndFill);

        Assert.Equal(new Rgba32(10, 120, 240), image[50, 2]);
        Assert.Equal(new Rgba32(10, 120, 240), image[50, 50]);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    private static byte[] BombPng(int width, int height)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(ms, "IHDR", ihdr);
        using (var z = new MemoryStream())
        {
            using (var deflate = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true))
            {
                deflate.Write(new byte[64 * 1024]);
            }
            WriteChunk(ms, "IDAT", z.ToArray());
        }
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typeAndData));
        stream.Write(length);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }
        return ~crc;
    }

    /// <summary>An unseekable stream of zeros that never ends and counts what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            Array.Clear(buffer, offset, count);
            BytesRead += count;
            return count;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
