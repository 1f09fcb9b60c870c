using System.Text.RegularExpressions;

namespace S3Sync.Config;

/// <summary>The whole resolved configuration: every default filled in, every value checked.</summary>
public sealed record SyncConfig
{
    public required string SourceFile { get; init; }
    public LogVerbosity LogLevel { get; init; } = LogVerbosity.Info;
    public int UploadWorkers { get; init; } = Defaults.UploadWorkers;

    /// <summary><c>upload_workers</c> or <c>--workers</c> was given: requests in flight are held at that level (backing
    /// off on throttling only). Otherwise they find their own level from <see cref="Defaults.UploadWorkers"/> up to
    /// <see cref="Defaults.ConcurrencyCeiling"/> (<see cref="Remote.AdaptiveConcurrency"/>).</summary>
    public bool WorkersFixed { get; init; }

    /// <summary>The workers of a transfer pool: the fixed level, or the adaptive limit's ceiling.</summary>
    public int TransferWorkers => WorkersFixed ? UploadWorkers : Math.Max(UploadWorkers, Defaults.ConcurrencyCeiling);

    public int UploadQueueBuffer { get; init; }
    public int WatchInterval { get; init; } = Defaults.WatchIntervalMs;
    public int S3OpsRetries { get; init; } = Defaults.S3OpsRetries;

    /// <summary>Seconds one S3 request may take (<c>request_timeout</c>, <c>--timeout</c>); null: the default.</summary>
    public int? RequestTimeout { get; init; }
    public int RescanInterval { get; init; } = Defaults.RescanIntervalSeconds;
    public int? HttpPort { get; init; }
    public string HttpAddress { get; init; } = "127.0.0.1";
    public string? StateDir { get; init; }

    /// <summary>This process's part of every site (<c>shard: K/N</c>, <c>--shard</c>), or null for the whole of each.</summary>
    public Shard? Shard { get; init; }

    /// <summary>Bytes per second for all transfers of the process together (<c>bandwidth_limit</c>); 0: no limit.</summary>
    public long BandwidthLimit { get; init; }
    public required IReadOnlyList<Site> Sites { get; init; }
}
