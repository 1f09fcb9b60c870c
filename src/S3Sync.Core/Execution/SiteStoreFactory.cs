using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;

namespace S3Sync.Execution;

/// <summary>
/// Makes the object store of a site for a run: the run passes the endpoint's request limit (<see cref="RequestLimits"/>)
/// and the run's bandwidth limit (<see cref="TransferLimits.Bandwidth"/>), both made per run (or per watch process),
/// never global. The command gives the real S3 store; tests give a memory store.
/// </summary>
/// <param name="logger">The site's logger: hears each retry.</param>
public delegate IObjectStore SiteStoreFactory(Site site, ILogger logger, AdaptiveConcurrency limit, BandwidthLimiter bandwidth);
