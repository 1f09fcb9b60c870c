using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using S3Sync.Config;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;

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
/// ranged GETs of their part size, several at once, each pinned to the listed ETag (and version), with buffers taken
/// from the process's <see cref="ByteBudget"/> so memory stays bounded as in sync.
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
            head = await WritePartsAsync(folder, temp, key, remote).ConfigureAwait(false);
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
                // Verify what landed on disk, read back through the folder's descriptor.
                var candidates = ETag.TryParse(remote.ETag, out _, out var parts) && parts > 0 ? ETag.CandidatePartSizes(remote.Size, parts) : [];
                var digest = await FileHasher.HashAsync(TargetFolder.PathOf(folder, temp), candidates, _cancellationToken).ConfigureAwait(false);
                warning = Check(digest, remote, head);
                var mode = stored?.Permissions ?? (0x1B6 & ~_umask);
                var mtime = stored?.MtimeNs ?? (remote.LastModifiedUtc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;
                using (var file = TargetFolder.OpenExisting(folder, temp))
                    TargetFolder.Apply(file, mode, mtime, stored is null ? null : Owner(stored));
                TargetFolder.Rename(folder, temp, name);
                temp = null;
                var path = Path.Combine(_target.Path, entry.Key);
                var local = new LocalEntry(entry.Key, path, remote.Size, DateTime.UnixEpoch.AddTicks(mtime / 100));
                // What was verified is what the file holds: remember it, so the next restore or sync reads nothing.
                if (FileFingerprint.TryRead(TargetFolder.PathOf(folder, name)) is { } fingerprint)
                    _digests.Remember(local with { FullPath = TargetFolder.PathOf(folder, name) }, new ReadStamp(fingerprint, NowNs()), digest);
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

    /// <summary>Ranged GETs of the object's part size (so part ETags line up), several at once, written at their offsets.</summary>
    private async Task<ObjectDownload> WritePartsAsync(SafeFileHandle folder, string temp, string key, RemoteObject remote)
    {
        // Up to 8 MiB: one GET of the whole object. Larger: its part size, so each part's ETag lines up.
        var partSize = remote.Size <= SingleGetLimit ? Math.Max(1, remote.Size)
            : ETag.TryParse(remote.ETag, out _, out var parts) && parts > 0
                ? ETag.CandidatePartSizes(remote.Size, parts).DefaultIfEmpty(ETag.PartSizeFor(remote.Size)).First()
                : ETag.PartSizeFor(remote.Size);
        var count = ETag.PartCount(remote.Size, partSize);
        var ifMatch = remote.VersionId is null ? remote.ETag : null;
        using var file = TargetFolder.CreateFile(folder, temp);
        ObjectDownload? first = null;
        var gate = new object();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        var token = cts.Token;
        var next = -1;
        async Task PartsAsync()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < count;)
            {
                try { await PartAsync(i).ConfigureAwait(false); }
                catch { cts.Cancel(); throw; }
            }
        }
        async Task PartAsync(int i)
        {
            var offset = i * partSize;
            var length = (int)Math.Min(partSize, remote.Size - offset);
            using var held = await _buffers.AcquireAsync(length, token).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var download = await _store.GetAsync(_site.Bucket, key, offset, count == 1 ? null : length, remote.VersionId, ifMatch, token).ConfigureAwait(false);
                try
                {
                    var read = await download.Body.ReadAtLeastAsync(buffer.AsMemory(0, length), length, throwOnEndOfStream: false, token).ConfigureAwait(false);
                    if (read != length || (count == 1 && await download.Body.ReadAsync(new byte[1], token).ConfigureAwait(false) > 0))
                        throw new InvalidDataException($"the object's body is not the {remote.Size} bytes listed (replaced during the restore?)");
                    await RandomAccess.WriteAsync(file, buffer.AsMemory(0, length), offset, token).ConfigureAwait(false);
                }
                finally
                {
                    lock (gate)
                    {
                        if (first is null) first = download;
                        else download.Dispose();
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        // Up to 8 parts of one object at once (fewer with fewer workers); the byte budget bounds the buffers.
        var runners = Enumerable.Range(0, Math.Clamp(Math.Min(_settings.Workers, count), 1, 8)).Select(_ => PartsAsync()).ToArray();
        try { await Task.WhenAll(runners).ConfigureAwait(false); }
        catch when (runners.FirstOrDefault(r => r.IsFaulted && r.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            throw failed.Exception!.InnerException!;
        }
        first!.Dispose();
        return first;
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
