using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.State;

namespace S3Sync.Watching;

/// <summary>
/// <c>s3sync watch</c>: one <see cref="SiteWatcher"/> per site, reloads (SIGHUP or a changed configuration file), health
/// and metrics. A reload reads and validates the file first; an invalid one is refused and the running sites go on. A
/// valid one keeps every site whose settings are unchanged running untouched, stops the removed and changed ones
/// gracefully and starts the changed and new ones, each with a fresh initial sync. A change of a setting every site
/// shares (the upload pool's, the stores', the schedules') restarts every site.
/// </summary>
public sealed class WatchService(WatchOptions options, ILogger logger)
{
    private readonly Channel<string> _reloads = Channel.CreateUnbounded<string>();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private Execution.Uploader? _pool;
    private WatchSettings? _settings;
    private readonly Lock _limitsGate = new();
    private RequestLimits? _limits;
    private volatile HashSet<string> _restarting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Execution.DeleteGuard> _guards = new(StringComparer.Ordinal);
    private volatile bool _reloading;
    private SyncConfig? _config;

    public WatchMetrics Metrics { get; } = new();

    /// <summary>The upload pool the running sites share (null while none runs).</summary>
    public Execution.Uploader? Uploads => _pool;

    /// <summary>The configuration in force.</summary>
    public SyncConfig? Config => _config;

    /// <summary>Raised (on a site's loop) as uploads, deletes and full syncs end; tests wait on it.</summary>
    public event Action<WatchActivity>? Activity;

    /// <summary>Raised after each reload attempt with whether it was applied.</summary>
    public event Action<bool>? Reloaded;

    /// <summary>Raised when a reload starts (before the file is read); <see cref="Reloaded"/> follows.</summary>
    public event Action? Reloading;

    /// <summary>Raised once, when every site finished its first full sync (systemd's <c>READY=1</c>).</summary>
    public event Action? Started;

    private int _started;

    /// <summary>True once every site finished its first full sync (held deletions or not): <c>/startupz</c>.</summary>
    public bool HasStarted => Volatile.Read(ref _started) == 1;

    /// <summary>A site's loop that works this long without waiting again and without an upload ending is stuck.</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(5);

    /// <summary>Why the process does not work (a site's loop stuck for longer than <see cref="StuckAfter"/>), one line
    /// per site; null when it works. Held deletions, a failing server or a gone folder are not this: they are
    /// <see cref="Problem"/>, for readiness. <c>/livez</c> and the systemd watchdog ask this.</summary>
    public string? Stuck
    {
        get
        {
            // From the configuration and the metrics (both safe to read from the status server's threads).
            var lines = (_config?.Sites ?? []).Select(s => (s.Name, Busy: Metrics.For(s.Name).StuckFor(options.Time, StuckAfter)))
                .Where(x => x.Busy is not null).Select(x => $"site {x.Name}: its loop has been busy for {x.Busy!.Value.TotalSeconds:0} s without progress").ToList();
            return lines.Count == 0 ? null : "not live: " + string.Join("\n", lines);
        }
    }

    private void CheckStarted()
    {
        if (_config?.Sites is { Count: > 0 } sites && sites.All(s => Metrics.For(s.Name).InitialSyncDone) && Interlocked.CompareExchange(ref _started, 1, 0) == 0)
            Started?.Invoke();
    }

    /// <summary>True once every site finished its initial sync and has every folder watched.</summary>
    public bool Healthy
    {
        get
        {
            var sites = _config?.Sites;
            var restarting = _restarting;
            return !_reloading && sites is { Count: > 0 } && sites.All(s => !restarting.Contains(s.Name) && Metrics.For(s.Name).Healthy);
        }
    }

    /// <summary>What keeps the running sites from being healthy, one "site NAME: why" per line; null when healthy.</summary>
    public string? Problem
    {
        get
        {
            var sites = _config?.Sites;
            var restarting = _restarting;
            if (_reloading) return "not ready: reloading the configuration (every site is restarting)";
            if (sites is not { Count: > 0 }) return "not ready: no site is running";
            var lines = sites.Where(s => restarting.Contains(s.Name)).Select(s => $"site {s.Name}: restarting for the reloaded configuration")
                .Concat(sites.Where(s => !restarting.Contains(s.Name)).Select(s => Metrics.For(s.Name)).Where(m => !m.Healthy).Select(m => $"site {m.Site}: {m.Problem}")).ToList();
            return lines.Count == 0 ? null : "not ready: " + string.Join("\n", lines);
        }
    }

