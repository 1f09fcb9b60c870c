using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.State;

namespace S3Sync.Watching;

/// <summary>What a watch needs beyond the configuration: where it came from, which sites, and the seams.</summary>
public sealed record WatchOptions
{
    /// <summary>The configuration file, read again on reload; null in the ad-hoc form (nothing to reload).</summary>
    public required string? ConfigPath { get; init; }

    /// <summary>Reads the configuration again for a reload: the resolved configuration, or the error lines that refuse
    /// it. The command passes the same resolution as at start (file, flags, environment); by default the file alone.</summary>
    public Func<(SyncConfig? Config, IReadOnlyList<string> Errors)>? Loader { get; init; }

    /// <summary>Only these sites (the <c>--site</c> option); empty means all.</summary>
    public IReadOnlyList<string> SiteNames { get; init; } = [];

    /// <summary>Makes the stores of a configuration's sites (connections, retries, timeout from it). The watch passes
    /// each store the endpoint's request limit (one per endpoint for the process, a new one when a reload changes
    /// upload_workers), the process's bandwidth limit (<see cref="Limits"/>) and the site's logger.</summary>
    public required Func<SyncConfig, Execution.SiteStoreFactory> StoreFactory { get; init; }

    /// <summary>Makes the change source of a site, on the watch's clock (<see cref="Time"/>); inotify by default. Tests
    /// wrap it to drop or inject events.</summary>
    public Func<Site, TimeProvider, IChangeSource> SourceFactory { get; init; } = InotifySource.ForSite;

    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Reload when the configuration file's content changes (besides SIGHUP).</summary>
    public bool WatchConfigFile { get; init; } = true;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The hash cache every site's full syncs and event uploads use (opened from <c>state_dir</c> at start).</summary>
    public HashCache? Cache { get; init; }

    /// <summary>Reads and hashes files the cache cannot answer for (tests count the reads).</summary>
    public S3Sync.Planning.IDigestSource Reader { get; init; } = S3Sync.Planning.DirectDigestSource.Instance;

    /// <summary>A reload waits until the configuration file has been quiet (no new reload asked for, content unchanged)
    /// this long, so a file written in steps is read once it is whole.</summary>
    public TimeSpan ReloadQuiet { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a reload waits for the stopping sites' uploads before it cancels them (their work is decided
    /// again by the new sites' initial syncs).</summary>
    public TimeSpan ReloadGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The process's shared limits: the bandwidth limit every site's store meters by (the
    /// <see cref="StoreFactory"/> gives the stores this one's <see cref="Execution.TransferLimits.Bandwidth"/>) and the
    /// upload pool's byte budget. Its rate is the configuration's from the start, and a reload's once it applies.</summary>
    public Execution.TransferLimits Limits { get; init; } = new();
}
