using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// A stop (SIGTERM) during a reload (issue #23, items 4 and 12): the service ends within its bound whatever the reload's
/// read does, and nothing starts after the stop. The reload's read is the <see cref="WatchOptions.Loader"/> seam.
/// </summary>
[Collection("s3")]
public sealed class WatchStopTests(S3ServerFixture server)
{
    private static WatchService Service(Scenario s, Func<(SyncConfig?, IReadOnlyList<string>)> loader, ListLogger log) => new(new WatchOptions
    {
        ConfigPath = s.ConfigPath,
        Loader = loader,
        StoreFactory = config => (site, _, _, _) => S3ObjectStore.ForSite(site, config.UploadWorkers + 2, config.S3OpsRetries, TimeSpan.FromSeconds(30)),
        WatchConfigFile = false,
        ReloadQuiet = TimeSpan.Zero,
    }, log);

    private static async Task WaitAsync(Func<bool> condition, string what, ListLogger log)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited for {what}; log:\n{log.Text}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_stop_during_a_reload_whose_read_never_returns_ends_the_service_at_once()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var log = new ListLogger();
        using var release = new ManualResetEventSlim();
        var reading = new TaskCompletionSource();
        // The read of the file hangs (what a FIFO did before the reader refused FIFOs)
        var service = Service(s, () => { reading.TrySetResult(); release.Wait(); return (null, ["released"]); }, log);
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => service.RunAsync(ConfigLoader.LoadFile(s.ConfigPath), stop.Token));
        try
        {
            await WaitAsync(() => service.Healthy, "the initial sync", log);
            service.RequestReload("SIGHUP");
            await reading.Task.WaitAsync(TimeSpan.FromSeconds(30));

            await stop.CancelAsync();

            await run.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("stopped", log.Text);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task A_stop_that_comes_while_a_reload_reads_the_file_starts_no_site()
    {
        // Given a running site, and a reload whose new configuration changes the site (so it would be restarted)
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var changed = Path.Combine(s.Root, "changed.yml");
        File.WriteAllText(changed, File.ReadAllText(s.ConfigPath).TrimEnd() + "\n  storage_class: STANDARD_IA\n");
        var log = new ListLogger();
        using var stop = new CancellationTokenSource();
        var service = Service(s, () =>
        {
            stop.Cancel(); // SIGTERM while the file is read
            return (ConfigLoader.LoadFile(changed), []);
        }, log);
        var fullSyncs = 0;
        service.Activity += a => { if (a.Kind == WatchActivityKind.FullSyncDone) Interlocked.Increment(ref fullSyncs); };
        var run = Task.Run(() => service.RunAsync(ConfigLoader.LoadFile(s.ConfigPath), stop.Token));
        await WaitAsync(() => service.Healthy, "the initial sync", log);

        // When the reload runs and the stop comes during its read
        service.RequestReload("SIGHUP");
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        // Then no site was restarted and no full sync started after the stop
        Assert.DoesNotContain(log.Lines, l => l.Contains("restarting", StringComparison.Ordinal));
        Assert.Single(log.Lines, l => l.Contains("full sync (", StringComparison.Ordinal));
        Assert.Equal(1, fullSyncs);
    }
}
