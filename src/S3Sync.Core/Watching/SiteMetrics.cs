using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace S3Sync.Watching;

/// <summary>Counters and gauges of one site, safe to update from every worker; kept across reloads (by site name).</summary>
public sealed class SiteMetrics(string site)
{
    /// <summary>Upper bounds (seconds) of the change-to-upload delay histogram.</summary>
    public static readonly ImmutableArray<double> DelayBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly long[] _delayCounts = new long[DelayBuckets.Length + 1];
    private long _deletesHeld, _uploads, _uploadedBytes, _deletes, _errors, _objects, _bytes, _rescans, _overflows, _delayMicros;
    private int _queueDepth, _watches;
    private double _lastFullSync;
    private volatile bool _initialDone, _watchHealthy;
    private long _busySince = Idle, _progressAt = Idle;
    private const long Idle = long.MinValue;

    public string Site => site;
    public long Uploads => Interlocked.Read(ref _uploads);
    public long Deletes => Interlocked.Read(ref _deletes);
    public long Errors => Interlocked.Read(ref _errors);
    public long Rescans => Interlocked.Read(ref _rescans);
    public bool InitialSyncDone { get => _initialDone; set => _initialDone = value; }
    public bool WatchHealthy { get => _watchHealthy; set => _watchHealthy = value; }
    /// <summary>Deletions the delete guard held back (not made) since the last full sync that completed.</summary>
    public long DeletesHeld { get => Interlocked.Read(ref _deletesHeld); set => Interlocked.Exchange(ref _deletesHeld, value); }

    /// <summary>The command that applies held deletions (<see cref="WatchSettings.SyncCommand"/>).</summary>
    public string SyncCommand { get; set; } = "s3sync sync";

    public bool Healthy => _initialDone && _watchHealthy && DeletesHeld == 0;

    /// <summary>Why the site is not healthy, in one line; null when it is.</summary>
    public string? Problem =>
        !_initialDone ? "initial sync running"
        : DeletesHeld > 0 ? $"{DeletesHeld} deletions held by max_delete (apply with: {SyncCommand} --site {Reporting.Printable.ShellQuote(site)} --max-delete N)"
        : !_watchHealthy ? "watches degraded (a full sync is catching up, or local_path is gone)"
        : null;

    /// <summary>The site's loop woke up at <paramref name="timestamp"/> (<see cref="TimeProvider.GetTimestamp"/>) and works.</summary>
    public void LoopWorking(long timestamp) => Interlocked.Exchange(ref _busySince, timestamp);

    /// <summary>The site's loop waits for its next event or deadline: idle, never stuck.</summary>
    public void LoopWaiting() => Interlocked.Exchange(ref _busySince, Idle);

    /// <summary>Work of the site ended (an upload): its loop may be waiting for room in the upload queue, which is progress.</summary>
    public void Progressed(long timestamp) => Interlocked.Exchange(ref _progressAt, timestamp);

    /// <summary>How long the site's loop has been working without going back to wait and without any upload ending, when
    /// that is longer than <paramref name="after"/>; null otherwise (the liveness of <c>/livez</c> and the watchdog).</summary>
    public TimeSpan? StuckFor(TimeProvider time, TimeSpan after)
    {
        var busy = Interlocked.Read(ref _busySince);
        if (busy == Idle) return null;
        var since = Math.Max(busy, Interlocked.Read(ref _progressAt));
        var elapsed = time.GetElapsedTime(since);
        return elapsed > after ? elapsed : null;
    }

    public void AddUpload(long bytes) { Interlocked.Increment(ref _uploads); Interlocked.Add(ref _uploadedBytes, bytes); }
    public void AddDeletes(long count) => Interlocked.Add(ref _deletes, count);
    public void AddError() => Interlocked.Increment(ref _errors);
    public void AddOverflow() => Interlocked.Increment(ref _overflows);
    public void SetQueueDepth(int depth) => Volatile.Write(ref _queueDepth, depth);
    public void SetWatches(int count) => Volatile.Write(ref _watches, count);

    /// <summary>Records a finished full reconcile: what the prefix holds afterwards and when.</summary>
    public void FullSyncDone(long objects, long bytes, DateTimeOffset at)
    {
        Interlocked.Exchange(ref _objects, objects);
        Interlocked.Exchange(ref _bytes, bytes);
        Interlocked.Increment(ref _rescans);
        Volatile.Write(ref _lastFullSync, at.ToUnixTimeMilliseconds() / 1000.0);
    }

    public void ObserveDelay(TimeSpan delay)
    {
        var seconds = Math.Max(0, delay.TotalSeconds);
        var i = 0;
        while (i < DelayBuckets.Length && seconds > DelayBuckets[i]) i++;
        Interlocked.Increment(ref _delayCounts[i]);
        Interlocked.Add(ref _delayMicros, (long)(seconds * 1_000_000));
    }

    internal void Write(MetricsWriter w)
    {
        var l = $"site=\"{MetricsWriter.Escape(site)}\"";
        w.Sample("s3sync_data_total_size", l, Interlocked.Read(ref _bytes));
        w.Sample("s3sync_data_size_bytes", l, Interlocked.Read(ref _bytes));
        w.Sample("s3sync_data_objects_count", l, Interlocked.Read(ref _objects));
        w.Sample("s3sync_data_objects", l, Interlocked.Read(ref _objects));
        w.Sample("s3sync_errors_count", l, Errors);
        w.Sample("s3sync_errors_total", l, Errors);
        w.Sample("s3sync_deletes_held", l, DeletesHeld);
        w.Sample("s3sync_uploads_total", l, Uploads);
        w.Sample("s3sync_uploaded_bytes_total", l, Interlocked.Read(ref _uploadedBytes));
        w.Sample("s3sync_deletes_total", l, Deletes);
        w.Sample("s3sync_queue_depth", l, Volatile.Read(ref _queueDepth));
        w.Sample("s3sync_watched_folders", l, Volatile.Read(ref _watches));
        w.Sample("s3sync_watch_healthy", l, Healthy ? 1 : 0);
        w.Sample("s3sync_overflows_total", l, Interlocked.Read(ref _overflows));
        w.Sample("s3sync_full_syncs_total", l, Rescans);
        w.Sample("s3sync_last_full_sync_timestamp_seconds", l, Volatile.Read(ref _lastFullSync));
        long cumulative = 0;
        for (var i = 0; i < DelayBuckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _delayCounts[i]);
            w.Sample("s3sync_upload_delay_seconds_bucket", $"{l},le=\"{DelayBuckets[i].ToString(CultureInfo.InvariantCulture)}\"", cumulative);
        }
        cumulative += Interlocked.Read(ref _delayCounts[^1]);
        w.Sample("s3sync_upload_delay_seconds_bucket", $"{l},le=\"+Inf\"", cumulative);
        w.Sample("s3sync_upload_delay_seconds_sum", l, Interlocked.Read(ref _delayMicros) / 1_000_000.0);
        w.Sample("s3sync_upload_delay_seconds_count", l, cumulative);
    }
}
