using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.State;

namespace S3Sync.Execution;

/// <summary>
/// What every site of one run (<see cref="SyncRun"/>, <see cref="RestoreRun"/>, <see cref="VerifyRun"/>) shares: the
/// hash cache, one request limit per endpoint (<see cref="RequestLimits"/>), and one bandwidth limit and byte budget
/// (<see cref="TransferLimits"/>) for uploads and downloads alike. Owned by the run, none global.
/// </summary>
internal sealed class RunResources(SyncConfig config, SiteStoreFactory stores, ILogger logger) : IDisposable
{
    /// <summary>The state folder's hash cache; null when it cannot be used (the run reads every file).</summary>
    public HashCache? Cache { get; } = RunCache.Open(config.StateDir, logger);

    private readonly RequestLimits _limits = new(config);

    public TransferLimits Transfers { get; } = new(config.BandwidthLimit);

    /// <summary>The site's store, at its endpoint's limit and the run's bandwidth, logging to <paramref name="siteLogger"/>.</summary>
    public IObjectStore StoreFor(Site site, ILogger siteLogger) => stores(site, siteLogger, _limits.For(site), Transfers.Bandwidth);

    public void Dispose() => Cache?.Dispose();
}
