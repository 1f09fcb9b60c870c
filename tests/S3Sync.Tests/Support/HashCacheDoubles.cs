using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;

namespace S3Sync.Tests.Support;

/// <summary>An hour ahead, so files written a moment ago are past the hash cache's racy window.</summary>
public sealed class LaterClock : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddHours(1);
}

/// <summary>Hashes for real and counts how many files it had to read.</summary>
public sealed class CountingDigests : IDigestSource
{
    private int _reads;
    public int Reads => _reads;

    public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        return DirectDigestSource.Instance.GetAsync(entry, extraPartSizes, cancellationToken);
    }
}
