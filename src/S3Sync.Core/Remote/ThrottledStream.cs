namespace S3Sync.Remote;

/// <summary>A read-through stream that moves at most the <see cref="BandwidthLimiter"/>'s rate: reads are cut to
/// <see cref="BandwidthLimiter.ChunkBytes"/> and each waits for its bytes. Used for upload bodies given to the SDK and
/// for downloads.</summary>
public sealed class ThrottledStream(Stream inner, BandwidthLimiter limiter) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, Math.Min(count, BandwidthLimiter.ChunkBytes));
        if (n > 0) limiter.Wait(n);
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, BandwidthLimiter.ChunkBytes)], cancellationToken).ConfigureAwait(false);
        if (n > 0) await limiter.WaitAsync(n, cancellationToken).ConfigureAwait(false);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
