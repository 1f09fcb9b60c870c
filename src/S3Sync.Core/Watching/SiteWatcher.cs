using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Watching;

/// <summary>Settings of a watch that are not per site.</summary>
public sealed record WatchSettings
{
    public int Workers { get; init; } = Defaults.UploadWorkers;
    public int QueueBuffer { get; init; }

    /// <summary>Where full reconciles remember the applied upload settings (see <see cref="Execution.SettingsLedger"/>).</summary>
    public Execution.SettingsLedger? Ledger { get; init; }

    /// <summary>Where full reconciles remember the sub-mounts of local_path (see <see cref="Execution.MountLedger"/>).</summary>
    public Execution.MountLedger? Mounts { get; init; }

    /// <summary>Seconds between full reconciles; 0 turns them off.</summary>
    public int RescanIntervalSeconds { get; init; } = Defaults.RescanIntervalSeconds;

    /// <summary>How long a stop waits for queued and running uploads before it cancels (and aborts) them.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The longest wait between two tries of a failed upload (the wait doubles from 1 s up to this).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The hash cache (<c>state_dir</c>): full syncs plan with it as <c>sync</c> does, and event uploads record
    /// what they read in it, so a restart over an unchanged tree reads no file. Null: no cache.</summary>
    public S3Sync.Hashing.HashCache? Cache { get; init; }

    /// <summary>What reads and hashes a file when the cache cannot answer; tests count the reads.</summary>
    public IDigestSource Reader { get; init; } = DirectDigestSource.Instance;
}

/// <summary>What a site watcher did, for logs, metrics and tests that wait for it.</summary>
public enum WatchActivityKind { Uploaded, Deleted, UploadFailed, Vanished, FullSyncDone, FullSyncFailed, Overflow, DeletesHeld }

public sealed record WatchActivity(string Site, WatchActivityKind Kind, string? Key = null);

/// <summary>
/// Keeps one site's prefix current while the process runs. Order at start: install the watches, then run the full sync,
/// so nothing written during the sync is missed. Then every change goes through one loop that owns all per-key state:
/// <list type="bullet">
/// <item>a file closed after writing (or renamed into place) is uploaded at once; a file written and not closed is
/// uploaded once it has been quiet for <c>watch_interval</c> ms;</item>
/// <item>a change while its upload is queued needs nothing (the job reads the file when it starts); a change while it
/// runs queues exactly one more upload after it: many writes become one upload of the last state;</item>
/// <item>deleting a file or moving a folder away deletes the keys with <c>retire_deleted</c>, and only keys whose file
/// is really gone at the time of the delete; a delete waits for a running upload of the same key to end;</item>
/// <item>a failed upload is tried again after 1 s, 2 s, 4 s ... up to <see cref="WatchSettings.MaxRetryDelay"/>;</item>
/// <item>an overflow or watch-limit error, and every <c>rescan_interval</c>, runs the full sync again;</item>
/// <item>every deletion, from an event or a full sync, passes the site's one <see cref="DeleteGuard"/> (<c>max_delete</c>
/// over any 60 s): deletions over it are held, not made; the site is unhealthy until a full sync decides them again.</item>
/// </list>
/// Uploads go through the same <see cref="Uploader"/> (bounded queue, <c>upload_workers</c> workers) as <c>sync</c>.
/// </summary>
public sealed class SiteWatcher
{
    private readonly Site _site;
    private readonly IObjectStore _store;
    private readonly WatchSettings _settings;
    private readonly SiteMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IChangeSource _source;
    private readonly TimeProvider _time;
    private readonly string _root;
    private readonly int _prefixBytes;
    private readonly Channel<ChangeEvent> _events = Channel.CreateBounded<ChangeEvent>(new BoundedChannelOptions(16384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<object> _done = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PlanEntry, KeyState> _jobs = new(ReferenceEqualityComparer.Instance);
    private readonly PriorityQueue<string, long> _due = new();
    private readonly List<string> _deleteQueue = [];
    private Uploader _uploader = null!;
    private Task? _deleting, _rescan;
    private string? _rescanAgain;
    private long _nextRescan = long.MaxValue;
    private readonly DeleteGuard _guard;
    private bool _degraded, _stopping;
    private volatile bool _rootGone, _holding;
    private long _heldUnlogged;
    private long? _heldLogDue;
    private CancellationToken _stop;

    public SiteWatcher(Site site, IObjectStore store, IChangeSource source, WatchSettings settings, SiteMetrics metrics, ILogger logger)
    {
        _site = site;
        _store = store;
        _source = source;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
        _time = settings.Time;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(site.LocalPath));
        _prefixBytes = Encoding.UTF8.GetByteCount(site.ListPrefix);
        _guard = new DeleteGuard(site.MaxDelete, _time);
    }

    public Site Site => _site;

    /// <summary>Raised on the watcher's loop as uploads, deletes and full syncs end.</summary>
    public event Action<WatchActivity>? Activity;

    /// <summary>Watches and syncs until <paramref name="stop"/>; then stops taking events, lets queued and running
    /// uploads finish within the grace period, cancels (and so aborts) what is left, and returns.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _stop = stop;
        using var uploads = new CancellationTokenSource();
        using var rescans = CancellationTokenSource.CreateLinkedTokenSource(stop);
        // Event uploads read the file anyway: the cache keeps the digest they computed (never consulted for them).
        using var eventDigests = new CachedDigestSource(_settings.Cache, _site.Name, _settings.Reader, rehash: true, time: _time);
        _uploader = new Uploader(_site, _store, _settings.Workers, _settings.QueueBuffer, _logger, uploads.Token, eventDigests) { LogsActions = false };
        _uploader.Starting += entry => { if (_jobs.TryGetValue(entry, out var st)) st.Started = true; };
        _uploader.Completed += result => _done.Writer.TryWrite(result);
        _metrics.InitialSyncDone = false;
        try
        {
            StartSource();
            StartRescan("initial sync", rescans.Token);
            await LoopAsync(rescans.Token).ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync(rescans, uploads).ConfigureAwait(false);
        }
    }

