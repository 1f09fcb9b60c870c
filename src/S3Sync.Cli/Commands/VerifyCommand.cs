using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Cli.Commands;

/// <param name="Quiet"><c>-q</c>: print nothing but errors.</param>
/// <param name="At">Point in time: compare with the versions current then (a versioned bucket).</param>
/// <param name="To">The restore drill: compare each site's bucket with this folder (DIR/&lt;site name&gt; when several
/// are selected) instead of its local_path, with the site's other settings.</param>
public sealed record VerifyOptions(bool Json, bool All, bool Deep, bool Download, bool Rehash = false, bool Quiet = false, DateTime? At = null, string? To = null);

/// <summary><c>s3sync verify</c>: report every difference between the disks and the bucket; change nothing.</summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var cache = new CacheOptions();
        var json = new Option<bool>("--json") { Description = "JSON Lines: one object per entry and per site summary" };
        var all = new Option<bool>("--all") { Description = "Also list keys that are in sync (=)" };
        var deep = new Option<bool>("--deep") { Description = "HEAD objects whose ETag cannot be reproduced and compare s3sync's stored MD5; compare every object's stored headers, ACL and encryption with the site's" };
        var download = new Option<bool>("--download") { Description = "Download every matching object and compare its bytes with the file (restore drill)" };
        var at = new Option<string?>("--at") { Description = "Compare with the tree as it was at this time on a versioned bucket (RFC 3339 or a local date and time)", HelpName = "TIME" };
        var to = new Option<string?>("--to") { Description = "Restore drill: compare each site's bucket with this folder (DIR/<site name> when several are selected) instead of local_path, with the site's settings", HelpName = "DIR" };
        var command = new Command("verify", "Compare every site with its bucket by content and report the differences; changes nothing. Exit 0 in sync, 1 differences, 2 usage or configuration error, 3 could not finish, 5 no usable credentials.")
            .WithExamples(
                "s3sync verify -c /etc/s3sync/config.yml --json",
                "s3sync verify -c /etc/s3sync/config.yml --site etc --to /tmp/drill --deep",
                "s3sync verify ./public s3://my-bucket/www --all");
        common.AddTo(command);
        command.Options.Add(json);
        command.Options.Add(all);
        command.Options.Add(deep);
        command.Options.Add(download);
        command.Options.Add(at);
        command.Options.Add(to);
        cache.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var (config, jsonLogs, code) = common.Load(result, result.InvocationConfiguration.Error);
            if (config is null) return Task.FromResult(code);
            if (cache.Apply(result, config, result.InvocationConfiguration.Error) is not { } applied) return Task.FromResult(ExitCodes.Usage);
            config = applied;
            DateTime? when = null;
            if (result.GetValue(at) is { } atText)
            {
                if (!RestoreCommand.TryParseTime(atText, out var parsed))
                {
                    result.InvocationConfiguration.Error.WriteLine($"s3sync: --at: '{atText}' is not a time: give RFC 3339 (2026-11-30T12:00:00Z) or a local date and time (2026-11-30 12:00)");
                    return Task.FromResult(ExitCodes.Usage);
                }
                if (result.GetValue(download))
                {
                    result.InvocationConfiguration.Error.WriteLine("s3sync: --at and --download cannot be combined: restore --at --to an empty folder, then verify --at it");
                    return Task.FromResult(ExitCodes.Usage);
                }
                when = parsed;
            }
            var drill = result.GetValue(to);
            if (drill is not null)
            {
                if (config.Sites.FirstOrDefault(s => RestoreCommand.TargetUnder(s, drill, config.Sites.Count) is null) is { } unnamed)
                {
                    result.InvocationConfiguration.Error.WriteLine($"s3sync: site '{unnamed.Name}': its name cannot be a folder under --to; give the site a name");
                    return Task.FromResult(ExitCodes.Usage);
                }
                // The site's settings (storage class, symlinks, filters, folders, metadata) with the restored folder.
                config = config with { Sites = [.. config.Sites.Select(s => s with { LocalPath = RestoreCommand.TargetUnder(s, drill, config.Sites.Count)! })] };
            }
            var options = new VerifyOptions(result.GetValue(json), result.GetValue(all), result.GetValue(deep), result.GetValue(download), result.GetValue(cache.Rehash), common.IsQuiet(result), when, drill);
            return RunAsync(config, jsonLogs, options, result.InvocationConfiguration.Output, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(SyncConfig config, bool jsonLogs, VerifyOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        using var loggers = Logging.Create(config.LogLevel, jsonLogs);
        var logger = loggers.CreateLogger("s3sync");
        var report = new PlanReport(output, options.Json, options.All) { ErrorsOnly = options.Quiet };
        var clock = Stopwatch.StartNew();
        var complete = true;
        var credentials = false;
        using var cache = CacheOptions.Open(config.StateDir, logger);
        var limits = new RequestLimits(config);
        // verify --deep reads objects: at the run's one bandwidth limit.
        var transfers = new TransferLimits(config.BandwidthLimit);
        var ledger = new SettingsLedger(S3Sync.Hashing.HashCache.ResolveDirectory(config.StateDir));
        foreach (var site in config.Sites)
        {
            var siteClock = Stopwatch.StartNew();
            var totals = new ReportTotals();
            report.SiteHeader(site);
            var siteLogger = S3Sync.Reporting.SiteLogger.For(logger, site.Name, config.Sites.Count > 1);
            using var store = SiteStores.For(site, config.TransferWorkers, config.S3OpsRetries, config.RequestTimeout, siteLogger, limits.For(site), transfers.Bandwidth);
            // A drill's folder is not the site's: its hash cache rows are its own, so the drill reads what it checks.
            using var digests = new CachedDigestSource(cache, options.To is null ? site.Name : "verify:" + site.LocalPath, DirectDigestSource.Instance, options.Rehash);
            var links = new LinkSummary();
            // Settings drift is a difference: the state folder says whether the site's settings changed since applied.
            var planner = new SyncPlanner(site, store, digests, PlanFactory.Verify(options.Deep, options.At, ledger.NeedsCheck(site)), issue =>
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
                    if (options.Download) plan = new DownloadCheck(site, store, Math.Max(2, config.UploadWorkers)).ApplyAsync(plan, cancellationToken);
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
        if (credentials) return ExitCodes.Credentials;
        if (!complete) return ExitCodes.Failed;
        return report.Total.Differences > 0 ? ExitCodes.Differences : ExitCodes.Ok;
    }
}
