using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;
using S3Sync.State;

namespace S3Sync.Execution;

/// <summary>
/// One <c>verify</c> of every site of a configuration: each site's plan from <see cref="PlanFactory.Verify"/> (the sync
/// plan's comparison, settings drift included) reported as differences by the <see cref="PlanReport"/> the command
/// gives; nothing is changed. The run owns its limits and hash cache, none global, and returns what it found; the
/// command maps it to an exit code.
/// </summary>
public sealed class VerifyRun(SyncConfig config, VerifyRequest request, PlanReport report, SiteStoreFactory stores, ILogger logger)
{
    public async Task<VerifyOutcome> RunAsync(CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var complete = true;
        var credentials = false;
        // The hash cache, the endpoints' limits and one bandwidth limit and byte budget for every site of the run.
        using var shared = new RunResources(config, stores, logger);
        var ledger = new SettingsLedger(HashCache.ResolveDirectory(config.StateDir));
        foreach (var site in config.Sites)
        {
            var siteClock = Stopwatch.StartNew();
            var totals = new ReportTotals();
            report.SiteHeader(site);
            var siteLogger = SiteLogger.For(logger, site.Name, config.Sites.Count > 1);
            using var store = shared.StoreFor(site, siteLogger);
            // A drill's folder is not the site's: its hash cache rows are its own, so the drill reads what it checks.
            using var digests = new CachedDigestSource(shared.Cache, request.To is null ? site.Name : "verify:" + site.LocalPath, DirectDigestSource.Instance, request.Rehash);
            var links = new LinkSummary();
            // Settings drift is a difference: the state folder says whether the site's settings changed since applied.
            var planner = new SyncPlanner(site, store, digests, PlanFactory.Verify(request.Deep, request.At, ledger.NeedsCheck(site)), issue =>
            {
                if (links.TryAdd(issue, siteLogger)) return;
                if (issue.IsError) report.WalkError(site, issue.Path, issue.Message, totals);
                else siteLogger.LogWarning("{Path}: {Message}", issue.Path, issue.Message);
            });
            var siteComplete = true;
            try
            {
                if (!Directory.Exists(site.LocalPath))
                {
                    report.SiteError(site, site.LocalPath, File.Exists(site.LocalPath) ? "local_path is a file, not a folder" : "local_path does not exist (is the disk mounted?)", totals);
                    siteComplete = false;
                }
                else
                {
                    var plan = planner.PlanAsync(cancellationToken);
                    if (request.Download) plan = new DownloadCheck(site, store, Math.Max(2, config.UploadWorkers)).ApplyAsync(plan, cancellationToken);
                    await foreach (var entry in plan.ConfigureAwait(false)) report.Entry(site, entry, totals);
                    siteComplete = planner.Complete;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                report.SiteError(site, $"s3://{site.Bucket}/{site.ListPrefix}", !StoreFailure.StopsSite(StoreFailure.Classify(e)) ? $"could not finish: {StoreErrors.Describe(e)}" : StoreFailure.Explain(e, site), totals);
                credentials |= StoreFailure.Classify(e) == StoreErrorKind.Credentials;
                siteComplete = false;
            }
            logger.LogDebug("site {Site}: hash cache: {Hits} files known, {Hashed} files read", site.Name, digests.Hits, digests.Hashed);
            links.Report(logger, site.Name, site.Symlinks);
            report.SiteSummary(site, totals, siteClock.Elapsed, siteComplete);
            complete &= siteComplete && totals.Errors == 0;
        }
        report.TotalSummary(clock.Elapsed);
        return new VerifyOutcome(complete, credentials, report.Total.Differences);
    }
}
