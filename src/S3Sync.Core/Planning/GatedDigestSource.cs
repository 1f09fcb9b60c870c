using S3Sync.Hashing;
using S3Sync.Local;

namespace S3Sync.Planning;

/// <summary>
/// An <see cref="IDigestSource"/> that lets at most <paramref name="parallelism"/> digests be computed at once: the
/// planner compares up to <see cref="PlanOptions.Window"/> keys at once (most of them waiting on a HEAD), while reading
/// and hashing files stays at what the cores and the disk can do. Everything else passes through.
/// </summary>
public sealed class GatedDigestSource(IDigestSource inner, int parallelism) : IDigestSource, IDisposable
{
    private readonly SemaphoreSlim _gate = new(Math.Max(1, parallelism));

    public async Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await inner.GetAsync(entry, extraPartSizes, cancellationToken).ConfigureAwait(false); }
        finally { _gate.Release(); }
    }

    public async Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, bool wholeMd5, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await inner.GetAsync(entry, extraPartSizes, wholeMd5, cancellationToken).ConfigureAwait(false); }
        finally { _gate.Release(); }
    }

    public ReadStamp? BeforeRead(LocalEntry entry) => inner.BeforeRead(entry);
    public void Remember(LocalEntry entry, ReadStamp stamp, FileDigest digest) => inner.Remember(entry, stamp, digest);
    public long RacyMarginNs(string fullPath, FileFingerprint fingerprint) => inner.RacyMarginNs(fullPath, fingerprint);
    public bool FromCache(FileDigest digest) => inner.FromCache(digest);
    public void Forget(LocalEntry entry) => inner.Forget(entry);
    public int ForgetGone(long localFiles, Func<string, bool> stillWanted) => inner.ForgetGone(localFiles, stillWanted);

    public void Dispose() => _gate.Dispose();
}
