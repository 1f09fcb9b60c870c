using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Watching;

namespace S3Sync.Tests.Support;

/// <summary>A log that keeps every line, for asserting what was said.</summary>
public sealed class ListLogger : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");

    public string Text => string.Join("\n", Lines);
}

/// <summary>The real store with hooks, to hold a call (a slow network, a listing that takes a while) or see it start.</summary>
public sealed class HookedStore(IObjectStore inner) : DelegatingObjectStore(inner)
{
    public Func<string, CancellationToken, Task>? BeforeUpload { get; set; }
    public Func<CancellationToken, Task>? BeforeList { get; set; }

    /// <summary>The hook runs before each listing from its start (not before a listing's continuation after a key).</summary>
    public override async IAsyncEnumerable<RemoteObject> ListAsync(string under, string? startAfter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (startAfter is null && BeforeList is { } hook) await hook(cancellationToken);
        await foreach (var o in Inner.ListAsync(under, startAfter, cancellationToken)) yield return o;
    }

    /// <summary>The hook is given the full key (the bucket's view).</summary>
    public override async Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
    {
        if (BeforeUpload is { } hook) await hook(Location.Join(key), cancellationToken);
        await Inner.PutAsync(key, body, md5, headers, cancellationToken);
    }

    public override async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
    {
        if (BeforeUpload is { } hook) await hook(Location.Join(key), cancellationToken);
        return await base.UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken);
    }
}

/// <summary>The real inotify source, with a switch to drop events (as the kernel does on overflow) and a way to inject one.</summary>
public sealed class GatedSource(IChangeSource inner) : IChangeSource
{
    private Action<ChangeEvent> _sink = _ => { };
    private volatile bool _dropping;

    /// <summary>Completed with each dropped event's path.</summary>
    public ConcurrentQueue<string> Dropped { get; } = new();

    public bool Dropping { get => _dropping; set => _dropping = value; }

    public void Start(Action<ChangeEvent> sink)
    {
        _sink = sink;
        inner.Start(e =>
        {
            if (_dropping) Dropped.Enqueue(e.Path);
            else _sink(e);
        });
    }

    public void Inject(ChangeEvent e) => _sink(e);
    public void Rewatch() => inner.Rewatch();
    public bool Healthy => inner.Healthy;
    public int WatchCount => inner.WatchCount;
    public void Dispose() => inner.Dispose();
}

/// <summary>
/// A running <see cref="WatchService"/> on a scenario's config, against the real server: records every activity so a
/// test can wait for the one it expects (with a deadline), never for a fixed time.
/// </summary>
public sealed class WatchHarness : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly List<WatchActivity> _activities = [];
    private readonly object _gate = new();
    private Task? _run;

    public WatchHarness(Scenario scenario, Func<IObjectStore, IObjectStore>? wrapStore = null, TimeSpan? grace = null, bool watchConfigFile = false, S3Sync.State.HashCache? cache = null, S3Sync.Planning.IDigestSource? reader = null, TimeProvider? time = null, Action<Site>? beforeSource = null, Action<InotifySource>? configureSource = null)
    {
        Scenario = scenario;
        Service = new WatchService(new WatchOptions
        {
            ConfigPath = scenario.ConfigPath,
            StoreFactory = config => (site, _, _, _) =>
            {
                IObjectStore store = S3ObjectStore.ForSite(site, config.UploadWorkers + 2, config.S3OpsRetries, TimeSpan.FromSeconds(30));
                return wrapStore is null ? store : wrapStore(store);
            },
            SourceFactory = (site, clock) =>
            {
                beforeSource?.Invoke(site);
                var inotify = InotifySource.ForSite(site, clock);
                configureSource?.Invoke(inotify);
                return Source = new GatedSource(inotify);
            },
            ShutdownGrace = grace ?? TimeSpan.FromSeconds(20),
            WatchConfigFile = watchConfigFile,
            Cache = cache,
            Time = time ?? TimeProvider.System,
            Reader = reader ?? S3Sync.Planning.DirectDigestSource.Instance,
        }, Log);
        Service.Activity += a =>
        {
            lock (_gate)
            {
                _activities.Add(a);
                Monitor.PulseAll(_gate);
            }
        };
    }

    public Scenario Scenario { get; }
    public WatchService Service { get; }
    public ListLogger Log { get; } = new();
    public GatedSource Source { get; private set; } = null!;

    public IReadOnlyList<WatchActivity> Activities { get { lock (_gate) return [.. _activities]; } }

    public int Count(WatchActivityKind kind, string? key = null) => Activities.Count(a => a.Kind == kind && (key is null || a.Key == key));

    /// <summary>Activities of a kind of one site.</summary>
    public int CountOf(string site, WatchActivityKind kind, string? key = null) => Activities.Count(a => a.Site == site && a.Kind == kind && (key is null || a.Key == key));

    /// <summary>Starts watching and waits for the initial sync to end.</summary>
    public async Task StartAsync(bool waitForInitialSync = true)
    {
        var config = ConfigLoader.LoadFile(Scenario.ConfigPath);
        _run = Task.Run(() => Service.RunAsync(config, _stop.Token));
        if (waitForInitialSync) await WaitForAsync(WatchActivityKind.FullSyncDone);
    }

    /// <summary>Waits until <paramref name="count"/> activities of a kind (for a key) happened; fails after the deadline.</summary>
    public Task WaitForAsync(WatchActivityKind kind, string? key = null, int count = 1) =>
        WaitUntilAsync(() => Count(kind, key) >= count, $"{count} x {kind} {key}");

    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            if (_run is { IsCompleted: true }) await _run; // surface a crash
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"waited {Deadline.TotalSeconds} s for {what}; activities: {string.Join(", ", Activities.Select(a => $"{a.Kind} {a.Key}"))}\nlog:\n{Log.Text}");
            await Task.Run(() => { lock (_gate) Monitor.Wait(_gate, 50); });
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null) await _run.WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
        _stop.Dispose();
    }
}
