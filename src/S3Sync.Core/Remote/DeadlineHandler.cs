using System.Net;

namespace S3Sync.Remote;

/// <summary>
/// The HTTP handler under the SDK and <see cref="SignedPut"/> that makes <see cref="AttemptTimer"/> cover a request
/// from its first byte to the last byte of its answer. The request body and the answer's body report progress as
/// they move; when the attempt's deadline passes the answer is disposed, which ends a read blocked on a stalled body
/// (the SDK reads bodies outside HttpClient's own timeout, so a server that sends headers and then stalls would
/// otherwise hold a run for good). It follows no redirect: an answer 3xx with a <c>Location</c> is refused here
/// (<see cref="RedirectRefusedException"/>), below the SDK's own redirect handling and <see cref="SignedPut"/>, so no
/// path can send a request, its body or its metadata to a host the configuration does not name.
/// </summary>
public sealed class DeadlineHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The handler every S3 connection of s3sync goes through.</summary>
    public static HttpMessageHandler Create(int connections) => new DeadlineHandler(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = Math.Max(2, connections),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        // HttpClient would follow 301, 302, 303, 307 and 308 itself, resending the body and every x-amz-* header to
        // the new host (it only drops Authorization), and hand its answer up as the store's.
        AllowAutoRedirect = false,
    });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var timer = AttemptTimer.Current.Value;
        if (timer is null) return Refuse(await base.SendAsync(request, cancellationToken).ConfigureAwait(false), request);
        if (request.Content is { } content) request.Content = new ProgressContent(content, timer);
        var response = Refuse(await base.SendAsync(request, cancellationToken).ConfigureAwait(false), request);
        timer.Progress();
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var wrapped = new StreamContent(new ProgressStream(body, timer));
        foreach (var header in response.Content.Headers) wrapped.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = wrapped;
        // Past the deadline, a read still waiting on this body fails at once instead of waiting for bytes that never come.
        var registration = timer.Token.Register(static r => ((HttpResponseMessage)r!).Dispose(), response);
        _ = registration; // lives as long as the attempt's token (disposed with the timer)
        return response;
    }

    /// <summary>Throws for an answer that asks to go elsewhere (3xx with a Location): the SDK would follow a 307 by
    /// itself, signed again for the new host. A 3xx without a Location (S3's 301 PermanentRedirect names the right
    /// endpoint in its body) goes up as the error it is.</summary>
    private static HttpResponseMessage Refuse(HttpResponseMessage response, HttpRequestMessage request)
    {
        var status = (int)response.StatusCode;
        if (status is < 300 or > 399 || response.Headers.Location is not { } location) return response;
        var target = location.IsAbsoluteUri ? location : request.RequestUri is { } from ? new Uri(from, location) : null;
        response.Dispose();
        throw new RedirectRefusedException(response.StatusCode, target);
    }

    /// <summary>A request body that reports each chunk taken by the connection.</summary>
    private sealed class ProgressContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly AttemptTimer _timer;

        public ProgressContent(HttpContent inner, AttemptTimer timer)
        {
            _inner = inner;
            _timer = timer;
            foreach (var header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var progress = new ProgressWriteStream(stream, _timer);
            await _inner.CopyToAsync(progress, cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>Writes through to the connection in chunks of at most 256 KiB, reporting each.</summary>
    private sealed class ProgressWriteStream(Stream inner, AttemptTimer timer) : Stream
    {
        private const int Chunk = 256 * 1024;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            for (var done = 0; done < count; done += Chunk)
            {
                inner.Write(buffer, offset + done, Math.Min(Chunk, count - done));
                timer.Progress();
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            for (var done = 0; done < buffer.Length; done += Chunk)
            {
                await inner.WriteAsync(buffer.Slice(done, Math.Min(Chunk, buffer.Length - done)), cancellationToken).ConfigureAwait(false);
                timer.Progress();
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        // The connection's stream belongs to HttpClient: not disposed here.
        protected override void Dispose(bool disposing) { }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>An answer's body that reports each read that brought bytes.</summary>
    private sealed class ProgressStream(Stream inner, AttemptTimer timer) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            if (n > 0) timer.Progress();
            return n;
        }

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            if (n > 0) timer.Progress();
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0) timer.Progress();
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
