using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// A pool of <c>upload_workers</c> workers behind a bounded queue (<c>upload_queue_buffer</c>), shared by every job of
/// the process: <c>watch</c> makes one for all its sites, whose event uploads and full syncs queue their work as
/// <see cref="UploadBatch"/>es on it, so <c>upload_workers</c> bounds the uploads in flight of the whole process.
/// Small files go up with one PUT from a buffer hashed as it is sent. The buffers of all workers together hold at most
/// <see cref="Defaults.UploadBufferBytes"/> of file data (one <see cref="ByteBudget"/> per process). Large files go up
/// in parts, and their parts are shared out to every idle worker, so one large file uses the whole pool. A failed
/// multipart upload is aborted.
/// <para>A large file whose digest is not known yet (new, no cache row) goes up in one read pass: each part worker
/// reads its part once, hashes it and sends that MD5 as Content-MD5, and the part MD5s (no whole-file MD5) are
/// remembered in the hash cache; the first part is on the wire after one part's read. Such an object carries no
/// <c>s3sync-md5</c> and no <c>md5chksum</c>: its multipart ETag at the part size recorded in <c>s3sync-part-size</c>
/// is its content proof. It is never stored mixed: one pass is taken only when the file's mtime and ctime are older
/// than the racy margin as reading starts, every part open checks the file's identity, and the
/// fingerprint (size, mtime, ctime, inode) is read again before CompleteMultipartUpload: when it moved, the upload is
/// aborted and the file counts as changed while read (retried, as below). Otherwise (a racy file, an encrypted site
/// whose ETag is no MD5, so that the whole MD5 in metadata is the only content proof) the file is hashed first, one
/// file at a time, and each part is checked by the server against the MD5 the file had when it was hashed: a file
/// that changes during the upload is detected and uploaded again, never stored mixed.</para>
/// </summary>
public sealed class Uploader : IAsyncDisposable
{
    private const int MaxAttempts = 3;

    private readonly ILogger _logger;
    private readonly Channel<Job> _jobs;
    private readonly Channel<PartWork> _parts = Channel.CreateUnbounded<PartWork>();
    private readonly SemaphoreSlim _hashing = new(1);
    private readonly ByteBudget _buffers;
    private readonly Task[] _workers;
    private readonly CancellationToken _cancellationToken;
    private readonly UploadBatch? _default;
    private int _running, _mostRunning;

