using System.Globalization;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Remote;

namespace S3Sync.Cli.Commands;

/// <summary>One object store per site, made from the site's credentials, region and endpoint.</summary>
public static class SiteStores
{
    /// <summary>
    /// Hidden setting: the per-request timeout in seconds when neither request_timeout nor --timeout is set. Fault tests shorten it so a frozen
    /// server is detected in seconds; it is not a documented option.
    /// </summary>
    public const string TimeoutVariable = "S3SYNC_REQUEST_TIMEOUT";

    /// <summary>The stores of a run of <paramref name="config"/>: its transfer workers, retries and request timeout.</summary>
    public static SiteStoreFactory For(SyncConfig config) =>
        (site, logger, limit, bandwidth) => For(site, config.TransferWorkers, config.S3OpsRetries, config.RequestTimeout, logger, limit, bandwidth);

    /// <param name="timeout">Seconds per request (request_timeout, --timeout); null: the hidden variable, else the default.</param>
    /// <param name="logger">Hears each retry at warn.</param>
    /// <param name="limit">The endpoint's limit on requests in flight (<see cref="RequestLimits"/>): the connection pool
    /// is sized for its ceiling.</param>
    /// <param name="bandwidth">The run's bandwidth limit (<see cref="S3Sync.Execution.TransferLimits.Bandwidth"/>), shared
    /// by every site's store; null: none.</param>
    public static IObjectStore For(Site site, int workers, int retries, int? timeout = null, ILogger? logger = null, AdaptiveConcurrency? limit = null, BandwidthLimiter? bandwidth = null) =>
        S3ObjectStore.ForSite(site, Math.Max(workers, limit?.Ceiling ?? 0) + 2, retries,
            timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : RequestTimeout(),
            logger is null ? null : message => logger.LogWarning("{Retry}", message), limit, bandwidth);

    private static TimeSpan? RequestTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
