using System.Net;

namespace S3Sync.Remote;

/// <summary>An HTTP body from memory, written in <see cref="BandwidthLimiter.ChunkBytes"/> steps at the limiter's rate
/// (the signed path's counterpart of <see cref="ThrottledStream"/>).</summary>
internal sealed class ThrottledContent(ReadOnlyMemory<byte> body, BandwidthLimiter limiter) : HttpContent
{
    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < body.Length; offset += BandwidthLimiter.ChunkBytes)
        {
            var chunk = body.Slice(offset, Math.Min(BandwidthLimiter.ChunkBytes, body.Length - offset));
            await limiter.WaitAsync(chunk.Length, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
