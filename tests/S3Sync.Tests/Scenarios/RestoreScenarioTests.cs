using System.Diagnostics;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>restore against the real server, checked with stat(1) and the bytes on disk, not with s3sync.</summary>
[Collection("s3")]
public sealed class RestoreScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    private static readonly Dictionary<string, (int Size, int Mode, string Mtime)> Tree = new()
    {
        ["top.txt"] = (3, 0x1A4, "2001-02-03 04:05:06.123456789"),
        ["a/b/c/deep.txt"] = (10, 0x180, "1999-12-31 23:59:59.000000001"),
        ["unicode/日本語 ünïcødé.txt"] = (20, 0x1ED, "2010-06-07 08:09:10.5"),
        ["empty.bin"] = (0, 0x180, "2020-01-01 00:00:00"),
        ["big/at-threshold.bin"] = (8 * MiB, 0x1A4, "2015-05-05 05:05:05.555555555"),
        ["big/over-threshold.bin"] = (8 * MiB + 1, 0x1ED, "2016-06-06 06:06:06"),
        ["big/three-parts.bin"] = (17 * MiB, 0x180, "2017-07-07 07:07:07.7"),
    };

    private static void WriteTree(Scenario s)
    {
        var seed = 1;
        foreach (var (key, (size, mode, mtime)) in Tree)
        {
            var path = s.Write(key, Bytes(size, seed++));
            File.SetUnixFileMode(path, (UnixFileMode)mode);
            Run("touch", "-m", "-d", mtime + " UTC", path);
        }
    }

    [Fact]
    public async Task Restore_into_an_empty_folder_gives_the_same_bytes_modes_and_mtimes_and_verify_finds_no_difference()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteTree(s);
        s.SiteConfig("bucket_path: host");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"restored {Tree.Count} files", run.Output);
        foreach (var key in Tree.Keys)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(s.Local, key)), File.ReadAllBytes(Path.Combine(target, key)));
            Assert.Equal(Stat("%a %y", Path.Combine(s.Local, key)), Stat("%a %y", Path.Combine(target, key)));
        }
        Assert.Empty(Directory.EnumerateFiles(target, ".s3sync-restore-*", SearchOption.AllDirectories));
        var verify = await s.RunAsync("verify", "-c", ConfigFor(s, target), "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("0 differences", verify.Output);

        // A second restore over the restored tree writes nothing
        var again = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("restored 0 files", again.Output);
        Assert.Contains($"unchanged {Tree.Count}", again.Output);
    }

    [Fact]
    public async Task A_second_restore_over_the_restored_tree_reads_no_file_and_a_sync_of_it_none_either()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteTree(s);
        var site = s.LoadSite();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");
        site = site with { LocalPath = target };
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        using var cache = S3Sync.State.HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // Given a restore into an empty folder, through the hash cache (the real clock: no time seam)
        async Task<(SiteResult Result, int Reads)> RestoreAsync()
        {
            var counting = new CountingDigests();
            using var digests = new CachedDigestSource(cache, site.Name, counting);
            var result = await new SiteRestore(site, store, digests, new RestoreSettings(4, Owner: false), NullLogger.Instance).RunAsync(default);
            Assert.Equal(SiteStatus.Done, result.Status);
            return (result, counting.Reads);
        }
        var (first, _) = await RestoreAsync();
        Assert.Equal((Tree.Count, 0L), (first.Stats.Downloaded, first.Stats.Uploaded));
        // The restore proved s3sync's own part layout by the part MD5s alone: no whole-file MD5 for those (one MD5 pass)
        cache.Commit();
        var md5s = HashCacheFile.Md5Lengths(Path.Combine(s.Root, "state"));
        Assert.Equal(Tree.Keys.Order(StringComparer.Ordinal).Select(k => (k, Tree[k].Size > 8 * MiB ? 0L : 16L)),
            md5s.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));

        // When it runs again at once, it reads no file of the tree (the restore's own hashes are trusted) ...
        var (second, reads) = await RestoreAsync();
        Assert.Equal((0L, (long)Tree.Count, 0), (second.Stats.Downloaded, second.Stats.Unchanged, reads));

        // ... and a sync of the restored folder as the site's local_path reads none either
        var counting = new CountingDigests();
        using (var digests = new CachedDigestSource(cache, site.Name, counting))
        {
            var sync = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
            Assert.Equal((SiteStatus.Done, 0L, (long)Tree.Count), (sync.Status, sync.Stats.Uploaded, sync.Stats.Unchanged));
        }
        Assert.True(counting.Reads == 0, "the sync read " + string.Join("; ", counting.Read));
        // ... nor a second sync
        var again = new CountingDigests();
        using (var digests = new CachedDigestSource(cache, site.Name, again))
        {
            var sync = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
            Assert.Equal((SiteStatus.Done, 0L, (long)Tree.Count), (sync.Status, sync.Stats.Uploaded, sync.Stats.Unchanged));
        }
        Assert.True(again.Reads == 0, "the second sync read " + string.Join("; ", again.Read));

        // But a file written after the restore, same size and the old mtime put back, is not taken from the cache
        var edited = Path.Combine(target, "top.txt");
        var mtime = File.GetLastWriteTimeUtc(edited);
        File.WriteAllBytes(edited, "xyz"u8.ToArray());
        File.SetLastWriteTimeUtc(edited, mtime);
        var (third, thirdReads) = await RestoreAsync();
        Assert.Equal((1L, 1), (third.Stats.Downloaded, thirdReads));
        Assert.Equal(File.ReadAllBytes(Path.Combine(s.Local, "top.txt")), File.ReadAllBytes(edited));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(3)]
    [InlineData(1)]
    public async Task An_object_of_nine_parts_comes_back_whole_through_any_number_of_streams(int workers)
    {
        // Given a 9-part object (8 MiB parts, the last 12,345 bytes: not a whole MD5 block) uploaded by s3sync
        using var s = await Scenario.CreateAsync(server);
        var body = Bytes(8 * 8 * MiB + 12_345, 44);
        s.Write("nine.bin", body);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");

        // When it is restored with 8, 3 or 1 workers (8 streams of 2 parts, 3 of 3, 1 of 9)
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // Then the file holds the object's bytes (each part proved against the multipart ETag), and verify agrees
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("unverified", run.Output + run.Error);
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(target, "nine.bin")));
        var verify = await s.RunAsync("verify", "-c", ConfigFor(s, target), "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("0 differences", verify.Output);
    }

    [Fact]
    public async Task Two_objects_each_holding_one_of_two_connections_do_not_wait_for_each_other()
    {
        // Given two objects of 3 parts (2 ranged GETs each with 2 workers) and a pool of 2 connections whose first two
        // go to the first GET of each object: their second GETs can have a connection only once a first one is read
        using var s = await Scenario.CreateAsync(server);
        var bodies = new Dictionary<string, byte[]> { ["a.bin"] = Bytes(17 * MiB, 70), ["b.bin"] = Bytes(17 * MiB, 71) };
        foreach (var (name, body) in bodies) s.Write(name, body);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var site = s.LoadSite() with { LocalPath = Path.Combine(s.Root, "restored") };
        using var store = new ConnectionPool(S3ObjectStore.ForSite(site, 8, 2), connections: 2, firstsFirst: 2);
        var digests = new CountingDigests();

        // When both are restored with 2 workers
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await new SiteRestore(site, store, digests, new RestoreSettings(2, Owner: false), NullLogger.Instance).RunAsync(limit.Token)
            .WaitAsync(TimeSpan.FromSeconds(30));

        // Then each object's GET that has a connection is read on while its other GET waits, and both come back whole
        Assert.True(result.Status == SiteStatus.Done, string.Join("; ", result.Problems));
        foreach (var (name, body) in bodies) Assert.Equal(body, File.ReadAllBytes(Path.Combine(site.LocalPath, name)));
        Assert.Equal(4, store.Granted);
    }

    /// <summary>
    /// A pool of HTTP connections as SocketsHttpHandler keeps one: a GET holds a connection from its request until its
    /// body is read to the end (or closed). The first <c>firstsFirst</c> GETs at offset 0 are served before any other.
    /// </summary>
    private sealed class ConnectionPool(IObjectStore inner, int connections, int firstsFirst) : DelegatingObjectStore(inner)
    {
        private readonly SemaphoreSlim _free = new(connections);
        private readonly TaskCompletionSource _firstsServed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _firsts, _granted;

        public int Granted => _granted;

        public override async Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken)
        {
            if (offset != 0) await _firstsServed.Task.WaitAsync(cancellationToken);
            await _free.WaitAsync(cancellationToken);
            Interlocked.Increment(ref _granted);
            if (offset == 0 && Interlocked.Increment(ref _firsts) == firstsFirst) _firstsServed.TrySetResult();
            var d = await Inner.GetAsync(key, offset, length, ifMatch, cancellationToken);
            var held = new HeldConnection(d.Body, d.ContentLength, _free);
            return new ObjectDownload(held, d.ContentLength, d.ETag, d.FingerprintMd5, d.File, d.Encrypted, d) { MtimeNs = d.MtimeNs, PartSize = d.PartSize, MetadataProblem = d.MetadataProblem };
        }
    }

    /// <summary>A body that gives its connection back once read to its end or closed.</summary>
    private sealed class HeldConnection(Stream inner, long length, SemaphoreSlim pool) : Stream
    {
        private long _left = length;
        private int _returned;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            _left -= n;
            if (n == 0 || _left <= 0) Return();
            return n;
        }

        private void Return()
        {
            if (Interlocked.Exchange(ref _returned, 1) == 0) pool.Release();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Return();
                inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task An_sse_kms_multipart_object_is_verified_by_its_whole_md5_which_the_cache_keeps()
    {
        using var s = await Scenario.CreateAsync(server);
        var kms = Environment.GetEnvironmentVariable("S3SYNC_TEST_KMS_KEY_ID") is { Length: > 0 } id ? id : "s3sync-test-kms-1";
        var body = Bytes(17 * MiB, 43);
        var path = s.Write("big.bin", body);
        Run("touch", "-m", "-d", "2018-08-08 08:08:08 UTC", path);
        var site = s.LoadSite($"sse: aws:kms\nsse_kms_key_id: {kms}");
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "restored");
        site = site with { LocalPath = target };
        using var cache = S3Sync.State.HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        async Task<(SiteResult Result, int Reads)> RestoreAsync()
        {
            var counting = new CountingDigests();
            using var digests = new CachedDigestSource(cache, site.Name, counting);
            var result = await new SiteRestore(site, store, digests, new RestoreSettings(4, Owner: false), NullLogger.Instance).RunAsync(default);
            Assert.True(result.Status == SiteStatus.Done, string.Join("; ", result.Problems));
            return (result, counting.Reads);
        }

        // The ETag of an SSE-KMS object is no MD5: the stored whole-file MD5 proves the bytes, and the cache keeps it
        var (first, _) = await RestoreAsync();
        Assert.Equal(1L, first.Stats.Downloaded);
        Assert.Equal(body, File.ReadAllBytes(Path.Combine(target, "big.bin")));
        cache.Commit();
        Assert.Equal(16L, HashCacheFile.Md5Lengths(Path.Combine(s.Root, "state"))["big.bin"]);
        var (second, reads) = await RestoreAsync();
        Assert.Equal((0L, 1L, 0), (second.Stats.Downloaded, second.Stats.Unchanged, reads));
    }

    [Fact]
    public async Task Objects_of_another_tools_part_size_or_one_put_are_verified_and_the_next_restore_reads_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite() with { LocalPath = Path.Combine(s.Root, "restored") };
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        // 17 MiB in 5 MiB parts (4 parts; s3sync's own layout is 3 of 8 MiB), and 12 MiB in one PUT (a plain MD5 ETag)
        var parts = Bytes(17 * MiB, 41);
        var single = Bytes(12 * MiB, 42);
        // Both with an old mtime and a mode in their metadata: a file restored with an mtime of just now is rightly not
        // trusted by the hash cache for a second, which would make this test depend on how fast the server is.
        var metadata = new Dictionary<string, string> { [ObjectMetadata.MtimeKey] = ObjectMetadata.FormatMtime(1_600_000_000_123_456_789), [ObjectMetadata.ModeKey] = "644" };
        await server.PutMultipartAsync(s.Bucket, "five.bin", parts, 5 * MiB, metadata);
        var put = new PutObjectRequest { BucketName = s.Bucket, Key = "single.bin", InputStream = new MemoryStream(single), UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(single)) };
        foreach (var (name, value) in metadata) put.Metadata[name] = value;
        await server.Client.PutObjectAsync(put);
        using var cache = S3Sync.State.HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        async Task<(SiteResult Result, int Reads)> RestoreAsync()
        {
            var counting = new CountingDigests();
            using var digests = new CachedDigestSource(cache, site.Name, counting);
            var result = await new SiteRestore(site, store, digests, new RestoreSettings(4, Owner: false), NullLogger.Instance).RunAsync(default);
            Assert.True(result.Status == SiteStatus.Done, string.Join("; ", result.Problems));
            return (result, counting.Reads);
        }

        var (first, _) = await RestoreAsync();

        Assert.Equal(2, first.Stats.Downloaded);
        Assert.Equal(parts, File.ReadAllBytes(Path.Combine(site.LocalPath, "five.bin")));
        Assert.Equal(single, File.ReadAllBytes(Path.Combine(site.LocalPath, "single.bin")));
        Assert.Equal(1_600_000_000_123_456_700, (File.GetLastWriteTimeUtc(Path.Combine(site.LocalPath, "five.bin")) - DateTime.UnixEpoch).Ticks * 100);
        var (second, reads) = await RestoreAsync();
        Assert.Equal((0L, 2L, 0), (second.Stats.Downloaded, second.Stats.Unchanged, reads));
    }

    [Fact]
    public async Task An_mtime_stored_without_a_mode_as_rclone_does_is_restored_and_the_mode_comes_from_the_umask()
    {
        // Given an object as rclone uploads it: its modification time in x-amz-meta-mtime, no mode, no owner
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("bucket_path: from-rclone");
        var body = Bytes(1000, 51);
        var put = new PutObjectRequest { BucketName = s.Bucket, Key = "from-rclone/notes.txt", InputStream = new MemoryStream(body), UseChunkEncoding = false, MD5Digest = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(body)) };
        put.Metadata[ObjectMetadata.MtimeKey] = "1600000000.123456789";
        await server.Client.PutObjectAsync(put);
        var target = Path.Combine(s.Root, "restored");

        // When it is restored
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        // Then the file has that mtime (to the nanosecond), not the upload time, and the default mode
        Assert.True(run.ExitCode == 0, run.ToString());
        var path = Path.Combine(target, "notes.txt");
        Assert.Equal(body, File.ReadAllBytes(path));
        Assert.Equal("1600000000.123456789", Stat("%.9Y", path));
        Assert.Equal(Convert.ToString(0x1B6 & ~Umask(), 8), Stat("%a", path));
    }

    private static int Umask() => Convert.ToInt32(Run("sh", "-c", "umask").Trim(), 8);

    [Fact]
    public async Task Ad_hoc_sync_from_a_url_to_a_folder_restores_and_dry_run_prints_the_plan()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "alpha");
        s.Write("d/b.txt", "bravo");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");
        var env = new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = server.AccessKey, ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey, ["AWS_ENDPOINT_URL_S3"] = server.Endpoint };

        var dry = await Binary.RunAsync(["sync", $"s3://{s.Bucket}", target, "--dry-run"], env);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.True(dry.Output.Contains("(dryrun) download: a.txt\n", StringComparison.Ordinal) && dry.Output.Contains("(dryrun) download: d/b.txt\n", StringComparison.Ordinal), dry.ToString());
        Assert.False(Directory.Exists(target));

        var run = await Binary.RunAsync(["sync", $"s3://{s.Bucket}", target], env);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("bravo", File.ReadAllText(Path.Combine(target, "d/b.txt")));
    }

    [Fact]
    public async Task Local_only_files_are_kept_or_deleted_with_delete_under_the_guard()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 4; i++) s.Write($"f{i}.txt", $"{i}");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");
        Directory.CreateDirectory(target);
        for (var i = 0; i < 6; i++) File.WriteAllText(Path.Combine(target, $"extra{i}.txt"), "x");

        var kept = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Contains("kept 6", kept.Output);
        Assert.True(File.Exists(Path.Combine(target, "extra0.txt")));

        var refused = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--delete", "--max-delete", "5");
        Assert.True(refused.ExitCode == 4, refused.ToString());
        Assert.Contains("more than max_delete 5", refused.Output);
        Assert.Equal(6, Directory.EnumerateFiles(target, "extra*").Count());

        var deleted = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--delete", "--max-delete", "6");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Empty(Directory.EnumerateFiles(target, "extra*"));
        Assert.Equal(4, Directory.EnumerateFiles(target).Count());
    }

    [Fact]
    public async Task Hostile_keys_put_nothing_outside_the_target_and_are_reported()
    {
        using var s = await Scenario.CreateAsync(server);
        string[] hostile = ["../escaped.txt", "a/../../escaped2.txt", "/abs.txt", "a/./b.txt", "a//c.txt", "clash", "clash/below.txt", "ok/fine.txt", "marker/"];
        var stored = new List<string>();
        foreach (var key in hostile)
        {
            try { await server.PutAsync(s.Bucket, "p/" + key, "hostile"u8.ToArray()); stored.Add(key); }
            catch (Amazon.S3.AmazonS3Exception) { } // the server refused the key itself
        }
        var listed = (await server.ListAsync(s.Bucket)).Select(o => o.Key).ToList();
        Assert.Contains("p/ok/fine.txt", listed);
        Assert.Contains("p/clash/below.txt", listed);
        var target = Path.Combine(s.Root, "deep", "target");
        s.SiteConfig("bucket_path: p");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("clash/below.txt: not restored: 'clash' is also an object", run.Output);
        // Every file written is inside the target; the keys that can be files are there, the others are not
        var outside = Directory.EnumerateFiles(s.Root, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(s.Local + "/", StringComparison.Ordinal) && !p.StartsWith(Path.Combine(s.Root, "state") + "/", StringComparison.Ordinal) && p != s.ConfigPath)
            .Where(p => !p.StartsWith(target + "/", StringComparison.Ordinal));
        Assert.Empty(outside);
        Assert.Equal("hostile", File.ReadAllText(Path.Combine(target, "ok/fine.txt")));
        Assert.True(File.Exists(Path.Combine(target, "clash")));
        foreach (var key in listed.Select(k => k[2..]))
            Assert.Equal(RestorePath.TryParse(key, out _, out _) && key != "clash/below.txt", File.Exists(Path.Combine(target, key.TrimStart('/'))) && Path.GetFullPath(Path.Combine(target, key.TrimStart('/'))).StartsWith(target + "/", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(s.Root, "escaped.txt")));
        Assert.False(File.Exists(Path.Combine(s.Root, "deep", "escaped.txt")));
        Assert.False(File.Exists("/abs.txt"));
    }

    [Fact]
    public async Task An_object_replaced_out_of_band_with_the_same_size_is_downloaded_again()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("same.txt", "aaaa");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");
        Assert.Equal(0, (await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target)).ExitCode);

        await server.PutAsync(s.Bucket, "same.txt", "bbbb"u8.ToArray());
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("restored 1 files", run.Output);
        Assert.Equal("bbbb", File.ReadAllText(Path.Combine(target, "same.txt")));
    }

    [Fact]
    public async Task A_restore_interrupted_mid_way_and_run_again_gives_the_same_tree_with_no_temporary_files()
    {
        using var s = await Scenario.CreateAsync(server);
        WriteTree(s);
        var site = s.LoadSite();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "out");
        // A temporary file as a restore killed with SIGKILL leaves it
        Directory.CreateDirectory(Path.Combine(target, "big"));
        var leftover = Path.Combine(target, "big", TargetFolder.NewTempName());
        File.WriteAllBytes(leftover, Bytes(1000, 9));

        // Given a restore cancelled as its third download starts
        using var cts = new CancellationTokenSource();
        using (var store = new CancelOnGet(S3ObjectStore.ForSite(site, 4, 1), 3, cts))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new SiteRestore(site with { LocalPath = target }, store, DirectDigestSource.Instance, new RestoreSettings(2, false), NullLogger.Instance).RunAsync(cts.Token));
        }
        Assert.DoesNotContain(Directory.EnumerateFiles(target, ".s3sync-restore-*", SearchOption.AllDirectories), p => p != leftover);

        // When it runs again
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var key in Tree.Keys)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(s.Local, key)), File.ReadAllBytes(Path.Combine(target, key)));
            Assert.Equal(Stat("%a %y", Path.Combine(s.Local, key)), Stat("%a %y", Path.Combine(target, key)));
        }
        Assert.Empty(Directory.EnumerateFiles(target, ".s3sync-restore-*", SearchOption.AllDirectories));
        Assert.Equal(Tree.Count, Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).Count());
    }

    [Fact]
    public async Task Restore_at_a_time_on_a_versioned_bucket_gives_the_earlier_tree()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = s.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } });
        s.Write("kept.txt", "v1");
        s.Write("edited.txt", "v1");
        s.Write("deleted.txt", "v1");
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var at = (await server.ListAsync(s.Bucket)).Max(o => o.LastModified!.Value).ToUniversalTime();
        await Task.Delay(1100); // the next versions must carry a later Last-Modified than `at`
        File.WriteAllText(Path.Combine(s.Local, "edited.txt"), "v2 longer");
        File.Delete(Path.Combine(s.Local, "deleted.txt"));
        s.Write("added.txt", "new");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var target = Path.Combine(s.Root, "then");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--at", at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["deleted.txt", "edited.txt", "kept.txt"], Directory.EnumerateFiles(target).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "edited.txt")));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "deleted.txt")));
        var verifyThen = await s.RunAsync("verify", "-c", ConfigFor(s, target), "--at", at.ToString("o"));
        Assert.True(verifyThen.ExitCode == 0, verifyThen.ToString());
        var verifyNow = await s.RunAsync("verify", "-c", ConfigFor(s, target));
        Assert.True(verifyNow.ExitCode == 1, verifyNow.ToString());
    }

    [Fact]
    public async Task Restore_at_a_time_of_more_than_a_page_of_versions_lists_by_folder_and_gives_the_one_chains_tree()
    {
        // Given 1,210 files in 20 folders and the root on a versioned bucket, then a folder deleted and others rewritten
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = s.Bucket, VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled } });
        var then = new Dictionary<string, string>();
        for (var i = 0; i < 10; i++) then[$"root{i}.txt"] = $"root {i}";
        for (var f = 0; f < 20; f++)
            for (var i = 0; i < 60; i++) then[$"d{f:00}/f{i:000}.txt"] = $"{f} {i}";
        foreach (var (key, text) in then) s.Write(key, text);
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var at = (await server.ListAsync(s.Bucket)).Max(o => o.LastModified!.Value).ToUniversalTime();
        await Task.Delay(1100); // the next versions must carry a later Last-Modified than `at`
        Directory.Delete(Path.Combine(s.Local, "d03"), recursive: true);
        for (var i = 0; i < 60; i += 7) File.WriteAllText(Path.Combine(s.Local, "d05", $"f{i:000}.txt"), "rewritten");
        s.Write("d99/new.txt", "new");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        // The listing by folder against the one chain of versions, in process: the same versions, one chain per folder
        var site = s.LoadSite();
        using var store = new ChainsOfVersions(S3ObjectStore.ForSite(site, 4, 1));
        var split = new List<RemoteObject>();
        await foreach (var o in RangeListing.ListAtAsync(store, at, CancellationToken.None)) split.Add(o);
        var one = new List<RemoteObject>();
        await foreach (var o in store.Versions!.ListAtAsync(at, "", null, CancellationToken.None)) if (o.At == KeyAtTime.Present) one.Add(o);
        Assert.Equal(then.Count, one.Count);
        Assert.Equal(one.Select(o => (o.Key, o.VersionId, o.ETag)), split.Select(o => (o.Key, o.VersionId, o.ETag)));
        Assert.Equal(["", "", .. Enumerable.Range(0, 20).Select(f => $"d{f:00}/"), "d99/"], store.Unders.Order(StringComparer.Ordinal));

        // When the tree at that time is restored
        var target = Path.Combine(s.Root, "then");
        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target, "--at", at.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));

        // Then the disk holds exactly the tree of that time
        Assert.True(run.ExitCode == 0, run.ToString());
        var restored = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories).ToDictionary(p => Path.GetRelativePath(target, p), File.ReadAllText);
        Assert.Equal(then.OrderBy(p => p.Key, StringComparer.Ordinal), restored.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    /// <summary>Records the folder each chain of versions asks for ("" for the whole tree).</summary>
    private sealed class ChainsOfVersions(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Unders { get; } = new();

        public override IAsyncEnumerable<RemoteObject> ListAtAsync(DateTime at, string under, string? startAfter, CancellationToken cancellationToken)
        {
            Unders.Enqueue(under);
            return base.ListAtAsync(at, under, startAfter, cancellationToken);
        }
    }

    /// <summary>The scenario's config with local_path pointing at <paramref name="folder"/>.</summary>
    private static string ConfigFor(Scenario s, string folder)
    {
        var path = Path.Combine(s.Root, "restored.yml");
        File.WriteAllText(path, File.ReadAllText(s.ConfigPath).Replace($"local_path: {s.Local}", $"local_path: {folder}", StringComparison.Ordinal));
        return path;
    }

    [Fact]
    public async Task Preserved_links_to_files_folders_and_nowhere_come_back_as_the_same_links()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("dir/file.txt", "content");
        File.CreateSymbolicLink(Path.Combine(s.Local, "to-file"), "dir/file.txt");
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "to-dir"), "dir");
        File.CreateSymbolicLink(Path.Combine(s.Local, "dangling"), "/nowhere/ünïcødé");
        Run("touch", "-h", "-m", "-d", "2003-04-05 06:07:08.5 UTC", Path.Combine(s.Local, "to-file"));
        s.SiteConfig("symlinks: preserve");
        var sync = await s.SyncAsync();
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(["dangling", "dir/file.txt", "to-dir", "to-file"], await s.KeysAsync());
        Assert.Equal("dir/file.txt", System.Text.Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "to-file")));
        Assert.Contains("uploaded 0 files", (await s.SyncAsync()).Output); // links compare by target: nothing to do
        var target = Path.Combine(s.Root, "out");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("dir/file.txt", Run("readlink", Path.Combine(target, "to-file")));
        Assert.Equal("dir", Run("readlink", Path.Combine(target, "to-dir")));
        Assert.Equal("/nowhere/ünïcødé", Run("readlink", Path.Combine(target, "dangling")));
        Assert.Equal(Stat("%y", Path.Combine(s.Local, "to-file")).Replace("'", ""), Run("stat", "-c", "%y", Path.Combine(target, "to-file")));
        Assert.Equal("content", File.ReadAllText(Path.Combine(target, "to-file")));
        var again = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);
        Assert.Contains("restored 0 files", again.Output);
    }

    [Fact]
    public async Task Followed_links_upload_the_targets_content_and_restore_as_files()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("dir/file.txt", "content");
        File.CreateSymbolicLink(Path.Combine(s.Local, "to-file"), "dir/file.txt");
        Directory.CreateSymbolicLink(Path.Combine(s.Local, "to-dir"), "dir");
        s.SiteConfig("symlinks: follow");
        var sync = await s.SyncAsync();
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal(["dir/file.txt", "to-dir/file.txt", "to-file"], await s.KeysAsync());
        var target = Path.Combine(s.Root, "out");

        var run = await s.RunAsync("restore", "-c", s.ConfigPath, "--to", target);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("content", File.ReadAllText(Path.Combine(target, "to-file")));
        Assert.False(new FileInfo(Path.Combine(target, "to-file")).Attributes.HasFlag(FileAttributes.ReparsePoint));
        Assert.Equal("content", File.ReadAllText(Path.Combine(target, "to-dir/file.txt")));
    }

    private static string Stat(string format, string path) => Run("stat", "-c", format, path);

    private static string Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
        return text;
    }

    /// <summary>Cancels the run as the n-th GET starts: the seam for an interrupted restore.</summary>
    private sealed class CancelOnGet(IObjectStore inner, int n, CancellationTokenSource cts) : DelegatingObjectStore(inner)
    {
        private int _gets;

        public override Task<ObjectDownload> GetAsync(string key, long offset, long? length, string? ifMatch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _gets) == n) cts.Cancel();
            return base.GetAsync(key, offset, length, ifMatch, cancellationToken);
        }
    }
}
