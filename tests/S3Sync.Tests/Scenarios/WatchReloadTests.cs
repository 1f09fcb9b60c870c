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

        // When the tree is removed and, while its deletions are in flight, the configuration is reloaded
        Directory.Delete(Path.Combine(s.Local, "tree"), recursive: true);
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var reload = w.Service.ReloadAsync("SIGHUP");
        var unhealthySeen = false;
        while (!reload.IsCompleted)
        {
            unhealthySeen |= !w.Service.Healthy && w.Service.Problem?.Contains("reloading", StringComparison.Ordinal) == true;
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

    /// <summary>The first delete request (of every store the test makes) hangs until released, whatever its cancel
    /// says; the others go through.</summary>
    private sealed class StallingDeletes(IObjectStore inner, StrongBox<int> calls, TaskCompletionSource stalled, Task release) : DelegatingObjectStore(inner)
    {
        public override async Task<IReadOnlyList<(string Key, string Error)>> DeleteAsync(string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref calls.Value) == 1)
            {
                stalled.TrySetResult();
                await release.WaitAsync(TimeSpan.FromSeconds(120), CancellationToken.None);
                throw new OperationCanceledException();
            }
            return await Inner.DeleteAsync(bucket, keys, cancellationToken);
        }
    }
}
