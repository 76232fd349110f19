using DreamLayer.Web.Models.Install;

namespace DreamLayer.Web.Tests.Models;

/// <summary>
/// The disk under the installs' <c>.part</c> files, as a test wants it (registered as the app's <see cref="IPartFiles"/>):
/// real files, but one that fills up after <see cref="FullAfter"/> bytes of a file (the write fails as Linux's does,
/// after writing what fitted: an <see cref="IOException"/> whose HResult is ENOSPC, "No space left on device"), and
/// writes that each take <see cref="WriteDelay"/> (a slow disk, so that a test acts while an upload is under way).
/// </summary>
public sealed class TestDisk : IPartFiles
{
    private const int Enospc = 28;
    private int _fills;

    /// <summary>Bytes of one file that fit; null for a disk with room.</summary>
    public long? FullAfter { get; set; }

    /// <summary>How long each write takes before it is done.</summary>
    public TimeSpan WriteDelay { get; set; }

    /// <summary>How many writes failed for lack of space.</summary>
    public int Fills => Volatile.Read(ref _fills);

    public Stream Create(string path) => new PartStream(this, new PartFiles().Create(path), path);

    private sealed class PartStream(TestDisk disk, Stream inner, string path) : Stream
    {
        private long _written;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (disk.WriteDelay > TimeSpan.Zero)
            {
                await Task.Delay(disk.WriteDelay, cancellationToken);
            }
            if (disk.FullAfter is { } room && _written + buffer.Length > room)
            {
                var fits = (int)Math.Max(0, room - _written);
                await inner.WriteAsync(buffer[..fits], cancellationToken);
                _written += fits;
                Interlocked.Increment(ref disk._fills);
                throw new IOException($"No space left on device : '{path}'", Enospc);
            }
            await inner.WriteAsync(buffer, cancellationToken);
            _written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Installs write asynchronously.");
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
