using System.CommandLine;
using System.Globalization;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Reporting;

namespace S3Sync.Cli.Commands;

/// <summary><c>s3sync restore</c>: bring folders in line with the bucket (the download direction of sync).</summary>
public static class RestoreCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(urlFirst: true);
        var cache = new CacheOptions();
        var to = new Option<string?>("--to") { Description = "Restore into this folder (each site into DIR/<site name> when several are selected)", HelpName = "DIR" };
        var inPlace = new Option<bool>("--in-place") { Description = "Restore into each site's local_path itself (files that differ are replaced: written aside, flushed, renamed over)" };
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print the actions the restore would take, and those a safety rule would hold, and change nothing; exits as the restore would" };
        var json = new Option<bool>("--json") { Description = "JSON Lines on stdout: one object per action (planned ones with --dry-run), per error and per site, and a total; logs stay on stderr" };
        var all = new Option<bool>("--all") { Description = "With --dry-run (text): also list the files that are already right (= key)" };
        var maxDelete = new Option<string?>("--max-delete") { Description = "Refuse to delete more local files than this: a count, a percentage (10%) or 'unlimited'", HelpName = "LIMIT" };
        var workers = new Option<string?>("--workers", "--transfers", "--concurrency") { Description = "Download workers, 1 to 1024 (default upload_workers; --transfers: rclone's name, --concurrency: s5cmd's)", HelpName = "N" };
        var noOwner = new Option<bool>("--no-owner") { Description = "Do not set owner and group (they are set only when running as root)" };
        var at = new Option<string?>("--at") { Description = "Point in time on a versioned bucket: RFC 3339 (2026-11-30T12:00:00Z) or a local date and time (2026-11-30 12:00)", HelpName = "TIME" };
        var fromBackup = new Option<string?>("--from-backup") { Description = "Restore what one run saved under the site's backup_path: the run's folder name (2026-12-07T194555Z) or 'latest'; into local_path unless --to", HelpName = "RUN" };
        var command = new Command("restore", "Restore sites from their bucket by content, with modes, mtimes and owners. Exit 0 done, 2 usage or configuration error, 3 some files failed or a site could not finish, 4 a safety rule refused deletions.")
            .WithExamples(
                "s3sync restore -c /etc/s3sync/config.yml --site etc --to /srv/restore",
                "s3sync restore -c /etc/s3sync/config.yml --in-place --at 2026-11-30T12:00:00Z --dry-run",
                "s3sync restore s3://backup/host1 /srv/restore");
        common.AddTo(command);
        command.Options.Add(to);
        command.Options.Add(inPlace);
        command.Options.Add(dryRun);
        command.Options.Add(json);
        command.Options.Add(all);
        command.Options.Add(maxDelete);
        command.Options.Add(workers);
        command.Options.Add(noOwner);
        command.Options.Add(at);
        command.Options.Add(fromBackup);
        cache.AddTo(command);
        command.SetAction((result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var download = common.IsDownload(result);
            var target = result.GetValue(to);
            var here = result.GetValue(inPlace);
            var run = result.GetValue(fromBackup);
            if (run is not null && (download || result.GetValue(at) is not null))
            {
                error.WriteLine(download ? "s3sync: --from-backup restores a configured site's backup_path; for the ad-hoc form give the run's prefix: s3sync restore s3://BUCKET/BACKUP_PATH/RUN DIR" : "s3sync: --from-backup and --at do not go together (a backup run is one point in time)");
                return Task.FromResult(ExitCodes.Usage);
            }
            if (run is not null && run != "latest" && !BackupPlace.TryParseRun(run, out _))
            {
                error.WriteLine($"s3sync: --from-backup: '{run}' is not a run folder name (like 2026-12-07T194555Z) or 'latest'");
                return Task.FromResult(ExitCodes.Usage);
            }
            // A backup run goes back into local_path unless --to says otherwise.
            if (run is not null && target is null) here = true;
            if (!download && (target is null) == !here)
            {
                error.WriteLine(here ? "s3sync: give either --to DIR or --in-place, not both" : "s3sync: give --to DIR (where to restore), or --in-place to restore into each site's local_path");
                return Task.FromResult(ExitCodes.Usage);
            }
            if (download && (target is not null || here))
            {
                error.WriteLine("s3sync: s3://BUCKET[/PREFIX] DIR restores into DIR: --to and --in-place do not apply");
                return Task.FromResult(ExitCodes.Usage);
            }
            return RunParsedAsync(result, common, cache, download || here ? null : target, dryRun, json, all, maxDelete, workers, noOwner, at, cancellationToken, run);
        });
        return command;
    }

    /// <summary>The part of the action shared with <c>sync s3://BUCKET[/PREFIX] DIR</c>.</summary>
    internal static Task<int> RunParsedAsync(ParseResult result, CommonOptions common, CacheOptions cache, string? to, Option<bool> dryRun, Option<bool>? json, Option<bool>? all,
        Option<string?> maxDelete, Option<string?> workers, Option<bool>? noOwner, Option<string?>? at, CancellationToken cancellationToken, string? fromBackup = null)
    {
        var output = result.InvocationConfiguration.Output;
        var error = result.InvocationConfiguration.Error;
        if (common.LoadRun(result, error, maxDelete, workers) is not { } loaded) return Task.FromResult(ExitCodes.Usage);
        var (config, jsonLogs, limit) = (loaded.Config, loaded.JsonLogs, loaded.MaxDelete);
        var n = config.TransferWorkers;
        DateTime? when = null;
        if (at is not null && result.GetValue(at) is { } atText)
        {
            if (!TryParseTime(atText, out var parsedAt))
            {
                error.WriteLine($"s3sync: --at: '{atText}' is not a time: give RFC 3339 (2026-11-30T12:00:00Z) or a local date and time (2026-11-30 12:00)");
                return Task.FromResult(ExitCodes.Usage);
            }
            when = parsedAt;
        }
        if (cache.Apply(result, config, error) is not { } applied) return Task.FromResult(ExitCodes.Usage);
        config = applied;
        var owner = Environment.IsPrivilegedProcess && !(noOwner is not null && result.GetValue(noOwner));
        var asJson = json is not null && result.GetValue(json);
        var dry = result.GetValue(dryRun);
        var request = new RestoreRequest(to, new RestoreSettings(config.TransferWorkers, owner, limit, when, DryRun: dry, LogActions: !asJson), result.GetValue(cache.Rehash), fromBackup);
        if (fromBackup is not null && config.Sites.FirstOrDefault(s => s.BackupPath is null) is { } without)
        {
            error.WriteLine($"s3sync: site '{without.Name}' has no backup_path: --from-backup restores what a run saved there");
            return Task.FromResult(ExitCodes.Usage);
        }
        // Every site's target is checked before the first one is restored; the error goes to stderr (stdout may be JSON).
        if (RestoreTargets.Unnamed(config, to) is { } unnamed)
        {
            error.WriteLine($"s3sync: site '{unnamed.Name}': its name cannot be a folder under --to; give the site a name");
            return Task.FromResult(ExitCodes.Usage);
        }
        var quiet = common.IsQuiet(result);
        // A dry run is the restore with nothing done: the same plan, guard and exit code. Its text form prints each
        // planned or held action (and, with --all, each file already right); --json the executor's action lines.
        var actions = asJson ? new ActionReport(output, dry, download: true) { ErrorsOnly = quiet } : null;
        var text = dry && !asJson ? new ActionText(output, config.Sites.Count > 1) { Quiet = quiet } : null;
        var inSync = text is not null && all is not null && result.GetValue(all) ? output : null;
        return RunAsync(config, jsonLogs, request, quiet ? TextWriter.Null : output, actions, text, inSync, cancellationToken);
    }

    /// <summary>RFC 3339 with an offset, or a date and time without one (read as local time).</summary>
    public static bool TryParseTime(string text, out DateTime utc)
    {
        utc = default;
        if (!DateTime.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal | DateTimeStyles.AdjustToUniversal, out var time)) return false;
        utc = DateTime.SpecifyKind(time, DateTimeKind.Utc);
        return true;
    }

    /// <param name="inSync">Where the text dry run lists the files already right (<c>--all</c>: <c>= key</c>), or null.</param>
    private static async Task<int> RunAsync(SyncConfig config, bool jsonLogs, RestoreRequest request, TextWriter output, ActionReport? actions, ActionText? text, TextWriter? inSync, CancellationToken cancellationToken)
    {
        using var loggers = Logging.Create(config.LogLevel, jsonLogs);
        var several = config.Sites.Count > 1;
        var run = new RestoreRun(config, request, SiteStores.For(config), loggers.CreateLogger("s3sync"))
        {
            Starting = (site, restore) =>
            {
                actions?.Follow(site, restore);
                text?.Follow(site, restore);
                if (inSync is not null)
                    restore.Planned += entry =>
                    {
                        if (entry.Reason == ChangeReason.InSync) lock (inSync) inSync.WriteLine((several ? $"site {site.Name}: " : "") + "= " + Printable.Escape(entry.Key));
                    };
            },
        };
        var summary = new RunSummary(output, request.Settings.DryRun);
        run.SiteFinished += result =>
        {
            if (actions is not null) actions.SiteSummary(result);
            else summary.Restored(result);
        };
        var outcome = await run.RunAsync(cancellationToken).ConfigureAwait(false);
        // A dry run exits as the restore would (4 when it would refuse deletions).
        var code = ExitCodes.For(outcome.Worst);
        actions?.TotalSummary(outcome.Worst, outcome.Elapsed, code);
        return code;
    }
}
