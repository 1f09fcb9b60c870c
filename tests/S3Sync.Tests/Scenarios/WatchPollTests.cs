using System.Collections.Concurrent;
using S3Sync.Hashing;
using S3Sync.State;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch_mode: poll, forced on a local folder (issue #27: inotify is blind on NFS, CIFS/SMB and FUSE, where the
/// seed's users polled): stat-only walks through the same schedule, uploader, hash cache and delete guard as events.</summary>
[Collection("s3")]
public sealed class WatchPollTests(S3ServerFixture server)
{
    [Fact]
    public async Task Watch_mode_poll_uploads_and_deletes_what_changed_reads_only_changed_files_and_holds_deletes_over_max_delete()
    {
        // Given 20 files watched by polling every 100 ms, with the hash cache and a reader that counts reads
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 20; i++) s.Write($"d{i % 4}/f{i:00}.txt", $"file {i}");
        s.SiteConfig("name: share\nwatch_mode: poll\nwatch_interval: 100\nretire_deleted: true\nmax_delete: 3");
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        var reader = new CountingDigests();
        await using var w = new WatchHarness(s, cache: cache, reader: reader);
        var polls = new ConcurrentQueue<PollResult>();
        w.Service.Polled += (_, r) => polls.Enqueue(r);
        await w.StartAsync();
        Assert.Equal(20, (await s.KeysAsync()).Count);
        Assert.Contains("site share: watch_mode: poll: walking local_path", w.Log.Text, StringComparison.Ordinal);
        Assert.Contains("site share: polling 20 files under", w.Log.Text, StringComparison.Ordinal);
        Assert.True(w.Source is null, "inotify was started for a site with watch_mode: poll");
        var readsBefore = reader.Reads;
        var activitiesBefore = w.Activities.Count;

        // When a file is added and one is rewritten (another size), each put in place whole by a rename: a poll every
        // 100 ms could otherwise see a file between its truncation and its write, a change of its own
        void Replace(string key, string text)
        {
            var aside = Path.Combine(s.Root, "aside-" + Path.GetFileName(key));
            File.WriteAllText(aside, text);
            File.Move(aside, Path.Combine(s.Local, key), overwrite: true);
        }
        Replace("d0/new.txt", "new");
        Replace("d1/f01.txt", "file 1, rewritten");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "d0/new.txt");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "d1/f01.txt");
        // and three more polls pass over the tree
        var seen = polls.Count;
        await w.WaitUntilAsync(() => polls.Count >= seen + 3, "three more polls");

        // Then the bucket holds both; the polls read no file's content (the walk stats, the cache is not even asked) and
        // only the two changed files were uploaded (each read once, by its upload's stream)
        Assert.Equal("new"u8.ToArray(), await server.GetAsync(s.Bucket, "d0/new.txt"));
        Assert.Equal("file 1, rewritten"u8.ToArray(), await server.GetAsync(s.Bucket, "d1/f01.txt"));
        Assert.True(reader.Reads == readsBefore, string.Join(", ", reader.Read.Skip(readsBefore)));
        Assert.Equal(["d0/new.txt", "d1/f01.txt"], w.Activities.Skip(activitiesBefore).Where(a => a.Kind is WatchActivityKind.Uploaded or WatchActivityKind.Unchanged).Select(a => a.Key).Order(StringComparer.Ordinal));
        Assert.All(polls.Skip(seen), p => Assert.Equal((21, 0, 0, true), (p.Files, p.Changed, p.Removed, p.Complete)));
        Assert.Equal(1, w.Count(WatchActivityKind.Uploaded, "d1/f01.txt"));

        // When one file is deleted: its object goes (retire_deleted), through the guard
        File.Delete(Path.Combine(s.Local, "d2", "f02.txt"));
        await w.WaitForAsync(WatchActivityKind.Deleted, "d2/f02.txt");
        Assert.DoesNotContain("d2/f02.txt", await s.KeysAsync());

        // When a whole folder of 5 goes at once: max_delete 3 holds what passes it, as for events
        Directory.Delete(Path.Combine(s.Local, "d3"), recursive: true);
        await w.WaitForAsync(WatchActivityKind.DeletesHeld);
        var left = await s.KeysAsync();
        Assert.True(left.Count(k => k.StartsWith("d3/", StringComparison.Ordinal)) >= 3, string.Join(", ", left));
        Assert.False(w.Service.Healthy);
    }

    [Fact]
    public async Task Watch_mode_poll_notices_local_path_gone_and_polls_it_again_when_it_is_back()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.SiteConfig("name: share\nwatch_mode: poll\nwatch_interval: 100\nretire_deleted: true");
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        // When local_path is moved away (an unmounted share): nothing is deleted
        var away = s.Local + ".away";
        Directory.Move(s.Local, away);
        await w.WaitUntilAsync(() => w.Log.Text.Contains("site share: local_path ", StringComparison.Ordinal) && w.Log.Text.Contains("it is gone", StringComparison.Ordinal), "the root gone");
        Assert.Equal(["a.txt"], await s.KeysAsync());
        Assert.False(w.Service.Healthy);

        // When it is back with a new file: polled again, and the new file uploaded
        Directory.Move(away, s.Local);
        s.Write("b.txt", "b");
        await w.WaitForAsync(WatchActivityKind.Rearmed);
        await w.WaitUntilAsync(() => s.KeysAsync().GetAwaiter().GetResult().Contains("b.txt"), "b.txt in the bucket");
        Assert.Equal(["a.txt", "b.txt"], await s.KeysAsync());
    }

    [Theory]
    [InlineData(0x6969u, "NFS")]
    [InlineData(0xFF534D42u, "CIFS")]
    [InlineData(0xFE534D42u, "SMB2")]
    [InlineData(0x517Bu, "SMB")]
    [InlineData(0x65735546u, "FUSE")]
    [InlineData(0x01021997u, "9p")]
    [InlineData(0x00C36400u, "Ceph")]
    [InlineData(0xEF53u, null)]       // ext4
    [InlineData(0x01021994u, null)]   // tmpfs
    [InlineData(0x58465342u, null)]   // xfs
    public void Auto_polls_network_and_fuse_file_systems_by_statfs_type(uint type, string? name) =>
        Assert.Equal(name, FileSystemKind.BlindName(type));

    [Fact]
    public void Auto_uses_inotify_on_a_local_folder()
    {
        var dir = Directory.CreateTempSubdirectory("s3sync-fs-").FullName;
        try
        {
            Assert.NotNull(FileSystemKind.TypeOf(dir));
            Assert.Null(FileSystemKind.BlindAt(dir));
            Assert.Null(FileSystemKind.TypeOf(Path.Combine(dir, "missing")));
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
