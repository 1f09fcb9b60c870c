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
using S3Sync.State;

namespace S3Sync.Watching;

/// <summary>Settings of a watch that are not per site.</summary>
public sealed record WatchSettings
{
    public int Workers { get; init; } = Defaults.UploadWorkers;

    /// <summary>The sync command that applies held deletions, as a line tells the operator to run it: with the
    /// watch's own configuration file (<c>s3sync sync -c /etc/s3sync/config.yml</c>), so it works as printed.</summary>
    public string SyncCommand { get; init; } = "s3sync sync";
    public int QueueBuffer { get; init; }

    /// <summary>Where full reconciles remember the applied upload settings (see <see cref="SettingsLedger"/>).</summary>
    public SettingsLedger? Ledger { get; init; }

    /// <summary>Where full reconciles remember the sub-mounts of local_path (see <see cref="MountLedger"/>).</summary>
    public MountLedger? Mounts { get; init; }

    /// <summary>Seconds between full reconciles; 0 turns them off.</summary>
    public int RescanIntervalSeconds { get; init; } = Defaults.RescanIntervalSeconds;

    /// <summary>How long a stop waits for queued and running uploads before it cancels (and aborts) them.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The longest wait between two tries of a failed upload (the wait doubles from 1 s up to this).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The process's one upload pool: every site's event uploads and full syncs queue on it, so
    /// <c>upload_workers</c> and the memory budget hold for the whole process. Null: the site makes a pool of its own.</summary>
    public Uploader? Pool { get; init; }

    /// <summary>The hash cache (<c>state_dir</c>): full syncs plan with it as <c>sync</c> does, and event uploads record
    /// what they read in it, so a restart over an unchanged tree reads no file. Null: no cache.</summary>
    public HashCache? Cache { get; init; }

    /// <summary>What reads and hashes a file when the cache cannot answer; tests count the reads.</summary>
    public IDigestSource Reader { get; init; } = DirectDigestSource.Instance;
}

/// <summary>What a site watcher did, for logs, metrics and tests that wait for it.</summary>
public enum WatchActivityKind { Uploaded, Deleted, UploadFailed, Vanished, FullSyncDone, FullSyncFailed, Overflow, DeletesHeld, Unchanged, Rearmed, Moved, ChangedInPlace }

public sealed record WatchActivity(string Site, WatchActivityKind Kind, string? Key = null);

