using S3Sync.Config;
using S3Sync.Local;

namespace S3Sync.Watching;

/// <summary>
/// A change source for where inotify is blind (NFS, CIFS/SMB, FUSE, 9p: it reports only the changes made through this
/// kernel): every <see cref="Interval"/> the site's tree is walked again with <see cref="LocalWalker"/> (the walk of
/// <c>sync</c>: stat only, by folder handles, nothing read) and compared with the last walk by size, mtime, ctime,
/// device and inode (and a preserved link's target). What differs is reported as inotify's events would be: a new or
/// changed file as <see cref="ChangeKind.Modified"/> (uploaded once quiet for <c>watch_interval</c>), a new one as
/// <see cref="ChangeKind.Found"/> (compared with its object first, so what a sync already sent is not sent again), a file gone as <see cref="ChangeKind.Removed"/>, so the same schedule, uploader and delete
/// guard decide. Unchanged files cost one stat each and are never opened. A walk that did not complete (a folder that
/// could not be read) reports no removal: what it did not see is not gone. The first walk, in <see cref="Start"/>, is the
/// baseline (the initial full sync covers the tree); a change made after Start returns is seen by a later walk.
/// </summary>
public sealed class PollingSource : IChangeSource
{
    private readonly Site _site;
    private readonly TimeProvider _time;
    private readonly string _root;
    private readonly CancellationTokenSource _stop = new();
    private Dictionary<string, Fingerprint> _last = new(StringComparer.Ordinal);
    private Action<ChangeEvent> _sink = _ => { };
    private Task? _loop;
    private volatile bool _rootGone;
    private int _files;

    private readonly record struct Fingerprint(long Size, DateTime Mtime, long CtimeNs, FileIdentity? Identity, string? LinkTarget);

    public PollingSource(Site site, TimeProvider? time = null, TimeSpan? interval = null)
    {
        _site = site;
        _time = time ?? TimeProvider.System;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(site.LocalPath));
        Interval = interval ?? IntervalFor(site);
    }

    /// <summary>The poll interval of a site: its <c>watch_interval</c>, at least 100 ms.</summary>
    public static TimeSpan IntervalFor(Site site) => TimeSpan.FromMilliseconds(Math.Max(100, site.WatchInterval));

    /// <summary>The time between the end of one walk and the start of the next.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Raised after each walk with the files it saw and how long it took (tests await it; the log's trace line).</summary>
    public event Action<PollResult>? Polled;

    public bool Healthy => !_rootGone;

    /// <summary>Polling watches no folder; the files of the last walk are <see cref="Files"/>.</summary>
    public int WatchCount => 0;

    /// <summary>Files seen by the last walk.</summary>
    public int Files => Volatile.Read(ref _files);

    public void Start(Action<ChangeEvent> sink)
    {
        _sink = sink;
        if (!Directory.Exists(_root)) throw new IOException($"{_root} does not exist");
        // The baseline, synchronously: a change made once Start returned differs from it.
        _last = WalkAsync(CancellationToken.None).GetAwaiter().GetResult().Files ?? [];
        Volatile.Write(ref _files, _last.Count);
        _loop ??= Task.Run(LoopAsync);
    }

    public void Rewatch()
    {
        if (!Directory.Exists(_root)) throw new IOException($"cannot poll {_root}: it does not exist");
        // Whatever is there now is the new baseline; the full sync after Rearmed reconciles it with the bucket.
        _last = WalkAsync(CancellationToken.None).GetAwaiter().GetResult().Files ?? [];
        _rootGone = false;
        _sink(new ChangeEvent(ChangeKind.Rearmed, _root, _time.GetTimestamp()));
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try { await Task.Delay(Interval, _time, _stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            try { Poll(); }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                // Never a silent end of the polling: each failed walk is a problem line, and the next is tried.
                _sink(new ChangeEvent(ChangeKind.Problem, _root, _time.GetTimestamp(), $"poll failed: {e.Message}"));
            }
        }
    }

    /// <summary>One walk, compared with the last: the events, then <see cref="Polled"/>.</summary>
    internal void Poll()
    {
        if (_rootGone) return; // until Rewatch: the watcher's backoff decides when to look again
        var started = _time.GetTimestamp();
        if (!Directory.Exists(_root))
        {
            _rootGone = true;
            _sink(new ChangeEvent(ChangeKind.RootGone, _root, started, "it is gone (deleted, moved or unmounted)"));
            return;
        }
        var (now, complete) = WalkAsync(_stop.Token).GetAwaiter().GetResult();
        if (now is null) return;
        var stamp = _time.GetTimestamp();
        var changed = 0;
        foreach (var (key, print) in now)
        {
            var known = _last.TryGetValue(key, out var before);
            if (known && before == print) continue;
            changed++;
            // A file new to the walk may be one the initial sync (or a sync before an incomplete walk) already sent:
            // Found compares it with its object first and sends nothing when they match. A changed one is Modified.
            _sink(new ChangeEvent(known ? ChangeKind.Modified : ChangeKind.Found, _root + "/" + key, stamp));
        }
        var removed = 0;
        foreach (var key in _last.Keys)
        {
            if (now.ContainsKey(key)) continue;
            if (!complete)
            {
                now[key] = _last[key]; // not seen is not gone: kept until a complete walk says so
                continue;
            }
            removed++;
            _sink(new ChangeEvent(ChangeKind.Removed, _root + "/" + key, stamp));
        }
        _last = now;
        Volatile.Write(ref _files, now.Count);
        Polled?.Invoke(new PollResult(now.Count, changed, removed, complete, _time.GetElapsedTime(started)));
    }

    private async Task<(Dictionary<string, Fingerprint>? Files, bool Complete)> WalkAsync(CancellationToken cancellationToken)
    {
        // Keys are relative to local_path, as the watcher's are; the walk's issues are the full syncs' to report.
        var walker = new LocalWalker(_site);
        var files = new Dictionary<string, Fingerprint>(_last.Count, StringComparer.Ordinal);
        await foreach (var entry in walker.WalkAsync(cancellationToken).ConfigureAwait(false))
            files[entry.Key] = new Fingerprint(entry.Size, entry.LastWriteUtc, entry.CtimeNs, entry.Identity, entry.LinkTarget);
        return (files, walker.Complete);
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(TimeSpan.FromSeconds(10)); }
        catch (AggregateException) { }
        _stop.Dispose();
    }
}
