using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.State;

namespace S3Sync.Planning;

/// <summary>
/// The <see cref="HashCache"/> in front of another digest source (normally <see cref="DirectDigestSource"/>) for one
/// site. A file whose fingerprint matches its row is not read; any other is hashed, and the digest stored when the
/// fingerprint did not move during the read. With <c>rehash</c> every file is hashed and the cache rewritten.
/// </summary>
public sealed class CachedDigestSource(HashCache? cache, string site, IDigestSource inner, bool rehash = false, TimeProvider? time = null) : IDigestSource, IDisposable
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly HashCache.Scan? _scan = cache is null || rehash ? null : cache.ScanSite(site);
    private long _hits, _hashed;

    /// <summary>Files answered from the cache without a read.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Files read and hashed.</summary>
    public long Hashed => Interlocked.Read(ref _hashed);

    public Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken) =>
        GetAsync(entry, extraPartSizes, wholeMd5: false, cancellationToken);

    /// <summary>A row without the whole-file MD5 (a one-pass upload, a restore) answers unless <paramref name="wholeMd5"/>;
    /// then the file is read once and the row completed.</summary>
    public async Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, bool wholeMd5, CancellationToken cancellationToken)
    {
        var before = cache is null ? null : FileFingerprint.TryRead(entry.FullPath);
        if (cache is null || before is null)
        {
            Interlocked.Increment(ref _hashed);
            return await inner.GetAsync(entry, extraPartSizes, wholeMd5, cancellationToken).ConfigureAwait(false);
        }
        cache.Margin.Learn(before.Value.Device, entry.FullPath);
        var cached = rehash ? null : _scan is not null ? _scan.TryGet(entry.Key, before.Value) : cache.TryGet(site, entry.Key, before.Value);
        if (cached is not null && Covers(cached, extraPartSizes) && (!wholeMd5 || cached.HasMd5))
        {
            Interlocked.Increment(ref _hits);
            return cached with { FromCache = true };
        }
        // Hash every part size asked for now or before, so the row keeps what it knew.
        var wanted = cached is null ? extraPartSizes : [.. extraPartSizes.Union(cached.OtherETags.Keys)];
        var started = NowNs();
        var digest = await inner.GetAsync(entry, wanted, wholeMd5, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _hashed);
        if (FileFingerprint.TryRead(entry.FullPath) == before) cache.Put(site, entry.Key, before.Value, started, digest);
        return digest;
    }

    public bool FromCache(FileDigest digest) => digest.FromCache;

    public ReadStamp? BeforeRead(LocalEntry entry) =>
        cache is not null && FileFingerprint.TryRead(entry.FullPath) is { } fingerprint ? new ReadStamp(fingerprint, NowNs()) : null;

    public void Remember(LocalEntry entry, ReadStamp stamp, FileDigest digest)
    {
        if (cache is not null && FileFingerprint.TryRead(entry.FullPath) == stamp.Fingerprint && stamp.Fingerprint.Size == digest.Size)
            cache.Put(site, entry.Key, stamp.Fingerprint, stamp.StartedNs, digest);
    }

    public long RacyMarginNs(string fullPath, FileFingerprint fingerprint)
    {
        var margin = cache?.Margin ?? RacyMargin.Fixed;
        margin.Learn(fingerprint.Device, fullPath);
        return margin.Ns(fingerprint);
    }

    public void Forget(LocalEntry entry) => cache?.Remove(site, entry.Key);

    public int ForgetGone(long localFiles, Func<string, bool> stillWanted) => cache?.PruneSite(site, localFiles, stillWanted) ?? 0;

    public void Dispose() => _scan?.Dispose();

    private static bool Covers(FileDigest digest, IReadOnlyList<long> extraPartSizes) =>
        extraPartSizes.All(p => p == digest.PartSize || digest.OtherETags.ContainsKey(p));

    private long NowNs() => (_time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100;
}