    /// <summary>A pool for jobs of any site, queued through <see cref="Batch"/>. <paramref name="cancellationToken"/>
    /// stops the workers (each batch has its own token for its jobs). <paramref name="buffers"/>: the run's budget for
    /// file data in memory (<see cref="TransferLimits.Buffers"/>), shared with its other uploaders and the downloader;
    /// null: a budget of this pool's own.</summary>
    public Uploader(int workers, int queueBuffer, ILogger logger, CancellationToken cancellationToken = default, ByteBudget? buffers = null)
    {
        workers = Math.Max(1, workers);
        _buffers = buffers ?? new ByteBudget(Defaults.UploadBufferBytes);
        _logger = logger;
        _cancellationToken = cancellationToken;
        Workers = workers;
        _jobs = Channel.CreateBounded<Job>(new BoundedChannelOptions(Math.Max(1, queueBuffer)) { FullMode = BoundedChannelFullMode.Wait });
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(WorkerAsync, CancellationToken.None))];
    }

    /// <summary>A pool of its own for one site's jobs (<c>sync</c>): <see cref="EnqueueAsync"/>, <see cref="Completed"/>
    /// and <see cref="CompleteAsync"/> act on its one batch.</summary>
    public Uploader(Site site, IObjectStore store, int workers, int queueBuffer, ILogger logger, CancellationToken cancellationToken, IDigestSource? digests = null, ByteBudget? buffers = null)
        : this(workers, queueBuffer, logger, cancellationToken, buffers)
    {
        _default = new UploadBatch(this, site, store, digests ?? DirectDigestSource.Instance, cancellationToken);
    }

    /// <summary>
    /// A multipart upload in which nothing is stored for this long (from its creation, then from each part stored) is
    /// given up by its own run: cancelled, aborted, the file failed (the next run tries again). This bound is what lets
    /// another run tell an abandoned upload from a live one: <see cref="SiteSync.AbandonedAfter"/> is twice this, so an
    /// upload idle that long is no live run's. A part is bounded far below it (each attempt's timeout and cap).
    /// </summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromHours(12);

    /// <summary>The clock of <see cref="IdleLimit"/>.</summary>
    internal TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Test seam: called on the worker after a part of a large file was read and before it is sent, with the
    /// file's path and the part's index (from 0).</summary>
    internal Action<string, int>? AfterPartRead { get; set; }

    /// <summary>How many workers the pool has: at most this many jobs and parts are in flight at once.</summary>
    public int Workers { get; }

    /// <summary>The most jobs and parts that were in flight at once so far (for tests and the metrics).</summary>
    public int MostInFlight => Volatile.Read(ref _mostRunning);

    /// <summary>Starts a batch: jobs of one site, store and digest source, cancelled by <paramref name="cancellationToken"/>.</summary>
    public UploadBatch Batch(Site site, IObjectStore store, IDigestSource digests, CancellationToken cancellationToken, bool logsActions = true) =>
        new(this, site, store, digests, cancellationToken) { LogsActions = logsActions };

    private UploadBatch Default => _default ?? throw new InvalidOperationException("this uploader is shared: queue jobs through a batch");

    /// <summary>Log each upload and copy as its <see cref="ActionLine"/> (true by default). Watch logs its own, with the site's name.</summary>
    public bool LogsActions { get => Default.LogsActions; init => Default.LogsActions = value; }

    /// <summary>Raised on a worker thread as a job of the own batch is taken from the queue, before the file is read.</summary>
    public event Action<PlanEntry>? Starting { add => Default.Starting += value; remove => Default.Starting -= value; }

    /// <summary>Raised on a worker thread as each job of the own batch ends.</summary>
    public event Action<UploadResult>? Completed { add => Default.Completed += value; remove => Default.Completed -= value; }

    /// <summary>Jobs waiting in the queue (of every batch).</summary>
    public int QueueDepth => _jobs.Reader.CanCount ? _jobs.Reader.Count : 0;

    /// <summary>Queues an upload or storage-class change of the own batch; waits while the queue is full.</summary>
    public ValueTask EnqueueAsync(PlanEntry entry, CancellationToken cancellationToken) => Default.EnqueueAsync(entry, cancellationToken);

    internal ValueTask WriteAsync(PlanEntry entry, UploadBatch batch, CancellationToken cancellationToken) => _jobs.Writer.WriteAsync(new Job(entry, batch), cancellationToken);

    /// <summary>Takes no more jobs and waits for those queued and running to end.</summary>
    public async Task CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _parts.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        _jobs.Writer.TryComplete();
        try { await Task.WhenAll(_workers).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _parts.Writer.TryComplete();
        _hashing.Dispose();
    }

    private async Task WorkerAsync()
    {
        Task<bool>? jobsWait = null, partsWait = null;
        while (true)
        {
            if (_parts.Reader.TryRead(out var part)) { await InFlight(RunPartAsync(part)).ConfigureAwait(false); continue; }
            if (_jobs.Reader.TryRead(out var job)) { await InFlight(RunJobAsync(job)).ConfigureAwait(false); continue; }
            try
            {
                jobsWait ??= _jobs.Reader.WaitToReadAsync(_cancellationToken).AsTask();
                partsWait ??= _parts.Reader.WaitToReadAsync(_cancellationToken).AsTask();
                await Task.WhenAny(jobsWait, partsWait).ConfigureAwait(false);
                if (partsWait.IsCompleted) { _ = await partsWait.ConfigureAwait(false); partsWait = null; }
                if (jobsWait.IsCompleted)
                {
                    var more = await jobsWait.ConfigureAwait(false);
                    jobsWait = null;
                    if (!more && !_parts.Reader.TryPeek(out _)) return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Counts what a worker runs (a job, or a part taken from the shared queue; a job's owner running parts
    /// itself stays one).</summary>
    private async Task InFlight(Task work)
    {
        var now = Interlocked.Increment(ref _running);
        int most;
        while (now > (most = Volatile.Read(ref _mostRunning)) && Interlocked.CompareExchange(ref _mostRunning, now, most) != most) { }
        try { await work.ConfigureAwait(false); }
        finally { Interlocked.Decrement(ref _running); }
    }

    private async Task RunJobAsync(Job job)
    {
        var (entry, batch) = job;
        batch.OnStarting(entry);
        UploadResult result;
        try
        {
            result = entry.Action switch
            {
                PlanAction.Upload or PlanAction.ChangeMetadata when entry.Local?.Folder is { } folder => await PutFolderAsync(entry, folder, batch).ConfigureAwait(false),
                PlanAction.ChangeStorageClass => await ChangeClassAsync(entry, batch).ConfigureAwait(false),
                PlanAction.ChangeMetadata => await ChangeMetadataAsync(entry, batch).ConfigureAwait(false),
                _ => await UploadAsync(entry, batch).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException)
        {
            result = new UploadResult(entry, UploadOutcome.Failed, 0, "cancelled");
        }
        batch.OnCompleted(result);
    }

    private async Task<UploadResult> ChangeClassAsync(PlanEntry entry, UploadBatch b)
    {
        try
        {
            await (b.Store.Copy ?? throw StoreCapabilities.Missing("copy objects")).ChangeStorageClassAsync(entry.Key, b.Site.StorageClass, b.Token).ConfigureAwait(false);
            if (b.LogsActions) ActionLine.Log(_logger, ActionLine.Copy, entry.Key, b.Site.StorageClass);
            return new UploadResult(entry, UploadOutcome.ChangedInPlace, 0, null, b.Site.StorageClass);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("{Key}: storage class change failed: {Error}", entry.Key, StoreErrors.Describe(e));
            return new UploadResult(entry, UploadOutcome.Failed, 0, StoreErrors.Describe(e));
        }
    }

    /// <remarks>A new array each time: a static one could be written by any caller (the store takes a byte[]).</remarks>
    private static byte[] EmptyMd5 => MD5.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>
    /// A folder's marker (<c>folders: true</c>): a zero-byte object at <c>key/</c> with the folder's mode, owner and
    /// mtime as the walk read them through its handle, and the site's headers (rclone's <c>--s3-directory-markers</c>
    /// writes the same empty <c>dir/</c> object, and reads the same <c>mtime</c>). A changed folder's marker is written
    /// again: one request, as a copy would be.
    /// </summary>
    private async Task<UploadResult> PutFolderAsync(PlanEntry entry, FileMetadata folder, UploadBatch b)
    {
        try
        {
            var headers = Headers(b, entry.Key, ETag.Hex(EmptyMd5), folder);
            await b.Store.PutAsync(entry.Key, ReadOnlyMemory<byte>.Empty, EmptyMd5, headers, b.Token).ConfigureAwait(false);
            if (entry.Action == PlanAction.ChangeMetadata)
            {
                var detail = "metadata, mode " + Convert.ToString(folder.Permissions, 8);
                if (b.LogsActions) ActionLine.Log(_logger, ActionLine.Copy, entry.Key, detail);
                return new UploadResult(entry, UploadOutcome.ChangedInPlace, 0, null, detail);
            }
            if (b.LogsActions) ActionLine.Log(_logger, ActionLine.Upload, entry.Key);
            return new UploadResult(entry, UploadOutcome.Uploaded, 0, null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("{Key}: folder marker upload failed: {Error}", entry.Key, StoreErrors.Describe(e));
            return new UploadResult(entry, UploadOutcome.Failed, 0, StoreErrors.Describe(e));
        }
    }

    /// <summary>The largest object CopyObject takes; a larger one is uploaded again instead.</summary>
    private const long MaxCopyBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>
    /// A file whose content is in S3 but whose mode, owner or mtime changed, or whose object's headers, ACL or
    /// encryption are not what the site's settings give: the object is rewritten by a server-side copy (with the site's
    /// storage class, headers, ACL and encryption), no bytes sent. Where the encryption was asked for, a HEAD checks that
    /// the server applied it (Ceph 16 answers a self-copy asking for SSE-KMS with 200 and stores it unencrypted); where it
    /// did not, or a settings copy is refused (an SSE-C object under another key, an object over 5 GiB), the file is
    /// uploaded again.
    /// </summary>
    private async Task<UploadResult> ChangeMetadataAsync(PlanEntry entry, UploadBatch b)
    {
        var local = entry.Local!;
        var settings = entry.Reason == ChangeReason.SettingsDiffer;
        try
        {
            if (FileMetadata.TryRead(local.FullPath, followLinks: local.LinkTarget is null) is not { } file) return Vanished(entry);
            if (local.LinkTarget is { } linkTarget) file = file with { LinkTarget = linkTarget };
            if (settings && entry.Remote!.Size > MaxCopyBytes) return await UploadAsync(entry, b).ConfigureAwait(false);
            var digest = entry.Digest ?? await b.Digests.GetAsync(local, [], b.Token).ConfigureAwait(false);
            var multipart = ETag.TryParse(entry.Remote!.ETag, out _, out var parts) && parts > 0;
            var key = entry.Key;
            // A digest of part MD5s alone (a one-pass upload, a restore): the copy keeps the fingerprint the object has
            // (none after a one-pass upload). A copy does not change the bytes, so it vouches for what it vouched for
            // before, and a chmod costs no read of a large file.
            var md5Hex = digest.Md5Hex ?? (entry.Head ?? await b.Store.HeadAsync(key, b.Token).ConfigureAwait(false))?.FingerprintMd5;
            var ownLayout = multipart && digest.PartSize > 0 && digest.OwnETag == ETag.Normalize(entry.Remote.ETag);
            var headers = Headers(b, entry.Key, md5Hex, file) with { PartSize = ownLayout ? digest.PartSize : 0 };
            try
            {
                await (b.Store.Copy ?? throw StoreCapabilities.Missing("copy objects")).ReplaceMetadataAsync(key, headers, multipart, b.Token).ConfigureAwait(false);
            }
            catch (StoreException e) when (settings && e.Answered)
            {
                _logger.LogInformation("{Key}: the server refused the in-place copy ({Error}); uploading the file again", entry.Key, StoreErrors.Describe(e));
                return await UploadAsync(entry, b).ConfigureAwait(false);
            }
            if (b.Site.Encryption.IsKms || b.Site.Encryption.Mode == EncryptionMode.Customer)
            {
                var after = await b.Store.HeadAsync(key, b.Token).ConfigureAwait(false);
                if (after is not null && !ChangeDetector.EncryptionApplied(b.Site.Encryption, after))
                {
                    _logger.LogInformation("{Key}: the server did not apply {Encryption} to the copy; uploading the file again", entry.Key, b.Site.Encryption);
                    return await UploadAsync(entry, b).ConfigureAwait(false);
                }
            }
            var detail = (settings ? "headers, " : "") + "metadata, mode " + Convert.ToString(file.Permissions, 8);
            if (b.LogsActions) ActionLine.Log(_logger, ActionLine.Copy, entry.Key, detail);
            return new UploadResult(entry, UploadOutcome.ChangedInPlace, 0, null, detail);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Vanished(entry);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            b.Digests.Forget(local);
            _logger.LogError("{Key}: metadata change failed: {Error}", entry.Key, StoreErrors.Describe(e));
            return new UploadResult(entry, UploadOutcome.Failed, 0, StoreErrors.Describe(e));
        }
    }

    private async Task<UploadResult> UploadAsync(PlanEntry entry, UploadBatch b)
    {
        var local = entry.Local!;
        var digest = entry.Digest;
        string? lastError = null;
        // backup_path: what the upload overwrites is saved (and proved) first; an object that cannot be saved stays.
        if ((entry.Remote is not null || b.RemoteUnknown) && b.BeforeOverwrite is { } save && await save(entry.Key, b.Token).ConfigureAwait(false) is { } unsaved)
        {
            _logger.LogError("{Key}: not overwritten: {Error}", entry.Key, unsaved);
            return new UploadResult(entry, UploadOutcome.Failed, 0, $"not overwritten: {unsaved}");
        }
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                if (local.LinkTarget is { } target)
                {
                    await PutLinkAsync(entry, target, b).ConfigureAwait(false);
                    return new UploadResult(entry, UploadOutcome.Uploaded, local.Size, null);
                }
                var info = new FileInfo(local.FullPath);
                // symlinks: follow: what is read, sized and timed is the link's final target (the walk checked it).
                if (info.LinkTarget is not null)
                {
                    if (info.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo resolved) return Vanished(entry);
                    info = resolved;
                }
                if (!info.Exists) return Vanished(entry);
                var size = info.Length;
                if (digest is not null && digest.Size != size) digest = null;
                if (ETag.IsMultipartSize(size))
                    await PutMultipartAsync(entry, size, digest, b).ConfigureAwait(false);
                else
                    await PutSingleAsync(entry, info, b).ConfigureAwait(false);
                if (b.LogsActions) ActionLine.Log(_logger, ActionLine.Upload, entry.Key);
                _logger.LogDebug("{Key}: {Size} bytes sent", entry.Key, size);
                return new UploadResult(entry, UploadOutcome.Uploaded, size, null);
            }
            catch (FileSwappedException e)
            {
                // Never an upload of something else: a warning for that path, nothing read, its object kept.
                _logger.LogWarning("{Message}", e.Message);
                return new UploadResult(entry, UploadOutcome.Vanished, 0, null);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return Vanished(entry);
            }
            catch (Exception e) when (e is FileChangedException || IsBadDigest(e))
            {
                lastError = "changed while it was uploaded";
                _logger.LogDebug("{Key}: changed during upload (attempt {Attempt}); reading it again", entry.Key, attempt);
                b.Digests.Forget(local);
                digest = null;
            }
            catch (Exception e) when (e is (IOException and not System.Net.Http.HttpIOException) or UnauthorizedAccessException)
            {
                var message = e is UnauthorizedAccessException ? "cannot read: permission denied" : $"cannot read: {e.Message}";
                _logger.LogError("{Key}: {Error}", entry.Key, message);
                return new UploadResult(entry, UploadOutcome.Failed, 0, message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("{Key}: upload failed: {Error}", entry.Key, StoreErrors.Describe(e));
                return new UploadResult(entry, UploadOutcome.Failed, 0, StoreErrors.Describe(e));
            }
        }
        _logger.LogError("{Key}: {Error} {Attempts} times; it will be retried next run", entry.Key, lastError, MaxAttempts);
        return new UploadResult(entry, UploadOutcome.Failed, 0, $"{lastError} {MaxAttempts} times");
    }

    private static bool IsBadDigest(Exception e) =>
        e is StoreException { Kind: StoreErrorKind.BadDigest };

    private UploadResult Vanished(PlanEntry entry)
    {
        _logger.LogDebug("{Key}: deleted before it could be uploaded; skipped", entry.Key);
        return new UploadResult(entry, UploadOutcome.Vanished, 0, null);
    }

    private static UploadHeaders Headers(UploadBatch b, string key, string? md5Hex, FileMetadata? file) => UploadHeaders.For(b.Site, key, md5Hex, file);

    /// <summary>A preserved symbolic link: a small object whose body is the target, with the target in its metadata.</summary>
    private static async Task PutLinkAsync(PlanEntry entry, string target, UploadBatch b)
    {
        var local = entry.Local!;
        if (FileMetadata.TryRead(local.FullPath) is not { IsSymbolicLink: true } link) throw new FileNotFoundException(local.FullPath);
        var current = File.ResolveLinkTarget(local.FullPath, returnFinalTarget: false) is null ? null : new FileInfo(local.FullPath).LinkTarget;
        if (current != target) throw new FileChangedException(local.FullPath);
        var body = System.Text.Encoding.UTF8.GetBytes(target);
        var md5 = MD5.HashData(body);
        var headers = new UploadHeaders(b.Site.StorageClass, "application/octet-stream", ETag.Hex(md5)) { File = link with { LinkTarget = target } };
        await b.Store.PutAsync(entry.Key, body, md5, headers, b.Token).ConfigureAwait(false);
    }

    /// <summary>One PUT from a buffer. The MD5 sent is the buffer's, so the stored bytes are exactly what was read;
    /// size and mtime before and after the read catch a writer in the middle.</summary>
    private async Task PutSingleAsync(PlanEntry entry, FileInfo info, UploadBatch b)
    {
        var stamp = b.Digests.BeforeRead(entry.Local!);
        var (size, mtime) = (info.Length, info.LastWriteTimeUtc);
        var file = FileMetadata.TryRead(info.FullName, followLinks: true);
        using var held = await _buffers.AcquireAsync(size, b.Token).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, size));
        try
        {
            var read = 0;
            if (size > 0)
            {
                using var handle = LocalFile.OpenRead(info.FullName, entry.Local!.Identity);
                read = await FileHasher.ReadFullAsync(handle, buffer.AsMemory(0, (int)size), 0, b.Token).ConfigureAwait(false);
                if (read != size || RandomAccess.GetLength(handle) != size) throw new FileChangedException(info.FullName);
            }
            info.Refresh();
            if (!info.Exists) throw new FileNotFoundException(info.FullName);
            if (info.Length != size || info.LastWriteTimeUtc != mtime) throw new FileChangedException(info.FullName);
            var body = buffer.AsMemory(0, read);
            var md5 = MD5.HashData(body.Span);
            await b.Store.PutAsync(entry.Key, body, md5, Headers(b, entry.Key, ETag.Hex(md5), file), b.Token).ConfigureAwait(false);
            // What was sent is what the file held when its fingerprint was taken: remember it, so the next run reads nothing.
            if (stamp is not null) b.Digests.Remember(entry.Local!, stamp, new FileDigest(read, md5, 0, [], new Dictionary<long, string>()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PutMultipartAsync(PlanEntry entry, long size, FileDigest? digest, UploadBatch b)
    {
        var local = entry.Local!;
        var onePass = digest is null ? OnePassStamp(local, b) : null;
        if (onePass is null)
        {
            if (digest is null)
            {
                // One large file is hashed at a time (the hasher already uses two cores): the first file's parts go up
                // while the next one is hashed, instead of every upload waiting for every hash.
                await _hashing.WaitAsync(b.Token).ConfigureAwait(false);
                try { digest = await b.Digests.GetAsync(local, [], WholeMd5IsProof(b), b.Token).ConfigureAwait(false); }
                finally { _hashing.Release(); }
            }
            else if (!digest.HasMd5 && WholeMd5IsProof(b))
            {
                digest = await b.Digests.GetAsync(local, [], wholeMd5: true, b.Token).ConfigureAwait(false);
            }
            if (digest.PartMd5s.Count == 0 || digest.Size != size || digest.PartMd5s.Count != ETag.PartCount(size, digest.PartSize))
                throw new FileChangedException(local.FullPath);
        }
        else if (onePass.Fingerprint.Size != size)
        {
            throw new FileChangedException(local.FullPath);
        }
        var partSize = digest?.PartSize ?? ETag.PartSizeFor(size);
        var key = entry.Key;
        var headers = Headers(b, entry.Key, digest?.Md5Hex, FileMetadata.TryRead(local.FullPath, followLinks: true)) with { PartSize = partSize };
        var uploadId = await (b.Store.Multipart ?? throw StoreCapabilities.Missing("upload in parts")).StartMultipartAsync(key, headers, b.Token).ConfigureAwait(false);
        // Nothing stored for IdleLimit: the upload is given up (each part stored re-arms it; see IdleLimit).
        using var idle = new CancellationTokenSource(IdleLimit, Time);
        using var live = CancellationTokenSource.CreateLinkedTokenSource(b.Token, idle.Token);
        var state = new MultipartState(b, local.FullPath, local.Identity, key, uploadId, size, partSize, digest?.PartMd5s, live.Token) { Idle = idle };
        try
        {
            for (var i = 0; i < state.PartCount; i++) _parts.Writer.TryWrite(new PartWork(state, i));
            // The owner works on parts too (its own or others'), so a pool full of large files cannot deadlock.
            while (!state.AllClaimed && _parts.Reader.TryRead(out var part)) await RunPartAsync(part).ConfigureAwait(false);
            await state.Finished.ConfigureAwait(false);
            if (state.Error is { } error) throw error;
            // One pass: no MD5 was known before the parts were read, so only an unmoved fingerprint says that every
            // part is of one version of the file (a write with its mtime put back still moves the ctime).
            if (onePass is not null && FileFingerprint.TryRead(local.FullPath) != onePass.Fingerprint) throw new FileChangedException(local.FullPath);
            await (b.Store.Multipart ?? throw StoreCapabilities.Missing("upload in parts")).CompleteMultipartAsync(key, uploadId, state.PartETags(), live.Token).ConfigureAwait(false);
        }
        catch
        {
            await AbortQuietlyAsync(b, key, uploadId).ConfigureAwait(false);
            if (idle.IsCancellationRequested && !b.Token.IsCancellationRequested)
                throw new TimeoutException($"nothing of its multipart upload was stored for {IdleLimit.TotalHours:0} h: given up and aborted (an upload idle for {SiteSync.AbandonedAfter.TotalHours:0} h is taken for abandoned by other runs)");
            throw;
        }
        // What was sent is what the file held when its fingerprint was taken: remember it, so the next run reads nothing.
        if (onePass is not null) b.Digests.Remember(local, onePass, new FileDigest(size, null, partSize, state.PartMd5s(), new Dictionary<long, string>()));
    }

    /// <summary>True where the ETag is not an MD5 of the bytes (SSE-KMS, SSE-C): the whole-file MD5 in metadata is then
    /// the only proof of an object's content, so it must be known before CreateMultipartUpload.</summary>
    private static bool WholeMd5IsProof(UploadBatch b) => b.Site.Encryption.IsKms || b.Site.Encryption.Mode == EncryptionMode.Customer;

    /// <summary>The stamp of a one-pass upload, or null when the file takes the two-pass path: an encrypted site
    /// (<see cref="WholeMd5IsProof"/>), or a file whose mtime or ctime is within the racy margin (<see cref="IDigestSource.RacyMarginNs"/>) of
    /// now (the hash cache's racy rule: a write in the same clock tick could leave the fingerprint as it was). The time
    /// is the digest source's (<see cref="IDigestSource.BeforeRead"/>) when it has one.</summary>
    private static ReadStamp? OnePassStamp(LocalEntry local, UploadBatch b)
    {
        if (WholeMd5IsProof(b)) return null;
        var stamp = b.Digests.BeforeRead(local)
            ?? (FileFingerprint.TryRead(local.FullPath) is { } fingerprint ? new ReadStamp(fingerprint, (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100) : null);
        if (stamp is null) return null;
        var newest = Math.Max(stamp.Fingerprint.MtimeNs, stamp.Fingerprint.CtimeNs);
        return newest <= stamp.StartedNs - b.Digests.RacyMarginNs(local.FullPath, stamp.Fingerprint) ? stamp : null;
    }

    private async Task AbortQuietlyAsync(UploadBatch b, string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await (b.Store.Multipart ?? throw StoreCapabilities.Missing("upload in parts")).AbortMultipartAsync(key, uploadId, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger.LogWarning("{Key}: could not abort multipart upload {UploadId}: {Error}", b.Store.Location.Join(key), uploadId, StoreErrors.Describe(e));
        }
    }

    private async Task RunPartAsync(PartWork work)
    {
        var state = work.State;
        state.Claim();
        byte[]? buffer = null;
        ByteBudget.Lease? held = null;
        try
        {
            if (state.Error is not null) return;
            var offset = work.Index * state.PartSize;
            var length = (int)Math.Min(state.PartSize, state.Size - offset);
            held = await _buffers.AcquireAsync(length, state.Token).ConfigureAwait(false);
            buffer = ArrayPool<byte>.Shared.Rent(length);
            int read;
            using (var handle = LocalFile.OpenRead(state.Path, state.Identity))
                read = await FileHasher.ReadFullAsync(handle, buffer.AsMemory(0, length), offset, state.Token).ConfigureAwait(false);
            var body = buffer.AsMemory(0, read);
            if (read != length) throw new FileChangedException(state.Path);
            AfterPartRead?.Invoke(state.Path, work.Index);
            // Two passes: Content-MD5 is the part's MD5 from when the file was hashed: the server checks the bytes against
            // it (BadDigest when the file changed since), so the part is not hashed a second time here. One pass: the
            // part's MD5 is computed from this buffer, the only read of it.
            var md5 = state.KnownMd5(work.Index) ?? MD5.HashData(body.Span);
            var etag = await (state.Batch.Store.Multipart ?? throw StoreCapabilities.Missing("upload in parts")).UploadPartAsync(state.Key, state.UploadId, work.Index + 1, body, md5, state.Token).ConfigureAwait(false);
            state.SetPart(work.Index, etag, md5);
        }
        catch (Exception e)
        {
            state.Fail(e);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            held?.Dispose();
            state.Done();
        }
    }

    private sealed record Job(PlanEntry Entry, UploadBatch Batch);

    private sealed record PartWork(MultipartState State, int Index);

    /// <summary>One multipart upload in flight: which parts are taken, which are done, their MD5s, the first error.
    /// <paramref name="knownMd5s"/> are the part MD5s hashed before the upload (two passes), null for one pass.</summary>
    private sealed class MultipartState(UploadBatch batch, string path, FileIdentity? identity, string key, string uploadId, long size, long partSize, IReadOnlyList<byte[]>? knownMd5s, CancellationToken token)
    {
        private readonly string[] _etags = new string[ETag.PartCount(size, partSize)];
        private readonly byte[][] _md5s = new byte[ETag.PartCount(size, partSize)][];
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(token);
        private int _claimed, _done;
        private Exception? _error;

        public UploadBatch Batch => batch;
        public string Path => path;
        public FileIdentity? Identity => identity;
        public string Key => key;
        public string UploadId => uploadId;
        public long Size => size;
        public long PartSize => partSize;
        public int PartCount => _etags.Length;
        public CancellationToken Token => _cts.Token;
        public Exception? Error => Volatile.Read(ref _error);
        public bool AllClaimed => Volatile.Read(ref _claimed) >= PartCount;
        public Task Finished => _finished.Task;

        public byte[]? KnownMd5(int index) => knownMd5s?[index];

        public void Claim() => Interlocked.Increment(ref _claimed);

        /// <summary>Re-armed with <see cref="IdleLimit"/> by each part stored.</summary>
        public CancellationTokenSource? Idle { get; init; }

        public void SetPart(int index, string etag, byte[] md5)
        {
            (_etags[index], _md5s[index]) = (etag, md5);
            Idle?.CancelAfter(IdleLimit);
        }

        public void Fail(Exception e)
        {
            if (Interlocked.CompareExchange(ref _error, e, null) is null) _cts.Cancel();
        }

        public void Done()
        {
            if (Interlocked.Increment(ref _done) == PartCount)
            {
                _finished.TrySetResult();
                _cts.Dispose();
            }
        }

        public IReadOnlyList<(int, string)> PartETags() => [.. _etags.Select((e, i) => (i + 1, e))];

        /// <summary>The MD5 of each part as sent, once every part is done.</summary>
        public IReadOnlyList<byte[]> PartMd5s() => _md5s;
    }
}
