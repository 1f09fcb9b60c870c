using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace S3Sync.Watching;

/// <summary>
/// Every site's metrics, the build and the process, rendered in the Prometheus text format (version 0.0.4). The
/// seed's three names (<c>s3sync_data_total_size</c>, <c>s3sync_data_objects_count</c>, <c>s3sync_errors_count</c>) are
/// its contract with existing dashboards and stay, beside their conventional twins (<c>_bytes</c>, no <c>_count</c> on a
/// gauge, <c>_total</c> on a counter) carrying the same values. <c>s3sync_errors_count</c> is declared <c>untyped</c>: a
/// counter's name must end in <c>_total</c>, and its value (a count that only grows) reads the same either way.
/// </summary>
public sealed class WatchMetrics
{
    private static readonly ImmutableArray<(string Name, string Type, string Help)> Families =
    [
        ("s3sync_build_info", "gauge", "Always 1; the version of s3sync in the version label."),
        ("s3sync_data_total_size", "gauge", "Bytes under the site's prefix in S3, as of the last full sync (the seed's name; see s3sync_data_size_bytes)."),
        ("s3sync_data_size_bytes", "gauge", "Bytes under the site's prefix in S3, as of the last full sync."),
        ("s3sync_data_objects_count", "gauge", "Objects under the site's prefix in S3, as of the last full sync (the seed's name; see s3sync_data_objects)."),
        ("s3sync_data_objects", "gauge", "Objects under the site's prefix in S3, as of the last full sync."),
        ("s3sync_errors_count", "untyped", "Failed uploads, deletes and full syncs since start (the seed's name; see s3sync_errors_total)."),
        ("s3sync_errors_total", "counter", "Failed uploads, deletes and full syncs since start."),
        ("s3sync_deletes_held", "gauge", "Deletions held back by max_delete (not made) until a full sync decides them again; the site is unhealthy while this is above 0."),
        ("s3sync_uploads_total", "counter", "Objects uploaded (PUT or multipart) since start, by events and full syncs."),
        ("s3sync_uploaded_bytes_total", "counter", "Bytes uploaded since start."),
        ("s3sync_deletes_total", "counter", "Keys deleted since start."),
        ("s3sync_queue_depth", "gauge", "Changes waiting: queued uploads plus files waiting to be quiet or retried."),
        ("s3sync_watched_folders", "gauge", "Folders with an inotify watch."),
        ("s3sync_watch_healthy", "gauge", "1 when the initial sync is done, every folder is watched and no deletion is held."),
        ("s3sync_overflows_total", "counter", "Times the kernel dropped events or the watch limit was hit (each one triggers a rescan)."),
        ("s3sync_full_syncs_total", "counter", "Full reconciles finished (initial, periodic, after overflow or reload)."),
        ("s3sync_last_full_sync_timestamp_seconds", "gauge", "Unix time the last full reconcile finished."),
        ("s3sync_upload_delay_seconds", "histogram", "Delay from a file's change being seen to its upload finishing."),
        ("process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds."),
        ("process_resident_memory_bytes", "gauge", "Resident memory size in bytes."),
        ("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes."),
        ("process_open_fds", "gauge", "Open file descriptors."),
        ("process_max_fds", "gauge", "The limit of open file descriptors."),
        ("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds."),
    ];

    /// <summary>The version <c>s3sync_build_info</c> reports (the command sets it; the informational version).</summary>
    public string Version { get; set; } = "unknown";

    private readonly ConcurrentDictionary<string, SiteMetrics> _sites = new(StringComparer.Ordinal);

    public SiteMetrics For(string site) => _sites.GetOrAdd(site, s => new SiteMetrics(s));

    public IReadOnlyCollection<SiteMetrics> Sites => [.. _sites.Values.OrderBy(s => s.Site, StringComparer.Ordinal)];

    /// <summary>Forgets sites that are no longer configured (after a reload).</summary>
    public void Retain(IEnumerable<string> names)
    {
        var keep = names.ToHashSet(StringComparer.Ordinal);
        foreach (var name in _sites.Keys.Where(n => !keep.Contains(n)).ToList()) _sites.TryRemove(name, out _);
    }

    public string Render()
    {
        var writer = new MetricsWriter();
        writer.Sample("s3sync_build_info", $"version=\"{MetricsWriter.Escape(Version)}\"", 1);
        foreach (var site in Sites) site.Write(writer);
        ProcessMetrics.Write(writer);
        var text = new StringBuilder();
        foreach (var (name, type, help) in Families)
        {
            if (!writer.Lines.TryGetValue(name, out var lines)) continue;
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var line in lines) text.Append(line).Append('\n');
        }
        return text.ToString();
    }
}
