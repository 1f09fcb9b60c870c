using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch deletes through sync's guard: max_delete over a window, held deletions, and a root that goes away.</summary>
[Collection("s3")]
public sealed class WatchDeleteGuardTests(S3ServerFixture server)
{
    [Fact]
    public async Task Watch_holds_the_deletions_of_an_rm_rf_over_max_delete_and_reports_them()
    {
        // Given 40 files under tree/ and max_delete 10
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 40; i++) s.Write($"tree/f{i:00}.txt", $"file {i}");
        s.Write("keep.txt", "keep");
        s.SiteConfig("retire_deleted: true\nmax_delete: 10");
        await using var w = new WatchHarness(s);
        await using var http = new StatusServer("127.0.0.1", 0, () => w.Service.Healthy, w.Service.Metrics.Render, w.Log, () => w.Service.Problem)
        {
            Stuck = () => w.Service.Stuck,
            Started = () => w.Service.HasStarted,
        };
        http.Start();
        await w.StartAsync();
        Assert.Equal(41, (await s.KeysAsync()).Count);
        var site = w.Service.Config!.Sites[0].Name;

        // When the folder is removed at once
        Directory.Delete(Path.Combine(s.Local, "tree"), recursive: true);
        await w.WaitForAsync(WatchActivityKind.DeletesHeld);
        await w.WaitUntilAsync(() => w.Log.Text.Contains("deletions held, not made"), "the held line");

        // Then at most 10 objects are gone, the rest stay, the site is unhealthy and says why
        var keys = await s.KeysAsync();
        Assert.True(keys.Count >= 31, $"only {keys.Count} objects left");
        Assert.True(w.Count(WatchActivityKind.Deleted) <= 10);
        var (status, body) = await GetAsync(http.Port, "/healthz");
        Assert.Equal(503, status);
        Assert.Contains($"site {site}:", body);
        Assert.Contains("deletions held", body);
        // Not ready, but alive and started: a liveness probe must not restart the pod for a held deletion (issue #27)
        Assert.Equal((503, body), await GetAsync(http.Port, "/readyz"));
        Assert.Equal((200, "ok\n"), await GetAsync(http.Port, "/livez"));
        Assert.Equal((200, "ok\n"), await GetAsync(http.Port, "/startupz"));
        // The command it prints works as printed: it names the watch's configuration file
        var printed = w.Log.Lines.Single(l => l.Contains("deletions held, not made", StringComparison.Ordinal));
        var command = printed[(printed.IndexOf("To apply them run: ", StringComparison.Ordinal) + "To apply them run: ".Length)..printed.IndexOf(" (or raise", StringComparison.Ordinal)];
        Assert.StartsWith($"s3sync sync -c {s.ConfigPath} --site ", command, StringComparison.Ordinal);
        var words = command.Split(' ')[1..].Select(word => word.Trim('\'')).ToArray();
        var apply = await s.RunAsync([.. words, "--dry-run"]);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("(dryrun) delete: tree/", apply.Output, StringComparison.Ordinal);
        Assert.Equal(1, w.Log.Lines.Count(l => l.Contains("deletions held, not made", StringComparison.Ordinal)));

        // And the next full sync decides them again by sync's rule: refused (30 of 31 objects), still held, nothing deleted
        w.Source.Inject(new ChangeEvent(ChangeKind.Overflow, s.Local, TimeProvider.System.GetTimestamp(), "injected overflow"));
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        Assert.Equal(keys, await s.KeysAsync());
        Assert.False(w.Service.Healthy);
        Assert.Equal(keys.Count - 1, w.Service.Metrics.For(site).DeletesHeld);
    }

    [Fact]
    public async Task Watch_deletes_within_max_delete_and_stays_healthy()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 5; i++) s.Write($"tree/f{i}.txt", $"file {i}");
        s.Write("keep.txt", "keep");
        s.SiteConfig("retire_deleted: true\nmax_delete: 10");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        Directory.Delete(Path.Combine(s.Local, "tree"), recursive: true);
        for (var i = 0; i < 5; i++) await w.WaitForAsync(WatchActivityKind.Deleted, $"tree/f{i}.txt");

        Assert.Equal(["keep.txt"], await s.KeysAsync());
        Assert.True(w.Service.Healthy);
    }

    [Fact]
    public async Task Watch_with_a_percentage_max_delete_counts_the_objects_of_a_full_sync_that_deleted_nothing()
    {
        // Given 21 files, all in the bucket before the watch starts, and max_delete 5% (as examples/server-backup.yml):
        // the initial full sync has nothing to delete
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 21; i++) s.Write($"f{i:00}.txt", $"file {i}");
        s.SiteConfig("retire_deleted: true\nmax_delete: 5%");
        var sync = await s.SyncAsync();
        Assert.True(sync.ExitCode == 0, sync.ToString());
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // When one file is removed
        File.Delete(Path.Combine(s.Local, "f07.txt"));
        await w.WaitForAsync(WatchActivityKind.Deleted, "f07.txt");

        // Then it is deleted as sync would (5 % of 21 objects allows one), nothing is held, the site stays healthy
        Assert.Equal(20, (await s.KeysAsync()).Count);
        Assert.Equal(0, w.Service.Metrics.For(w.Service.Config!.Sites[0].Name).DeletesHeld);
        Assert.True(w.Service.Healthy);
    }

    [Fact]
    public async Task Watch_deletes_nothing_when_the_file_system_under_local_path_is_unmounted()
    {
        // Given a real tmpfs mounted on local_path, synced, with retire_deleted and no limit
        using var s = await Scenario.CreateAsync(server);
        Directory.CreateDirectory(s.Local);
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", s.Local));
        try
        {
            s.Write("a.txt", "a");
            s.Write("sub/b.txt", "b");
            s.Write("sub/c.txt", "c");
            s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
            await using var w = new WatchHarness(s);
            await w.StartAsync();
            Assert.Equal(3, (await s.KeysAsync()).Count);

            // When it is unmounted while watching
            Assert.Equal(0, await RunAsync("umount", s.Local));
            await w.WaitUntilAsync(() => w.Log.Text.Contains("unmounted"), "the unmount to be seen");
            // and a full sync runs over the empty mount point
            w.Source.Inject(new ChangeEvent(ChangeKind.Overflow, s.Local, TimeProvider.System.GetTimestamp(), "injected overflow"));
            await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

            // Then nothing was deleted and the site is unhealthy
            Assert.Equal(["a.txt", "sub/b.txt", "sub/c.txt"], await s.KeysAsync());
            Assert.Equal(0, w.Count(WatchActivityKind.Deleted));
            Assert.False(w.Service.Healthy);
        }
        finally
        {
            await RunAsync("umount", s.Local); // already unmounted unless the test failed early
        }
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    private static async Task<(int Status, string Body)> GetAsync(int port, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();
        var status = int.Parse(response.Split(' ')[1], CultureInfo.InvariantCulture);
        return (status, response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}
