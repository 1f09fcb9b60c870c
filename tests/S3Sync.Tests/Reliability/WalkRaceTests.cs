using System.Diagnostics;
using System.Text;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// The tree changes between the walk's listing and its opening or reading: a folder or a file swapped for a symlink
/// (or another file) at exactly that moment, through the walker's seam, never by timing luck. Nothing outside the
/// tree is read or uploaded; the swapped path is a warning and its objects are kept.
/// </summary>
[Collection("s3")]
public sealed class WalkRaceTests(S3ServerFixture server)
{
    private static string SecretFolder(Scenario s)
    {
        var secret = Path.Combine(s.Root, "secret");
        Directory.CreateDirectory(secret);
        File.WriteAllText(Path.Combine(secret, "shadow"), "root-only secret");
        File.WriteAllText(Path.Combine(secret, "readme"), "a secret that has the listed file's name");
        return secret;
    }

    [Fact]
    public async Task A_folder_swapped_for_a_symlink_between_listing_and_opening_is_not_followed_and_its_objects_are_kept()
    {
        // Given a synced tree with a/ and z/readme, and a secret folder outside it
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 20; i++) s.Write($"a/{i:D2}.txt", $"file {i}");
        s.Write("z/readme", "readme");
        var secret = SecretFolder(s);
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // When z is swapped for a link to the secret folder right after the root was listed and before z is opened
        var z = Path.Combine(s.Local, "z");
        var swapped = 0;
        LocalWalker.BeforeOpenFolder.Value = path =>
        {
            if (path != z) return;
            Directory.Move(z, z + ".real");
            File.CreateSymbolicLink(z, secret);
            swapped++;
        };
        RunResult run;
        try { run = await s.SyncAsync(); }
        finally { LocalWalker.BeforeOpenFolder.Value = null; }

