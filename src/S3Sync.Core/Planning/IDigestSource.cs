using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.State;

namespace S3Sync.Planning;

/// <summary>Hashes local files: <see cref="DirectDigestSource"/> reads them, <see cref="CachedDigestSource"/> remembers.</summary>
public interface IDigestSource
{
    Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, CancellationToken cancellationToken);

    /// <summary>As <see cref="GetAsync(LocalEntry, IReadOnlyList{long}, CancellationToken)"/>; with
    /// <paramref name="wholeMd5"/> the digest has its whole-file MD5 (<see cref="FileDigest.HasMd5"/>), which a digest
    /// of a large file may otherwise lack: the file is read for it when it is not known.</summary>
    async Task<FileDigest> GetAsync(LocalEntry entry, IReadOnlyList<long> extraPartSizes, bool wholeMd5, CancellationToken cancellationToken)
    {
        var digest = await GetAsync(entry, extraPartSizes, cancellationToken).ConfigureAwait(false);
        return !wholeMd5 || digest.HasMd5 ? digest : await FileHasher.HashAsync(entry.FullPath, entry.Identity, extraPartSizes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Taken just before a reader other than this source (the uploader) reads the file; null when not needed.</summary>
    ReadStamp? BeforeRead(LocalEntry entry) => null;

    /// <summary>How much older than a read its file's mtime and ctime must be for a digest of it to be remembered and
    /// trusted later (the hash cache's <see cref="RacyMargin"/>; the file system learned from <paramref name="fullPath"/>).</summary>
    long RacyMarginNs(string fullPath, FileFingerprint fingerprint) => RacyMargin.Fixed.Ns(fingerprint);

    /// <summary>Records a digest the uploader computed from the bytes it sent, read after <paramref name="stamp"/>.</summary>
    void Remember(LocalEntry entry, ReadStamp stamp, FileDigest digest) { }

    /// <summary>True when <paramref name="digest"/> came from a cache row whose fingerprint (inode, size, mtime, ctime)
    /// the file still has: nothing about it changed since the row was written, its metadata included.</summary>
    bool FromCache(FileDigest digest) => false;

    /// <summary>Drops what is known of a file whose content did not match its digest.</summary>
    void Forget(LocalEntry entry) { }

    /// <summary>After a complete walk of <paramref name="localFiles"/> files: drops what is kept of files that are gone
    /// (<paramref name="stillWanted"/> false). Returns how many.</summary>
    int ForgetGone(long localFiles, Func<string, bool> stillWanted) => 0;
}
