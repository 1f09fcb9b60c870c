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
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>How one restore job ended.</summary>
public enum DownloadOutcome { Written, MetadataApplied, Failed }

/// <summary>The result of one restore job, for counters and logs.</summary>
public sealed record DownloadResult(PlanEntry Entry, DownloadOutcome Outcome, long Bytes, string? Error, string? Warning = null);

/// <summary>Settings of a restore that are not per site.</summary>
/// <param name="Owner">Set owner and group from the object (restore as root without --no-owner).</param>
/// <param name="At">Point in time: restore the newest version of each key not newer than this (a versioned bucket).</param>
/// <param name="DryRun">Plan, pass the deletions through the guard, report each action as planned (or held), change nothing.</param>
/// <param name="LogActions">Log each action as its action line at info (false under <c>--json</c>, whose lines say it).</param>
public sealed record RestoreSettings(int Workers, bool Owner, DeleteLimit? MaxDelete = null, DateTime? At = null, bool DryRun = false, bool LogActions = true);

/// <summary>
/// The restore's worker pool: <c>Workers</c> workers behind a bounded queue write objects into a <see cref="TargetFolder"/>.
/// Each object goes to a temporary file in its own folder, is hashed and checked against the object (its ETag, one part
/// or multipart at any known part size, else the whole-file MD5 in its metadata), gets its mode, mtime and (as root)
/// owner, and only then is renamed over the real name: an interrupted restore leaves no half-written file under a real
/// name, and its temporary files are removed by the next run. Objects up to 8 MiB come in one GET; larger ones in
/// up to 8 ranged GETs at once, each over a run of whole parts and pinned to the listed ETag (and version), streamed
/// through a 256 KiB buffer taken from the process's <see cref="ByteBudget"/> so memory stays bounded as in sync.
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
    private readonly ByteBudget _buffers = Uploader.ProcessBuffers;
    private readonly Channel<PlanEntry> _jobs;
    private readonly Task[] _workers;
    private readonly int _umask = CurrentUmask();

    public Downloader(Site site, IObjectStore store, TargetFolder target, IDigestSource digests, RestoreSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        _site = site;
        _store = store;
        _target = target;
        _digests = digests;
        _settings = settings;
        _logger = logger;
        _cancellationToken = cancellationToken;
        _jobs = Channel.CreateBounded<PlanEntry>(new BoundedChannelOptions(Math.Max(1, settings.Workers * 2)) { FullMode = BoundedChannelFullMode.Wait });
        _workers = [.. Enumerable.Range(0, Math.Max(1, settings.Workers)).Select(_ => Task.Run(WorkerAsync, CancellationToken.None))];
    }

    /// <summary>Raised on a worker thread as each job ends.</summary>
    public event Action<DownloadResult>? Completed;

    public ValueTask EnqueueAsync(PlanEntry entry, CancellationToken cancellationToken) => _jobs.Writer.WriteAsync(entry, cancellationToken);

    public async Task CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
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
                        result = entry.Action == PlanAction.ApplyMetadata ? ApplyMetadata(entry) : await DownloadAsync(entry).ConfigureAwait(false);
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

    private DownloadResult ApplyMetadata(PlanEntry entry)
    {
        var segments = entry.Key.Split('/');
        try
        {
            using var folder = _target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
            var stored = entry.Stored!;
            if (entry.Local?.LinkTarget is not null)
            {
                TargetFolder.ApplyToLink(folder, segments[^1], stored.MtimeNs, Owner(stored));
            }
            else
            {
                using var file = TargetFolder.OpenExisting(folder, segments[^1]);
                TargetFolder.Apply(file, stored.Permissions, stored.MtimeNs, Owner(stored));
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

    private async Task<DownloadResult> DownloadAsync(PlanEntry entry)
    {
        var remote = entry.Remote!;
        var key = _site.KeyFor(entry.Key);
        if (!RestorePath.TryParse(entry.Key, out var segments, out var why))
            return Fail(entry, $"not restored: {why}");
        SafeFileHandle? folder = null;
        string? temp = null;
        try
        {
            folder = _target.OpenFolder(segments.AsSpan(0, segments.Length - 1));
            var name = segments[^1];
            temp = TargetFolder.NewTempName();
            string? warning;
            ObjectDownload? head;
            var candidates = ETag.TryParse(remote.ETag, out _, out var etagParts) && etagParts > 0 ? ETag.CandidatePartSizes(remote.Size, etagParts) : [];
            FileDigest? inline;
            (head, inline) = await WritePartsAsync(folder, temp, key, entry.Key, remote, candidates).ConfigureAwait(false);
            var stored = head.File;
            if (stored?.LinkTarget is { } target)
            {
                // A preserved link: the object's body is the target too; the link replaces the temporary file.
                TargetFolder.Remove(folder, temp);
                TargetFolder.CreateLink(folder, temp, target);
                TargetFolder.ApplyToLink(folder, temp, stored.MtimeNs, Owner(stored));
            }
            if (stored?.LinkTarget is null)
            {
                // Verify what was written: hashed as the parts came in, or (another part layout) read back from the file.
                var digest = inline is { } d && (d.Matches(remote.ETag) || (d.HasMd5 && (head.FingerprintMd5 is not null || head.Encrypted))) ? d
                    : await FileHasher.HashAsync(TargetFolder.PathOf(folder, temp), candidates, _cancellationToken).ConfigureAwait(false);
                warning = Check(digest, remote, head);
                var mode = stored?.Permissions ?? (0x1B6 & ~_umask);
                // An mtime without a mode (rclone's upload) still counts; the upload time only when there is none.
                var mtime = stored?.MtimeNs ?? head.MtimeNs ?? (remote.LastModifiedUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
                using (var file = TargetFolder.OpenExisting(folder, temp))
                    TargetFolder.Apply(file, mode, mtime, stored is null ? null : Owner(stored));
                TargetFolder.Rename(folder, temp, name);
                temp = null;
                var path = Path.Combine(_target.Path, entry.Key);
                var local = new LocalEntry(entry.Key, path, remote.Size, DateTime.UnixEpoch.AddTicks(mtime / 100));
                // What was verified is what the file holds: remember it, so the next restore or sync reads nothing.
                if (FileFingerprint.TryRead(TargetFolder.PathOf(folder, name)) is { } fingerprint)
                    _digests.Remember(local with { FullPath = TargetFolder.PathOf(folder, name) }, OwnWriteStamp(fingerprint), digest);
            }
            else
            {
                warning = null;
                TargetFolder.Rename(folder, temp, name);
                temp = null;
            }
            if (warning is not null) _logger.LogWarning("{Key}: {Warning}", entry.Key, warning);
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

    private DownloadResult Fail(PlanEntry entry, string message)
    {
        _logger.LogError("{Key}: {Error}", entry.Key, message);
        return new DownloadResult(entry, DownloadOutcome.Failed, 0, message);
    }

    /// <summary>Null when the bytes are the object's; a warning when nothing can prove it; throws when they differ.</summary>
    private static string? Check(FileDigest digest, RemoteObject remote, ObjectDownload head)
    {
        if (digest.Size != remote.Size) throw new InvalidDataException($"downloaded {digest.Size} bytes, the object has {remote.Size}");
        var parsed = ETag.TryParse(remote.ETag, out _, out var parts);
        if (!head.Encrypted && parsed && digest.Matches(remote.ETag)) return null;
        if (head.FingerprintMd5 is { } md5)
            return md5 == digest.Md5Hex ? null : throw new InvalidDataException("the downloaded bytes do not match the MD5 stored with the object");
        if (!head.Encrypted && parsed && parts == 0)
            throw new InvalidDataException($"the downloaded bytes do not match the ETag {remote.ETag}");
        return "written unverified: the ETag is not an MD5 of the bytes and the object holds no MD5";
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
    private async Task<(ObjectDownload Head, FileDigest? Digest)> WritePartsAsync(SafeFileHandle folder, string temp, string key, string shown, RemoteObject remote, IReadOnlyList<long> candidates)
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
        using var file = TargetFolder.CreateFile(folder, temp);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        // An encrypted object's whole-file MD5 follows the parts in order as they are written (several parts only).
        TaskCompletionSource[]? written = null;
        Task? wholeTask = null;
        using var whole = hash == FetchHash.Parts ? IncrementalHash.CreateHash(HashAlgorithmName.MD5) : null;
        var fetcher = new PartFetcher(_store, _site.Bucket, key, shown, remote, file, partSize, hash, _logger)
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

    private (int Uid, int Gid)? Owner(FileMetadata stored)
    {
        if (!_settings.Owner) return null;
        // A name known here wins over the number: uids differ between hosts, names less so.
        var uid = stored.UserName is { } user && PosixAccounts.UserId(user) is { } u ? u : stored.Uid;
        var gid = stored.GroupName is { } group && PosixAccounts.GroupId(group) is { } g ? g : stored.Gid;
        if (uid is null && gid is null) return null;
        return (uid ?? -1, gid ?? -1);
    }

    /// <summary>
    /// The stamp for a file this restore wrote, verified and renamed itself. The cache trusts a row only when the file's
    /// mtime and ctime are older than its hash by <see cref="HashCache.RacyMargin"/>: a file changed within the same clock
    /// tick could keep its fingerprint. Our rename sets the ctime just now, so a stamp of "now" would make every restored
    /// file a miss for ever and the next restore would read the whole tree again. But this file's content was written
    /// to a 0600 temporary file no one else can open, then given its old mtime before the rename: any write after the
    /// rename moves the mtime to the present, and the fingerprint no longer matches. So when the restored mtime is older
    /// than the margin, the ctime is not a reason to doubt the row, and the stamp is put past it.
    /// </summary>
    internal static ReadStamp OwnWriteStamp(FileFingerprint fingerprint)
    {
        var now = NowNs();
        var margin = (long)HashCache.RacyMargin.TotalNanoseconds;
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
