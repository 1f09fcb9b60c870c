using System.CommandLine;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Reporting;

namespace S3Sync.Cli.Commands;

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
                if (RestoreTargets.Unnamed(config, drill) is { } unnamed)
                {
                    result.InvocationConfiguration.Error.WriteLine($"s3sync: site '{unnamed.Name}': its name cannot be a folder under --to; give the site a name");
                    return Task.FromResult(ExitCodes.Usage);
                }
                // The site's settings (storage class, symlinks, filters, folders, metadata) with the restored folder.
                config = RestoreTargets.Moved(config, drill);
            }
            var request = new VerifyRequest(result.GetValue(deep), result.GetValue(download), result.GetValue(cache.Rehash), when, drill);
            var report = new PlanReport(result.InvocationConfiguration.Output, result.GetValue(json), result.GetValue(all)) { ErrorsOnly = common.IsQuiet(result) };
            return RunAsync(config, jsonLogs, request, report, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(SyncConfig config, bool jsonLogs, VerifyRequest request, PlanReport report, CancellationToken cancellationToken)
    {
        using var loggers = Logging.Create(config.LogLevel, jsonLogs);
        var outcome = await new VerifyRun(config, request, report, SiteStores.For(config), loggers.CreateLogger("s3sync")).RunAsync(cancellationToken).ConfigureAwait(false);
        return ExitCodes.For(outcome);
    }
}
