using S3Sync.Execution;

namespace S3Sync.Watching;

/// <summary>
/// The deciding half of a site's watch: a synchronous, single-threaded state machine per key, with a
/// <see cref="TimeProvider"/> and no file system or network. Events go in (changed, closed, removed, folder removed,
/// upload started and ended, deletes ended, lost events, full sync ended, tick); commands come out
/// (<see cref="TryTake"/>: upload a key, delete a key or a folder, run a full sync). The shell
/// (<see cref="SiteWatcher"/>) performs them with the sync components and reports back. The rules:
/// <list type="bullet">
/// <item>a close after writing (or a rename into place) uploads at once; writes without a close upload once quiet for
/// <c>watch_interval</c> ms (0: at once);</item>
/// <item>a change while the key's upload is queued needs nothing (the job reads the file when it starts); a change while
/// it runs (or while its delete runs) gives exactly one more upload after it;</item>
/// <item>a removal (with <c>retire_deleted</c>) deletes the key; during a running upload the delete waits for it and
/// any upload still wanted is dropped;</item>
/// <item>a removed folder drops the pending uploads below it and gives one folder delete; uploads running below it are
/// followed by their key's delete;</item>
/// <item>a failed upload is tried again after 1 s, 2 s, 4 s ... up to the cap;</item>
/// <item>lost events, and every <c>rescan_interval</c>, give one full sync; another asked for while one runs follows it;
/// a failed full sync is tried again after 30 s, 60 s, 120 s ... up to the cap (5 min, or 30 s when the cap is
/// shorter), and one asked for meanwhile waits for that try: a full sync that cannot finish (no credentials, a server
/// down) never runs back to back.</item>
/// </list>
/// Not thread-safe, except <see cref="UploadTicket.Start"/>.
/// </summary>
public sealed class KeySchedule(TimeProvider time, int watchIntervalMs, bool retireDeleted, TimeSpan maxRetryDelay, int rescanIntervalSeconds = 0)
{
    /// <summary>The wait before a failed full sync is tried again the first time (doubled after each failure in a row,
    /// up to <see cref="FullSyncRetryCap"/>).</summary>
    public static readonly TimeSpan FullSyncRetry = TimeSpan.FromSeconds(30);

    private int _fullSyncFailures;

    /// <summary>The longest wait between two tries of a failing full sync.</summary>
    public TimeSpan FullSyncRetryCap => maxRetryDelay > FullSyncRetry ? maxRetryDelay : FullSyncRetry;

    /// <summary>The wait after <paramref name="failures"/> failed full syncs in a row.</summary>
    public TimeSpan FullSyncRetryDelay(int failures) =>
        TimeSpan.FromSeconds(Math.Min(FullSyncRetryCap.TotalSeconds, FullSyncRetry.TotalSeconds * Math.Pow(2, Math.Min(Math.Max(failures, 1) - 1, 20))));

    /// <summary>The wait until the failed full sync's next try (zero when none is due).</summary>
    public TimeSpan FullSyncRetryIn => _fullSyncFailures == 0 || _nextFullSync == long.MaxValue ? TimeSpan.Zero : time.GetElapsedTime(time.GetTimestamp(), _nextFullSync);

    private readonly Dictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _due = new();
    private readonly Queue<KeyCommand> _commands = new();
    private bool _fullSyncRunning;
    private string? _fullSyncAgain;
    private long _nextFullSync = long.MaxValue;

    /// <summary>Keys with an upload waiting for its quiet time or retry.</summary>
    public int Waiting => _keys.Values.Count(k => k.Due is not null);

    /// <summary>Keys with anything pending or in flight (for tests).</summary>
    public int Tracked => _keys.Count;

    /// <summary>True while a full sync the schedule asked for has not ended.</summary>
    public bool FullSyncRunning => _fullSyncRunning;

    /// <summary>The next command, if any.</summary>
    public bool TryTake(out KeyCommand command) => _commands.TryDequeue(out command!);

    /// <summary>The earliest timestamp at which <see cref="Tick"/> has something to do; <see cref="long.MaxValue"/>: none.</summary>
    public long NextDeadline
    {
        get
        {
            while (_due.TryPeek(out var key, out var due))
            {
                if (_keys.TryGetValue(key, out var st) && st.Due == due) return Math.Min(_nextFullSync, due);
                _due.Dequeue(); // stale entry
            }
            return _nextFullSync;
        }
    }

