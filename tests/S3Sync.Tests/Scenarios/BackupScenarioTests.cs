using S3Sync.Execution;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>backup_path: what a run deletes or overwrites is copied server-side to a folder per run first (issue #26).</summary>
[Collection("s3")]
public sealed class BackupScenarioTests(S3ServerFixture server)
{
    private const string Site = "bucket_path: www\nretire_deleted: true\nbackup_path: bk/www";

    [Fact]
    public async Task Deleted_and_overwritten_objects_are_saved_in_the_run_folder_with_their_bytes_metadata_and_class()
    {
        // Given two files synced
        using var s = await Scenario.CreateAsync(server);
        var a = s.Write("dir/a.txt", "old a");
        s.Write("b.txt", "old b");
        var aMtime = new DateTime(2020, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(a, aMtime);
        s.SiteConfig(Site + "\nbackup_storage_class: STANDARD_IA");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var before = DateTime.UtcNow.AddSeconds(-1);

        // When one is deleted and the other rewritten
        File.Delete(a);
        s.Write("b.txt", "new b, longer");
        var run = await s.SyncAsync();

        // Then the bucket holds the new b, and the run folder holds both old objects with their metadata
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await s.KeysAsync();
        var saved = keys.Where(k => k.StartsWith("bk/www/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, saved.Count);
        var runFolder = saved[0].Split('/')[2];
        Assert.True(BackupPlace.TryParseRun(runFolder, out var at), runFolder);
        Assert.InRange(at, before.AddSeconds(-1), DateTime.UtcNow.AddSeconds(1));
        Assert.Equal([$"bk/www/{runFolder}/b.txt", $"bk/www/{runFolder}/dir/a.txt", "www/b.txt"], keys);
        Assert.Equal("old a"u8.ToArray(), await server.GetAsync(s.Bucket, $"bk/www/{runFolder}/dir/a.txt"));
        Assert.Equal("old b"u8.ToArray(), await server.GetAsync(s.Bucket, $"bk/www/{runFolder}/b.txt"));
        Assert.Equal("new b, longer"u8.ToArray(), await server.GetAsync(s.Bucket, "www/b.txt"));
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, $"bk/www/{runFolder}/dir/a.txt");
        Assert.Equal(ObjectMetadata.FormatMtime((aMtime - DateTime.UnixEpoch).Ticks * 100), head.Metadata["mtime"]);
        Assert.Equal("STANDARD_IA", head.StorageClass?.Value);
    }

    [Fact]
    public async Task Backup_keep_removes_only_run_folders_older_than_the_period()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "b");
        s.SiteConfig(Site + "\nbackup_keep: 30d");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var recent = BackupPlace.RunName(DateTimeOffset.UtcNow.AddDays(-29));
        await server.PutAsync(s.Bucket, "bk/www/2020-01-01T000000Z/x.txt", "x"u8.ToArray());
        await server.PutAsync(s.Bucket, "bk/www/2020-01-01T000000Z/deep/y.txt", "y"u8.ToArray());
        await server.PutAsync(s.Bucket, $"bk/www/{recent}/z.txt", "z"u8.ToArray());
        await server.PutAsync(s.Bucket, "bk/www/notes/n.txt", "not a run"u8.ToArray());
        File.Delete(Path.Combine(s.Local, "a.txt"));

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await s.KeysAsync();
        Assert.DoesNotContain(keys, k => k.Contains("2020-01-01", StringComparison.Ordinal));
        Assert.Contains($"bk/www/{recent}/z.txt", keys);
        Assert.Contains("bk/www/notes/n.txt", keys);
        Assert.Contains(keys, k => k.EndsWith("/a.txt", StringComparison.Ordinal) && k.StartsWith("bk/www/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_from_backup_brings_a_run_back_byte_for_byte()
    {
        using var s = await Scenario.CreateAsync(server);
        var big = TestData.Bytes(9 * 1024 * 1024 + 5, 3);
        s.Write("docs/report.bin", big);
        var note = s.Write("note.txt", "first version");
        var mtime = new DateTime(2021, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(note, mtime);
        s.SiteConfig(Site);
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(Path.Combine(s.Local, "docs/report.bin"));
        s.Write("note.txt", "second version");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");

        var restore = await s.RunAsync("restore", "-c", s.ConfigPath, "--from-backup", "latest", "--to", target);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(target, "docs/report.bin")));
        Assert.Equal("first version", File.ReadAllText(Path.Combine(target, "note.txt")));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(Path.Combine(target, "note.txt")));
        Assert.Equal(["docs", "note.txt"], Directory.EnumerateFileSystemEntries(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The local folder was not touched: --to restores elsewhere.
        Assert.Equal("second version", File.ReadAllText(Path.Combine(s.Local, "note.txt")));
    }

    [Fact]
    public async Task Ad_hoc_backup_path_saves_what_the_run_deletes_and_one_inside_the_site_is_one_line_exit_2()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "a");
        s.Write("b.txt", "b");
        var env = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey, ["AWS_ENDPOINT_URL_S3"] = server.Endpoint };
        Assert.Equal(0, (await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/www"], env)).ExitCode);
        File.Delete(Path.Combine(s.Local, "a.txt"));

        var inside = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/www", "--delete", "--backup-path", "www/.saved"], env);
        var run = await Binary.RunAsync(["sync", s.Local, $"s3://{s.Bucket}/www", "--delete", "--backup-path", "saved/www"], env);

        Assert.Equal(2, inside.ExitCode);
        Assert.Equal($"s3sync: --backup-path: s3://{s.Bucket}/www/.saved is inside the site's own s3://{s.Bucket}/www; give a prefix outside it (like backup/www beside a site that is not at the bucket root)", inside.Error.Trim());
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await s.KeysAsync();
        Assert.Equal(2, keys.Count);
        Assert.Contains("www/b.txt", keys);
        Assert.Single(keys, k => k.StartsWith("saved/www/", StringComparison.Ordinal) && k.EndsWith("/a.txt", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Watch_saves_what_its_events_overwrite_and_delete()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "old a");
        s.Write("b.txt", "old b");
        s.SiteConfig(Site);
        await using var w = new WatchHarness(s);
        await w.StartAsync();

        s.Write("a.txt", "new a, longer");
        await w.WaitForAsync(S3Sync.Watching.WatchActivityKind.Uploaded, "a.txt");
        File.Delete(Path.Combine(s.Local, "b.txt"));
        await w.WaitForAsync(S3Sync.Watching.WatchActivityKind.Deleted, "b.txt");

        var keys = await s.KeysAsync();
        var saved = keys.Where(k => k.StartsWith("bk/www/", StringComparison.Ordinal)).ToList();
        // Each save in the run folder of its own moment (the two may be a second apart)
        Assert.Equal(2, saved.Count);
        Assert.Equal(["a.txt", "b.txt"], saved.Select(k => k.Split('/')[3]));
        Assert.All(saved, k => Assert.True(BackupPlace.TryParseRun(k.Split('/')[2], out _), k));
        Assert.Equal(["www/a.txt"], keys.Except(saved));
        Assert.Equal("old a"u8.ToArray(), await server.GetAsync(s.Bucket, saved[0]));
        Assert.Equal("old b"u8.ToArray(), await server.GetAsync(s.Bucket, saved[1]));
        Assert.Equal("new a, longer"u8.ToArray(), await server.GetAsync(s.Bucket, "www/a.txt"));
    }

    /// <summary>The server answers the backup copy with 200 but the copy is not what was saved (a HEAD of it shows
    /// another size): nothing is deleted or overwritten, each key fails, the run exits 3.</summary>
    [Fact]
    public async Task A_backup_copy_that_is_not_proved_keeps_the_object_deleted_or_overwritten()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("gone.txt", "to be deleted");
        s.Write("changed.txt", "old bytes");
        var site = s.LoadSite(Site);
        using var inner = S3ObjectStore.ForSite(site, 4, 1);
        using var digests = new S3Sync.Planning.CachedDigestSource(null, site.Name, S3Sync.Planning.DirectDigestSource.Instance);
        Assert.Equal(SiteStatus.Done, (await new SiteSync(site, inner, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default)).Status);
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        s.Write("changed.txt", "new bytes, longer");
        using var lying = new ShortCopyStore(inner);

        var result = await new SiteSync(site, lying, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default);

        Assert.Equal(SiteStatus.Failed, result.Status);
        Assert.Equal(2, result.Stats.Failed);
        Assert.Contains(result.Problems, p => p.StartsWith("gone.txt: not deleted: its backup copy", StringComparison.Ordinal));
        Assert.Equal("to be deleted"u8.ToArray(), await server.GetAsync(s.Bucket, "www/gone.txt"));
        Assert.Equal("old bytes"u8.ToArray(), await server.GetAsync(s.Bucket, "www/changed.txt"));
    }

    /// <summary>The copy's HEAD shows the right size but another ETag for a one-part object (whose ETag is the MD5 of its
    /// bytes): the copy holds other bytes. Its <c>s3sync-md5</c> is no proof (a copy carries the source's metadata
    /// whatever bytes it holds): nothing is deleted. (Before: the copied stored MD5 "proved" it and the object went.)</summary>
    [Fact]
    public async Task A_backup_copy_of_other_bytes_is_not_proved_by_the_metadata_it_copied()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("gone.txt", "to be deleted");
        for (var i = 0; i < 4; i++) s.Write($"kept{i}.txt", "kept");
        var site = s.LoadSite(Site);
        using var inner = S3ObjectStore.ForSite(site, 4, 1);
        using var digests = new S3Sync.Planning.CachedDigestSource(null, site.Name, S3Sync.Planning.DirectDigestSource.Instance);
        Assert.Equal(SiteStatus.Done, (await new SiteSync(site, inner, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default)).Status);
        Assert.NotNull((await inner.HeadAsync("gone.txt", default))!.FingerprintMd5);
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        using var lying = new OtherBytesCopyStore(inner);

        var result = await new SiteSync(site, lying, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default);

        Assert.Equal(SiteStatus.Failed, result.Status);
        Assert.Contains(result.Problems, p => p.StartsWith("gone.txt: not deleted: its backup copy", StringComparison.Ordinal));
        Assert.Equal("to be deleted"u8.ToArray(), await server.GetAsync(s.Bucket, "www/gone.txt"));
    }

    /// <summary>Reports every object under the backup place with the ETag of other bytes of the same size.</summary>
    private sealed class OtherBytesCopyStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public override IObjectStore At(string prefix) => new OtherBytesCopyStore(Inner.At(prefix)); // the backup place too

        public override async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            var head = await base.HeadAsync(key, cancellationToken);
            return head is not null && Location.Join(key).StartsWith("bk/", StringComparison.Ordinal) ? head with { ETag = "0123456789abcdef0123456789abcdef" } : head;
        }
    }

    /// <summary>Reports every object under the backup place a byte short.</summary>
    private sealed class ShortCopyStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public override IObjectStore At(string prefix) => new ShortCopyStore(Inner.At(prefix)); // the backup place too

        public override async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            var head = await base.HeadAsync(key, cancellationToken);
            return head is not null && Location.Join(key).StartsWith("bk/", StringComparison.Ordinal) ? head with { Size = head.Size - 1 } : head;
        }
    }

    /// <summary>A watch that overwrites one file twice (a day apart) keeps both earlier versions: each save goes to the
    /// run folder of its own time. (Before: one folder per watch start, the second save replaced the first.)</summary>
    [Fact]
    public async Task Watch_overwriting_a_file_twice_keeps_both_earlier_versions()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "v1");
        s.SiteConfig(Site);
        var clock = new ShiftedClock();
        await using var w = new WatchHarness(s, time: clock);
        await w.StartAsync();

        s.Write("a.txt", "v2, longer");
        await w.WaitForAsync(S3Sync.Watching.WatchActivityKind.Uploaded, "a.txt");
        clock.Offset = TimeSpan.FromDays(1);
        s.Write("a.txt", "v3, longer still");
        await w.WaitForAsync(S3Sync.Watching.WatchActivityKind.Uploaded, "a.txt", count: 2);

        var saved = (await s.KeysAsync()).Where(k => k.StartsWith("bk/www/", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, saved.Count);
        Assert.All(saved, k => Assert.EndsWith("/a.txt", k, StringComparison.Ordinal));
        Assert.Equal("v1"u8.ToArray(), await server.GetAsync(s.Bucket, saved[0]));
        Assert.Equal("v2, longer"u8.ToArray(), await server.GetAsync(s.Bucket, saved[1]));
        Assert.Equal("v3, longer still"u8.ToArray(), await server.GetAsync(s.Bucket, "www/a.txt"));
    }

    /// <summary>Two runs started in the same second share a run folder: the second run's save of a key the first saved
    /// must not replace the first's copy (that version would be gone); it fails and the object is kept.</summary>
    [Fact]
    public async Task A_save_never_replaces_another_version_saved_in_the_same_run_folder()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig(Site);
        var site = s.LoadSite(Site);
        using var store = S3ObjectStore.ForSite(site, 4, 1);
        var second = new DateTimeOffset(2026, 12, 7, 19, 45, 55, TimeSpan.Zero);
        await server.PutAsync(s.Bucket, "www/k.txt", "first"u8.ToArray());
        Assert.Null(await new BackupPlace(site, store, second).SaveAsync("k.txt", default));
        Assert.Null(await new BackupPlace(site, store, second).SaveAsync("k.txt", default)); // a retried save: the same object
        await server.PutAsync(s.Bucket, "www/k.txt", "second version"u8.ToArray());

        var why = await new BackupPlace(site, store, second.AddMilliseconds(300)).SaveAsync("k.txt", default);

        Assert.Equal("its backup copy bk/www/2026-12-07T194555Z/k.txt already holds another saved version (saved in the same second); not replaced", why);
        Assert.Equal("first"u8.ToArray(), await server.GetAsync(s.Bucket, "bk/www/2026-12-07T194555Z/k.txt"));
    }

    /// <summary>A run that lasts longer than <c>backup_keep</c> (a big first run, a slow link) must not expire its own
    /// run folder at its end: what it deleted a moment ago would be gone at once. Periods count from the run's start.</summary>
    [Fact]
    public async Task Backup_keep_shorter_than_the_run_never_expires_what_the_run_itself_saved()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("gone.txt", "to be deleted");
        for (var i = 0; i < 4; i++) s.Write($"kept{i}.txt", "kept");
        var site = s.LoadSite(Site + "\nbackup_keep: 1h");
        using var store = S3ObjectStore.ForSite(site, 4, 1);
        using var digests = new S3Sync.Planning.CachedDigestSource(null, site.Name, S3Sync.Planning.DirectDigestSource.Instance);
        Assert.Equal(SiteStatus.Done, (await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default)).Status);
        File.Delete(Path.Combine(s.Local, "gone.txt"));
        var clock = new ShiftedClock();
        var sync = new SiteSync(site, store, digests, new SyncSettings { Workers = 4, Time = clock }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        sync.PlanComplete += () => clock.Offset = TimeSpan.FromHours(2); // the run took two hours

        Assert.Equal(SiteStatus.Done, (await sync.RunAsync(default)).Status);

        var saved = (await s.KeysAsync()).Where(k => k.StartsWith("bk/www/", StringComparison.Ordinal)).ToList();
        Assert.Single(saved);
        Assert.Equal("to be deleted"u8.ToArray(), await server.GetAsync(s.Bucket, saved[0]));
    }

    /// <summary>A watch saving one key twice within one second: the second save goes to the next second's folder, and
    /// both versions are kept (no save fails for it).</summary>
    [Fact]
    public async Task A_watch_saving_a_key_twice_in_one_second_keeps_both_in_the_next_seconds_folder()
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite(Site);
        using var store = S3ObjectStore.ForSite(site, 4, 1);
        var second = new DateTimeOffset(2026, 12, 7, 19, 45, 55, TimeSpan.Zero);
        var place = new BackupPlace(site, store, second, new FixedClock(second));
        await server.PutAsync(s.Bucket, "www/k.txt", "first"u8.ToArray());
        Assert.Null(await place.SaveAsync("k.txt", default));
        await server.PutAsync(s.Bucket, "www/k.txt", "second version"u8.ToArray());

        Assert.Null(await place.SaveAsync("k.txt", default));

        Assert.Equal("first"u8.ToArray(), await server.GetAsync(s.Bucket, "bk/www/2026-12-07T194555Z/k.txt"));
        Assert.Equal("second version"u8.ToArray(), await server.GetAsync(s.Bucket, "bk/www/2026-12-07T194556Z/k.txt"));
    }

    private sealed class FixedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;
    }

    /// <summary>The system clock moved by <see cref="Offset"/> (timers run in real time).</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Offset { get; set; }
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + Offset;
    }

    [Fact]
    public async Task Restore_from_backup_of_an_unknown_run_name_is_one_line_exit_2()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig(Site);

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--from-backup", "yesterday");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("s3sync: --from-backup: 'yesterday' is not a run folder name (like 2026-12-07T194555Z) or 'latest'", run.Error.Trim());
    }
}
