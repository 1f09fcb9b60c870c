using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// The restore's worker pool: <c>Workers</c> workers behind a bounded queue write objects into a <see cref="TargetFolder"/>.
/// Each object goes to a temporary file (<c>O_EXCL</c>, 0600) in its own folder and is proved against the object (its
/// ETag, one part or multipart at the stored or any inferable part size, else the whole-file MD5 in its metadata), or
/// the key fails (<see cref="ProveAsync"/>). Only then does the file get its mode, mtime and (as root) owner, all
/// through the descriptor it was written by; it is flushed (<c>fsync</c>), renamed over the real name, and the name
/// must then lead to that inode (<see cref="Commit"/>); the folders renamed into are flushed once at the end. An
/// interrupted restore leaves no half-written file under a real name, and its temporary files are removed by the next
/// run. Objects up to 8 MiB come in one GET; larger ones in up to 8 ranged GETs at once, each over a run of whole parts
/// and pinned to the listed ETag (and version), streamed through a 256 KiB buffer taken from the process's
/// <see cref="ByteBudget"/> so memory stays bounded as in sync. Metadata is checked before it is applied
/// (<see cref="FileMetadata.Problem"/>).
/// </summary>
public sealed class Downloader : IAsyncDisposable
{
    private const long SingleGetLimit = 8L * 1024 * 1024;

    private readonly Site _site;
    private readonly IObjectStore _store;
    private readonly TargetFolder _target;
    private readonly IDigestSource _digests;
    private readonly RestoreSettings _settings;
    private readonly ILogger _logger;
    private readonly CancellationToken _cancellationToken;
    private readonly ByteBudget _buffers;
    private readonly Channel<PlanEntry> _jobs;
    private readonly Task[] _workers;
    private readonly int _umask = CurrentUmask();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _renamedIn = new(StringComparer.Ordinal);
    private readonly List<string> _unverifiedKeys = [];
    private int _unverified;

    public Downloader(Site site, IObjectStore store, TargetFolder target, IDigestSource digests, RestoreSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        _site = site;
        _store = store;
        _target = target;
        _digests = digests;
        _settings = settings;
        _buffers = settings.Limits?.Buffers ?? new ByteBudget(Config.Defaults.UploadBufferBytes);
        _logger = logger;
        _cancellationToken = cancellationToken;
        _jobs = Channel.CreateBounded<PlanEntry>(new BoundedChannelOptions(Math.Max(1, settings.Workers * 2)) { FullMode = BoundedChannelFullMode.Wait });
        _workers = [.. Enumerable.Range(0, Math.Max(1, settings.Workers)).Select(_ => Task.Run(WorkerAsync, CancellationToken.None))];
    }

    /// <summary>Raised on a worker thread as each job ends.</summary>
    public event Action<DownloadResult>? Completed;

    public ValueTask EnqueueAsync(PlanEntry entry, CancellationToken cancellationToken) => _jobs.Writer.WriteAsync(entry, cancellationToken);

    /// <summary>Objects written that nothing could prove (see <see cref="ProveAsync"/>), and the first few keys.</summary>
    public (int Count, IReadOnlyList<string> First) Unverified
    {
        get { lock (_unverifiedKeys) return (_unverified, [.. _unverifiedKeys]); }
    }

