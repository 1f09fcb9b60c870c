using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Execution;

/// <summary>
/// One <c>restore</c> (or its dry run) of every site of a configuration, one site after the other: each site's target
/// (<see cref="RestoreTargets"/>), or the run folder of its backup_path, restored by a <see cref="SiteRestore"/>. The
/// run owns its limits and hash cache, none global, and returns each site's result and the worst status; the command
/// maps it to an exit code. Every site's target is to be checked (<see cref="RestoreTargets.Unnamed"/>) before.
/// </summary>
public sealed class RestoreRun(SyncConfig config, RestoreRequest request, SiteStoreFactory stores, ILogger logger)
{
    /// <summary>Called with each site's restore before it runs: where a report follows it (its events).</summary>
    public Action<Site, SiteRestore>? Starting { get; init; }

    /// <summary>Raised with the result of each site that ran (not of one whose backup_path holds no run).</summary>
    public event Action<SiteResult>? SiteFinished;

    public async Task<RunOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<SiteResult>();
        // The hash cache, the endpoints' limits and one bandwidth limit and byte budget for every site of the run.
        using var shared = new RunResources(config, stores, logger);
        foreach (var configured in config.Sites)
        {
            var target = RestoreTargets.Of(configured, request.To, config.Sites.Count) ?? throw new InvalidOperationException($"site '{configured.Name}': no target (checked before the run)");
            var site = configured with { LocalPath = target };
            var siteLogger = SiteLogger.For(logger, site.Name, config.Sites.Count > 1);
            using var store = shared.StoreFor(site, siteLogger);
            IObjectStore runStore = store; // the site's own prefix, or (--from-backup) a sibling at the run's: it owns nothing to dispose
            if (request.FromBackup is { } run)
            {
                // The run's folder is the site for this restore: its keys are relative to the site, as saved. Nothing
                // on disk is deleted: a backup run holds only what that run removed or replaced.
                var folder = run == "latest" ? await RestoreTargets.LatestRunAsync(site, store, cancellationToken).ConfigureAwait(false) : run;
                if (folder is null)
                {
                    logger.LogError("site {Site}: s3://{Bucket}/{Prefix} holds no backup run", site.Name, site.Bucket, BackupPlace.PrefixOf(site));
                    results.Add(new SiteResult(site, SiteStatus.Failed, new SiteStats(), clock.Elapsed, [$"s3://{site.Bucket}/{BackupPlace.PrefixOf(site)} holds no backup run"]));
                    continue;
                }
                logger.LogInformation("site {Site}: restoring the backup run {Run}", site.Name, folder);
                site = site with { Prefix = BackupPlace.PrefixOf(site) + folder, RetireDeleted = false, BackupPath = null };
                runStore = store.At(site.ListPrefix);
            }
            // The cache knows files by site and path: a restore elsewhere keeps rows of its own.
            using var digests = new CachedDigestSource(shared.Cache, request.To is null ? site.Name : "restore:" + target, DirectDigestSource.Instance, request.Rehash);
            var restore = new SiteRestore(site, runStore, digests, request.Settings with { Limits = shared.Transfers }, siteLogger);
            Starting?.Invoke(site, restore);
            var result = await restore.RunAsync(cancellationToken).ConfigureAwait(false);
            results.Add(result);
            SiteFinished?.Invoke(result);
        }
        return new RunOutcome(results, clock.Elapsed);
    }
}
