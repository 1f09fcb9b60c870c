using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>Deletes that cannot go wrong: the delete guard, unusable folders and prefixes, against the real server.</summary>
[Collection("s3")]
public sealed class DeleteSafetyTests(S3ServerFixture server)
{
    private static void WriteFiles(Scenario s, int count, string folder = "f")
    {
        for (var i = 0; i < count; i++) s.Write($"{folder}/{i:D3}.txt", $"file {i}");
    }

    [Fact]
    public async Task Max_delete_count_refuses_with_exit_4_and_says_how_many_and_how_to_override()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 5);
        s.SiteConfig("retire_deleted: true\nmax_delete: 2");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        for (var i = 0; i < 3; i++) File.Delete(Path.Combine(s.Local, $"f/{i:D3}.txt"));
        s.Write("new.txt", "new");

        var refused = await s.SyncAsync();

        Assert.True(refused.ExitCode == 4, refused.ToString());
        Assert.Contains("would delete 3 of 5 objects", refused.Output);
        Assert.Contains("more than max_delete 2", refused.Output);
        Assert.Contains("--max-delete 3", refused.Output);
        Assert.Contains("deletions refused", refused.Output);
        // Nothing deleted, but the upload still happened.
        Assert.Equal(["f/000.txt", "f/001.txt", "f/002.txt", "f/003.txt", "f/004.txt", "new.txt"], await s.KeysAsync());

        var allowed = await s.SyncAsync("--max-delete", "3");

        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Equal(["f/003.txt", "f/004.txt", "new.txt"], await s.KeysAsync());
    }

    [Fact]
    public async Task Max_delete_percentage_refuses_more_than_that_share_of_the_prefix()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 30);
        s.SiteConfig("retire_deleted: true\nmax_delete: 10%");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        for (var i = 0; i < 4; i++) File.Delete(Path.Combine(s.Local, $"f/{i:D3}.txt"));

        var refused = await s.SyncAsync();

        Assert.True(refused.ExitCode == 4, refused.ToString());
        Assert.Contains("would delete 4 of 30 objects", refused.Output);
        Assert.Contains("more than max_delete 10%", refused.Output);
        Assert.Equal(30, (await s.KeysAsync()).Count);

        // 3 of 30 is exactly 10%: allowed.
        s.Write("f/000.txt", "back");
        var allowed = await s.SyncAsync();
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Equal(27, (await s.KeysAsync()).Count);
    }

    [Fact]
    public async Task Default_limit_refuses_deleting_more_than_half_once_past_20_and_allows_small_retirements()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 50);
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // 20 deletions: within the floor, always allowed.
        for (var i = 0; i < 20; i++) File.Delete(Path.Combine(s.Local, $"f/{i:D3}.txt"));
        var small = await s.SyncAsync();
        Assert.True(small.ExitCode == 0, small.ToString());
        Assert.Equal(30, (await s.KeysAsync()).Count);

        // 21 of 30 (70%): past both the floor and half.
        for (var i = 20; i < 41; i++) File.Delete(Path.Combine(s.Local, $"f/{i:D3}.txt"));
        var big = await s.SyncAsync();
        Assert.True(big.ExitCode == 4, big.ToString());
        Assert.Contains("would delete 21 of 30 objects", big.Output);
        Assert.Contains("max_delete 50% (at least 20)", big.Output);
        Assert.Equal(30, (await s.KeysAsync()).Count);

        var unlimited = await s.SyncAsync("--max-delete", "unlimited");
        Assert.True(unlimited.ExitCode == 0, unlimited.ToString());
        Assert.Equal(9, (await s.KeysAsync()).Count);
    }

    [Fact]
    public async Task Empty_local_path_while_the_prefix_holds_objects_deletes_nothing_with_exit_4()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 3);
        s.SiteConfig("retire_deleted: true\nbucket_path: www\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Directory.Delete(Path.Combine(s.Local, "f"), recursive: true); // the mount point stays, empty

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains("is empty while s3://" + s.Bucket + "/www/ holds 3 objects", run.Output);
        Assert.Contains("is the disk mounted?", run.Output);
        Assert.Equal(3, (await s.KeysAsync()).Count);
    }

    [Fact]
    public async Task Unreadable_local_path_fails_with_exit_3_and_deletes_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 3);
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.SetUnixFileMode(s.Local, UnixFileMode.None);
        try
        {
            var run = await s.SyncProcessAsync(unprivileged: true);

            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Contains("cannot read folder: permission denied", run.Output + run.Error);
            Assert.Contains("did not complete, so nothing was deleted", run.Error);
            Assert.Equal(3, (await s.KeysAsync()).Count);
        }
        finally
        {
            File.SetUnixFileMode(s.Local, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Unreadable_folder_that_is_excluded_is_not_entered_and_deletions_proceed()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 3);
        WriteFiles(s, 2, "private");
        s.Write("gone.txt", "will be deleted locally");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited\nexclusions:\n  - ^private/");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        var locked = Path.Combine(s.Local, "private");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var run = await s.SyncProcessAsync(unprivileged: true);

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.DoesNotContain("cannot read folder", run.Output + run.Error);
            Assert.Contains("deleted 1", run.Output);
            Assert.Equal(["f/000.txt", "f/001.txt", "f/002.txt"], await s.KeysAsync());
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Walk_failing_part_way_uploads_the_rest_deletes_nothing_and_exits_3()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteFiles(s, 3, "locked");
        s.Write("gone.txt", "will be deleted locally");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        s.Write("a-new.txt", "before the locked folder");
        s.Write("z-new.txt", "after the locked folder");
        var locked = Path.Combine(s.Local, "locked");
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var run = await s.SyncProcessAsync(unprivileged: true);

            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Contains("locked: cannot read folder: permission denied", run.Output);
            Assert.Contains("uploaded 2 files", run.Output);
            // gone.txt and the locked folder's keys survive: the walk did not complete.
            Assert.Equal(["a-new.txt", "gone.txt", "locked/000.txt", "locked/001.txt", "locked/002.txt", "z-new.txt"], await s.KeysAsync());
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Prefix_a_never_touches_keys_of_a_dash_b_ab_or_the_key_a_itself()
    {
        using var s = await Scenario.CreateAsync(server);
        string[] foreign = ["a", "a-b/x.txt", "a-c", "ab/y.txt", "a.txt", "b/a/z.txt", "root.txt"];
        foreach (var key in foreign) await server.PutAsync(s.Bucket, key, "foreign"u8.ToArray());
        await server.PutAsync(s.Bucket, "a/stale.txt", "mine, deleted locally"u8.ToArray());
        s.Write("x.txt", "mine");
        s.SiteConfig("bucket_path: a\nretire_deleted: true\nmax_delete: unlimited");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("deleted 1", run.Output);
        Assert.Equal([.. foreign.Append("a/x.txt").Order(StringComparer.Ordinal)], await s.KeysAsync());
        foreach (var key in foreign) Assert.Equal("foreign"u8.ToArray(), await server.GetAsync(s.Bucket, key));
    }

    [Fact]
    public async Task Bucket_root_site_keeps_the_keys_of_prefixed_sites_sharing_its_bucket()
    {
        using var root = await Scenario.CreateAsync(server);
        using var www = await Scenario.CreateAsync(server);
        root.Write("index.txt", "root");
        www.Write("page.txt", "www");
        root.Config($"""
            - name: root
              local_path: {root.Local}
              bucket: {root.Bucket}
            - name: www
              local_path: {www.Local}
              bucket: {root.Bucket}
              bucket_path: www
            """);

        var first = await root.SyncAsync();
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await root.SyncAsync();

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("site root: uploaded 0 files (0 B), deleted 0, changed in place 0, unchanged 1, kept 1", second.Output);
        Assert.Equal(["index.txt", "www/page.txt"], await root.KeysAsync());

        // retire_deleted on either site is refused before anything runs: the root would delete www's keys.
        root.Config($"""
            - name: root
              local_path: {root.Local}
              bucket: {root.Bucket}
              retire_deleted: true
            - name: www
              local_path: {www.Local}
              bucket: {root.Bucket}
              bucket_path: www
            """);
        var refused = await root.SyncAsync();
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("overlap and one has retire_deleted", refused.Error);
        Assert.Equal(["index.txt", "www/page.txt"], await root.KeysAsync());
    }
}
