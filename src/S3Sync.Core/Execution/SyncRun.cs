using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;
using S3Sync.State;

namespace S3Sync.Execution;

/// <summary>
/// One <c>sync</c> (or its dry run, text or JSON: the same run, recording) of every site of a configuration, one site
/// after the other. The run owns what its sites share: one request limit per endpoint (<see cref="RequestLimits"/>),
/// one bandwidth limit and byte budget (<see cref="TransferLimits"/>), the hash cache and the state folder's ledgers,
/// all made here for this run, none global. A site's failure never stops the others. Returns each site's result and
/// the worst status; the command maps it to an exit code.
/// </summary>
/// <param name="asked">What the command line asked (dry run, deep, max_delete, comparison, ...); the run fills in the
/// configuration's workers and queue, the state folder's ledgers and the run's limits.</param>
/// <param name="stores">Makes each site's store (<see cref="SiteStoreFactory"/>).</param>
/// <param name="logger">The run's logger; each site's lines name the site when the run has several.</param>
public sealed class SyncRun(SyncConfig config, SyncSettings asked, SiteStoreFactory stores, ILogger logger)
{
    /// <summary>Called with each site's sync and store before the site runs: where a report follows it (its events).
    /// What it returns (a progress line) is disposed of when the site has run.</summary>
    public Func<Site, SiteSync, IObjectStore, IDisposable?>? Starting { get; init; }

    /// <summary>Raised when a site's run threw: the one problem that failed it (the site's result follows).</summary>
    public event Action<Site, SiteProblem>? SiteFailed;

    /// <summary>Raised with each site's result as it ends.</summary>
    public event Action<SiteResult>? SiteFinished;

    /// <summary>The settings every site runs with: what was asked, with the configuration's and the state folder's.</summary>
    public SyncSettings Settings { get; } = Fill(config, asked);

    private static SyncSettings Fill(SyncConfig config, SyncSettings asked)
    {
        var state = HashCache.ResolveDirectory(config.StateDir);
        return asked with
        {
            Workers = config.TransferWorkers, QueueBuffer = config.UploadQueueBuffer,
            Ledger = asked.Ledger ?? new SettingsLedger(state), Mounts = asked.Mounts ?? new MountLedger(state), Notices = asked.Notices ?? new NoticeLedger(state),
        };
    }

    public async Task<RunOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<SiteResult>();
        // The hash cache, the endpoints' limits and one bandwidth limit and byte budget for every site of the run.
        using var shared = new RunResources(config, stores, logger);
        var settings = Settings with { Limits = shared.Transfers };
        foreach (var site in config.Sites)
        {
            // A run of several sites names the site on each of its lines (issue #27: cron mail of /etc and /var/log).
            var siteLogger = SiteLogger.For(logger, site.Name, config.Sites.Count > 1);
            using var store = shared.StoreFor(site, siteLogger);
            using var digests = new CachedDigestSource(shared.Cache, site.Name, DirectDigestSource.Instance, settings.Rehash);
            var sync = new SiteSync(site, store, digests, settings, siteLogger);
            SiteResult result;
            using (Starting?.Invoke(site, sync, store))
            {
                try
                {
                    result = await sync.RunAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // One site's failure never stops the others.
                    siteLogger.LogError("site {Site}: {Error}", site.Name, StoreErrors.Describe(e));
                    SiteFailed?.Invoke(site, new SiteProblem(null, StoreErrors.Describe(e)));
                    result = new SiteResult(site, SiteStatus.Failed, new SiteStats(), clock.Elapsed, [StoreErrors.Describe(e)]);
                }
            }
            siteLogger.LogDebug("site {Site}: hash cache: {Hits} files known, {Hashed} files read", site.Name, digests.Hits, digests.Hashed);
            results.Add(result);
            SiteFinished?.Invoke(result);
        }
        return new RunOutcome(results, clock.Elapsed);
    }
}
