namespace S3Sync.Remote;

/// <summary>
/// A point-in-time listing (<c>restore --at</c>, <c>verify --at</c>) of a time before the oldest version under the
/// prefix: nothing existed then, which is almost always a wrong date, not a wish to restore nothing. The run fails
/// with one line naming the oldest version's time instead of restoring nothing and exiting 0 without a word.
/// </summary>
public sealed class BeforeOldestVersionException(string message, DateTime oldestUtc) : IOException(message)
{
    public DateTime OldestUtc => oldestUtc;
}
