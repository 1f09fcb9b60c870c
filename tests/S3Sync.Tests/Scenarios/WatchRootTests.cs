using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// watch when its watches fail (issue #23): the watch limit (ENOSPC from <c>inotify_add_watch</c>, through the source's
/// seam, not the machine's <c>max_user_watches</c>) backs off instead of running full syncs back to back (item 5), and
/// a replaced local_path is noticed, deletes nothing by the old folder's view and is watched again (item 12).
/// </summary>
[Collection("s3")]
public sealed class WatchRootTests(S3ServerFixture server)
{
    private const int ENoSpc = 28;

    [Fact]
    public async Task Watch_limit_backs_off_logs_once_stays_degraded_and_recovers_when_the_watches_fit()
    {
        // Given a tree of 6 folders where every watch but the root's fails with ENOSPC
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 6; i++) s.Write($"d{i}/f.txt", $"{i}");
        s.SiteConfig();
        var fits = false;
        var refused = 0;
        await using var w = new WatchHarness(s, configureSource: source => source.AddWatch = (fd, dir, mask) =>
        {
            if (Volatile.Read(ref fits) || dir == s.Local) return (Native.inotify_add_watch(fd, dir, mask), System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
            Interlocked.Increment(ref refused);
            return (-1, ENoSpc);
        });
        await w.StartAsync();
        var site = w.Service.Config!.Sites[0].Name;
        var backoff = w.Service.WatcherOf(site)!.Backoff;

        // When the limit stays reached through three tries (after 1 s and 2 s more)
        await w.WaitUntilAsync(() => backoff.Failures >= 3, "three tries of the watches");

        // Then each try cost one full sync (the first two: the initial one and the catch-up), not hundreds, the limit
        // was logged once, and the site is degraded
        var failures = backoff.Failures;
        Assert.InRange(w.Count(WatchActivityKind.FullSyncDone), 2, failures + 2);
        Assert.Single(w.Log.Lines, l => l.Contains("max_user_watches", StringComparison.Ordinal));
        Assert.False(w.Service.Healthy);
        Assert.Contains("watches degraded", w.Service.Problem);
        Assert.True(Volatile.Read(ref refused) >= failures);

        // And once the watches fit, the next try installs them: healthy, one line, and events below are seen
        Volatile.Write(ref fits, true);
        await w.WaitUntilAsync(() => w.Service.Healthy, "healthy again");
        Assert.Single(w.Log.Lines, l => l.Contains("every folder is watched again", StringComparison.Ordinal));
        s.Write("d3/new.txt", "seen by its folder's watch");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "d3/new.txt");
    }

    [Fact]
    public async Task Watch_notices_its_root_replaced_deletes_nothing_by_the_old_folder_and_watches_the_new_one()
    {
        // Given a watched tree with retire_deleted and no delete limit
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("sub/b.txt", "b");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        Assert.Equal(["a.txt", "sub/b.txt"], await s.KeysAsync());

        // When the folder is replaced by a rename (mv root root.old; mv root.new root) and the old one loses its files
        var old = s.Local + ".old";
        var fresh = s.Local + ".new";
        Directory.CreateDirectory(Path.Combine(fresh, "sub"));
        File.WriteAllText(Path.Combine(fresh, "a.txt"), "a");
        File.WriteAllText(Path.Combine(fresh, "sub", "b.txt"), "b");
        File.WriteAllText(Path.Combine(fresh, "c.txt"), "new in the new folder");
        Directory.Move(s.Local, old);
        await w.WaitUntilAsync(() => w.Log.Text.Contains("nothing is deleted for it", StringComparison.Ordinal), "the root's move to be seen");
        File.Delete(Path.Combine(old, "a.txt"));
        File.Delete(Path.Combine(old, "sub", "b.txt"));
        Directory.Move(fresh, s.Local);

        // Then the folder now at local_path is watched again, and its full sync uploads what it holds
        await w.WaitForAsync(WatchActivityKind.Rearmed);
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Contains("c.txt", await s.KeysAsync());
        await w.WaitUntilAsync(() => w.Service.Healthy, "healthy again");
        // and events there are uploaded
        s.Write("sub/d.txt", "written into the new folder");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "sub/d.txt");
        // and nothing was deleted by the old folder's view (its a.txt and sub/b.txt are gone, the new folder's are not)
        Assert.Equal(0, w.Count(WatchActivityKind.Deleted));
        Assert.Equal(["a.txt", "c.txt", "sub/b.txt", "sub/d.txt"], await s.KeysAsync());
        Directory.Delete(old, recursive: true);
    }
}