    /// <summary>Waits for every job, then flushes the folders written into; returns those that could not be flushed.</summary>
    public async Task<IReadOnlyList<string>> CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        return SyncFolders();
    }

    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        try { await Task.WhenAll(_workers).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task WorkerAsync()
    {
        try
        {
            while (await _jobs.Reader.WaitToReadAsync(_cancellationToken).ConfigureAwait(false))
            {
                while (_jobs.Reader.TryRead(out var entry))
                {
                    DownloadResult result;
                    try
                    {
                        result = entry.Action == PlanAction.ApplyMetadata ? await ApplyMetadataAsync(entry).ConfigureAwait(false) : await DownloadAsync(entry).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        result = new DownloadResult(entry, DownloadOutcome.Failed, 0, "cancelled");
                    }
                    Completed?.Invoke(result);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<DownloadResult> ApplyMetadataAsync(PlanEntry entry)
    {
        var segments = entry.Key.Split('/');
        try
        {
            var stored = entry.Stored!;
            // Metadata anyone who can write to the bucket may have set: checked before any of it is applied.
            if (stored.Problem() is { } problem) return Fail(entry, problem);
            using var folder = _target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
            var owner = Owner(stored);
            if (entry.Local?.LinkTarget is not null)
            {
                using var link = TargetFolder.OpenLink(folder, segments[^1]);
                TargetFolder.ApplyToLink(folder, segments[^1], link, stored.MtimeNs, owner);
            }
            else
            {
                using var file = TargetFolder.OpenExisting(folder, segments[^1]);
                var status = TargetFolder.StatOf(file);
                if (status.Type != FileMetadata.RegularFile || (entry.Local?.Identity is { } listed && listed != status.Identity))
                    return Fail(entry, "replaced since it was compared with the object: nothing was applied to it");
                // A file someone else owns may have been written by them after it was compared: it does not get the
                // object's owner (nor its setuid bit) in place; the object's bytes come in a file of our own instead.
                if (owner is { } o && ((o.Uid >= 0 && o.Uid != status.Uid) || (o.Gid >= 0 && o.Gid != status.Gid)))
                    return await DownloadAsync(entry).ConfigureAwait(false);
                TargetFolder.Apply(file, Mode(stored.Permissions), stored.MtimeNs, owner);
            }
            _digests.Forget(entry.Local!);
            _logger.LogDebug("{Key}: mode, owner and mtime set from the object", entry.Key);
            return new DownloadResult(entry, DownloadOutcome.MetadataApplied, 0, null);
        }
        catch (IOException e)
        {
            _logger.LogError("{Key}: {Error}", entry.Key, e.Message);
            return new DownloadResult(entry, DownloadOutcome.Failed, 0, e.Message);
        }
    }

    /// <summary>The permission bits to set: without the owner, no setuid or setgid bit (it would lend the rights of
    /// whoever restored, not the stored owner's).</summary>
    private int Mode(int permissions) => _settings.Owner ? permissions : permissions & ~FileMetadata.SetIdBits;

    private async Task<DownloadResult> DownloadAsync(PlanEntry entry)
    {
        var remote = entry.Remote!;
        var key = entry.Key;
        if (!RestorePath.TryParse(entry.Key, out var segments, out var why))
            return Fail(entry, $"not restored: {why}");
        SafeFileHandle? folder = null;
        string? temp = null;
        try
        {
            folder = _target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
            var name = segments[^1];
            temp = TargetFolder.NewTempName();
            var candidates = ETag.TryParse(remote.ETag, out _, out var etagParts) && etagParts > 0 ? ETag.CandidatePartSizes(remote.Size, etagParts) : [];
            using var file = TargetFolder.CreateFile(folder, temp);
            var (head, inline) = await WritePartsAsync(file, key, entry.Key, remote, candidates).ConfigureAwait(false);
            var stored = head.File;
            // Metadata anyone who can write to the bucket may have set: checked before any of it is applied.
            if ((head.MetadataProblem ?? stored?.Problem()) is { } problem) throw new InvalidDataException(problem);
            if (stored?.LinkTarget is { } target)
            {
                // A link object is a link only with symlinks: preserve; otherwise it is skipped (counted with the
                // links the walk skipped), so a restore in skip or follow mode converges.
                if (_site.Symlinks != SymlinkMode.Preserve)
                {
                    _logger.LogDebug("{Key}: a symbolic link object, not restored with symlinks: {Mode}", entry.Key, _site.Symlinks);
                    return new DownloadResult(entry, DownloadOutcome.Skipped, 0, null);
                }
                // A preserved link: the object's body is the target too; the link replaces the temporary file.
                TargetFolder.Remove(folder, temp);
                TargetFolder.CreateLink(folder, temp, target);
                using var link = TargetFolder.OpenLink(folder, temp);
                // The link opened must be the one made (another one put under the name would be restored as ours).
                if (TargetFolder.ReadLink(link) != target)
                    throw new IOException($"the temporary link {temp} was replaced before it took its name (someone else writes to the folder); nothing was restored");
                TargetFolder.ApplyToLink(folder, temp, link, stored.MtimeNs, Owner(stored));
                Commit(folder, temp, name, link, segments);
                temp = null;
                _logger.LogDebug("{Key}: restored as a link", entry.Key);
                return new DownloadResult(entry, DownloadOutcome.Written, remote.Size, null);
            }
            // Proved before anything of the object's metadata (owner, setuid) is given to the file.
            var (digest, unverified) = await ProveAsync(file, entry.Key, remote, head, inline, candidates).ConfigureAwait(false);
            var mode = Mode(stored?.Permissions ?? (0x1B6 & ~_umask));
            // An mtime without a mode (rclone's upload) still counts; the upload time only when there is none.
            var mtime = stored?.MtimeNs ?? head.MtimeNs ?? (remote.LastModifiedUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
            if (stored is null && new FileMetadata(mtime, FileMetadata.RegularFile).Problem() is { } badTime) throw new InvalidDataException(badTime);
            TargetFolder.Apply(file, mode, mtime, stored is null ? null : Owner(stored));
            // A file system with a narrower range than the check (ext4 with small inodes ends in 2038) clamps: said so.
            if (Math.Abs(TargetFolder.StatOf(file).MtimeNs - mtime) > MtimeSlackNs)
                throw new InvalidDataException($"the file system cannot hold the stored mtime {ObjectMetadata.FormatMtime(mtime)}");
            // The bytes, mode and times reach the disk before the name does: a power cut leaves the old file or the new.
            TargetFolder.Sync(file);
            // The writable descriptor is closed under the temporary name (a watch on the folder ignores that close);
            // the name is given and checked through a read-only one of the same inode.
            using var done = TargetFolder.ReadOnly(file);
            file.Dispose();
            Commit(folder, temp, name, done, segments);
            temp = null;
            var path = Path.Combine(_target.Path, entry.Key);
            var local = new LocalEntry(entry.Key, path, remote.Size, DateTime.UnixEpoch.AddTicks(mtime / 100));
            // What was verified is what the inode holds, and the name leads to it: remember it, so the next restore or
            // sync reads nothing. The fingerprint is the descriptor's (after the rename, which moved its ctime).
            if (digest is not null && !unverified) _digests.Remember(local, OwnWriteStamp(TargetFolder.StatOf(done).Fingerprint, _digests, local.FullPath), digest);
            string? warning = null;
            if (unverified)
            {
                warning = "written unverified: nothing can prove the bytes (the ETag is no MD5 and the object holds none)";
                lock (_unverifiedKeys)
                {
                    _unverified++;
                    if (_unverifiedKeys.Count < 5) _unverifiedKeys.Add(entry.Key);
                }
                _logger.LogDebug("{Key}: {Warning}", entry.Key, warning);
            }
            _logger.LogDebug("{Key}: restored ({Size} bytes)", entry.Key, remote.Size);
            return new DownloadResult(entry, DownloadOutcome.Written, remote.Size, null, warning);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var message = e is IOException or UnauthorizedAccessException or InvalidDataException ? e.Message : $"download failed: {StoreErrors.Describe(e)}";
            return Fail(entry, message);
        }
        finally
        {
            if (temp is not null && folder is not null)
            {
                try { TargetFolder.Remove(folder, temp); }
                catch (IOException e) { _logger.LogWarning("{Key}: could not remove the temporary file {Temp}: {Error}", entry.Key, temp, e.Message); }
            }
            folder?.Dispose();
        }
    }

    /// <summary>How far a file system may round an mtime (FAT keeps two seconds) before it counts as not held.</summary>
    private const long MtimeSlackNs = 2_000_000_000;

    /// <summary>Test seam: called between the checks of a temporary file and its rename (per async flow).</summary>
    internal static readonly AsyncLocal<Action<SafeFileHandle, string>?> BeforeRename = new();

    /// <summary>
    /// Gives <paramref name="temp"/> its real name, but only as the inode <paramref name="written"/> holds: whoever can
    /// write to the folder can unlink the temporary file and put their own under its name at any moment, so the name is
    /// checked before the rename, and what the real name leads to after it (device and inode, the name not followed).
    /// A temporary file that is no longer ours is that key's error, and nothing of the object was applied to it: the
    /// mode, owner and times went to our inode through its descriptor.
    /// </summary>
    private void Commit(SafeFileHandle folder, string temp, string name, SafeFileHandle written, string[] segments)
    {
        if (!TargetFolder.Holds(folder, temp, written))
            throw new IOException($"the temporary file {temp} was replaced or removed before it took its name (someone else writes to the folder); nothing was restored");
        BeforeRename.Value?.Invoke(folder, temp);
        TargetFolder.Rename(folder, temp, name);
        MarkRenamed(segments);
        if (!TargetFolder.Holds(folder, name, written))
            throw new IOException($"the temporary file was replaced before it took its name (someone else writes to the folder): {name} is not the file restored, and nothing of the object was applied to it");
    }

    /// <summary>Remembers the folder of a rename (and those above it, whose entries may be new) for <see cref="SyncFolders"/>.</summary>
    private void MarkRenamed(string[] segments)
    {
        for (var i = segments.Length - 1; i >= 0; i--)
            if (!_renamedIn.TryAdd(string.Join('/', segments.AsSpan(0, i)), 0)) break;
    }

    /// <summary>
    /// Flushes each folder a file was renamed into, once, after all its renames (<c>fsync</c> of the folder): the new
    /// names are on the disk when the restore ends. Returns the folders that could not be flushed, with why.
    /// </summary>
    private List<string> SyncFolders()
    {
        var failed = new List<string>();
        foreach (var relative in _renamedIn.Keys.Order(StringComparer.Ordinal))
        {
            try
            {
                using var folder = _target.OpenFolder(relative.Length == 0 ? [] : relative.Split('/'));
                TargetFolder.Sync(folder);
            }
            catch (IOException e)
            {
                _logger.LogError("{Folder}: {Error}", Path.Combine(_target.Path, relative), e.Message);
                failed.Add($"{Path.Combine(_target.Path, relative)}: {e.Message}");
            }
        }
        _renamedIn.Clear();
        return failed;
    }

    private DownloadResult Fail(PlanEntry entry, string message)
    {
        _logger.LogError("{Key}: {Error}", entry.Key, message);
        return new DownloadResult(entry, DownloadOutcome.Failed, 0, message);
    }

    /// <summary>
    /// Proves the bytes written are the object's, or throws: the digest computed as they came in when it answers (the
    /// ETag at the layout fetched, or the stored MD5), else the file read back through its descriptor at every part
    /// size the ETag may have been made with (the stored <c>s3sync-part-size</c> first, then the sizes other tools use:
    /// <see cref="ETag.CandidatePartSizes"/>). An unencrypted object's ETag that none of them gives is corruption, not
    /// doubt. Only an object nothing can prove (encrypted, so its ETag is no MD5, and no MD5 stored; or an ETag that
    /// is no MD5 at all) comes back with <c>Unverified</c>.
    /// </summary>
    private async Task<(FileDigest? Digest, bool Unverified)> ProveAsync(SafeFileHandle file, string shown, RemoteObject remote, ObjectDownload head, FileDigest? inline, IReadOnlyList<long> candidates)
    {
        var etagIsMd5 = ETag.TryParse(remote.ETag, out _, out var parts) && !head.Encrypted;
        if (inline is { } d)
        {
            if (d.Size != remote.Size) throw new InvalidDataException($"downloaded {d.Size} bytes, the object has {remote.Size}");
            if (etagIsMd5 && d.Matches(remote.ETag)) return (d, false);
            if (head.FingerprintMd5 is { } stored && d.HasMd5)
                return stored == d.Md5Hex ? (d, false) : throw new InvalidDataException("the downloaded bytes do not match the MD5 stored with the object");
            // A one-part ETag is the MD5 of the bytes: no layout can make it match.
            if (etagIsMd5 && parts == 0 && d.HasMd5) throw new InvalidDataException($"the downloaded bytes do not match the ETag {remote.ETag}");
        }
        // Nothing to prove it by: reading the file back would prove nothing either.
        if (!etagIsMd5 && head.FingerprintMd5 is null) return (null, true);
        // The part sizes not hashed yet (the stored one first; it could be wrong, so the others are tried too).
        var hashed = inline is { PartMd5s.Count: > 0 } ? inline.PartSize : 0;
        List<long> sizes = [.. (head.PartSize is { } known ? candidates.Prepend(known) : candidates).Distinct().Where(p => p != hashed)];
        if (inline is not null && parts > 0 && sizes.Count == 0 && etagIsMd5 && head.FingerprintMd5 is null)
            throw new InvalidDataException($"the downloaded bytes do not match the ETag {remote.ETag}");
        var digest = await FileHasher.HashAsync(file, shown, remote.Size, sizes, _cancellationToken).ConfigureAwait(false);
        if (etagIsMd5 && digest.Matches(remote.ETag)) return (digest, false);
        if (head.FingerprintMd5 is { } md5)
            return md5 == digest.Md5Hex ? (digest, false) : throw new InvalidDataException("the downloaded bytes do not match the MD5 stored with the object");
        if (etagIsMd5)
        {
            var tried = parts == 0 ? "" : $" at any part size it may have been made with ({string.Join(", ", sizes.Prepend(digest.PartSize).Prepend(hashed).Where(p => p > 0).Distinct().Select(p => p % ETag.MiB == 0 ? $"{p / ETag.MiB} MiB" : $"{p} bytes"))})";
            throw new InvalidDataException($"the downloaded bytes do not match the ETag {remote.ETag}{tried}");
        }
        return (null, true);
    }

    /// <summary>
    /// The object's bytes into the temporary file through a <see cref="PartFetcher"/>: ranged GETs of whole parts side
    /// by side. When the object's part layout is s3sync's own (or it is one GET), the digest the hash cache keeps is
    /// computed as the bytes arrive: the part MD5s, which prove the bytes against the multipart ETag and answer every
    /// later comparison, so no whole-file MD5 is computed (the cache row has part MD5s only). Only where the whole MD5 is
    /// the proof, an encrypted object (SSE-KMS, SSE-C: the ETag is no MD5) checked against its stored fingerprint, it is
    /// computed too: in order, reading each part back from the page cache as soon as it is written, so no download
    /// waits for it. With another part size the digest is null: the caller reads the file back.
    /// </summary>
    private async Task<(ObjectDownload Head, FileDigest? Digest)> WritePartsAsync(SafeFileHandle file, string key, string shown, RemoteObject remote, IReadOnlyList<long> candidates)
    {
        // Up to 8 MiB: one GET of the whole object. Larger: its part size, so each part's ETag lines up.
        var partSize = remote.Size <= SingleGetLimit ? Math.Max(1, remote.Size)
            : ETag.TryParse(remote.ETag, out _, out var parts) && parts > 0
                ? candidates.DefaultIfEmpty(ETag.PartSizeFor(remote.Size)).First()
                : ETag.PartSizeFor(remote.Size);
        var count = ETag.PartCount(remote.Size, partSize);
        var ownPartSize = ETag.IsMultipartSize(remote.Size) ? ETag.PartSizeFor(remote.Size) : 0;
        var hash = ownPartSize == 0 ? count == 1 ? FetchHash.Whole : FetchHash.None
            : partSize != ownPartSize ? FetchHash.None
            : count == 1 ? FetchHash.Whole : FetchHash.Parts;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        // An encrypted object's whole-file MD5 follows the parts in order as they are written (several parts only).
        TaskCompletionSource[]? written = null;
        Task? wholeTask = null;
        using var whole = hash == FetchHash.Parts ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var fetcher = new PartFetcher(_store, key, shown, remote, file, partSize, hash, _logger)
        {
            Answered = first =>
            {
                if (whole is null || !first.Encrypted) return;
                written = [.. Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
                wholeTask = Task.Run(() => WholeAsync(file, written, partSize, remote.Size, whole, cts.Token), cts.Token);
            },
            PartWritten = part => written?[part].SetResult(),
        };
        try
        {
            await fetcher.RunAsync(Math.Min(_settings.Workers, PartFetcher.MaxStreams), _buffers, cts.Token).ConfigureAwait(false);
        }
        catch
        {
            cts.Cancel();
            if (wholeTask is not null) await wholeTask.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        if (wholeTask is not null) await wholeTask.ConfigureAwait(false);
        var first = fetcher.First!;
        // Its headers are what the caller needs; its body (read to its end) and connection go back now.
        first.Dispose();
        var digest = hash switch
        {
            FetchHash.Whole => new FileDigest(remote.Size, fetcher.WholeMd5, ownPartSize, [], new Dictionary<long, string>()),
            FetchHash.Parts => new FileDigest(remote.Size, wholeTask is null ? null : whole!.GetHashAndReset(), ownPartSize, fetcher.PartMd5s!, new Dictionary<long, string>()),
            _ => null,
        };
        return (first, digest);
    }

    /// <summary>The whole-file MD5 (an encrypted object's proof): each part read back (from the page cache) once it is
    /// written, in order, behind the downloads, which never wait for it.</summary>
    private static async Task WholeAsync(SafeFileHandle file, TaskCompletionSource[] written, long partSize, long size, IncrementalHash whole, CancellationToken token)
    {
        var chunk = ArrayPool<byte>.Shared.Rent((int)Math.Min(4 * 1024 * 1024, partSize));
        try
        {
            for (var i = 0; i < written.Length; i++)
            {
                await written[i].Task.WaitAsync(token).ConfigureAwait(false);
                for (long at = i * partSize, end = Math.Min(size, at + partSize); at < end;)
                {
                    var n = await RandomAccess.ReadAsync(file, chunk.AsMemory(0, (int)Math.Min(chunk.Length, end - at)), at, token).ConfigureAwait(false);
                    if (n == 0) throw new InvalidDataException("the temporary file is shorter than what was written");
                    whole.AppendData(chunk, 0, n);
                    at += n;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private (int Uid, int Gid)? Owner(FileMetadata stored) => OwnerOf(stored, _settings.Owner);

    /// <summary>The owner and group to set from stored metadata, or null when none is set (<paramref name="owner"/>
    /// false: not root, or --no-owner).</summary>
    internal static (int Uid, int Gid)? OwnerOf(FileMetadata stored, bool owner)
    {
        if (!owner) return null;
        // A name known here wins over the number: uids differ between hosts, names less so.
        var uid = stored.UserName is { } user && PosixAccounts.UserId(user) is { } u ? u : stored.Uid;
        var gid = stored.GroupName is { } group && PosixAccounts.GroupId(group) is { } g ? g : stored.Gid;
        if (uid is null && gid is null) return null;
        return (uid ?? -1, gid ?? -1);
    }

    /// <summary>
    /// The stamp for a file this restore wrote, verified and renamed itself. The cache trusts a row only when the file's
    /// mtime and ctime are older than its hash by the racy margin (<see cref="IDigestSource.RacyMarginNs"/>): a file changed within the same clock
    /// tick could keep its fingerprint. Our rename sets the ctime just now, so a stamp of "now" would make every restored
    /// file a miss for ever and the next restore would read the whole tree again. But this file's content was written
    /// to a 0600 temporary file no one else can open, then given its old mtime before the rename: any write after the
    /// rename moves the mtime to the present, and the fingerprint no longer matches. So when the restored mtime is older
    /// than the margin, the ctime is not a reason to doubt the row, and the stamp is put past it.
    /// </summary>
    internal static ReadStamp OwnWriteStamp(FileFingerprint fingerprint, IDigestSource digests, string fullPath)
    {
        var now = NowNs();
        var margin = digests.RacyMarginNs(fullPath, fingerprint);
        return new ReadStamp(fingerprint, fingerprint.MtimeNs <= now - margin ? Math.Max(now, fingerprint.CtimeNs + margin) : now);
    }

    private static long NowNs() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>The process's umask, read from /proc (setting it to read it would race other threads); 022 elsewhere.</summary>
    private static int CurrentUmask()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Umask:", StringComparison.Ordinal)) return Convert.ToInt32(line[6..].Trim(), 8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return 0x12;
    }
}