    /// <summary>Asks the running service to reload its configuration (SIGHUP, file change); returns at once.</summary>
    public void RequestReload(string why) => _reloads.Writer.TryWrite(why);

    /// <summary>Runs until <paramref name="stop"/>, then stops every site gracefully.</summary>
    public async Task RunAsync(SyncConfig config, CancellationToken stop)
    {
        // The file is watched before the sites start, so a change made once they are running is never missed.
        ConfigFileWatcher? fileWatcher = null;
        if (options.WatchConfigFile && options.ConfigPath is not null)
        {
            try { fileWatcher = new ConfigFileWatcher(options.ConfigPath, () => RequestReload("the configuration file changed")); }
            catch (IOException e) { logger.LogWarning("cannot watch the configuration file {Path}: {Error}; reload with SIGHUP", options.ConfigPath, e.Message); }
        }
        try
        {
            await _gate.WaitAsync(stop).ConfigureAwait(false);
            try { Start(config); }
            finally { _gate.Release(); }

            while (true)
            {
                var why = await _reloads.Reader.ReadAsync(stop).ConfigureAwait(false);
                why = await QuietAsync(why, stop).ConfigureAwait(false);
                await ReloadAsync(why, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            fileWatcher?.Dispose();
            logger.LogInformation("stopping: no more events taken");
            await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try { await StopSitesAsync().ConfigureAwait(false); }
            finally { _gate.Release(); }
            logger.LogInformation("stopped");
        }
    }

    /// <summary>Waits until no reload has been asked for and the file's content has not changed for
    /// <see cref="WatchOptions.ReloadQuiet"/>: a file written in steps (each step closed) is read once, whole. Returns
    /// every reason asked for meanwhile, comma-separated.</summary>
    private async Task<string> QuietAsync(string why, CancellationToken stop)
    {
        var content = FileHash();
        while (true)
        {
            var more = _reloads.Reader.WaitToReadAsync(stop).AsTask();
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop);
            var delay = Task.Delay(options.ReloadQuiet, options.Time, quiet.Token);
            await Task.WhenAny(more, delay).ConfigureAwait(false);
            await quiet.CancelAsync().ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
            var changed = false;
            // Every reason asked for is named: a SIGHUP right after the file's change is one reload, "(the configuration
            // file changed, SIGHUP)", not a reload that names only one of them.
            while (_reloads.Reader.TryRead(out var next))
            {
                if (!why.Split(", ").Contains(next)) why += ", " + next;
                changed = true;
            }
            var now = FileHash();
            if (!changed && now == content) return why;
            content = now;
        }
    }

    /// <summary>The configuration file's content (SHA-256, hex); null when there is none or it cannot be read.</summary>
    private string? FileHash()
    {
        if (options.ConfigPath is null || ConfigFileWatcher.State(options.ConfigPath) is not { } state) return null;
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(state));
    }

