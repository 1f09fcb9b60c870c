using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>Reloads of watch: never a half-written file, bounded, and health that says what runs.</summary>
[Collection("s3")]
public sealed class WatchReloadTests(S3ServerFixture server)
{
    [Fact]
    public async Task A_configuration_written_in_two_steps_through_one_handle_is_applied_only_whole()
    {
        // Given a site that excludes private/, with a key in it
        using var s = await Scenario.CreateAsync(server);
        s.Write("public.txt", "p");
        s.Write("private/key.pem", "secret");
        s.SiteConfig("exclusions:\n  - '^private/'");
        var whole = File.ReadAllText(s.ConfigPath);
        await using var w = new WatchHarness(s, watchConfigFile: true);
        var reloads = 0;
        w.Service.Reloaded += ok => { if (ok) Interlocked.Increment(ref reloads); };
        await w.StartAsync();

        // When the file is rewritten by a writer that stops after the first part (valid, without the exclusions) for
        // longer than the quiet period, then writes the rest and closes
        var cut = whole.IndexOf("  exclusions:", StringComparison.Ordinal);
        await using (var f = new FileStream(s.ConfigPath, FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            var first = Encoding.UTF8.GetBytes(whole[..cut].Replace("sites:", "rescan_interval: 7200\nsites:", StringComparison.Ordinal));
            await f.WriteAsync(first);
            await f.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(3)); // the writer pauses mid-file (over the 2 s quiet period)
            await f.WriteAsync(Encoding.UTF8.GetBytes(whole[cut..]));
        }

        // Then the one reload applies the whole file: the excluded key was never uploaded
        await w.WaitUntilAsync(() => Volatile.Read(ref reloads) == 1, "the reload");
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Equal(7200, w.Service.Config!.RescanInterval);
        Assert.Equal(["public.txt"], await s.KeysAsync());
        Assert.Equal(1, w.Log.Lines.Count(l => l.Contains("configuration reload", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_configuration_written_in_two_closes_a_second_apart_is_read_once_both_are_done()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("public.txt", "p");
        s.Write("private/key.pem", "secret");
        s.SiteConfig("exclusions:\n  - '^private/'");
        var whole = File.ReadAllText(s.ConfigPath);
        await using var w = new WatchHarness(s, watchConfigFile: true);
        var reloads = 0;
        w.Service.Reloaded += ok => { if (ok) Interlocked.Increment(ref reloads); };
        await w.StartAsync();

        // When `cat a > config; sleep 1; cat b >> config`: the first part alone is a valid file without the exclusions
        var cut = whole.IndexOf("  exclusions:", StringComparison.Ordinal);
        File.WriteAllText(s.ConfigPath, whole[..cut].Replace("sites:", "rescan_interval: 7200\nsites:", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the script's sleep 1
        File.AppendAllText(s.ConfigPath, whole[cut..]);

        await w.WaitUntilAsync(() => Volatile.Read(ref reloads) == 1, "the reload");
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Equal(7200, w.Service.Config!.RescanInterval);
        Assert.Equal(["public.txt"], await s.KeysAsync());
    }

    [Fact]
    public async Task A_reload_during_a_burst_of_deletions_is_bounded_unhealthy_while_it_runs_and_the_new_sync_decides_them()
    {
        // Given 2,000 watched files with retire_deleted, behind a server whose first delete request stalls and ignores
        // the cancel (a hung connection)
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 2000; i++) s.Write($"tree/f{i:0000}.txt", "x");
        s.Write("keep.txt", "k");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new StrongBox<int>();
        await using var w = new WatchHarness(s, store => new StallingDeletes(store, calls, stalled, release.Task));
        await w.StartAsync();

        // When the tree is removed and, while its deletions are in flight, the configuration is reloaded with a change
        // of the site (so it restarts)
        Directory.Delete(Path.Combine(s.Local, "tree"), recursive: true);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited\nwatch_interval: 500");
        var reload = w.Service.ReloadAsync("SIGHUP");
        var unhealthySeen = false;
        while (!reload.IsCompleted)
        {
            unhealthySeen |= !w.Service.Healthy && w.Service.Problem?.Contains("restarting", StringComparison.Ordinal) == true;
            await Task.WhenAny(reload, Task.Delay(20));
        }

        // Then the reload ends within its grace and the abandon bound (not never), /healthz said so meanwhile, and the
        // new initial sync deletes what the cancelled deletions left, by sync's rule
        Assert.True(await reload.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.True(unhealthySeen);
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Equal(["keep.txt"], await s.KeysAsync());
        Assert.True(w.Service.Healthy, w.Service.Problem);
        Assert.DoesNotContain("could not finish", w.Log.Text, StringComparison.Ordinal);
        release.TrySetResult();
    }

    [Fact]
    public async Task A_reload_that_changes_one_site_keeps_the_other_watched_while_the_changed_one_restarts()
    {
        // Given sites A and B watched, and a seam that holds B's restart (the making of its new change source)
        using var s = await Scenario.CreateAsync(server);
        var (a, b) = (Path.Combine(s.Local, "a"), Path.Combine(s.Local, "b"));
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        string Sites(string bExclusions) =>
            $"- name: A\n  local_path: {a}\n  bucket: {s.Bucket}\n  bucket_path: a\n- name: B\n  local_path: {b}\n  bucket: {s.Bucket}\n  bucket_path: b\n  exclusions: [{bExclusions}]\n";
        s.Config(Sites(@"'\.tmp$'"));
        var sources = new ConcurrentDictionary<string, int>();
        var bRestarting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var w = new WatchHarness(s, beforeSource: site =>
        {
            if (sources.AddOrUpdate(site.Name, 1, (_, n) => n + 1) == 2 && site.Name == "B")
            {
                bRestarting.TrySetResult();
                releaseB.Task.Wait(TimeSpan.FromSeconds(60));
            }
        });
        await w.StartAsync(waitForInitialSync: false);
        await w.WaitUntilAsync(() => w.CountOf("A", WatchActivityKind.FullSyncDone) == 1 && w.CountOf("B", WatchActivityKind.FullSyncDone) == 1, "both initial syncs");

        // When only B's exclusions change, and while B's restart is held a file is written in A and one in B
        s.Config(Sites(@"'\.tmp$', '\.secret$'"));
        var reload = Task.Run(() => w.Service.ReloadAsync("SIGHUP"));
        await bRestarting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(w.Service.Healthy);
        Assert.Equal("not ready: site B: restarting for the reloaded configuration", w.Service.Problem);
        File.WriteAllText(Path.Combine(a, "during.txt"), "a");
        File.WriteAllText(Path.Combine(b, "written-while-held.secret"), "s");

        // Then A uploads it before B's restart is released: A was never stopped
        await w.WaitForAsync(WatchActivityKind.Uploaded, "during.txt");
        Assert.False(reload.IsCompleted);
        Assert.Contains("a/during.txt", await s.KeysAsync());
        releaseB.SetResult();
        Assert.True(await reload.WaitAsync(TimeSpan.FromSeconds(30)));
        await w.WaitUntilAsync(() => w.CountOf("B", WatchActivityKind.FullSyncDone) == 2, "B's new initial sync");

        // And B restarted with its new exclusions (its initial sync left the excluded file out), A's watcher ran on: one
        // change source, one initial sync
        Assert.DoesNotContain("b/written-while-held.secret", await s.KeysAsync());
        File.WriteAllText(Path.Combine(b, "after.txt"), "b");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "after.txt");
        Assert.Equal(1, sources["A"]);
        Assert.Equal(2, sources["B"]);
        Assert.Equal(1, w.CountOf("A", WatchActivityKind.FullSyncDone));
        Assert.True(w.Service.Healthy, w.Service.Problem);
        Assert.Contains(w.Log.Lines, l => l.Contains("restarting 1 sites: B (exclusions/inclusions changed); 1 keep running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reload_stops_a_removed_site_and_drops_its_guard_and_starts_an_added_one()
    {
        using var s = await Scenario.CreateAsync(server);
        var (a, b, c) = (Path.Combine(s.Local, "a"), Path.Combine(s.Local, "b"), Path.Combine(s.Local, "c"));
        foreach (var d in new[] { a, b, c }) Directory.CreateDirectory(d);
        string Site(string name, string path) => $"- name: {name}\n  local_path: {path}\n  bucket: {s.Bucket}\n  bucket_path: {name.ToLowerInvariant()}\n  retire_deleted: true\n";
        s.Config(Site("A", a) + Site("B", b));
        var sources = new ConcurrentDictionary<string, int>();
        await using var w = new WatchHarness(s, beforeSource: site => sources.AddOrUpdate(site.Name, 1, (_, n) => n + 1));
        await w.StartAsync(waitForInitialSync: false);
        await w.WaitUntilAsync(() => w.CountOf("A", WatchActivityKind.FullSyncDone) == 1 && w.CountOf("B", WatchActivityKind.FullSyncDone) == 1, "both initial syncs");
        var guardA = w.Service.GuardOf("A");
        Assert.NotNull(w.Service.GuardOf("B"));

        // When B is removed and C added
        s.Config(Site("A", a) + Site("C", c));
        Assert.True(await w.Service.ReloadAsync("SIGHUP"));
        await w.WaitUntilAsync(() => w.CountOf("C", WatchActivityKind.FullSyncDone) == 1, "C's initial sync");

        // Then B is no longer watched, judged or counted, its guard is gone; C is watched; A ran on with its own guard
        Assert.Equal(["A", "C"], w.Service.RunningSites.Order(StringComparer.Ordinal));
        Assert.Null(w.Service.GuardOf("B"));
        Assert.Same(guardA, w.Service.GuardOf("A"));
        Assert.DoesNotContain("site=\"B\"", w.Service.Metrics.Render(), StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(b, "unwatched.txt"), "b");
        File.WriteAllText(Path.Combine(c, "new.txt"), "c");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "new.txt");
        Assert.Equal(["c/new.txt"], await s.KeysAsync());
        Assert.Equal(0, w.CountOf("B", WatchActivityKind.Uploaded));
        Assert.Equal(1, sources["A"]);
        Assert.True(w.Service.Healthy, w.Service.Problem);
        Assert.Contains(w.Log.Lines, l => l.Contains("restarting 1 sites: C (new), B (removed); 1 keep running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_reload_that_changes_a_shared_setting_restarts_every_site_and_says_why()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        s.SiteConfig(globals: "upload_queue_buffer: 7");
        Assert.True(await w.Service.ReloadAsync("SIGHUP"));
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

        Assert.Contains(w.Log.Lines, l => l.Contains("upload_queue_buffer changed, which every site shares: restarting 1 sites", StringComparison.Ordinal));
        Assert.Equal(7, w.Service.Config!.UploadQueueBuffer);
    }

    [Fact]
    public async Task A_reload_that_changes_nothing_restarts_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("exclusions:\n  - '^private/'\nheaders:\n  - match: '\\.html$'\n    cache_control: no-cache");
        var sources = 0;
        await using var w = new WatchHarness(s, beforeSource: _ => Interlocked.Increment(ref sources));
        await w.StartAsync();

        Assert.True(await w.Service.ReloadAsync("SIGHUP"));
        s.Write("after.txt", "x");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "after.txt");

        Assert.Equal(1, sources);
        Assert.Equal(1, w.Count(WatchActivityKind.FullSyncDone));
        Assert.Contains(w.Log.Lines, l => l.Contains("no site changed; 1 sites keep running", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reload_requests_that_come_together_are_one_reload_naming_every_reason()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        await using var w = new WatchHarness(s);
        var reloads = 0;
        w.Service.Reloaded += _ => Interlocked.Increment(ref reloads);
        await w.StartAsync();

        // When the file watcher and a SIGHUP ask at once (an editor saves, then systemctl reload)
        w.Service.RequestReload("the configuration file changed");
        w.Service.RequestReload("SIGHUP");
        w.Service.RequestReload("the configuration file changed");
        await w.WaitUntilAsync(() => Volatile.Read(ref reloads) == 1, "the reload");

        // Then one reload, whose line names both reasons once each
        Assert.Contains(w.Log.Lines, l => l.Contains("configuration reload (the configuration file changed, SIGHUP): no site changed", StringComparison.Ordinal));
        Assert.Single(w.Log.Lines, l => l.Contains("configuration reload (", StringComparison.Ordinal));
    }

    /// <summary>The first delete request (of every store the test makes) hangs until released, whatever its cancel
    /// says; the others go through.</summary>
    private sealed class StallingDeletes(IObjectStore inner, StrongBox<int> calls, TaskCompletionSource stalled, Task release) : DelegatingObjectStore(inner)
    {
        public override async Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref calls.Value) == 1)
            {
                stalled.TrySetResult();
                await release.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
                throw new OperationCanceledException();
            }
            return await Inner.DeleteAsync(keys, cancellationToken);
        }
    }
}
