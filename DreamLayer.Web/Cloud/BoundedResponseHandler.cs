using System.Net;

namespace DreamLayer.Web.Cloud;

/// <summary>An answer that announced or sent more than the limit: it was cut off there.</summary>
internal sealed class ResponseTooLargeException(long limit, long? announced)
    : IOException(announced is { } size
        ? FormattableString.Invariant($"The answer announced {size:N0} bytes; the limit is {limit:N0}.")
        : FormattableString.Invariant($"The answer went past {limit:N0} bytes and was cut off there."))
{
    public long Limit { get; } = limit;
}

/// <summary>
/// Every answer of a cloud client is read through this: one that announces more than the limit is refused before its
/// body is read, and one that sends more (a body with no length, a base64 string that never ends) is cut off at the
/// limit, so a hostile or broken provider costs at most the limit in memory. Whoever reads the body (the OpenAI SDK, a
/// JSON parser, a download) gets a <see cref="ResponseTooLargeException"/>.
/// </summary>
internal sealed class BoundedResponseHandler(long limit) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (response.Content.Headers.ContentLength is { } announced && announced > limit)
        {
            response.Dispose();
            throw new ResponseTooLargeException(limit, announced);
        }
        response.Content = new BoundedContent(response.Content, limit);
        return response;
    }

    /// <summary>The provider's content, read at most up to the limit.</summary>
    private sealed class BoundedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _limit;

        public BoundedContent(HttpContent inner, long limit)
        {
            _inner = inner;
            _limit = limit;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new LimitedStream(await _inner.ReadAsStreamAsync(cancellationToken), _limit);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var source = await CreateContentReadStreamAsync(cancellationToken);
            await source.CopyToAsync(stream, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    /// <summary>A read-only stream that throws once more than the limit has come through.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new ResponseTooLargeException(limit, null) : read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