    /// <summary>Reads the configuration file again and, when it is valid, restarts the sites with it. Returns false
    /// (and logs why) when it is refused; the running configuration then stays.</summary>
    public async Task<bool> ReloadAsync(string why, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Reloading?.Invoke();
            if (options.ConfigPath is null && options.Loader is null)
            {
                logger.LogWarning("configuration reload ({Why}) ignored: there is no configuration file (ad-hoc form)", why);
                Reloaded?.Invoke(false);
                return false;
            }
            var before = FileHash();
            // Off this task and awaited with the stop: whatever the file turns out to be, a SIGTERM during the reload
            // ends the service within its bound (the read itself never blocks on a FIFO and stops at the file bound).
            var (loaded, problems) = await Task.Run(options.Loader ?? LoadFile, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested(); // stopped while it was read: nothing is restarted
            if (before != FileHash())
            {
                // Written again while it was read: what was validated may not be what is there now. Read it again
                // once it is quiet.
                logger.LogWarning("configuration reload ({Why}) postponed: {Path} changed while it was read", why, options.ConfigPath);
                RequestReload(why);
                Reloaded?.Invoke(false);
                return false;
            }
            if (loaded is not { } next)
            {
                logger.LogError("configuration reload ({Why}) refused: {Errors}; the running configuration stays", why, string.Join("; ", problems));
                Reloaded?.Invoke(false);
                return false;
            }
            var missing = options.SiteNames.Where(n => next.Sites.All(s => s.Name != n)).ToList();
            if (missing.Count > 0)
            {
                logger.LogError("configuration reload ({Why}) refused: {Path}: no site named '{Site}' (given with --site); the running configuration stays", why, options.ConfigPath, missing[0]);
                Reloaded?.Invoke(false);
                return false;
            }
            next = Select(next);
            var old = _config ?? next;
            if (old.HttpPort != next.HttpPort || old.HttpAddress != next.HttpAddress)
                logger.LogWarning("http_port and http_address take effect at the next start, not on reload");
            if (old.StateDir != next.StateDir)
                logger.LogWarning("state_dir takes effect at the next start, not on reload (the hash cache stays open where it is)");
            // log_level and state_dir stay as at start; bandwidth_limit is one token bucket every transfer consults as
            // it goes, so a new rate applies at once.
            next = next with { LogLevel = old.LogLevel, StateDir = old.StateDir };
            if (old.BandwidthLimit != next.BandwidthLimit)
            {
                options.Limits.Bandwidth.SetRate(next.BandwidthLimit);
                logger.LogInformation("configuration reload ({Why}): bandwidth_limit is now {Rate} bytes/s (0: none)", why, next.BandwidthLimit);
            }
            if ((_settings is null ? "the start" : SharedChange(old, next)) is { } shared)
            {
                logger.LogInformation("configuration reload ({Why}): {Setting} changed, which every site shares: restarting {Count} sites", why, shared, next.Sites.Count);
                // Unhealthy from now until the new sites' initial syncs are done: nothing is watched while they restart.
                _reloading = true;
                try
                {
                    await StopSitesAsync(options.ReloadGrace).ConfigureAwait(false);
                    // Stopped meanwhile (SIGTERM): nothing starts after the stop.
                    cancellationToken.ThrowIfCancellationRequested();
                    Start(next);
                }
                finally
                {
                    _reloading = false;
                }
            }
            else
            {
                await RestartChangedAsync(next, why, cancellationToken).ConfigureAwait(false);
            }
            Reloaded?.Invoke(true);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A reload with the same shared settings: the sites whose settings are equal to the running ones go on untouched
    /// (same watches, same guard window, no new initial sync); only the removed and the changed ones stop (the reload
    /// grace), then the changed and the new ones start, each with its initial sync. Only those are unhealthy meanwhile.
    /// </summary>
    private async Task RestartChangedAsync(SyncConfig next, string why, CancellationToken stop)
    {
        var kept = next.Sites.Where(s => _running.TryGetValue(s.Name, out var r) && !r.Task.IsCompleted && r.Watcher.Site.Equals(s)).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var stopping = _running.Values.Where(r => !kept.Contains(r.Watcher.Site.Name)).ToList();
        var starting = next.Sites.Where(s => !kept.Contains(s.Name)).ToList();
        if (stopping.Count == 0 && starting.Count == 0)
        {
            logger.LogInformation("configuration reload ({Why}): no site changed; {Count} sites keep running", why, kept.Count);
            _config = next;
            return;
        }
        var changes = starting.Select(s => !_running.TryGetValue(s.Name, out var r) ? $"{s.Name} (new)"
                : r.Watcher.Site.Equals(s) ? $"{s.Name} (its watch had stopped)"
                : $"{s.Name} ({string.Join(", ", r.Watcher.Site.ChangedKeys(s))} changed)")
            .Concat(stopping.Where(r => next.Sites.All(s => s.Name != r.Watcher.Site.Name)).Select(r => $"{r.Watcher.Site.Name} (removed)"));
        logger.LogInformation("configuration reload ({Why}): restarting {Count} sites: {Changes}; {Kept} keep running", why, starting.Count, string.Join(", ", changes), kept.Count);
        // From now on health judges the new configuration: the sites being restarted say so, the kept ones go on.
        _restarting = starting.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        _config = next;
        try
        {
            await StopAsync(stopping, options.ReloadGrace).ConfigureAwait(false);
            Metrics.Retain(next.Sites.Select(s => s.Name));
            DropGuards(next);
            stop.ThrowIfCancellationRequested(); // nothing starts after the stop
            foreach (var site in starting) StartSite(site, next);
        }
        finally
        {
            _restarting = new HashSet<string>(StringComparer.Ordinal);
        }
    }

    /// <summary>The first setting that every running site shares (the upload pool, each site's store, each site's
    /// schedule) and that differs between the two configurations; null when none does. A change of one restarts every
    /// site: the pool, the stores and the schedules are made at a site's start.</summary>
    internal static string? SharedChange(SyncConfig old, SyncConfig next) =>
        old.UploadWorkers != next.UploadWorkers ? "upload_workers"
        : old.UploadQueueBuffer != next.UploadQueueBuffer ? "upload_queue_buffer"
        : old.S3OpsRetries != next.S3OpsRetries ? "s3_ops_retries"
        : old.RequestTimeout != next.RequestTimeout ? "request_timeout"
        : old.RescanInterval != next.RescanInterval ? "rescan_interval"
        : null;

    private (SyncConfig?, IReadOnlyList<string>) LoadFile()
    {
        try
        {
            return (ConfigLoader.LoadFile(options.ConfigPath!), []);
        }
        catch (ConfigException e)
        {
            return (null, e.Errors.Count > 0 ? [.. e.Errors.Select(x => x.ToString())] : [e.Message]);
        }
    }

    private SyncConfig Select(SyncConfig config) =>
        options.SiteNames.Count == 0 ? config : config with { Sites = [.. config.Sites.Where(s => options.SiteNames.Contains(s.Name))] };

    private void Start(SyncConfig config)
    {
        config = Select(config);
        _config = config;
        Metrics.Retain(config.Sites.Select(s => s.Name));
        if (_settings is null) options.Limits.Bandwidth.SetRate(config.BandwidthLimit); // the start's; a reload sets its own
        // One pool for every site, their events and their full syncs: upload_workers is the process's bound.
        _pool = new Execution.Uploader(config.TransferWorkers, config.UploadQueueBuffer, logger, buffers: options.Limits.Buffers);
        _settings = new WatchSettings
        {
            SyncCommand = options.ConfigPath is { } path ? $"s3sync sync -c {Reporting.Printable.ShellQuote(Path.GetFullPath(path))}" : "s3sync sync",
            Workers = config.TransferWorkers,
            QueueBuffer = config.UploadQueueBuffer,
            RescanIntervalSeconds = config.RescanInterval,
            Ledger = new SettingsLedger(HashCache.ResolveDirectory(config.StateDir)),
            Mounts = new MountLedger(HashCache.ResolveDirectory(config.StateDir)),
            ShutdownGrace = options.ShutdownGrace,
            Time = options.Time,
            Cache = options.Cache,
            Reader = options.Reader,
            Pool = _pool,
        };
        DropGuards(config);
        foreach (var site in config.Sites) StartSite(site, config);
    }

    /// <summary>A site that goes on with the same max_delete keeps its guard: a reload does not open a new window.
    /// The guards of sites that are gone, or whose max_delete changed, are dropped.</summary>
    private void DropGuards(SyncConfig config)
    {
        foreach (var gone in _guards.Keys.Where(n => config.Sites.All(s => s.Name != n || s.MaxDelete != _guards[n].Limit)).ToList()) _guards.Remove(gone);
    }

    /// <summary>The request limit of a site's endpoint: one per endpoint for the process, every site's store on it sharing
    /// it; a new set when a reload changes upload_workers (which restarts every site).</summary>
    private AdaptiveConcurrency LimitFor(Site site, SyncConfig config)
    {
        lock (_limitsGate)
        {
            if (_limits is null || !_limits.Serves(config)) _limits = new RequestLimits(config);
            return _limits.For(site);
        }
    }

    /// <summary>Starts one site's watcher on the shared settings (pool, cache, clock).</summary>
    private void StartSite(Site site, SyncConfig config)
    {
        var siteLogger = new Reporting.SiteLogger(logger, site.Name);
        var store = options.StoreFactory(config)(site, siteLogger, LimitFor(site, config), options.Limits.Bandwidth);
        Metrics.For(site.Name).InitialSyncDone = false;
        var source = SourceFor(site);
        // Every line of a site's watch names it, its full syncs' too (the engine's own lines name a key or a path only).
        var watcher = new SiteWatcher(site, store, source, _settings!, Metrics.For(site.Name), siteLogger, _guards.GetValueOrDefault(site.Name));
        _guards[site.Name] = watcher.Guard;
        watcher.Activity += a =>
        {
            if (a.Kind == WatchActivityKind.FullSyncDone) CheckStarted();
            Activity?.Invoke(a);
        };
        var stop = new CancellationTokenSource();
        var task = Task.Run(async () =>
        {
            try { await watcher.RunAsync(stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e) { logger.LogError("site {Site}: watch stopped: {Error}", site.Name, e.Message); }
            finally { store.Dispose(); }
        }, CancellationToken.None);
        _running[site.Name] = new Running(watcher, stop, task);
    }

    /// <summary>
    /// The change source of a site: inotify (<see cref="WatchOptions.SourceFactory"/>), or a <see cref="PollingSource"/>
    /// with <c>watch_mode: poll</c>, and with <c>auto</c> where local_path is on a file system inotify is blind on (NFS,
    /// CIFS/SMB, FUSE, 9p, ...): the start's log says which and why.
    /// </summary>
    private IChangeSource SourceFor(Site site)
    {
        var blind = site.WatchMode == WatchMode.Auto ? FileSystemKind.BlindAt(site.LocalPath) : null;
        if (site.WatchMode != WatchMode.Poll && blind is null) return options.SourceFactory(site, options.Time);
        var poll = new PollingSource(site, options.Time);
        var interval = poll.Interval.TotalSeconds >= 1 ? $"{poll.Interval.TotalSeconds:0.#} s" : $"{poll.Interval.TotalMilliseconds:0} ms";
        if (blind is null)
            logger.LogInformation("site {Site}: watch_mode: poll: walking local_path {Path} every {Interval} (stat only) instead of inotify", site.Name, site.LocalPath, interval);
        else
            logger.LogInformation("site {Site}: local_path {Path} is on {FileSystem}, where inotify does not see changes made by other machines: walking it every {Interval} (stat only) instead (watch_mode: inotify to change that)", site.Name, site.LocalPath, blind, interval);
        poll.Polled += result =>
        {
            logger.LogTrace("site {Site}: poll: {Files} files, {Changed} new or changed, {Removed} removed in {Milliseconds:0} ms", site.Name, result.Files, result.Changed, result.Removed, result.Elapsed.TotalMilliseconds);
            Polled?.Invoke(site.Name, result);
        };
        return poll;
    }

    /// <summary>Raised after each poll of a site watched by polling (<c>watch_mode</c>), with what it found.</summary>
    public event Action<string, PollResult>? Polled;

    /// <summary>The names of the sites watched now.</summary>
    internal IReadOnlyCollection<string> RunningSites => [.. _running.Keys];

    /// <summary>The watcher of a running site, or null (tests look at its backoff).</summary>
    internal SiteWatcher? WatcherOf(string site) => _running.GetValueOrDefault(site)?.Watcher;

    /// <summary>The delete guard kept for a site (across reloads), or null.</summary>
    internal Execution.DeleteGuard? GuardOf(string site) => _guards.GetValueOrDefault(site);

    /// <summary>Stops some sites gracefully (each within <paramref name="grace"/>, then cancelled); the pool stays.</summary>
    private async Task StopAsync(IReadOnlyList<Running> sites, TimeSpan? grace)
    {
        foreach (var r in sites)
        {
            r.Watcher.StopGrace = grace;
            await r.Stop.CancelAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(sites.Select(r => r.Task)).ConfigureAwait(false);
        foreach (var r in sites)
        {
            r.Stop.Dispose();
            _running.Remove(r.Watcher.Site.Name);
        }
    }

    /// <summary>Stops every site, then the pool they share.</summary>
    private async Task StopSitesAsync(TimeSpan? grace = null)
    {
        await StopAsync([.. _running.Values], grace).ConfigureAwait(false);
        if (_pool is not null) await _pool.DisposeAsync().ConfigureAwait(false);
        _pool = null;
    }

    private sealed record Running(SiteWatcher Watcher, CancellationTokenSource Stop, Task Task);
}
