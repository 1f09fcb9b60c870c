namespace S3Sync.Remote;

/// <summary>
/// One token bucket for every transfer of a run (<c>bandwidth_limit</c>, <c>--bwlimit</c>): uploads and downloads,
/// all workers, all sites (<see cref="Execution.TransferLimits"/> holds the run's). Callers take tokens in chunks of at most <see cref="ChunkBytes"/> as bytes move
/// (<see cref="ThrottledStream"/>, <see cref="ThrottledContent"/>); a caller that takes more than is there goes into
/// debt and waits it off, so concurrent callers share the rate. The burst is a tenth of a second's worth.
/// </summary>
public sealed class BandwidthLimiter(TimeProvider? time = null)
{
    /// <summary>The size of the steps in which bytes are metered.</summary>
    public const int ChunkBytes = 64 * 1024;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private long _rate;
    private double _tokens;
    private long _last;

    /// <summary>Bytes per second; 0: no limit.</summary>
    public long Rate => Volatile.Read(ref _rate);

    public bool Enabled => Rate > 0;

    public void SetRate(long bytesPerSecond)
    {
        lock (_gate)
        {
            _rate = Math.Max(0, bytesPerSecond);
            _tokens = 0;
            _last = _time.GetTimestamp();
        }
    }

    /// <summary>How long the caller must wait before sending <paramref name="bytes"/> (taken now, waited off after).</summary>
    public TimeSpan Take(int bytes)
    {
        lock (_gate)
        {
            if (_rate <= 0) return TimeSpan.Zero;
            var now = _time.GetTimestamp();
            var burst = Math.Max(ChunkBytes, _rate / 10.0);
            _tokens = Math.Min(burst, _tokens + _time.GetElapsedTime(_last, now).TotalSeconds * _rate);
            _last = now;
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / _rate);
        }
    }

    public Task WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        var delay = Take(bytes);
        return delay > TimeSpan.Zero ? Task.Delay(delay, _time, cancellationToken) : Task.CompletedTask;
    }

    public void Wait(int bytes)
    {
        var delay = Take(bytes);
        if (delay > TimeSpan.Zero) Thread.Sleep(delay);
    }

    /// <summary>The stream, metered when a limit is set.</summary>
    public Stream Wrap(Stream stream) => Enabled ? new ThrottledStream(stream, this) : stream;
}