/// <summary>
/// Keeps one site's prefix current while the process runs: the shell around a <see cref="KeySchedule"/>, which decides
/// what happens to each key and when; this class only performs its commands and reports back. Order at start: install
/// the watches, then run the full sync, so nothing written during the sync is missed. Events from the change source
/// and the ends of uploads, deletes and full syncs all go through one loop that owns the schedule.
/// <list type="bullet">
/// <item>uploads, of events and of full syncs, go through the process's one <see cref="Uploader"/> (bounded queue,
/// <c>upload_workers</c> workers, one memory budget), as <c>sync</c>'s do;</item>
/// <item>full syncs are <c>sync</c>'s <see cref="SiteSync"/> with the hash cache;</item>
/// <item>deleting a file or moving a folder away deletes the keys with <c>retire_deleted</c>, and only keys whose file
/// is really gone at the time of the delete;</item>
/// <item>every deletion, from an event or a full sync, passes the site's one <see cref="DeleteGuard"/> (<c>max_delete</c>
/// over any 60 s): deletions over it are held, not made; the site is unhealthy until a full sync decides them again.</item>
/// </list>
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
    private readonly KeySchedule _schedule;
    private readonly ConcurrentDictionary<PlanEntry, UploadTicket> _jobs = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _deleteQueue = [];
    private readonly HashSet<string> _checkFirst = new(StringComparer.Ordinal);
    private UploadBatch _uploader = null!;
    private Uploader _pool = null!;
    private Task? _deleting, _rescan;
    private readonly DeletionStage _deletions;
    private readonly KeyPlanner _plans;

    /// <summary>backup_path: where event uploads and deletions save what they overwrite or delete (one run folder per
    /// watch start); null without one.</summary>
    private BackupPlace? _backup;
    private bool _degraded, _stopping, _started, _rearming;
    private volatile bool _rootGone;
    private readonly WatchBackoff _backoff;
    private Local.FileIdentity? _rootIdentity;
    private string? _lastFullSyncError;
    private long _heldUnlogged;
    private long? _heldLogDue;
    private CancellationToken _stop;

    /// <param name="guard">The site's delete guard; a reload passes the one the site had, so its window goes on.</param>
    public SiteWatcher(Site site, IObjectStore store, IChangeSource source, WatchSettings settings, SiteMetrics metrics, ILogger logger, DeleteGuard? guard = null)
    {
        _site = site;
        _store = store;
        _source = source;
        _settings = settings;
        _metrics = metrics;
        _metrics.SyncCommand = settings.SyncCommand;
        _logger = logger;
        _time = settings.Time;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(site.LocalPath));
        _prefixBytes = Encoding.UTF8.GetByteCount(site.ListPrefix);
        _deletions = new DeletionStage(site, store, guard ?? new DeleteGuard(site.MaxDelete, _time), logger, nameSite: true);
        _plans = new KeyPlanner(site, PlanFactory.WatchEvent());
        _schedule = new KeySchedule(_time, site.WatchInterval, site.RetireDeleted, settings.MaxRetryDelay, settings.RescanIntervalSeconds);
        _backoff = new WatchBackoff(_time, cap: settings.MaxRetryDelay);
    }

    /// <summary>The retry of the site's watch (start failures, the watch limit, a gone or replaced root); for tests.</summary>
    internal WatchBackoff Backoff => _backoff;

    public Site Site => _site;

    public DeleteGuard Guard => _deletions.Guard;

    /// <summary>How long the next stop waits for uploads before it cancels them; a reload sets a short one.</summary>
    public TimeSpan? StopGrace { get; set; }

    /// <summary>After the grace and the cancel, how long a stop waits for work that does not honour the cancel (a
    /// stalled request) before it leaves it behind.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(10);

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
        await using var ownPool = _settings.Pool is null ? new Uploader(_settings.Workers, _settings.QueueBuffer, _logger) : null;
        _pool = _settings.Pool ?? ownPool!;
        _uploader = _pool.Batch(_site, _store, eventDigests, uploads.Token, logsActions: false);
        _uploader.Starting += entry => { if (_jobs.TryGetValue(entry, out var ticket)) ticket.Start(); };
        _uploader.Completed += result => { _metrics.Progressed(_time.GetTimestamp()); _done.Writer.TryWrite(result); };
        _backup = _site.BackupPath is null ? null : new BackupPlace(_site, _store, _time.GetUtcNow(), _time);
        if (_backup is not null) (_uploader.BeforeOverwrite, _uploader.RemoteUnknown) = (_backup.SaveAsync, true);
        _deletions.Backup = _backup;
        _metrics.InitialSyncDone = false;
        try
        {
            StartSource();
            _schedule.FullSyncWanted("initial sync");
            await LoopAsync(rescans.Token).ConfigureAwait(false);
        }
        finally
        {
            await ShutdownAsync(rescans, uploads).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the change source; a failure (local_path missing, inotify cannot start, the root cannot be
    /// watched) is tried again on the <see cref="WatchBackoff"/>, logged once per state change, and keeps the site
    /// unhealthy. Returns true when it started.</summary>
    private bool StartSource()
    {
        string why;
        if (!Directory.Exists(_root))
        {
            why = $"local_path {_root} does not exist (is the disk mounted?)";
        }
        else
        {
            try
            {
                _rootIdentity = Native.FolderIdentity(_root);
                _source.Start(Post);
                _started = true;
                if (_backoff.Succeeded()) _logger.LogInformation("site {Site}: the watch works again", _site.Name);
                if (_source is PollingSource poll) _logger.LogInformation("site {Site}: polling {Files} files under {Path} every {Interval} ms", _site.Name, poll.Files, _root, poll.Interval.TotalMilliseconds);
                else _logger.LogInformation("site {Site}: watching {Folders} folders under {Path}", _site.Name, _source.WatchCount, _root);
                return true;
            }
            catch (IOException e)
            {
                why = $"cannot watch {_root}: {e.Message}";
            }
        }
        if (_backoff.Failed(why))
            _logger.LogError("site {Site}: {Why}; not watching it, trying again in {Delay} and less and less often (every {Cap} at most)", _site.Name, why, Show(_backoff.RetryIn), Show(_backoff.Cap));
        return false;
    }

    private static string Show(TimeSpan span) => span.TotalSeconds < 60 ? $"{Math.Max(0, Math.Round(span.TotalSeconds))} s" : $"{span.TotalMinutes:0.#} min";

    /// <summary>A try of the watch is due (<see cref="WatchBackoff"/>): start the source that never started, re-arm on
    /// the folder now at local_path after the root was gone or replaced, or (the watch limit) a full sync that adds
    /// the missing watches first.</summary>
    private void RetryWatch()
    {
        if (_stopping || _stop.IsCancellationRequested) return;
        if (!_started)
        {
            if (StartSource())
            {
                _metrics.WatchHealthy = true;
                _schedule.FullSyncWanted("the watch started");
            }
            return;
        }
        if (_rootGone)
        {
            if (!Directory.Exists(_root))
            {
                _backoff.Failed(_backoff.Why ?? "local_path is gone");
                return;
            }
            // Off the loop: the source's lock may be held by its thread while it waits for room in the loop's queue.
            _rearming = true;
            _ = Task.Run(() =>
            {
                string? error = null;
                try { _source.Rewatch(); }
                catch (IOException e) { error = e.Message; }
                _done.Writer.TryWrite(new RearmDone(error));
            });
            return;
        }
        _schedule.FullSyncWanted("trying the watches again");
    }

    /// <summary>The root is gone, moved or replaced: nothing is deleted for it and its old folder's events are dropped
    /// from now on; the folder at local_path is watched again on the backoff.</summary>
    private void RootLost(string why)
    {
        _rootGone = true;
        _metrics.WatchHealthy = false;
        if (_backoff.Failed($"local_path {_root}: {why}"))
            _logger.LogError("site {Site}: local_path {Path}: {Detail}; its changes are not seen and nothing is deleted for it; watching the folder at local_path again once there is one (first try in {Delay})", _site.Name, _root, why, Show(_backoff.RetryIn));
    }

    /// <summary>True when local_path is still the folder watched (same device and inode).</summary>
    private bool SameRoot() => !OperatingSystem.IsLinux() || _rootIdentity is null || Native.FolderIdentity(_root) == _rootIdentity;

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
            while (_done.Reader.TryRead(out var message)) await OnDoneAsync(message).ConfigureAwait(false);
            for (var n = 0; n < 4096 && _events.Reader.TryRead(out var e); n++)
            {
                OnEvent(e);
                await PerformAsync(rescanToken).ConfigureAwait(false);
            }
            _schedule.Tick();
            if (!_rearming && _backoff.TryStart()) RetryWatch();
            LogHeldWhenDue();
            await PerformAsync(rescanToken).ConfigureAwait(false);
            FlushDeletes();
            UpdateGauges();
            if (_done.Reader.TryPeek(out _) || _events.Reader.TryPeek(out _)) continue;

            var wait = Timeout.InfiniteTimeSpan;
            var next = Math.Min(Math.Min(_schedule.NextDeadline, _heldLogDue ?? long.MaxValue), _backoff.NextDeadline);
            if (next != long.MaxValue)
            {
                wait = _time.GetElapsedTime(_time.GetTimestamp(), next);
                if (wait <= TimeSpan.Zero) continue;
            }
            eventsWait ??= _events.Reader.WaitToReadAsync(_stop).AsTask();
            doneWait ??= _done.Reader.WaitToReadAsync(_stop).AsTask();
            using var timer = CancellationTokenSource.CreateLinkedTokenSource(_stop);
            var delay = wait == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, timer.Token) : Task.Delay(wait, _time, timer.Token);
            _metrics.LoopWaiting();
            await Task.WhenAny(eventsWait, doneWait, delay).ConfigureAwait(false);
            _metrics.LoopWorking(_time.GetTimestamp());
            await timer.CancelAsync().ConfigureAwait(false);
            if (eventsWait.IsCompleted) eventsWait = null;
            if (doneWait.IsCompleted) doneWait = null;
        }
    }

    /// <summary>Performs what the schedule asked for.</summary>
    private async Task PerformAsync(CancellationToken rescanToken)
    {
        while (_schedule.TryTake(out var command))
        {
            switch (command.Kind)
            {
                case KeyCommandKind.Upload:
                    await StartUploadAsync(command.Key, command.Ticket!).ConfigureAwait(false);
                    break;
                case KeyCommandKind.Delete or KeyCommandKind.DeleteFolder:
                    _deleteQueue.Add(command.Key);
                    break;
                case KeyCommandKind.FullSync:
                    StartRescan(command.Key, rescanToken);
                    break;
            }
        }
    }

    private void UpdateGauges()
    {
        _metrics.SetQueueDepth(_uploader.Queued + _schedule.Waiting);
        _metrics.SetWatches(_source.WatchCount);
        _metrics.WatchHealthy = _started && !_rootGone && !_degraded && _source.Healthy && !_backoff.Failing;
    }

    private string? KeyOf(string path)
    {
        if (path.Length <= _root.Length + 1 || !path.StartsWith(_root, StringComparison.Ordinal) || path[_root.Length] != '/') return null;
        var key = path[(_root.Length + 1)..];
        if (_prefixBytes + Encoding.UTF8.GetByteCount(key) > LocalWalker.MaxKeyBytes) return null;
        return key;
    }

    private string FullPath(string key) => _root + "/" + key;

    private void OnEvent(ChangeEvent e)
    {
        switch (e.Kind)
        {
            case ChangeKind.Overflow:
                _logger.LogWarning("site {Site}: {Path}: {Detail}; running a full sync to catch up", _site.Name, e.Path, e.Detail);
                _metrics.AddOverflow();
                _degraded = true;
                _metrics.WatchHealthy = false;
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Overflow));
                _schedule.FullSyncWanted("events were lost");
                return;
            case ChangeKind.WatchLimit:
                // Once per state change, not once per try: the try (a rescan that adds the missing watches) reports
                // the limit again, which the backoff counts as that try's failure and nothing more.
                _metrics.WatchHealthy = false;
                _degraded = true;
                if (!_backoff.Failed(e.Detail ?? "watch limit reached")) return;
                _logger.LogWarning("site {Site}: {Path}: {Detail}; running a full sync to catch up, then trying the watches again in {Delay}, less and less often (every {Cap} at most) until they all fit", _site.Name, e.Path, e.Detail, Show(_backoff.RetryIn), Show(_backoff.Cap));
                _metrics.AddOverflow();
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Overflow));
                _schedule.FullSyncWanted("watch limit reached");
                return;
            case ChangeKind.RootGone:
                RootLost(e.Detail ?? "it is gone");
                return;
            case ChangeKind.Rearmed:
                _rootGone = false;
                _degraded = false;
                _rootIdentity = Native.FolderIdentity(_root);
                if (_backoff.Succeeded()) _logger.LogWarning("site {Site}: watching local_path {Path} again ({Folders} folders), the folder now there; a full sync reconciles it", _site.Name, _root, _source.WatchCount);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Rearmed));
                _schedule.FullSyncWanted("local_path is watched again");
                return;
            case ChangeKind.Problem:
                _logger.LogWarning("site {Site}: {Path}: {Detail}", _site.Name, e.Path, e.Detail);
                return;
        }
        // Every file event until the re-arm came from the old folder's watches (its paths name another folder now).
        if (_rootGone) return;
        var key = KeyOf(e.Path);
        if (key is null) return;
        // A restore's temporary file is never uploaded (nor its object deleted): the walk skips it too.
        if (e.Kind is not (ChangeKind.FolderRemoved or ChangeKind.Moved) && LocalWalker.IsRestoreTemp(key)) return;
        // A folder's own event ("a/b/": made, found by a scan, removed) is its marker's, for folders: true only.
        if (key.EndsWith('/') && !_site.Folders) return;
        // folders: true: a change in a folder changes its mtime, which its marker holds: the marker is compared again
        // (once quiet, one HEAD) and rewritten when it differs, as a full sync would.
        if (e.Kind is not ChangeKind.Moved) FolderChanged(key, e.Timestamp);
        switch (e.Kind)
        {
            case ChangeKind.Found or ChangeKind.Restored:
                if (!_site.Filter.Includes(key)) return;
                _checkFirst.Add(key);
                _schedule.Changed(key, e.Timestamp, e.Kind == ChangeKind.Restored);
                return;
            case ChangeKind.FolderRemoved:
                _schedule.FolderRemoved(key);
                return;
            case ChangeKind.Moved:
                // A folder renamed within the site: a full sync copies its objects server-side (MoveFinder) and deletes
                // the old keys, which the delete guard does not count: nothing is sent again, nothing held.
                _logger.LogInformation("site {Site}: {From} moved to {Key}; a full sync moves its objects server-side", _site.Name, KeyOf(e.Detail ?? "") ?? e.Detail, key);
                _schedule.FullSyncWanted("a folder was moved within the site");
                return;
            case ChangeKind.Removed:
                if (_site.Filter.Includes(key)) _schedule.Removed(key);
                return;
            case ChangeKind.Modified or ChangeKind.Closed:
                _checkFirst.Remove(key);
                if (_site.Filter.Includes(key)) _schedule.Changed(key, e.Timestamp, e.Kind == ChangeKind.Closed);
                return;
        }
    }

    /// <summary>folders: true: the marker of the folder holding <paramref name="key"/> is compared with the folder once
    /// it is quiet (none for the root, which has no marker).</summary>
    private void FolderChanged(string key, long seen)
    {
        var slash = key.TrimEnd('/').LastIndexOf('/');
        if (!_site.Folders || slash < 0) return;
        var folder = key[..(slash + 1)];
        if (!_site.Filter.Includes(folder)) return;
        _checkFirst.Add(folder);
        _schedule.Changed(folder, seen, closed: false);
    }

    private void LogHeldWhenDue()
    {
        if (_heldLogDue is not { } due || due > _time.GetTimestamp()) return;
        _heldLogDue = null;
        var guard = _deletions.Guard;
        LogHeld(_heldUnlogged, $"more than max_delete {guard.Limit} of {guard.Objects} objects in {guard.Window.TotalSeconds:0} s");
        _heldUnlogged = 0;
    }

    /// <summary>
    /// An upload the schedule asked for, as a one-key plan (<see cref="KeyPlanner"/>, the options of
    /// <see cref="PlanFactory.WatchEvent"/>): the file read as the walk reads it, then queued on the one executor (the
    /// <see cref="Uploader"/>) as <c>sync</c> queues its entries. A restored or found file is compared with its object
    /// first (one HEAD, off the loop); a change seen on disk is sent without one.
    /// </summary>
    private async Task StartUploadAsync(string key, UploadTicket ticket)
    {
        var local = _stopping || _stop.IsCancellationRequested || _rootGone ? null : _plans.Local(_root, key);
        if (local is null)
        {
            // Gone again (its removal event follows), a symlink in another mode than preserve (never followed by an
            // event: a full sync walks it), a path through a link, or a FIFO, socket or device (skipped, as in the walk).
            _schedule.UploadEnded(key, UploadOutcome.Vanished);
            string? refusal = null;
            if (!_stopping && !_rootGone && _plans.LeadsToFolder(_root, key, out refusal))
            {
                // symlinks: follow and a link to a folder: sync uploads the folder's files under the link's key; a full
                // sync does that here (the one walk, its loop and bound checks, the old keys below it retired).
                _logger.LogInformation("site {Site}: {Key} is a link to a folder; a full sync uploads its files under {Prefix}", _site.Name, key, key + "/");
                _schedule.FullSyncWanted("a link to a folder appeared");
            }
            else if (refusal is not null)
                _logger.LogWarning("site {Site}: {Path}: refused: symbolic link: {Why}", _site.Name, FullPath(key), refusal);
            return;
        }
        if (_checkFirst.Remove(key))
        {
            // Restored or found whole: compared with its object first, off the loop. The check reads the file, so a
            // change from now on needs one more upload, as after a worker took the job.
            ticket.Start();
            _ = Task.Run(() => CheckAsync(key, ticket, local));
            return;
        }
        await EnqueueAsync(key, ticket, KeyPlanner.Changed(local)).ConfigureAwait(false);
    }

    private async Task EnqueueAsync(string key, UploadTicket ticket, PlanEntry entry)
    {
        _jobs[entry] = ticket;
        try
        {
            await _uploader.EnqueueAsync(entry, _stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _jobs.TryRemove(entry, out _);
            _schedule.UploadEnded(key, UploadOutcome.Vanished);
        }
    }

    /// <summary>
    /// A file a restore renamed into place (or the scan of a new folder found) is compared with its object as
    /// <c>sync</c>'s planner compares them (the one-key plan: the ETag against the file's digest, the hash cache first,
    /// then the storage class and the stored mtime, mode and owner): in sync, nothing is sent; the same content with
    /// another storage class or metadata is a copy in place; else an upload. One HEAD; on any failure the upload goes
    /// ahead (sending is always safe).
    /// </summary>
    private async Task CheckAsync(string key, UploadTicket ticket, LocalEntry local)
    {
        var entry = KeyPlanner.Changed(local);
        try
        {
            var head = await _store.HeadAsync(key, _stop).ConfigureAwait(false);
            using var digests = new CachedDigestSource(_settings.Cache, _site.Name, _settings.Reader, time: _time);
            var planned = await _plans.CompareAsync(local, head, digests, _stop).ConfigureAwait(false);
            // Nothing to do when in sync; a file that cannot be read or compared is sent anyway (its upload says why).
            if (planned.Action != PlanAction.None || planned.Reason == ChangeReason.InSync) entry = planned;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogDebug("site {Site}: {Key}: cannot compare with its object ({Error}); uploading it", _site.Name, key, e.Message);
        }
        catch (OperationCanceledException)
        {
        }
        _done.Writer.TryWrite(new Checked(key, ticket, entry));
    }

    private async Task OnCheckedAsync(Checked done)
    {
        var same = done.Entry.Action == PlanAction.None;
        if (_stopping || _stop.IsCancellationRequested || same)
        {
            _schedule.UploadEnded(done.Key, UploadOutcome.Vanished);
            if (same)
            {
                _logger.LogDebug("site {Site}: {Key}: matches its object (restored); nothing sent", _site.Name, done.Key);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Unchanged, done.Key));
            }
            return;
        }
        await EnqueueAsync(done.Key, done.Ticket, done.Entry).ConfigureAwait(false);
    }

    private Task OnDoneAsync(object message)
    {
        switch (message)
        {
            case Checked check:
                return OnCheckedAsync(check);
            case UploadResult result:
                OnUploaded(result);
                break;
            case DeletesDone deletes:
                OnDeleted(deletes);
                break;
            case RescanDone rescan:
                OnRescanDone(rescan);
                break;
            case RearmDone rearm:
                _rearming = false;
                // Success is the Rearmed event (in order with the events); a failure is this try's.
                if (rearm.Error is { } error && _backoff.Failed(_backoff.Why ?? error))
                    _logger.LogError("site {Site}: cannot watch local_path {Path} again: {Error}", _site.Name, _root, error);
                break;
        }
        return Task.CompletedTask;
    }

    private void OnUploaded(UploadResult result)
    {
        if (!_jobs.TryRemove(result.Entry, out _)) return;
        var key = result.Entry.Key;
        if (_stopping) return;
        var end = _schedule.UploadEnded(key, result.Outcome);
        switch (result.Outcome)
        {
            case UploadOutcome.Uploaded:
                _metrics.AddUpload(result.Bytes);
                if (end.FirstChange is { } first) _metrics.ObserveDelay(_time.GetElapsedTime(first, _time.GetTimestamp()));
                ActionLine.Log(_logger, ActionLine.Upload, key, site: _site.Name);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Uploaded, key));
                break;
            case UploadOutcome.ChangedInPlace:
                // The same content with another storage class or stored metadata: copied in place, as sync does.
                ActionLine.Log(_logger, ActionLine.Copy, key, site: _site.Name);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.ChangedInPlace, key));
                break;
            case UploadOutcome.Vanished:
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Vanished, key));
                break;
            default:
                _metrics.AddError();
                _logger.LogWarning("site {Site}: {Key}: upload failed ({Error}); trying again in {Seconds} s", _site.Name, key, result.Error, (end.RetryIn ?? TimeSpan.Zero).TotalSeconds);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.UploadFailed, key));
                break;
        }
    }

    private void FlushDeletes()
    {
        if (_deleting is not null || _deleteQueue.Count == 0 || _stopping || _stop.IsCancellationRequested) return;
        var items = _deleteQueue.ToList();
        _deleteQueue.Clear();
        _deleting = Task.Run(() => DeleteAsync(items));
    }

    /// <summary>Deletes keys (and every key below a folder item, "dir/") whose local file is really gone now, through
    /// the site's <see cref="DeletionStage"/> (the guard, the holding state and the deleter of its full syncs too).</summary>
    private async Task DeleteAsync(List<string> items)
    {
        var keys = new List<string>();
        var failed = new List<(string, string)>();
        var errors = 0;
        var held = 0;
        try
        {
            var rootThere = !_rootGone && Directory.Exists(_root) && SameRoot();
            var made = new List<string>();
            var outcome = await _deletions.EventsAsync(items, _root, rootThere, e => { if (e.Status == ActionStatus.Done) made.Add(e.Key); }, _stop).ConfigureAwait(false);
            if (outcome.Refusal == DeletionRefusal.EmptyRoot)
                _logger.LogWarning("site {Site}: local_path {Path} is empty; {Count} deletions not made (is the disk mounted?)", _site.Name, _root, outcome.Held);
            else if (outcome.Refusal is DeletionRefusal.MaxDelete or DeletionRefusal.Holding)
                held = (int)outcome.Held;
            errors = outcome.Failed.Count + (outcome.Unsaved?.Count ?? 0); // each one logged by the deleter or the stage
            keys = made;
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
        _done.Writer.TryWrite(new DeletesDone(items, keys, failed, held, errors));
    }

    private void OnDeleted(DeletesDone done)
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
        for (var i = 0; i < done.Errors; i++) _metrics.AddError();
        foreach (var key in done.Deleted) Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Deleted, key));
        foreach (var (key, error) in done.Failed)
        {
            _metrics.AddError();
            _logger.LogError("site {Site}: {Key}: delete failed: {Error}; the next full sync retires it", _site.Name, key, error);
        }
        _schedule.DeletesEnded(done.Items);
    }

    private void LogHeld(long count, string why) =>
        _logger.LogError("site {Site}: {Count} deletions held, not made ({Why}); the objects stay and /healthz answers 503 until a full sync decides them again. To apply them run: {Command} --site {Site} --max-delete {Total} (or raise max_delete and reload)",
            _site.Name, count, why, _settings.SyncCommand, Reporting.Printable.ShellQuote(_site.Name), _metrics.DeletesHeld);

    private void StartRescan(string reason, CancellationToken token)
    {
        // Nothing starts after the stop; no full sync of a root that is gone or replaced until it is watched again (the
        // re-arm asks for one).
        if (!_rootGone && _started && !SameRoot()) RootLost("it was replaced by another folder (another device or inode)");
        if (_stopping || _stop.IsCancellationRequested || _rootGone)
        {
            _schedule.FullSyncEnded(done: false, started: false);
            return;
        }
        _logger.LogInformation("site {Site}: full sync ({Reason})", _site.Name, reason);
        var rewatch = _started && !_source.Healthy;
        _rescan = Task.Run(() => RescanAsync(reason, rewatch, token));
    }

    private async Task RescanAsync(string reason, bool rewatch, CancellationToken token)
    {
        long objects = 0, bytes = 0, listed = 0, created = 0;
        var deleted = new List<string>();
        var failed = new ConcurrentQueue<string>();
        try
        {
            // Off the loop: adding watches takes the source's lock, which its thread may hold while the loop is busy.
            if (rewatch)
            {
                try
                {
                    _source.Rewatch();
                    _logger.LogDebug("site {Site}: watches reinstalled ({Folders} folders)", _site.Name, _source.WatchCount);
                }
                catch (IOException e)
                {
                    _logger.LogDebug("site {Site}: cannot reinstall the watches: {Error}", _site.Name, e.Message);
                }
            }
            // The scan reads committed rows only: commit what events and earlier full syncs stored, so it sees them.
            _settings.Cache?.Commit();
            using var digests = new CachedDigestSource(_settings.Cache, _site.Name, _settings.Reader, time: _time);
            var sync = new SiteSync(_site, _store, digests, new SyncSettings { Workers = _settings.Workers, QueueBuffer = _settings.QueueBuffer, Ledger = _settings.Ledger, Mounts = _settings.Mounts }, _logger, _deletions, _pool);
            sync.Planned += entry =>
            {
                if (entry.Remote is not null) listed++;
                if (entry.Action == PlanAction.Delete) { deleted.Add(entry.Key); return; }
                if (entry.Local is not null) { objects++; bytes += entry.Local.Size; }
                else if (entry.Remote is not null) { objects++; bytes += entry.Remote.Size; }
            };
            sync.Acted += a =>
            {
                if (a is not { Status: ActionStatus.Done, From: not null }) return;
                Interlocked.Increment(ref created);
                Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.Moved, a.Key));
            };
            sync.Uploaded += r =>
            {
                if (r.Outcome == UploadOutcome.Uploaded && r.Entry.Remote is null) Interlocked.Increment(ref created);
                if (r.Outcome == UploadOutcome.Uploaded) _metrics.AddUpload(r.Bytes);
                else if (r.Outcome == UploadOutcome.Failed) { _metrics.AddError(); failed.Enqueue(r.Entry.Key); }
            };
            var result = await sync.RunAsync(token).ConfigureAwait(false);
            // What the site manages once the sync is done: what its listing found, plus the objects it made, less those it deleted.
            var managed = listed + Interlocked.Read(ref created) - result.Stats.Deleted;
            _done.Writer.TryWrite(new RescanDone(reason, result, objects, bytes, deleted, [.. failed], null) { Managed = managed });
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

    private void OnRescanDone(RescanDone done)
    {
        _rescan = null;
        if (_stopping) return;
        // A rescan of a started source tried the missing watches first: its outcome is the watch's.
        if (_started && !_rootGone && _backoff.Failing)
        {
            if (_source.Healthy)
            {
                _degraded = false;
                if (_backoff.Succeeded()) _logger.LogWarning("site {Site}: every folder is watched again ({Folders} folders)", _site.Name, _source.WatchCount);
            }
            else
            {
                _backoff.Failed(_backoff.Why!);
            }
        }
        var now = _time.GetTimestamp();
        if (done.Result is { } r)
        {
            var s = r.Stats;
            _metrics.FullSyncDone(done.Objects, done.Bytes, _time.GetUtcNow());
            _metrics.InitialSyncDone = true;
            if (_source.Healthy) _degraded = false;
            if (_lastFullSyncError is not null)
            {
                _lastFullSyncError = null;
                _logger.LogWarning("site {Site}: full syncs work again", _site.Name);
            }
            if (r.Status != SiteStatus.Done) _metrics.AddError();
            // From the first full sync on, the guard counts what the site manages once the sync is done (what its listing
            // found, plus what it uploaded or moved to new keys, less what it deleted), not what its listing found before
            // it uploaded: a first sync into an empty prefix lists 0 objects, and a percentage of 0 would hold every
            // event deletion until the next full sync.
            if (r.Status is SiteStatus.Done or SiteStatus.DeletesRefused)
                _deletions.Guard.Observe(Math.Max(0, done.Managed));
            // The full sync decided every deletion again: what it refused is what is held now.
            if (r.Status == SiteStatus.DeletesRefused)
            {
                _deletions.Decided(holding: true);
                _metrics.DeletesHeld = done.Deleted.Count;
                LogHeld(done.Deleted.Count, "the full sync refused them");
            }
            else if (r.Status == SiteStatus.Done)
            {
                _deletions.Decided(holding: false);
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
                _schedule.Changed(key, now, closed: true);
            foreach (var key in done.Failed) _schedule.RetryLater(key);
            _schedule.FullSyncEnded(done: true);
        }
        else
        {
            _metrics.AddError();
            _schedule.FullSyncEnded(done: false);
            // Once per state change: the same error again (no credentials, a server down) is a debug line per try.
            var level = done.Error == _lastFullSyncError ? LogLevel.Debug : LogLevel.Error;
            _lastFullSyncError = done.Error;
            _logger.Log(level, "site {Site}: full sync ({Reason}) could not finish: {Error}; trying again in {Delay}, less and less often (every {Cap} at most)", _site.Name, done.Reason, done.Error, Show(_schedule.FullSyncRetryIn), Show(_schedule.FullSyncRetryCap));
            Activity?.Invoke(new WatchActivity(_site.Name, WatchActivityKind.FullSyncFailed));
        }
    }

    private async Task ShutdownAsync(CancellationTokenSource rescans, CancellationTokenSource uploads)
    {
        _stopping = true;
        _events.Writer.TryComplete();
        _source.Dispose();
        await rescans.CancelAsync().ConfigureAwait(false);
        var grace = StopGrace ?? _settings.ShutdownGrace;
        var pending = _uploader.Pending;
        if (pending > 0) _logger.LogInformation("site {Site}: stopping; waiting up to {Seconds} s for {Count} uploads", _site.Name, grace.TotalSeconds, pending);
        // Deletions in flight are cancelled with the stop: the objects stay, and the next full sync (a reload's new
        // initial sync) decides them again under the same guard.
        var drained = _uploader.DrainAsync();
        var rest = Task.WhenAll(drained, _rescan ?? Task.CompletedTask, _deleting ?? Task.CompletedTask);
        try
        {
            await rest.WaitAsync(grace, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("site {Site}: uploads still running after {Seconds} s; cancelling them (multipart uploads are aborted)", _site.Name, grace.TotalSeconds);
            await uploads.CancelAsync().ConfigureAwait(false);
            try { await rest.WaitAsync(AbandonAfter, _time).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (TimeoutException) { _logger.LogWarning("site {Site}: requests still running {Seconds} s after their cancel; left behind", _site.Name, AbandonAfter.TotalSeconds); }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A delete run ended: <see cref="Failed"/> are failures not logged yet (a listing that failed),
    /// <see cref="Errors"/> the keys the deleter could not delete (it logged them).</summary>
    private sealed record DeletesDone(List<string> Items, List<string> Deleted, List<(string Key, string Error)> Failed, int Held, int Errors);

    /// <summary>A re-arm on the folder at local_path ended; <see cref="Error"/> when it could not be watched.</summary>
    private sealed record RearmDone(string? Error);

    /// <summary>The comparison of a restored (or found) file with its object ended: <see cref="Entry"/> is its one-key
    /// plan (no action: nothing to send).</summary>
    private sealed record Checked(string Key, UploadTicket Ticket, PlanEntry Entry);

    private sealed record RescanDone(string Reason, SiteResult? Result, long Objects, long Bytes, List<string> Deleted, List<string> Failed, string? Error)
    {
        /// <summary>The objects the site manages once the sync is done: the delete guard's base from then on.</summary>
        public long Managed { get; init; }
    }
}
