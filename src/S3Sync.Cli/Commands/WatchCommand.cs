using System.CommandLine;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Watching;

namespace S3Sync.Cli.Commands;

/// <summary><c>s3sync watch</c>: sync every site, then keep it current as files change, until SIGTERM or SIGINT.</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var cache = new CacheOptions();
        var grace = new Option<int?>("--grace") { Description = "Seconds a stop waits for running uploads before aborting them (default 20)", HelpName = "SECONDS" };
        var command = new Command("watch", "Sync every site, then upload and delete as files change (inotify), until SIGTERM or SIGINT.\nSIGHUP or a change to the configuration file reloads it. Exit 0 after a clean stop, 2 usage or configuration error, 3 could not start.\n\nExample:\n  s3sync watch -c /etc/s3sync/config.yml");
        common.AddTo(command);
        command.Options.Add(common.Overrides.CreateBucket);
        command.Options.Add(grace);
        command.Options.Add(cache.StateDir);
        command.SetAction((result, cancellationToken) =>
        {
            var error = result.InvocationConfiguration.Error;
            var (config, jsonLogs, code) = common.Load(result, error);
            if (config is null) return Task.FromResult(code);
            if (result.GetValue(cache.StateDir) is { } stateDir) config = config with { StateDir = stateDir };
            if (config.Shard is { } shard)
            {
                error.WriteLine($"s3sync: shard: {shard} is for runs side by side (sync, verify, restore); watch takes the whole of each site: remove shard from {config.SourceFile}");
                return Task.FromResult(ExitCodes.Usage);
            }
            var seconds = result.GetValue(grace) ?? 20;
            if (seconds < 0)
            {
                error.WriteLine($"s3sync: --grace: must be 0 or more seconds, got {seconds}");
                return Task.FromResult(ExitCodes.Usage);
            }
            // One bandwidth limit and one byte budget for the process; a reload sets the rate once it applies.
            var transfers = new S3Sync.Execution.TransferLimits();
            var options = new WatchOptions
            {
                Limits = transfers,
                ConfigPath = result.GetValue(common.Config),
                // A reload resolves the configuration exactly as the start did: the file, then the flags and environment.
                Loader = () =>
                {
                    using var problems = new StringWriter();
                    var (reloaded, _, _) = common.Load(result, problems);
                    // --state-dir too, as at start: else every reload would see state_dir change.
                    if (reloaded is not null && result.GetValue(cache.StateDir) is { } dir) reloaded = reloaded with { StateDir = dir };
                    if (reloaded?.Shard is { } part)
                        return (null, [$"shard: {part} is for runs side by side (sync, verify, restore); watch takes the whole of each site"]);
                    return (reloaded, [.. problems.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Replace("s3sync: ", "", StringComparison.Ordinal))]);
                },
                SiteNames = result.GetValue(common.Sites) ?? [],
                StoreFactory = SiteStores.For,
                ShutdownGrace = TimeSpan.FromSeconds(seconds),
            };
            return RunAsync(config, jsonLogs, options, error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(SyncConfig config, bool jsonLogs, WatchOptions options, TextWriter error, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            error.WriteLine("s3sync: watch needs Linux (inotify)");
            return ExitCodes.Failed;
        }
        using var loggers = Logging.Create(config.LogLevel, jsonLogs);
        var logger = loggers.CreateLogger("s3sync");
        // One cache for the process, from state_dir (--state-dir, S3SYNC_STATE_DIR) as at start; a reload keeps it.
        using var cache = S3Sync.Execution.RunCache.Open(config.StateDir, logger);
        var service = new WatchService(options with { Cache = cache }, logger);
        service.Metrics.Version = BuildInfo.Version;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Under systemd (Type=notify): READY=1 once every site's first full sync is done, RELOADING=1 and READY=1
        // around a reload, STOPPING=1 on a stop, WATCHDOG=1 while every site's loop turns.
        using var notifier = SystemdNotifier.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId);
        notifier?.Status("initial sync running");
        service.Started += () => notifier?.Ready($"watching {service.Config?.Sites.Count ?? 0} sites");
        service.Reloading += () => { if (service.HasStarted) notifier?.Reloading(); };
        service.Reloaded += applied => { if (service.HasStarted) notifier?.Ready(applied ? "configuration reloaded; watching" : "configuration reload refused; watching with the running configuration"); };
        using var watchdog = notifier?.WatchdogInterval is { } every
            ? options.Time.CreateTimer(_ => { if (service.Stuck is null) notifier.Watchdog(); }, null, TimeSpan.Zero, every)
            : null;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            logger.LogInformation("{Signal}: stopping", context.Signal);
            notifier?.Stopping();
            stop.Cancel();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        if (HangupSignal.TakeBack()) logger.LogDebug("SIGHUP was ignored when s3sync started (nohup?): taken back, it reloads the configuration");
        using var hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            service.RequestReload("SIGHUP");
        });

        StatusServer? status = null;
        if (config.HttpPort is { } port)
        {
            try
            {
                status = new StatusServer(config.HttpAddress, port, () => service.Healthy, service.Metrics.Render, logger, () => service.Problem)
                {
                    Stuck = () => service.Stuck,
                    Started = () => service.HasStarted,
                };
                status.Start();
            }
            catch (SocketException e)
            {
                error.WriteLine($"s3sync: {(options.ConfigPath is null ? "" : options.ConfigPath + ": ")}http_port: cannot listen on {config.HttpAddress}:{port}: {e.Message}");
                return ExitCodes.Failed;
            }
        }
        try
        {
            await service.RunAsync(config, stop.Token).ConfigureAwait(false);
        }
        finally
        {
            if (status is not null) await status.DisposeAsync().ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }
}
