using System.CommandLine;
using System.Diagnostics;
using S3Sync.Config;
using S3Sync.Execution;
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
            if (common.LoadRun(result, error, maxDelete, workers) is not { } loaded) return Task.FromResult(ExitCodes.Usage);
            var (config, jsonLogs, limit) = (loaded.Config, loaded.JsonLogs, loaded.MaxDelete);
            if (!peers.TryRead(result, config, TimeProvider.System, error, out var peer)) return Task.FromResult(ExitCodes.Usage);
            if (cache.Apply(result, config, error) is not { } applied) return Task.FromResult(ExitCodes.Usage);
            config = applied;
            var asJson = result.GetValue(json);
            var dry = result.GetValue(dryRun);
            // A dry run is the same run with nothing done: the same plan, the same guard, the same exit code. The text form
            // prints each planned or held action; the JSON form the lines the run would write, marked planned or held.
            var settings = new SyncSettings
            {
                MaxDelete = limit, AbortUploadsStartedBefore = ProcessStart, Rehash = result.GetValue(cache.Rehash), Deep = result.GetValue(deep),
                DryRun = dry, LogActions = !asJson, RunStarted = DateTimeOffset.UtcNow,
                Comparison = peer.Comparison, ModifiedSince = peer.ModifiedSince, DeleteExcluded = peer.DeleteExcluded,
            };
            var quiet = common.IsQuiet(result);
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
        var logger = loggers?.CreateLogger("s3sync") ?? new EscapingLogger(new TerminalLogger(terminal!, Logging.ToLevel(config.LogLevel)));
        var counted = terminal is not null || lines is not null;
        var stores = SiteStores.For(config);
        var run = new SyncRun(config, settings, counted ? (site, siteLogger, limit, bandwidth) => ProgressLine.Counting(stores(site, siteLogger, limit, bandwidth)) : stores, logger)
        {
            Starting = (site, sync, store) =>
            {
                report?.Follow(site, sync);
                text?.Follow(site, sync);
                var sent = ProgressLine.SentBy(store);
                return ProgressLine.For(terminal, lines, site.Name, sync, sent);
            },
        };
        var summary = new RunSummary(output, settings.DryRun);
        run.SiteFailed += (site, problem) => report?.Problem(site, problem);
        run.SiteFinished += r => { report?.SiteSummary(r); summary.Synced(r); };
        var result = await run.RunAsync(cancellationToken).ConfigureAwait(false);
        summary.Total(result);
        // A dry run exits as the run would: deletions the guard would refuse are 4 there too (as rclone's --dry-run
        // fails at --max-delete), so a script can test a change with the dry run's exit code.
        var code = ExitCodes.For(result.Worst);
        report?.TotalSummary(result.Worst, result.Elapsed, code);
        return code;
    }
}
