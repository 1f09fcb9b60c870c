using System.Net;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// Moves by content. The plan's objects that the run deletes, and its unchanged objects of at least
/// <see cref="CopyWorthBytes"/>, are indexed by size as the plan streams; a new file (an upload of a key S3 does not
/// hold) whose size one of them has is hashed (the hash cache first) and, when its MD5 is that object's, the object is
/// copied server-side to the new key instead of sending the bytes: the site's storage class, headers, ACL and
/// encryption and the new file's mode, owner and mtime applied, the MD5 stored as <c>s3sync-md5</c> as an upload stores
/// it, so the next run sees the key unchanged.
/// <para>Content is proved, never guessed: an unencrypted one-part ETag is the MD5 of the bytes; a multipart ETag must
/// be the file's at s3sync's part size or the object must hold the MD5 as <c>s3sync-md5</c>; an object under SSE-KMS or
/// SSE-C (whose ETag is no MD5) only by its stored MD5. A HEAD of the source checks it is still what was listed, the copy
/// is made only while its ETag is (If-Match: a 412 falls back to an upload), and the copy counts only when a HEAD of it
/// shows the file's size and MD5 (and the encryption asked for) and the file did not change meanwhile; any doubt falls
/// back to an upload.</para>
/// <para>A deleted object whose content now lives at another key is no loss: <see cref="Moved"/> holds those keys,
/// which the delete guard does not count.</para>
/// </summary>
public sealed class MoveFinder(Site site, IObjectStore store, IDigestSource digests, ILogger logger, bool logsActions = true)
{
    /// <summary>Unchanged objects smaller than this are no copy source: an upload costs about what a copy, its HEADs
    /// and the local read cost, and the index stays small on a site of millions of small files.</summary>
    public const long CopyWorthBytes = 1024 * 1024;

    /// <summary>The most objects indexed (about 200 bytes each): beyond, a new file is uploaded as before.</summary>
    public const int MostSources = 200_000;

    private readonly object _lock = new();
    private readonly Dictionary<long, List<Source>> _bySize = [];
    private readonly HashSet<string> _moved = new(StringComparer.Ordinal);
    private int _count;

    private sealed class Source(RemoteObject remote, bool deleted)
    {
        public RemoteObject Remote => remote;
        public bool Deleted => deleted;
        public bool Used { get; set; }
    }

    /// <summary>Relative keys the run deletes whose content a move or copy put at another key.</summary>
    public IReadOnlySet<string> Moved { get { lock (_lock) return new HashSet<string>(_moved, StringComparer.Ordinal); } }

    /// <summary>An object the run deletes (any size but 0).</summary>
    public void AddDeleted(RemoteObject remote)
    {
        if (remote.Size > 0) Add(new Source(remote, deleted: true));
    }

    /// <summary>An object the run leaves as it is.</summary>
    public void AddUnchanged(RemoteObject remote)
    {
        if (remote.Size >= CopyWorthBytes) Add(new Source(remote, deleted: false));
    }

    private void Add(Source source)
    {
        if (ChangeDetector.IsArchived(source.Remote.StorageClass)) return; // a copy of GLACIER needs a restore first
        lock (_lock)
        {
            if (_count >= MostSources) return;
            _count++;
            if (!_bySize.TryGetValue(source.Remote.Size, out var list)) _bySize[source.Remote.Size] = list = [];
            // Deleted objects first: a move beats a copy (the content then lives at one key, not two).
            if (source.Deleted) list.Insert(list.FindLastIndex(s => s.Deleted) + 1, source);
            else list.Add(source);
        }
    }

    /// <summary>True when some indexed object has the size (a new file of another size is uploaded unread).</summary>
    public bool MayMatch(long size)
    {
        lock (_lock) return _bySize.ContainsKey(size);
    }