    private void StartSource()
    {
        if (!Directory.Exists(_root))
        {
            _rootGone = true;
            _logger.LogError("site {Site}: local_path {Path} does not exist (is the disk mounted?); not watching it", _site.Name, _root);
            return;
        }
        try
        {
            _source.Start(Post);
            _logger.LogInformation("site {Site}: watching {Folders} folders under {Path}", _site.Name, _source.WatchCount, _root);
        }
        catch (IOException e)
        {
            _rootGone = true;
            _logger.LogError("site {Site}: cannot watch {Path}: {Error}", _site.Name, _root, e.Message);
        }
    }

    /// <summary>The change source's sink (its own thread). Blocks while the loop is behind: the kernel queue then fills
    /// and, at worst, overflows into a rescan, so memory stays bounded.</summary>
    private void Post(ChangeEvent e)
    {
        if (_events.Writer.TryWrite(e)) return;
        try { _events.Writer.WriteAsync(e).AsTask().GetAwaiter().GetResult(); }
        catch (ChannelClosedException) { }
    }

    private async Task LoopAsync(CancellationToken rescanToken)
    {
        Task<bool>? eventsWait = null, doneWait = null;
        while (!_stop.IsCancellationRequested)
        {
            while (_done.Reader.TryRead(out var message)) await OnDoneAsync(message, rescanToken).ConfigureAwait(false);
            for (var n = 0; n < 4096 && _events.Reader.TryRead(out var e); n++) await OnEventAsync(e, rescanToken).ConfigureAwait(false);
            await RunDueAsync(rescanToken).ConfigureAwait(false);
            FlushDeletes();
            UpdateGauges();
            if (_done.Reader.TryPeek(out _) || _events.Reader.TryPeek(out _)) continue;

            var wait = Timeout.InfiniteTimeSpan;
            var next = NextDeadline();
            if (next != long.MaxValue)
            {
                wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
                if (wait <= TimeSpan.Zero) continue;
            }
            eventsWait ??= _events.Reader.WaitToReadAsync(_stop).AsTask();
            doneWait ??= _done.Reader.WaitToReadAsync(_stop).AsTask();
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(_stop);
            var delay = wait == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, timer.Token) : Task.Delay(wait, _time, timer.Token);
            await Task.WhenAny(eventsWait, doneWait, delay).ConfigureAwait(false);
            await timer.CancelAsync().ConfigureAwait(false);
            if (eventsWait.IsCompleted) eventsWait = null;
            if (doneWait.IsCompleted) doneWait = null;
        }
    }

    private long NextDeadline()
    {
        var next = Math.Min(_nextRescan, _heldLogDue ?? long.MaxValue);
        while (_due.TryPeek(out var key, out var due))
        {
            if (_keys.TryGetValue(key, out var st) && st.Due == due) return Math.Min(next, due);
            _due.Dequeue(); // stale entry
        }
        return next;
    }

    private void UpdateGauges()
    {
        _metrics.SetQueueDepth(_uploader.QueueDepth + _keys.Values.Count(k => k.Due is not null));
        _metrics.SetWatches(_source.WatchCount);
        _metrics.WatchHealthy = !_rootGone && !_degraded && _source.Healthy;
    }

    private string? KeyOf(string path)
    {
        if (path.Length <= _root.Length + 1 || !path.StartsWith(_root, StringComparison.Ordinal) || path[_root.Length] != '/') return null;
        var key = path[(_root.Length + 1)..];
        if (_prefixBytes + Encoding.UTF8.GetByteCount(key) > LocalWalker.MaxKeyBytes) return null;
        return key;
    }

    private string FullPath(string key) => _root + "/" + key;

    private async Task OnEventAsync(ChangeEvent e, CancellationToken rescanToken)
    {
        switch (e.Kind)
        {
            case ChangeKind.Overflow or ChangeKind.WatchLimit:
                _logger.LogWarning("site {Site}: {Path}: {Detail}; running a full sync to catch up", _site.Name, e.Path, e.Detail);
                _metrics.AddOverflow();
                _degraded = true;
                _metrics.WatchHealthy = false;
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Overflow));
                RequestRescan(e.Kind == ChangeKind.Overflow ? "events were lost" : "watch limit reached", rescanToken);
                return;
            case ChangeKind.RootGone:
                _rootGone = true;
                _logger.LogError("site {Site}: local_path {Path}: {Detail}; changes are no longer seen and nothing is deleted (restart or reload once it is back)", _site.Name, e.Path, e.Detail);
                return;
            case ChangeKind.Problem:
                _logger.LogWarning("site {Site}: {Path}: {Detail}", _site.Name, e.Path, e.Detail);
                return;
        }
        var key = KeyOf(e.Path);
        if (key is null) return;
        switch (e.Kind)
        {
            case ChangeKind.FolderRemoved:
                var below = key + "/";
                foreach (var (k, st) in _keys.Where(p => p.Key.StartsWith(below, StringComparison.Ordinal)).ToList())
                    if (st.Running == Op.None) _keys.Remove(k);
                if (_site.RetireDeleted) _deleteQueue.Add(below);
                return;
            case ChangeKind.Removed:
                if (_site.Filter.Includes(key)) WantDelete(key);
                return;
            case ChangeKind.Modified or ChangeKind.Closed:
                if (_site.Filter.Includes(key)) await WantUploadAsync(key, e.Timestamp, e.Kind == ChangeKind.Closed).ConfigureAwait(false);
                return;
        }
    }

    private long QuietDeadline(long now) => now + (long)(_site.WatchInterval / 1000.0 * _time.TimestampFrequency);

    private async Task WantUploadAsync(string key, long seen, bool complete)
    {
        var now = _time.GetTimestamp();
        if (!_keys.TryGetValue(key, out var st)) _keys[key] = st = new KeyState();
        st.DeleteAfter = false;
        if (st.Running != Op.None)
        {
            // A queued upload that has not started reads the file later and sees this change; a started one does not.
            if (st.Running == Op.Upload && !st.Started) { st.FirstChange ??= seen; return; }
            st.NextFirstChange ??= seen;
            st.AgainDue = complete ? now : Math.Max(st.AgainDue ?? 0, QuietDeadline(now));
            return;
        }
        st.FirstChange ??= seen;
        if (complete || _site.WatchInterval == 0)
        {
            st.Due = null;
            await StartUploadAsync(key, st).ConfigureAwait(false);
        }
        else
        {
            Schedule(key, st, QuietDeadline(now));
        }
    }

    private void Schedule(string key, KeyState st, long due)
    {
        st.Due = due;
        _due.Enqueue(key, due);
    }

    private void WantDelete(string key)
    {
        if (!_keys.TryGetValue(key, out var st))
        {
            if (!_site.RetireDeleted) return;
            _keys[key] = st = new KeyState();
        }
        st.Due = st.AgainDue = st.FirstChange = st.NextFirstChange = null;
        if (st.Running == Op.Upload) { st.DeleteAfter = _site.RetireDeleted; return; }
        if (st.Running == Op.Delete) return;
        if (!_site.RetireDeleted) { _keys.Remove(key); return; }
        StartDelete(key, st);
    }

    private void StartDelete(string key, KeyState st)
    {
        st.Running = Op.Delete;
        _deleteQueue.Add(key);
    }

    private async Task RunDueAsync(CancellationToken rescanToken)
    {
        var now = _time.GetTimestamp();
        while (_due.TryPeek(out var key, out var due) && due <= now)
        {
            _due.Dequeue();
            if (!_keys.TryGetValue(key, out var st) || st.Due != due || st.Running != Op.None) continue;
            st.Due = null;
            await StartUploadAsync(key, st).ConfigureAwait(false);
        }
        if (_heldLogDue <= now)
        {
            _heldLogDue = null;
            LogHeld(_heldUnlogged, $"more than max_delete {_guard.Limit} of {_guard.Objects} objects in {_guard.Window.TotalSeconds:0} s");
            _heldUnlogged = 0;
        }
        if (_nextRescan <= now && _rescan is null)
        {
            _nextRescan = long.MaxValue;
            StartRescan("rescan_interval", rescanToken);
        }
    }

    private async Task StartUploadAsync(string key, KeyState st)
    {
        var path = FullPath(key);
        var info = new FileInfo(path);
        // Reached from the root without following a link anywhere (a folder above swapped for a link is not a way out),
        // and the read is checked against this identity, as the walk's are.
        var identity = info.Exists && info.LinkTarget is null ? LocalFile.IdentityBeneath(_root, key) : null;
        if (!info.Exists || info.LinkTarget is not null || FileFingerprint.IsSpecial(info) || (OperatingSystem.IsLinux() && identity is null))
        {
            // Gone again (its removal event follows), a symlink (never followed, as in the walk), a path through a
            // link, or a FIFO, socket or device (skipped, as in the walk, where the warning is given).
            if (st.Running == Op.None && st.Due is null) _keys.Remove(key);
            return;
        }
        var entry = new PlanEntry(key, ChangeReason.Missing, PlanAction.Upload, new LocalEntry(key, path, info.Length, info.LastWriteTimeUtc, identity), null, "changed on disk");
        st.Running = Op.Upload;
        st.Started = false;
        _jobs[entry] = st;
        await _uploader.EnqueueAsync(entry, _stop).ConfigureAwait(false);
    }

    private async Task OnDoneAsync(object message, CancellationToken rescanToken)
    {
        switch (message)
        {
            case UploadResult result:
                await OnUploadedAsync(result).ConfigureAwait(false);
                break;
            case DeletesDone deletes:
                await OnDeletedAsync(deletes).ConfigureAwait(false);
                break;
            case RescanDone rescan:
                await OnRescanDoneAsync(rescan, rescanToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task OnUploadedAsync(UploadResult result)
    {
        if (!_jobs.TryRemove(result.Entry, out var st)) return;
        var key = result.Entry.Key;
        st.Running = Op.None;
        st.Started = false;
        var now = _time.GetTimestamp();
        switch (result.Outcome)
        {
            case UploadOutcome.Uploaded:
                _metrics.AddUpload(result.Bytes);
                if (st.FirstChange is { } first) _metrics.ObserveDelay(_time.GetElapsedTime(first, now));
                st.Failures = 0;
                ActionLine.Log(_logger, ActionLine.Upload, key, site: _site.Name);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Uploaded, key));
                break;
            case UploadOutcome.Vanished:
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Vanished, key));
                break;
            default:
                if (_stopping) return;
                _metrics.AddError();
                st.Failures++;
                var wait = RetryDelay(st.Failures);
                _logger.LogWarning("site {Site}: {Key}: upload failed ({Error}); trying again in {Seconds} s", _site.Name, key, result.Error, wait.TotalSeconds);
                if (st.AgainDue is null && !st.DeleteAfter) st.AgainDue = now + (long)(wait.TotalSeconds * _time.TimestampFrequency);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.UploadFailed, key));
                st.NextFirstChange ??= st.FirstChange;
                break;
        }
        st.FirstChange = st.NextFirstChange;
        st.NextFirstChange = null;
        await ContinueAsync(key, st).ConfigureAwait(false);
    }

    private TimeSpan RetryDelay(int failures) =>
        TimeSpan.FromSeconds(Math.Min(_settings.MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 20))));

    /// <summary>What follows once a key's upload or delete has ended: the delete or upload that waited for it.</summary>
    private async Task ContinueAsync(string key, KeyState st)
    {
        if (_stopping) return;
        if (st.DeleteAfter)
        {
            st.DeleteAfter = false;
            StartDelete(key, st);
        }
        else if (st.AgainDue is { } again)
        {
            st.AgainDue = null;
            if (again <= _time.GetTimestamp()) await StartUploadAsync(key, st).ConfigureAwait(false);
            else Schedule(key, st, again);
        }
        else if (st.Due is null && st.Running == Op.None)
        {
            _keys.Remove(key);
        }
    }

    private void FlushDeletes()
    {
        if (_deleting is not null || _deleteQueue.Count == 0 || _stopping) return;
        var items = _deleteQueue.ToList();
        _deleteQueue.Clear();
        _deleting = Task.Run(() => DeleteAsync(items));
    }

    /// <summary>Deletes keys (and every key below a folder item, "dir/") whose local file is really gone now.</summary>
    private async Task DeleteAsync(List<string> items)
    {
        var keys = new List<string>();
        var failed = new List<(string, string)>();
        var held = 0;
        try
        {
            foreach (var item in items)
            {
                if (!item.EndsWith('/')) { keys.Add(item); continue; }
                await foreach (var o in _store.ListAsync(_site.Bucket, _site.KeyFor(item), _stop).ConfigureAwait(false))
                {
                    if (o.Key.Length == 0 || o.Key.EndsWith('/')) continue;
                    var key = item + o.Key;
                    if (_site.Filter.Includes(key)) keys.Add(key);
                }
            }
            // Never delete when the folder itself is gone, or empty: an unmounted disk is not a deleted tree.
            var rootThere = !_rootGone && Directory.Exists(_root);
            var gone = rootThere ? keys.Where(k => !File.Exists(FullPath(k)) && !Directory.Exists(FullPath(k))).Distinct().ToList() : [];
            var verdict = gone.Count == 0 ? default : _guard.CheckEvents(gone.Count, !Directory.EnumerateFileSystemEntries(_root).Any());
            if (gone.Count > 0 && verdict.EmptyRoot)
            {
                _logger.LogWarning("site {Site}: local_path {Path} is empty; {Count} deletions not made (is the disk mounted?)", _site.Name, _root, gone.Count);
                keys = [];
            }
            else if (gone.Count > 0 && (_holding || !verdict.Allowed))
            {
                _holding = true;
                held = gone.Count;
                keys = [];
            }
            else if (gone.Count > 0)
            {
                var errors = await _store.DeleteAsync(_site.Bucket, [.. gone.Select(_site.KeyFor)], _stop).ConfigureAwait(false);
                var prefix = _site.ListPrefix;
                failed.AddRange(errors.Select(e => (e.Key.StartsWith(prefix, StringComparison.Ordinal) ? e.Key[prefix.Length..] : e.Key, e.Error)));
                var failedKeys = failed.Select(f => f.Item1).ToHashSet(StringComparer.Ordinal);
                keys = [.. gone.Where(k => !failedKeys.Contains(k))];
            }
            else
            {
                keys = [];
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failed.Add(("(delete)", e.Message));
            keys = [];
        }
        catch (OperationCanceledException)
        {
            keys = [];
        }
        _done.Writer.TryWrite(new DeletesDone(items, keys, failed, held));
    }

    private async Task OnDeletedAsync(DeletesDone done)
    {
        _deleting = null;
        _metrics.AddDeletes(done.Deleted.Count);
        if (done.Held > 0)
        {
            // One line per burst: said once the holding has been quiet for a second, with the count of the burst.
            _metrics.DeletesHeld += done.Held;
            _heldUnlogged += done.Held;
            _heldLogDue = _time.GetTimestamp() + _time.TimestampFrequency;
            UpdateGauges();
            Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.DeletesHeld));
        }
        foreach (var key in done.Deleted)
        {
            ActionLine.Log(_logger, ActionLine.Delete, key, site: _site.Name);
            Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Deleted, key));
        }
        foreach (var (key, error) in done.Failed)
        {
            _metrics.AddError();
            _logger.LogError("site {Site}: {Key}: delete failed: {Error}; the next full sync retires it", _site.Name, key, error);
        }
        foreach (var item in done.Items)
        {
            if (item.EndsWith('/') || !_keys.TryGetValue(item, out var st) || st.Running != Op.Delete) continue;
            st.Running = Op.None;
            await ContinueAsync(item, st).ConfigureAwait(false);
        }
    }

    private void LogHeld(long count, string why) =>
        _logger.LogError("site {Site}: {Count} deletions held, not made ({Why}); the objects stay and /healthz answers 503 until a full sync decides them again. To apply them run: s3sync sync --site {Site} --max-delete {Total} (or raise max_delete and reload)",
            _site.Name, count, why, _site.Name, _metrics.DeletesHeld);

    private void RequestRescan(string reason, CancellationToken rescanToken)
    {
        if (_rescan is not null) { _rescanAgain = reason; return; }
        StartRescan(reason, rescanToken);
    }

    private void StartRescan(string reason, CancellationToken token)
    {
        if (_stopping || _rootGone && !Directory.Exists(_root)) return;
        _logger.LogInformation("site {Site}: full sync ({Reason})", _site.Name, reason);
        var rewatch = !_source.Healthy && !_rootGone;
        _rescan = Task.Run(() => RescanAsync(reason, rewatch, token));
    }

    private async Task RescanAsync(string reason, bool rewatch, CancellationToken token)
    {
        long objects = 0, bytes = 0;
        var deleted = new List<string>();
        var failed = new ConcurrentQueue<string>();
        try
        {
            // Off the loop: adding watches takes the source's lock, which its thread may hold while the loop is busy.
            if (rewatch)
            {
                _source.Rewatch();
                _logger.LogInformation("site {Site}: watches reinstalled ({Folders} folders)", _site.Name, _source.WatchCount);
            }
            // The scan reads committed rows only: commit what events and earlier full syncs stored, so it sees them.
            _settings.Cache?.Commit();
            using var digests = new CachedDigestSource(_settings.Cache, _site.Name, _settings.Reader, time: _time);
            var sync = new SiteSync(_site, _store, digests, new SyncSettings { Workers = _settings.Workers, QueueBuffer = _settings.QueueBuffer, Ledger = _settings.Ledger, Mounts = _settings.Mounts }, _logger, _guard);
            sync.Planned += entry =>
            {
                if (entry.Action == PlanAction.Delete) { deleted.Add(entry.Key); return; }
                if (entry.Local is not null) { objects++; bytes += entry.Local.Size; }
                else if (entry.Remote is not null) { objects++; bytes += entry.Remote.Size; }
            };
            sync.Uploaded += r =>
            {
                if (r.Outcome == UploadOutcome.Uploaded) _metrics.AddUpload(r.Bytes);
                else if (r.Outcome == UploadOutcome.Failed) { _metrics.AddError(); failed.Enqueue(r.Entry.Key); }
            };
            var result = await sync.RunAsync(token).ConfigureAwait(false);
            _done.Writer.TryWrite(new RescanDone(reason, result, objects, bytes, deleted, [.. failed], null));
        }
        catch (OperationCanceledException)
        {
            _done.Writer.TryWrite(new RescanDone(reason, null, 0, 0, [], [], "cancelled"));
        }
        catch (Exception e)
        {
            _done.Writer.TryWrite(new RescanDone(reason, null, 0, 0, [], [], e.Message));
        }
    }

    private async Task OnRescanDoneAsync(RescanDone done, CancellationToken rescanToken)
    {
        _rescan = null;
        if (_stopping) return;
        var now = _time.GetTimestamp();
        if (done.Result is { } r)
        {
            var s = r.Stats;
            _metrics.FullSyncDone(done.Objects, done.Bytes, _time.GetUtcNow());
            _metrics.InitialSyncDone = true;
            _degraded = false;
            if (r.Status != SiteStatus.Done) _metrics.AddError();
            // The full sync decided every deletion again: what it refused is what is held now.
            if (r.Status == SiteStatus.DeletesRefused)
            {
                _holding = true;
                _metrics.DeletesHeld = done.Deleted.Count;
                LogHeld(done.Deleted.Count, "the full sync refused them");
            }
            else if (r.Status == SiteStatus.Done)
            {
                _holding = false;
                _metrics.DeletesHeld = 0;
                _heldLogDue = null;
                _heldUnlogged = 0;
            }
            _logger.LogInformation("site {Site}: full sync done ({Reason}): uploaded {Uploaded}, deleted {Deleted}, unchanged {Unchanged}, failed {Failed} in {Seconds:0.0} s{Status}",
                _site.Name, done.Reason, s.Uploaded, s.Deleted, s.Unchanged, s.Failed, r.Elapsed.TotalSeconds, r.Status == SiteStatus.Done ? "" : $" [{r.Status}]");
            UpdateGauges(); // health is current before anyone hears that the sync is done
            Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.FullSyncDone));
            // A file created after the walk passed its key but uploaded (by its event) before the listing did, looks
            // remote-only to the sync and is deleted: put it back.
            foreach (var key in done.Deleted.Where(k => r.Status != SiteStatus.DeletesRefused && File.Exists(FullPath(k))))
                await WantUploadAsync(key, now, complete: true).ConfigureAwait(false);
            foreach (var key in done.Failed)
            {
                if (!_keys.TryGetValue(key, out var st)) _keys[key] = st = new KeyState { Failures = 1 };
                if (st.Running == Op.None && st.Due is null) Schedule(key, st, now + (long)(RetryDelay(1).TotalSeconds * _time.TimestampFrequency));
            }
            if (_settings.RescanIntervalSeconds > 0) _nextRescan = now + _settings.RescanIntervalSeconds * _time.TimestampFrequency;
        }
        else
        {
            _metrics.AddError();
            _logger.LogError("site {Site}: full sync ({Reason}) could not finish: {Error}; trying again in 30 s", _site.Name, done.Reason, done.Error);
            Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.FullSyncFailed));
            _nextRescan = now + 30 * _time.TimestampFrequency;
        }
        if (_rescanAgain is { } again)
        {
            _rescanAgain = null;
            StartRescan(again, rescanToken);
        }
    }

    private async Task ShutdownAsync(CancellationTokenSource rescans, CancellationTokenSource uploads)
    {
        _stopping = true;
        _events.Writer.TryComplete();
        _source.Dispose();
        await rescans.CancelAsync().ConfigureAwait(false);
        var pending = _uploader.QueueDepth + _jobs.Count;
        if (pending > 0) _logger.LogInformation("site {Site}: stopping; waiting up to {Seconds} s for {Count} uploads", _site.Name, _settings.ShutdownGrace.TotalSeconds, pending);
        var drained = _uploader.CompleteAsync();
        var rest = Task.WhenAll(drained, _rescan ?? Task.CompletedTask, _deleting ?? Task.CompletedTask);
        try
        {
            await rest.WaitAsync(_settings.ShutdownGrace, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("site {Site}: uploads still running after {Seconds} s; cancelling them (multipart uploads are aborted)", _site.Name, _settings.ShutdownGrace.TotalSeconds);
            await uploads.CancelAsync().ConfigureAwait(false);
            try { await rest.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        catch (OperationCanceledException)
        {
        }
        await _uploader.DisposeAsync().ConfigureAwait(false);
    }

    private enum Op { None, Upload, Delete }

    /// <summary>One key with something pending or in flight. Only the loop touches it, except <see cref="Started"/>.</summary>
    private sealed class KeyState
    {
        private volatile bool _started;

        public Op Running { get; set; }

        /// <summary>Set by the worker as it takes the job, before it reads the file.</summary>
        public bool Started { get => _started; set => _started = value; }

        /// <summary>When to upload (quiet deadline or retry), as a <see cref="TimeProvider"/> timestamp.</summary>
        public long? Due { get; set; }

        /// <summary>Another upload wanted once the running one ends, at this time.</summary>
        public long? AgainDue { get; set; }

        public bool DeleteAfter { get; set; }
        public long? FirstChange { get; set; }
        public long? NextFirstChange { get; set; }
        public int Failures { get; set; }
    }

    private sealed record DeletesDone(List<string> Items, List<string> Deleted, List<(string Key, string Error)> Failed, int Held);

    private sealed record RescanDone(string Reason, SiteResult? Result, long Objects, long Bytes, List<string> Deleted, List<string> Failed, string? Error);
}