    /// <summary>A file was written (<paramref name="closed"/>: closed after writing, or renamed into place) at
    /// <paramref name="seen"/> (the event's timestamp, for the latency metric).</summary>
    public void Changed(string key, long seen, bool closed)
    {
        var now = time.GetTimestamp();
        if (!_keys.TryGetValue(key, out var st)) _keys[key] = st = new KeyState();
        st.DeleteAfter = false;
        if (st.Running != Op.None)
        {
            if (st.Running == Op.Upload && st.Ticket is { Started: false }) { st.FirstChange ??= seen; return; }
            st.NextFirstChange ??= seen;
            st.AgainDue = closed ? now : Math.Max(st.AgainDue ?? 0, QuietDeadline(now));
            return;
        }
        st.FirstChange ??= seen;
        if (closed || watchIntervalMs == 0)
        {
            st.Due = null;
            StartUpload(key, st);
        }
        else
        {
            Schedule(key, st, QuietDeadline(now));
        }
    }

    /// <summary>A file was removed (or moved away).</summary>
    public void Removed(string key)
    {
        if (!_keys.TryGetValue(key, out var st))
        {
            if (!retireDeleted) return;
            _keys[key] = st = new KeyState();
        }
        st.Due = st.AgainDue = st.FirstChange = st.NextFirstChange = null;
        if (st.Running == Op.Upload) { st.DeleteAfter = retireDeleted; return; }
        if (st.Running == Op.Delete) return;
        if (!retireDeleted) { _keys.Remove(key); return; }
        StartDelete(key, st);
    }

    /// <summary>A folder was removed (or moved away): <paramref name="folderKey"/> without the trailing '/'.</summary>
    public void FolderRemoved(string folderKey)
    {
        var below = folderKey + "/";
        foreach (var (k, st) in _keys.Where(p => p.Key.StartsWith(below, StringComparison.Ordinal)).ToList())
        {
            if (st.Running == Op.None) { _keys.Remove(k); continue; }
            st.Due = st.AgainDue = st.FirstChange = st.NextFirstChange = null;
            if (st.Running == Op.Upload) st.DeleteAfter = retireDeleted;
        }
        if (retireDeleted) _commands.Enqueue(new KeyCommand(KeyCommandKind.DeleteFolder, below));
    }

    /// <summary>How an upload ended, for the shell's metrics and logs.</summary>
    public readonly record struct UploadEnd(long? FirstChange, TimeSpan? RetryIn);

    /// <summary>The upload of <paramref name="key"/> ended (a shell that could not start it reports
    /// <see cref="UploadOutcome.Vanished"/>).</summary>
    public UploadEnd UploadEnded(string key, UploadOutcome outcome)
    {
        if (!_keys.TryGetValue(key, out var st) || st.Running != Op.Upload) return default;
        st.Running = Op.None;
        st.Ticket = null;
        var now = time.GetTimestamp();
        var first = st.FirstChange;
        TimeSpan? retry = null;
        switch (outcome)
        {
            case UploadOutcome.Uploaded or UploadOutcome.ChangedInPlace:
                st.Failures = 0;
                break;
            case UploadOutcome.Failed:
                st.Failures++;
                retry = RetryDelay(st.Failures);
                if (st.AgainDue is null && !st.DeleteAfter) st.AgainDue = now + Ticks(retry.Value);
                st.NextFirstChange ??= st.FirstChange;
                break;
        }
        st.FirstChange = st.NextFirstChange;
        st.NextFirstChange = null;
        Continue(key, st);
        return new UploadEnd(outcome == UploadOutcome.Uploaded ? first : null, retry);
    }

    /// <summary>The deletes of these keys (a folder item ends with '/') ended, made or not.</summary>
    public void DeletesEnded(IEnumerable<string> items)
    {
        foreach (var item in items)
        {
            if (item.EndsWith('/') || !_keys.TryGetValue(item, out var st) || st.Running != Op.Delete) continue;
            st.Running = Op.None;
            Continue(item, st);
        }
    }

    /// <summary>A key a full sync could not upload: tried again after the first retry delay, unless something is
    /// pending for it already.</summary>
    public void RetryLater(string key)
    {
        if (!_keys.TryGetValue(key, out var st)) _keys[key] = st = new KeyState { Failures = 1 };
        if (st.Running == Op.None && st.Due is null) Schedule(key, st, time.GetTimestamp() + Ticks(RetryDelay(1)));
    }