    /// <summary>
    /// For a new file: copies a proved object of the same content to its key (<paramref name="dryRun"/>: proves only).
    /// Null when there is none, or any step fails or doubts: the file is then uploaded.
    /// </summary>
    public async Task<MoveResult?> TryAsync(PlanEntry entry, bool dryRun, CancellationToken cancellationToken)
    {
        var local = entry.Local!;
        if (local.LinkTarget is not null || local.Size == 0 || entry.Remote is not null) return null;
        List<Source> candidates;
        lock (_lock) candidates = _bySize.TryGetValue(local.Size, out var list) ? [.. list] : [];
        if (candidates.Count == 0) return null;

        if (FileFingerprint.TryRead(local.FullPath) is not { } before) return null;
        FileDigest digest;
        try
        {
            digest = await digests.GetAsync(local, [], wholeMd5: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null; // unreadable or vanished: the upload meets it and says so
        }
        if (digest.Size != local.Size || digest.Md5Hex is not { } md5) return null;
        var encryptedSite = site.Encryption.IsKms || site.Encryption.Mode == EncryptionMode.Customer;

        foreach (var candidate in candidates)
        {
            var etag = ETag.Normalize(candidate.Remote.ETag);
            var parsed = ETag.TryParse(candidate.Remote.ETag, out _, out var parts);
            var etagSaysSame = parsed && digest.Matches(candidate.Remote.ETag);
            // An unencrypted one-part ETag that differs is other content; only an encrypted site's objects may hide an MD5
            // behind another ETag (then the stored MD5 speaks), and a multipart ETag at another part size may too.
            if (!etagSaysSame && parsed && parts == 0 && !encryptedSite) continue;
            var sourceKey = candidate.Remote.Key;
            ObjectHead? head;
            try { head = await store.HeadAsync(sourceKey, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { continue; }
            if (head is null || head.Size != local.Size || ETag.Normalize(head.ETag) != etag) continue; // changed since listed
            var encrypted = head.CustomerKey || head.ServerSideEncryption is "aws:kms" or "aws:kms:dsse";
            var proved = encrypted ? head.FingerprintMd5 == md5
                : parsed && parts == 0 ? etag == md5
                : etagSaysSame || head.FingerprintMd5 == md5;
            if (!proved) continue;

            string verb;
            lock (_lock)
            {
                verb = candidate.Deleted && !candidate.Used ? ActionLine.Move : ActionLine.Copy;
                candidate.Used = true;
            }
            var result = new MoveResult(verb, candidate.Remote.Key);
            if (dryRun)
            {
                if (candidate.Deleted) lock (_lock) _moved.Add(candidate.Remote.Key);
                return result;
            }
            if (await CopyAsync(local, sourceKey, etag, md5, before, cancellationToken).ConfigureAwait(false))
            {
                if (candidate.Deleted) lock (_lock) _moved.Add(candidate.Remote.Key);
                if (logsActions) ActionLine.LogMove(logger, verb, candidate.Remote.Key, local.Key);
                return result;
            }
            lock (_lock) if (verb == ActionLine.Move) candidate.Used = false;
            return null;
        }
        return null;
    }

    /// <summary>The copy and its proof; false sends the file up instead (the copy, if any, is then overwritten).</summary>
    private async Task<bool> CopyAsync(LocalEntry local, string sourceKey, string sourceETag, string md5, FileFingerprint before, CancellationToken cancellationToken)
    {
        var key = local.Key;
        try
        {
            if (FileMetadata.TryRead(local.FullPath, followLinks: true) is not { } file) return false;
            var headers = UploadHeaders.For(site, local.Key, md5, file);
            await (store.Copy ?? throw StoreCapabilities.Missing("copy objects")).CopyAsync(store.Location, sourceKey, key, headers, site.StorageClass, sourceETag, local.Size, cancellationToken).ConfigureAwait(false);
            var after = await store.HeadAsync(key, cancellationToken).ConfigureAwait(false);
            if (after is null || after.Size != local.Size || after.FingerprintMd5 != md5
                || (ETag.TryParse(after.ETag, out var hex, out var parts) && parts == 0 && !(after.CustomerKey || after.ServerSideEncryption is "aws:kms" or "aws:kms:dsse") && hex != md5)
                || !ChangeDetector.EncryptionApplied(site.Encryption, after))
            {
                logger.LogInformation("{Key}: the server-side copy of {Source} is not what the file holds; uploading the file instead", local.Key, store.Location.Join(sourceKey));
                return false;
            }
            // The file must still be what was hashed: a write since then is uploaded (over the copy).
            if (FileFingerprint.TryRead(local.FullPath) != before) return false;
            return true;
        }
        catch (StoreException e) when (e.Kind == StoreErrorKind.PreconditionFailed)
        {
            logger.LogInformation("{Key}: {Source} changed since it was listed; uploading the file instead of copying it", local.Key, store.Location.Join(sourceKey));
            return false;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("{Key}: the server-side copy of {Source} failed ({Error}); uploading the file instead", local.Key, store.Location.Join(sourceKey), StoreErrors.Describe(e));
            return false;
        }
    }
}
