using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Engine;

/// <summary>
/// The limits a run shares (one bandwidth limit, one byte budget) are values the command makes and passes, not
/// process-wide state: two watch services in one process keep their own rates, and a reload changes its service's
/// rate only when it applies (a postponed one leaves the running rate alone). Against the in-memory store.
/// </summary>
public sealed class TransferLimitsTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-limits-").FullName;

    private string Config(string name, long rate)
    {
        var local = Path.Combine(_root, name);
        Directory.CreateDirectory(local);
        var path = Path.Combine(_root, name + ".yml");
        File.WriteAllText(path, $"""
            endpoint: http://127.0.0.1:9
            state_dir: {Path.Combine(_root, "state-" + name)}
            bandwidth_limit: {rate}
            sites:
            - local_path: {local}
              bucket: {MemorySite.Bucket}
            """);
        return path;
    }

    private static WatchService Service(string path, TransferLimits limits, Func<(SyncConfig?, IReadOnlyList<string>)>? loader = null) => new(new WatchOptions
    {
        ConfigPath = path,
        Loader = loader,
        StoreFactory = _ => (site, _, _, _) => new MemoryStore(MemorySite.Bucket, prefix: site.ListPrefix),
        WatchConfigFile = false,
        ReloadQuiet = TimeSpan.FromHours(1),
        Limits = limits,
    }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    private static async Task<Task> StartAsync(WatchService service, string path, CancellationToken stop)
    {
        var synced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        service.Activity += a => { if (a.Kind == WatchActivityKind.FullSyncDone) synced.TrySetResult(); };
        var run = Task.Run(() => service.RunAsync(ConfigLoader.LoadFile(path), stop), CancellationToken.None);
        await synced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return run;
    }

    [Fact]
    public async Task A_postponed_reload_leaves_the_rate_and_the_reload_that_applies_sets_it()
    {
        // Given a watch at 1 MiB/s
        var path = Config("a", MiB);
        var limits = new TransferLimits();
        var touch = true;
        var service = Service(path, limits, () =>
        {
            var loaded = ConfigLoader.LoadFile(path);
            // The file is written again while it is read: the reload is postponed.
            if (touch) File.AppendAllText(path, "\n# written again\n");
            return (loaded, []);
        });
        using var stop = new CancellationTokenSource();
        var run = await StartAsync(service, path, stop.Token);
        Assert.Equal(MiB, limits.Bandwidth.Rate);

        // When the file says 2 MiB/s and is written again while the reload reads it
        File.WriteAllText(path, File.ReadAllText(path).Replace($"bandwidth_limit: {MiB}", $"bandwidth_limit: {2 * MiB}", StringComparison.Ordinal));
        Assert.False(await service.ReloadAsync("test"));

        // Then the running rate is still 1 MiB/s; the reload that applies sets 2 MiB/s
        Assert.Equal(MiB, limits.Bandwidth.Rate);
        touch = false;
        Assert.True(await service.ReloadAsync("test"));
        Assert.Equal(2 * MiB, limits.Bandwidth.Rate);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Two_services_in_one_process_keep_their_own_rates()
    {
        var (a, b) = (Config("a", MiB), Config("b", 3 * MiB));
        var (la, lb) = (new TransferLimits(), new TransferLimits());
        using var stop = new CancellationTokenSource();

        var runs = new[] { await StartAsync(Service(a, la), a, stop.Token), await StartAsync(Service(b, lb), b, stop.Token) };

        Assert.Equal((MiB, 3 * MiB), (la.Bandwidth.Rate, lb.Bandwidth.Rate));
        await stop.CancelAsync();
        await Task.WhenAll(runs);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