    /// <summary>Asks for a full sync: at once, or after the running one.</summary>
    public void FullSyncWanted(string reason)
    {
        // While one runs, or while a failed one waits for its retry, the request joins what comes next.
        if (_fullSyncRunning || (_fullSyncFailures > 0 && _nextFullSync != long.MaxValue)) { _fullSyncAgain = reason; return; }
        StartFullSync(reason);
    }

    /// <summary>The full sync ended: <paramref name="done"/> false when it could not finish (tried again after
    /// <see cref="FullSyncRetry"/>), or could not start (<paramref name="started"/> false: nothing is scheduled).</summary>
    public void FullSyncEnded(bool done, bool started = true)
    {
        _fullSyncRunning = false;
        var now = time.GetTimestamp();
        if (!started) return;
        if (!done)
        {
            // The next try is the retry's, whoever asked for one meanwhile: it carries their reason.
            _fullSyncFailures++;
            _nextFullSync = now + Ticks(FullSyncRetryDelay(_fullSyncFailures));
            return;
        }
        _fullSyncFailures = 0;
        _nextFullSync = rescanIntervalSeconds > 0 ? now + rescanIntervalSeconds * time.TimestampFrequency : long.MaxValue;
        if (_fullSyncAgain is { } again)
        {
            _fullSyncAgain = null;
            StartFullSync(again);
        }
    }

    /// <summary>Time passed: uploads whose quiet time or retry came, and a due full sync, start.</summary>
    public void Tick()
    {
        var now = time.GetTimestamp();
        while (_due.TryPeek(out var key, out var due) && due <= now)
        {
            _due.Dequeue();
            if (!_keys.TryGetValue(key, out var st) || st.Due != due || st.Running != Op.None) continue;
            st.Due = null;
            StartUpload(key, st);
        }
        if (_nextFullSync <= now && !_fullSyncRunning)
        {
            _nextFullSync = long.MaxValue;
            var reason = _fullSyncAgain ?? (_fullSyncFailures > 0 ? "trying the failed full sync again" : "rescan_interval");
            _fullSyncAgain = null;
            StartFullSync(reason);
        }
    }

    private void StartFullSync(string reason)
    {
        _fullSyncRunning = true;
        _commands.Enqueue(new KeyCommand(KeyCommandKind.FullSync, reason));
    }

    private void Continue(string key, KeyState st)
    {
        if (st.DeleteAfter)
        {
            st.DeleteAfter = false;
            StartDelete(key, st);
        }
        else if (st.AgainDue is { } again)
        {
            st.AgainDue = null;
            if (again <= time.GetTimestamp()) StartUpload(key, st);
            else Schedule(key, st, again);
        }
        else if (st.Due is null && st.Running == Op.None)
        {
            _keys.Remove(key);
        }
    }

    private void StartUpload(string key, KeyState st)
    {
        st.Running = Op.Upload;
        st.Ticket = new UploadTicket();
        _commands.Enqueue(new KeyCommand(KeyCommandKind.Upload, key, st.Ticket));
    }

    private void StartDelete(string key, KeyState st)
    {
        st.Running = Op.Delete;
        _commands.Enqueue(new KeyCommand(KeyCommandKind.Delete, key));
    }

    private void Schedule(string key, KeyState st, long due)
    {
        st.Due = due;
        _due.Enqueue(key, due);
    }

    private long QuietDeadline(long now) => now + (long)(watchIntervalMs / 1000.0 * time.TimestampFrequency);

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>1 s, 2 s, 4 s ... up to the cap.</summary>
    public TimeSpan RetryDelay(int failures) =>
        TimeSpan.FromSeconds(Math.Min(maxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(failures - 1, 20))));

    private enum Op { None, Upload, Delete }

    /// <summary>One key with something pending or in flight.</summary>
    private sealed class KeyState
    {
        public Op Running { get; set; }

        /// <summary>The running upload's ticket: started by its worker or still queued.</summary>
        public UploadTicket? Ticket { get; set; }

        /// <summary>When to upload (quiet deadline or retry), as a <see cref="TimeProvider"/> timestamp.</summary>
        public long? Due { get; set; }

        /// <summary>Another upload wanted once the running one ends, at this time.</summary>
        public long? AgainDue { get; set; }

        public bool DeleteAfter { get; set; }
        public long? FirstChange { get; set; }
        public long? NextFirstChange { get; set; }
        public int Failures { get; set; }
    }
}
