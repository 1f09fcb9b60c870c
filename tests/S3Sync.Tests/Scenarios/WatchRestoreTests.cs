using System.Collections.Concurrent;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// Issue #23, item 6: a restore's temporary files (<c>.s3sync-restore-&lt;32 hex&gt;.part</c>) are never uploaded by
/// <c>sync</c> or <c>watch</c>, and their objects (an older version uploaded them) are left alone; a <c>watch</c> on a
/// folder a restore writes into sends nothing back for the files that match their objects.
/// </summary>
[Collection("s3")]
public sealed class WatchRestoreTests(S3ServerFixture server)
{
    private const string Temp = ".s3sync-restore-0123456789abcdef0123456789abcdef.part";
    private const string OtherTemp = ".s3sync-restore-fedcba9876543210fedcba9876543210.part";

    [Fact]
    public async Task Sync_and_watch_never_upload_a_restores_temporary_file_and_leave_its_object_alone()
    {
        // Given a tree with a killed restore's temporary files, and an object of that name an older version uploaded
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "alpha");
        s.Write(Temp, "half a file");
        s.Write("d/" + OtherTemp, "another half");
        await server.PutAsync(s.Bucket, "old/" + Temp, "uploaded by 0.x"u8.ToArray());
        s.SiteConfig("retire_deleted: true");

        // When sync runs
        var run = await s.SyncProcessAsync(unprivileged: false); // a child process: the log goes to its stderr

        // Then the temporary files are skipped (a warning names each) and the old object is kept
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a.txt", "old/" + Temp], await s.KeysAsync());
        Assert.Equal(2, run.Error.Split('\n').Count(l => l.Contains("skipped: a temporary file of a restore", StringComparison.Ordinal)));

        // And a watch skips them as they appear, while a file written after them is uploaded
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        s.Write("e/" + Temp, "a restore running now");
        s.Write("after.txt", "after");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "after.txt");
        File.Delete(Path.Combine(s.Local, Temp));
        s.Write("after2.txt", "after the delete");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "after2.txt");
        Assert.Equal(["a.txt", "after.txt", "after2.txt", "old/" + Temp], await s.KeysAsync());
    }

    [Fact]
    public async Task Watch_does_not_send_back_what_a_restore_into_its_folder_wrote()
    {
        // Given a backed-up tree whose files are then lost locally
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "alpha");
        s.Write("d/b.txt", "bravo");
        s.Write("d/e/c.txt", new byte[300_000]);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var before = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => (o.ETag, o.LastModified));
        File.Delete(Path.Combine(s.Local, "a.txt"));
        Directory.Delete(Path.Combine(s.Local, "d"), recursive: true);

        // And a watch on the folder that counts every PUT and part
        var puts = new ConcurrentQueue<string>();
        await using var w = new WatchHarness(s, wrapStore: store => new HookedStore(store) { BeforeUpload = (key, _) => { puts.Enqueue(key); return Task.CompletedTask; } });
        await w.StartAsync();

        // When a restore writes the files back into the watched folder
        var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--in-place");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal("bravo", File.ReadAllText(Path.Combine(s.Local, "d/b.txt")));

        // Then the watch compares each with its object and sends nothing
        foreach (var key in new[] { "a.txt", "d/b.txt", "d/e/c.txt" }) await w.WaitForAsync(WatchActivityKind.Unchanged, key);
        s.Write("marker.txt", "written after the restore");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "marker.txt");
        Assert.Equal(["marker.txt"], puts);
        Assert.Equal(1, w.Count(WatchActivityKind.Uploaded));
        var after = (await server.ListAsync(s.Bucket)).Where(o => o.Key != "marker.txt").ToDictionary(o => o.Key, o => (o.ETag, o.LastModified));
        Assert.Equal(before, after);
    }
}
