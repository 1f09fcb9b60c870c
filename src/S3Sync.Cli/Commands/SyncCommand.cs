using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Reporting;

namespace S3Sync.Cli.Commands;

/// <summary><c>s3sync sync</c>: bring every site's prefix in line with its folder, once.</summary>
public static class SyncCommand
{
    /// <summary>When this process started: open uploads initiated before it cannot be this run's own.</summary>
    public static DateTime ProcessStart { get; } = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    public static Command Create()
    {
        var common = new CommonOptions();
        var cache = new CacheOptions();
        var peers = new PeerOptions();
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print the actions the run would take, and those a safety rule would hold, and change nothing; exits as the run would (4 when it would refuse deletions)" };
        var deep = new Option<bool>("--deep") { Description = "Read every object's stored headers, ACL and encryption (a HEAD each) and repair those that differ from the site's settings" };
        var maxDelete = new Option<string?>("--max-delete") { Description = "Refuse to delete more than this: a count, a percentage (10%) or 'unlimited'", HelpName = "LIMIT" };
        var workers = new Option<string?>("--workers", "--transfers", "--concurrency") { Description = "Upload workers, 1 to 1024 (overrides upload_workers; --transfers: rclone's name, --concurrency: s5cmd's)", HelpName = "N" };
        var json = new Option<bool>("--json") { Description = "JSON Lines on stdout: one object per action (planned ones with --dry-run), per error and per site, and a total; logs stay on stderr" };
        var command = new Command("sync", "Sync every site once, by content, and exit. Exit 0 done, 2 usage or configuration error, 3 some files failed or a site could not finish, 4 a safety rule refused deletions, 5 no usable credentials.")
            .WithExamples(
                "s3sync sync -c /etc/s3sync/config.yml --site www",
                "s3sync sync ./public s3://my-bucket/www --storage-class STANDARD_IA --delete --exclude '*.tmp'",
                "s3sync sync -c /etc/s3sync/config.yml --json | jq -c 'select(.status == \"failed\")'",
                "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000 s3sync sync /srv/data s3://backup/host1 --dry-run",
                "s3sync sync s3://backup/host1 /srv/restore   # the other way: restore");
        common.AddTo(command);
        command.Options.Add(dryRun);
        command.Options.Add(deep);
        command.Options.Add(maxDelete);
        command.Options.Add(workers);
        command.Options.Add(json);
        command.Options.Add(common.Overrides.CreateBucket);
        peers.AddTo(command);
        cache.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            // s3sync sync s3://BUCKET[/PREFIX] DIR: the download direction, which is restore.
            if (common.IsDownload(result))
                return RestoreCommand.RunParsedAsync(result, common, cache, null, dryRun, json, null, maxDelete, workers, null, null, cancellationToken);
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var (config, jsonLogs, code) = common.Load(result, error);
            if (config is null) return Task.FromResult(code);
            if (!CommonOptions.TryGetMaxDelete(result, maxDelete, error, out var limit)) return Task.FromResult(ExitCodes.Usage);
            if (!CommonOptions.TryGetWorkers(result, workers, error, out var n)) return Task.FromResult(ExitCodes.Usage);
            if (n is { } count) config = config with { UploadWorkers = count, WorkersFixed = true };
            if (!peers.TryRead(result, config, TimeProvider.System, error, out var peer)) return Task.FromResult(ExitCodes.Usage);
            if (cache.Apply(result, config, error) is not { } applied) return Task.FromResult(ExitCodes.Usage);
            config = applied;
            var rehash = result.GetValue(cache.Rehash);
            var quiet = common.IsQuiet(result);
            var asJson = result.GetValue(json);
            var dry = result.GetValue(dryRun);
            // A dry run is the same run with nothing done: the same plan, the same guard, the same exit code. The text form
            // prints each planned or held action; the JSON form the lines the run would write, marked planned or held.
            var settings = new SyncSettings
            {
                Workers = config.TransferWorkers, QueueBuffer = config.UploadQueueBuffer, MaxDelete = limit, AbortUploadsStartedBefore = ProcessStart, Rehash = rehash,
                Deep = result.GetValue(deep),
                Ledger = new SettingsLedger(S3Sync.Hashing.HashCache.ResolveDirectory(config.StateDir)), Mounts = new MountLedger(S3Sync.Hashing.HashCache.ResolveDirectory(config.StateDir)),
                Notices = new NoticeLedger(S3Sync.Hashing.HashCache.ResolveDirectory(config.StateDir)),
                DryRun = dry, LogActions = !asJson, RunStarted = DateTimeOffset.UtcNow,
                Comparison = peer.Comparison, ModifiedSince = peer.ModifiedSince, DeleteExcluded = peer.DeleteExcluded,
            };
            var report = asJson ? new ActionReport(output, dry, download: false) { ErrorsOnly = quiet } : null;
            var text = dry && !asJson ? new ActionText(output, config.Sites.Count > 1) { Quiet = quiet } : null;
            // The live line on a terminal (unless --no-progress); whole lines elsewhere with -P, and every --stats period.
            var terminal = !peer.NoProgress && ProgressLine.Wanted(error, quiet);
            TimeSpan? lines = peer.StatsEvery ?? (peer.Progress && !terminal && !quiet ? TimeSpan.FromSeconds(1) : null);
            return RunAsync(config, jsonLogs, settings, quiet || asJson ? TextWriter.Null : output, cancellationToken,
                terminal ? error : null, report, text, lines is { } every ? new ProgressLines(error, every) : null);
        });
        return command;
    }

    /// <param name="progress">Where to draw the progress line (a terminal's stderr), or null for none.</param>
    /// <param name="report">The JSON Lines report (<c>--json</c>), or null for the text summary on <paramref name="output"/>.</param>
    /// <param name="text">The text dry run's action lines, or null.</param>
    /// <param name="lines">Progress as whole lines at an interval (<c>--progress</c> off a terminal, <c>--stats</c>), or null.</param>
    public static async Task<int> RunAsync(SyncConfig config, bool jsonLogs, SyncSettings settings, TextWriter output, CancellationToken cancellationToken, TextWriter? progress = null, ActionReport? report = null, ActionText? text = null,
        ProgressLines? lines = null)
    {
        // On a terminal the log is written through the progress line's terminal, above the line, never glued to it.
        // JSON logs are for machines: no progress line with them.
        var terminal = progress is null || jsonLogs ? null : new StatusTerminal(progress);
        using var loggers = terminal is null ? Logging.Create(config.LogLevel, jsonLogs) : null;
        var runLogger = loggers?.CreateLogger("s3sync") ?? new EscapingLogger(new TerminalLogger(terminal!, Logging.ToLevel(config.LogLevel)));
        var clock = Stopwatch.StartNew();
        var worst = SiteStatus.Done;
        long files = 0, bytes = 0, failed = 0;
        using var cache = CacheOptions.Open(config.StateDir, runLogger);
        var limits = new RequestLimits(config);
        // One bandwidth limit and one byte budget for every site of the run, uploads and downloads.
        var transfers = new TransferLimits(config.BandwidthLimit);
        settings = settings with { Limits = transfers };
        foreach (var site in config.Sites)
        {
            // A run of several sites names the site on each of its lines (issue #27: cron mail of /etc and /var/log).
            var logger = S3Sync.Reporting.SiteLogger.For(runLogger, site.Name, config.Sites.Count > 1);
            Func<long>? sent = null;
            using var store = terminal is null && lines is null
                ? SiteStores.For(site, settings.Workers, config.S3OpsRetries, config.RequestTimeout, logger, limits.For(site), transfers.Bandwidth)
                : ProgressLine.Counting(SiteStores.For(site, settings.Workers, config.S3OpsRetries, config.RequestTimeout, logger, limits.For(site), transfers.Bandwidth), out sent);
            using var digests = new CachedDigestSource(cache, site.Name, DirectDigestSource.Instance, settings.Rehash);
            var sync = new SiteSync(site, store, digests, settings, logger);
            report?.Follow(site, sync);
            text?.Follow(site, sync);
            SiteResult result;
            using (terminal is null ? null : new ProgressLine(terminal, site.Name, sync, sent))
            using (lines is null ? null : ProgressLine.Lines(terminal is null ? lines.Write : terminal.WriteLine, lines.Every, site.Name, sync, sent))
            {
                try
                {
                    result = await sync.RunAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // One site's failure never stops the others.
                    logger.LogError("site {Site}: {Error}", site.Name, StoreErrors.Describe(e));
                    report?.Problem(site, new SiteProblem(null, StoreErrors.Describe(e)));
                    result = new SiteResult(site, SiteStatus.Failed, new SiteStats(), clock.Elapsed, [StoreErrors.Describe(e)]);
                }
            }
            logger.LogDebug("site {Site}: hash cache: {Hits} files known, {Hashed} files read", site.Name, digests.Hits, digests.Hashed);
            report?.SiteSummary(result);
            var s = result.Stats;
            output.WriteLine((settings.DryRun ? "(dryrun) " : "") + $"site {site.Name}: uploaded {s.Uploaded} files ({Sizes.Bytes(s.UploadedBytes)}), deleted {s.Deleted}, changed in place {s.ChangedInPlace}, unchanged {s.Unchanged}, kept {s.Kept}, failed {s.Failed}; {Sizes.Duration(result.Elapsed)}" + (result.Status == SiteStatus.Done ? "" : $" [{StatusText(result.Status)}]"));
            foreach (var problem in result.Problems.Take(20)) output.WriteLine($"  ! {PlanReport.Escape(problem)}");
            if (result.Problems.Count > 20) output.WriteLine($"  ! ... and {result.Problems.Count - 20} more (see the log)");
            files += s.Uploaded;
            bytes += s.UploadedBytes;
            failed += s.Failed;
            if (result.Status > worst) worst = result.Status;
        }
        if (config.Sites.Count > 1)
            output.WriteLine((settings.DryRun ? "(dryrun) " : "") + $"total: uploaded {files} files ({Sizes.Bytes(bytes)}), failed {failed}; {Sizes.Duration(clock.Elapsed)}");
        // A dry run exits as the run would: deletions the guard would refuse are 4 there too (as rclone's --dry-run
        // fails at --max-delete), so a script can test a change with the dry run's exit code.
        var code = (int)worst;
        report?.TotalSummary(worst, clock.Elapsed, code);
        return code;
    }

    private static string StatusText(SiteStatus status) => status switch
    {
        SiteStatus.Failed => "incomplete: see errors",
        SiteStatus.DeletesRefused => "deletions refused",
        SiteStatus.Credentials => "no usable credentials",
        _ => "",
    };
}