        // Then nothing of the secret folder is uploaded, z's object is kept, and the swap is a warning naming z
        Assert.Equal(1, swapped);
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await s.KeysAsync();
        Assert.DoesNotContain("z/shadow", keys);
        Assert.Contains("z/readme", keys);
        Assert.Equal("readme", Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "z/readme")));
        Assert.Contains("deleted 0,", run.Output);
        Assert.True(run.Output.Contains("kept 1,", StringComparison.Ordinal), run.ToString());
    }

    [Fact]
    public async Task Files_deleted_between_their_listing_and_their_stat_are_left_out_and_the_sync_deletes_their_objects()
    {
        // The failed full sync after a reload during a burst of deletions (issue 13): a file that readdir listed and
        // that was deleted before its stat threw out of the walk ("could not finish planning: Could not find file").
        // Given a synced tree with retire_deleted
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 40; i++) s.Write($"tree/f{i:D2}.txt", $"file {i}");
        s.Write("keep.txt", "k");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // When every even file of tree/ is deleted after tree/ was read and just before that file's stat
        var deleted = 0;
        LocalWalker.BeforeStatEntry.Value = path =>
        {
            var name = Path.GetFileName(path);
            if (!name.StartsWith('f') || int.Parse(name[1..3], System.Globalization.CultureInfo.InvariantCulture) % 2 == 1) return;
            File.Delete(path);
            deleted++;
        };
        RunResult run;
        try { run = await s.SyncAsync(); }
        finally { LocalWalker.BeforeStatEntry.Value = null; }

        // Then the walk stays complete: the sync ends well and deletes exactly the objects of the deleted files
        Assert.Equal(20, deleted);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("could not finish", run.ToString(), StringComparison.Ordinal);
        var keys = await s.KeysAsync();
        Assert.Equal(["keep.txt", .. Enumerable.Range(0, 40).Where(i => i % 2 == 1).Select(i => $"tree/f{i:D2}.txt")], keys);
    }

    [Fact]
    public async Task A_file_deleted_while_the_planner_hashes_it_is_left_out_not_reported_as_changed()
    {
        // Given a synced tree whose files are then rewritten with the same size, so the next sync must hash them
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 6; i++) s.Write($"f{i}.txt", $"old {i}");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        for (var i = 0; i < 6; i++) s.Write($"f{i}.txt", $"new {i}");

        // When f2.txt is deleted after its content was read and before the hasher looks at it again (an rm -rf mid-sync)
        var gone = Path.Combine(s.Local, "f2.txt");
        FileHasher.AfterContentRead.Value = path => { if (path == gone) File.Delete(path); };
        RunResult run;
        try { run = await s.SyncAsync(); }
        finally { FileHasher.AfterContentRead.Value = null; }

        // Then the sync ends well: the deleted file is left out (its object stays until a sync sees it gone), the rest go up
        Assert.False(File.Exists(gone));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("changed while it was read", run.ToString(), StringComparison.Ordinal);
        Assert.Equal("new 5", Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "f5.txt")));
        Assert.Equal("old 2", Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "f2.txt")));
    }

    [Fact]
    public async Task The_walk_reports_the_swapped_folder_as_a_warning_and_keeps_its_keys()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("z/readme", "readme");
        var secret = SecretFolder(s);
        var z = Path.Combine(s.Local, "z");
        var issues = new List<WalkIssue>();
        var walker = new LocalWalker(s.LoadSite(), issues.Add);
        LocalWalker.BeforeOpenFolder.Value = path =>
        {
            if (path != z) return;
            Directory.Move(z, z + ".real");
            File.CreateSymbolicLink(z, secret);
        };
        var keys = new List<string>();
        try { await foreach (var e in walker.WalkAsync()) keys.Add(e.Key); }
        finally { LocalWalker.BeforeOpenFolder.Value = null; }

        Assert.Equal(["a.txt"], keys);
        var issue = Assert.Single(issues);
        Assert.Equal(z, issue.Path);
        Assert.False(issue.IsError);
        Assert.Contains("skipped: it became a symbolic link or a file between the listing and the opening", issue.Message);
        Assert.True(walker.Complete);
        Assert.True(walker.Keeps("z/readme"));
        Assert.True(walker.Keeps("z/shadow"));
        Assert.False(walker.Keeps("zz"));
    }

    [Theory]
    [InlineData("follow")]
    [InlineData("preserve")]
    public async Task With_symlinks_follow_or_preserve_a_folder_swapped_for_a_link_is_not_entered_either(string mode)
    {
        // Given a synced tree, with links followed or preserved
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("z/readme", "readme");
        var secret = SecretFolder(s);
        s.SiteConfig($"retire_deleted: true\nsymlinks: {mode}");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // When z becomes a link to the secret folder between the listing and the opening
        var z = Path.Combine(s.Local, "z");
        LocalWalker.BeforeOpenFolder.Value = path =>
        {
            if (path != z) return;
            Directory.Move(z, z + ".real");
            File.CreateSymbolicLink(z, secret);
        };
        RunResult run;
        try { run = await s.SyncAsync(); }
        finally { LocalWalker.BeforeOpenFolder.Value = null; }

        // Then the link that was not there when the folder was listed is not followed: nothing secret goes up
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await s.KeysAsync();
        Assert.DoesNotContain("z/shadow", keys);
        Assert.Equal(["a.txt", "z/readme"], keys);
    }

    [Fact]
    public async Task With_symlinks_follow_a_followed_link_retargeted_outside_between_listing_and_opening_is_refused()
    {
        // Given a link to a folder inside local_path, followed
        using var s = await Scenario.CreateAsync(server);
        s.Write("inside/doc.txt", "inside");
        var secret = SecretFolder(s);
        var link = Path.Combine(s.Local, "l");
        File.CreateSymbolicLink(link, Path.Combine(s.Local, "inside"));
        var issues = new List<WalkIssue>();
        var walker = new LocalWalker(s.LoadSite("symlinks: follow"), issues.Add);

        // When the link is pointed at the secret folder after the listing, just before it is opened
        LocalWalker.BeforeOpenFolder.Value = path =>
        {
            if (path != link) return;
            File.Delete(link);
            File.CreateSymbolicLink(link, secret);
        };
        var entries = new List<LocalEntry>();
        try { await foreach (var e in walker.WalkAsync()) entries.Add(e); }
        finally { LocalWalker.BeforeOpenFolder.Value = null; }

        // Then what the handle leads to decides: outside local_path, refused; nothing under it is walked
        Assert.Equal(["inside/doc.txt"], entries.Select(e => e.Key));
        var issue = Assert.Single(issues);
        Assert.Equal(link, issue.Path);
        Assert.Contains("is outside local_path", issue.Message);
        Assert.True(issue.IsLink);
    }

    [Fact]
    public async Task With_symlinks_follow_a_followed_file_is_read_as_the_very_file_that_was_vetted()
    {
        // Given a link to a file inside local_path, walked with symlinks: follow
        using var s = await Scenario.CreateAsync(server);
        var target = s.Write("real.txt", "the vetted file");
        var secret = SecretFolder(s);
        File.CreateSymbolicLink(Path.Combine(s.Local, "l.txt"), target);
        var entries = new List<LocalEntry>();
        await foreach (var e in new LocalWalker(s.LoadSite("symlinks: follow")).WalkAsync()) entries.Add(e);
        var followed = entries.Single(e => e.Key == "l.txt");

        // The entry names the target's real path and identity, not the link
        Assert.Equal(target, followed.FullPath);
        Assert.NotNull(followed.Identity);
        using (var ok = LocalFile.OpenRead(followed.FullPath, followed.Identity)) Assert.Equal(15, RandomAccess.GetLength(ok));

        // When the link is re-pointed at the secret, and the target path is swapped for a link to it, after the walk
        File.Delete(Path.Combine(s.Local, "l.txt"));
        File.CreateSymbolicLink(Path.Combine(s.Local, "l.txt"), Path.Combine(secret, "shadow"));
        File.Delete(target);
        File.CreateSymbolicLink(target, Path.Combine(secret, "shadow"));

        // Then the read is refused before a byte is read
        Assert.Throws<FileSwappedException>(() => LocalFile.OpenRead(followed.FullPath, followed.Identity).Dispose());
    }

    [Fact]
    public async Task With_symlinks_preserve_the_target_is_read_from_the_link_by_its_folder_handle()
    {
        using var s = await Scenario.CreateAsync(server);
        File.CreateSymbolicLink(Path.Combine(s.Local, "l"), "../somewhere/else");
        var entries = new List<LocalEntry>();
        await foreach (var e in new LocalWalker(s.LoadSite("symlinks: preserve")).WalkAsync()) entries.Add(e);

        var link = Assert.Single(entries);
        Assert.Equal("../somewhere/else", link.LinkTarget);
        Assert.Equal(17, link.Size);
    }

    [Fact]
    public async Task Watch_event_paths_are_resolved_without_following_a_link_below_the_root()
    {
        // Given d/h.txt under the root, and a secret folder holding a file of the same name
        using var s = await Scenario.CreateAsync(server);
        s.Write("d/h.txt", "below a folder");
        var secret = SecretFolder(s);
        File.WriteAllText(Path.Combine(secret, "h.txt"), "secret");
        var listed = LocalFile.IdentityBeneath(s.Local, "d/h.txt");
        Assert.NotNull(listed);

        // When d is swapped for a link to the secret folder (as an event for d/h.txt is being handled)
        Directory.Move(Path.Combine(s.Local, "d"), Path.Combine(s.Local, "d.real"));
        File.CreateSymbolicLink(Path.Combine(s.Local, "d"), secret);

        // Then the path no longer leads to a file (the link is not followed), and a read checked against the old identity fails
        Assert.Null(LocalFile.IdentityBeneath(s.Local, "d/h.txt"));
        Assert.Throws<FileSwappedException>(() => LocalFile.OpenRead(Path.Combine(s.Local, "d/h.txt"), listed).Dispose());
        Assert.NotNull(LocalFile.IdentityBeneath(s.Local, "d.real/h.txt"));
    }

    [Fact]
    public async Task A_file_swapped_after_the_listing_is_never_read_in_its_place()
    {
        // Given a walked tree
        using var s = await Scenario.CreateAsync(server);
        s.Write("f.txt", "listed content");
        s.Write("g.txt", "listed content too");
        s.Write("d/h.txt", "below a folder");
        var secret = SecretFolder(s);
        var site = s.LoadSite();
        var entries = new List<LocalEntry>();
        await foreach (var e in new LocalWalker(site).WalkAsync()) entries.Add(e);
        var f = entries.Single(e => e.Key == "f.txt");
        var g = entries.Single(e => e.Key == "g.txt");
        var h = entries.Single(e => e.Key == "d/h.txt");
        Assert.NotNull(f.Identity);

        // When f becomes a link to the secret, g is replaced by another file, and d by a link to the secret folder
        File.Delete(f.FullPath);
        File.CreateSymbolicLink(f.FullPath, Path.Combine(secret, "shadow"));
        File.WriteAllText(g.FullPath + ".new", "another file");
        File.Move(g.FullPath + ".new", g.FullPath, overwrite: true);
        Directory.Move(Path.Combine(s.Local, "d"), Path.Combine(s.Local, "d.real"));
        File.CreateSymbolicLink(Path.Combine(s.Local, "d"), secret);
        File.Move(Path.Combine(secret, "readme"), Path.Combine(secret, "h.txt"));

        // Then every read of them is refused before a byte is read, and an unchanged file still reads
        Assert.Throws<FileSwappedException>(() => LocalFile.OpenRead(f.FullPath, f.Identity).Dispose());
        Assert.Throws<FileSwappedException>(() => LocalFile.OpenRead(g.FullPath, g.Identity).Dispose());
        Assert.Throws<FileSwappedException>(() => LocalFile.OpenRead(h.FullPath, h.Identity).Dispose());
        await Assert.ThrowsAsync<FileSwappedException>(() => FileHasher.HashAsync(f.FullPath, f.Identity, null, default));
        s.Write("i.txt", "fresh");
        var i = new List<LocalEntry>();
        await foreach (var e in new LocalWalker(site).WalkAsync()) i.Add(e);
        var fresh = i.Single(e => e.Key == "i.txt");
        using var ok = LocalFile.OpenRead(fresh.FullPath, fresh.Identity);
        Assert.Equal(5, RandomAccess.GetLength(ok));
    }

    [Fact]
    public async Task A_valid_name_holding_U_FFFD_is_synced_and_never_deleted()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("x\uFFFD.txt", "replacement character, as real UTF-8");
        s.Write("dir-\uFFFD/inside.txt", "inside");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");

        var first = await s.SyncAsync();
        var second = await s.SyncAsync();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(["dir-\uFFFD/inside.txt", "x\uFFFD.txt"], await s.KeysAsync());
        Assert.Contains("deleted 0, changed in place 0, unchanged 2", second.Output);
    }

    [Fact]
    public async Task Objects_of_files_skipped_for_their_name_are_kept_on_a_deletion_run()
    {
        // Given objects under the keys that invalid names would decode to (written by another tool), and those files
        using var s = await Scenario.CreateAsync(server);
        s.Write("good.txt", "good");
        using (var p = Process.Start("bash", ["-c", $"cd '{s.Local}' && printf bad > $'bad-\\xff.txt' && mkdir $'dir-\\xfe' && printf x > $'dir-\\xfe/inside.txt'"])) p.WaitForExit();
        await server.PutAsync(s.Bucket, "bad-\uFFFD.txt", Encoding.UTF8.GetBytes("other tool"));
        await server.PutAsync(s.Bucket, "dir-\uFFFD/inside.txt", Encoding.UTF8.GetBytes("other tool"));
        await server.PutAsync(s.Bucket, "gone.txt", Encoding.UTF8.GetBytes("really gone"));
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");

        // When a deleting sync runs (a child process: the warnings go to its stderr)
        var run = await s.SyncProcessAsync(unprivileged: false);

        // Then only the object without a local file is deleted; the skipped files count as kept
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["bad-\uFFFD.txt", "dir-\uFFFD/inside.txt", "good.txt"], await s.KeysAsync());
        Assert.Contains("deleted 1,", run.Output);
        Assert.True(run.Output.Contains("kept 2,", StringComparison.Ordinal), run.ToString());
        Assert.Equal(2, run.Error.Split('\n').Count(l => l.Contains("not valid UTF-8", StringComparison.Ordinal)));
    }
}
