using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary>The hash cache on real files and a real SQLite database: when it answers, when it must read again.</summary>
public sealed class HashCacheTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "s3sync-cache-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly List<string> _warnings = [];
    private readonly CountingDigests _inner = new();

    public HashCacheTests() => Directory.CreateDirectory(Path.Combine(_root, "data"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    private string StateDir => Path.Combine(_root, "state");

    private HashCache Open(int commitBatch = 1000) => HashCache.Open(StateDir, _warnings.Add, commitBatch)!;

    /// <summary>The clock an hour ahead: every file looks old enough to be trusted (no racy window).</summary>
    private CachedDigestSource Source(HashCache? cache, bool rehash = false, TimeProvider? time = null) =>
        new(cache, "site", _inner, rehash, time ?? new LaterClock());

    private LocalEntry Write(string key, byte[] content)
    {
        var path = Path.Combine(_root, "data", key);
        File.WriteAllBytes(path, content);
        var info = new FileInfo(path);
        return new LocalEntry(key, path, info.Length, info.LastWriteTimeUtc);
    }

    private static LocalEntry Refresh(LocalEntry e)
    {
        var info = new FileInfo(e.FullPath);
        return e with { Size = info.Length, LastWriteUtc = info.LastWriteTimeUtc };
    }

    private static string Md5(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));

    [Theory]
    [InlineData(1_500, 1_500)] // more than 1,000 rows over the 10 files: every gone file is forgotten
    [InlineData(900, 0)]       // within the slack: nothing is even looked at
    public async Task Rows_of_gone_files_are_forgotten_once_they_clearly_outnumber_the_files(int gone, int forgotten)
    {
        var live = Enumerable.Range(0, 10).Select(i => Write($"live-{i}.txt", [(byte)i])).ToList();
        using (var cache = Open())
        {
            var source = Source(cache);
            foreach (var e in live) await source.GetAsync(e, [], default);
            for (var i = 0; i < gone; i++)
            {
                var e = Write($"gone-{i:D4}.txt", [1, 2, 3]);
                await source.GetAsync(e, [], default);
                File.Delete(e.FullPath);
            }

            Assert.Equal(forgotten, source.ForgetGone(live.Count, key => File.Exists(Path.Combine(_root, "data", key))));
        }

        using var reopened = Open();
        Assert.Equal(live.Count + gone - forgotten, HashCacheFile.Rows(StateDir));
        var again = Source(reopened);
        foreach (var e in live) await again.GetAsync(e, [], default);
        Assert.Equal(live.Count, again.Hits); // the live files' rows are kept
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task Unchanged_file_is_answered_from_the_cache_without_a_read()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        using (var cache = Open()) await Source(cache).GetAsync(entry, [], default);
        Assert.Equal(1, _inner.Reads);

        using var reopened = Open();
        var source = Source(reopened);
        var digest = await source.GetAsync(entry, [], default);

        Assert.Equal(1, _inner.Reads);
        Assert.Equal((1, 0), (source.Hits, source.Hashed));
        Assert.Equal(Md5("hello"u8.ToArray()), digest.Md5Hex);
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task File_rewritten_with_same_size_and_restored_mtime_is_read_again()
    {
        var entry = Write("a.txt", "aaaa"u8.ToArray());
        var mtime = File.GetLastWriteTimeUtc(entry.FullPath);
        using var cache = Open();
        await Source(cache).GetAsync(entry, [], default);

        File.WriteAllBytes(entry.FullPath, "bbbb"u8.ToArray());
        File.SetLastWriteTimeUtc(entry.FullPath, mtime); // the ctime moves all the same
        var digest = await Source(cache).GetAsync(Refresh(entry), [], default);

        Assert.Equal(2, _inner.Reads);
        Assert.Equal(Md5("bbbb"u8.ToArray()), digest.Md5Hex);
    }

    [Fact]
    public async Task File_replaced_by_a_rename_is_read_again()
    {
        var entry = Write("a.txt", "aaaa"u8.ToArray());
        using var cache = Open();
        await Source(cache).GetAsync(entry, [], default);

        var other = Write("b.tmp", "cccc"u8.ToArray());
        File.SetLastWriteTimeUtc(other.FullPath, File.GetLastWriteTimeUtc(entry.FullPath));
        File.Move(other.FullPath, entry.FullPath, overwrite: true);
        var digest = await Source(cache).GetAsync(Refresh(entry), [], default);

        Assert.Equal(2, _inner.Reads);
        Assert.Equal(Md5("cccc"u8.ToArray()), digest.Md5Hex);
    }

    [Fact]
    public async Task Rehash_reads_every_file_and_rewrites_the_cache()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        using var cache = Open();
        await Source(cache).GetAsync(entry, [], default);

        var rehash = Source(cache, rehash: true);
        await rehash.GetAsync(entry, [], default);

        Assert.Equal(2, _inner.Reads);
        Assert.Equal((0, 1), (rehash.Hits, rehash.Hashed));
    }

    // A file hashed within the racy margin of its last write: RacyMarginTests.A_file_written_again_within_the_tick_of_its_hash_is_read_again.

    [Fact]
    public async Task Rows_are_committed_as_the_run_goes_so_a_killed_run_keeps_them()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        var running = Open(commitBatch: 1);
        await Source(running).GetAsync(entry, [], default);

        // The first run never closes (as if killed); another process opens the database.
        using var other = Open();
        var source = Source(other);
        await source.GetAsync(entry, [], default);

        Assert.Equal(1, source.Hits);
        running.Dispose();
    }

    [Fact]
    public async Task A_row_is_committed_by_a_one_shot_timer_within_the_interval_and_an_idle_cache_arms_none()
    {
        // Given a cache whose batch is never full
        var entry = Write("a.txt", "hello"u8.ToArray());
        using var running = Open();
        Assert.False(running.CommitArmed);

        // When one row is written and nothing else happens
        await Source(running).GetAsync(entry, [], default);
        Assert.True(running.CommitArmed);

        // Then another process sees it once the timer fired (within the interval, polled with a deadline), and the
        // timer is not armed again while nothing is pending: an idle watch is not woken by it
        var fingerprint = FileFingerprint.TryRead(entry.FullPath)!.Value;
        var deadline = DateTime.UtcNow + HashCache.CommitInterval * 10;
        var seen = false;
        while (!(seen && !running.CommitArmed) && DateTime.UtcNow < deadline)
        {
            using var other = Open();
            seen = other.TryGet("site", "a.txt", fingerprint) is not null; // a look only: it writes nothing
            if (!(seen && !running.CommitArmed)) await Task.Delay(50);
        }
        Assert.True(seen, "the row was not committed within ten intervals");
        Assert.False(running.CommitArmed, "the timer is still armed with nothing pending");
    }

    [Fact]
    public async Task Damaged_database_is_reported_once_and_bypassed()
    {
        Directory.CreateDirectory(StateDir);
        await File.WriteAllBytesAsync(Path.Combine(StateDir, HashCache.FileName), RandomNumberGenerator.GetBytes(8192));
        var entry = Write("a.txt", "hello"u8.ToArray());

        var cache = HashCache.Open(StateDir, _warnings.Add);
        var source = Source(cache);
        var first = await source.GetAsync(entry, [], default);
        var second = await source.GetAsync(entry, [], default);

        Assert.Null(cache);
        var warning = Assert.Single(_warnings);
        Assert.Contains("hashes.db cannot be used", warning);
        Assert.Equal(2, _inner.Reads);
        Assert.Equal(Md5("hello"u8.ToArray()), second.Md5Hex);
        Assert.Equal(first.Md5Hex, second.Md5Hex);
    }

    [Fact]
    public void Unusable_state_dir_is_reported_and_bypassed()
    {
        File.WriteAllText(Path.Combine(_root, "not-a-dir"), "");

        var cache = HashCache.Open(Path.Combine(_root, "not-a-dir", "state"), _warnings.Add);

        Assert.Null(cache);
        Assert.Contains("cannot be used", Assert.Single(_warnings));
    }

    [Fact]
    public async Task Damaged_row_is_never_trusted()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        using (var cache = Open()) await Source(cache).GetAsync(entry, [], default);
        using (var db = new SqliteConnection($"Data Source={Path.Combine(StateDir, HashCache.FileName)};Pooling=False"))
        {
            db.Open();
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE digests SET md5 = zeroblob(16)";
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        using var reopened = Open();
        var digest = await Source(reopened).GetAsync(entry, [], default);

        Assert.Equal(2, _inner.Reads);
        Assert.Equal(Md5("hello"u8.ToArray()), digest.Md5Hex);
        Assert.Contains("damaged row", Assert.Single(_warnings));
    }

    [Fact]
    public async Task Other_part_sizes_asked_for_are_added_to_the_row()
    {
        var content = new byte[12 * 1024 * 1024];
        new Random(1).NextBytes(content);
        var entry = Write("big.bin", content);
        using var cache = Open();
        await Source(cache).GetAsync(entry, [], default);

        var withFive = await Source(cache).GetAsync(entry, [5 * ETag.MiB], default);
        var again = Source(cache);
        var both = await again.GetAsync(entry, [5 * ETag.MiB], default);

        Assert.Equal(2, _inner.Reads);
        Assert.Equal(1, again.Hits);
        Assert.Equal(withFive.OtherETags[5 * ETag.MiB], both.OtherETags[5 * ETag.MiB]);
        Assert.Equal(ETag.FromParts([.. content.Chunk(8 * 1024 * 1024).Select(MD5.HashData)]), both.OwnETag);
    }

    [Fact]
    public async Task Digest_remembered_by_the_uploader_is_used_next_time()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        using var cache = Open();
        var source = Source(cache);
        var stamp = source.BeforeRead(entry)!;
        source.Remember(entry, stamp, new FileDigest(5, MD5.HashData("hello"u8), 0, [], new Dictionary<long, string>()));

        var digest = await Source(cache).GetAsync(entry, [], default);

        Assert.Equal(0, _inner.Reads);
        Assert.Equal(Md5("hello"u8.ToArray()), digest.Md5Hex);
    }

    /// <summary>A digest of part MD5s alone, as a one-pass upload or a restore of a large file remembers it.</summary>
    private static FileDigest PartsOnly(byte[] content) =>
        new(content.Length, null, 8 * ETag.MiB, [.. content.Chunk(8 * 1024 * 1024).Select(MD5.HashData)], new Dictionary<long, string>());

    [Fact]
    public async Task Row_without_the_whole_md5_answers_a_multipart_comparison_without_a_read_and_is_completed_when_it_is_asked_for()
    {
        var content = new byte[12 * 1024 * 1024];
        new Random(2).NextBytes(content);
        var entry = Write("big.bin", content);
        using (var cache = Open())
        {
            var source = Source(cache);
            source.Remember(entry, source.BeforeRead(entry)!, PartsOnly(content));
        }

        using var reopened = Open();
        var parts = await Source(reopened).GetAsync(entry, [], default);
        Assert.Equal((0, false, true), (_inner.Reads, parts.HasMd5, parts.FromCache));
        Assert.Null(parts.Md5Hex);
        Assert.Equal(ETag.FromParts([.. content.Chunk(8 * 1024 * 1024).Select(MD5.HashData)]), parts.OwnETag);
        Assert.True(parts.Matches(parts.OwnETag));

        // Asked for the whole MD5: one read, then the completed row answers
        var whole = await Source(reopened).GetAsync(entry, [], wholeMd5: true, default);
        var again = await Source(reopened).GetAsync(entry, [], wholeMd5: true, default);
        Assert.Equal(1, _inner.Reads);
        Assert.Equal((Md5(content), Md5(content)), (whole.Md5Hex, again.Md5Hex));
        Assert.True(again.FromCache);
        Assert.Empty(_warnings);
    }

    [Fact]
    public async Task Damaged_row_without_the_whole_md5_is_a_miss()
    {
        var content = new byte[9 * 1024 * 1024];
        new Random(3).NextBytes(content);
        var entry = Write("big.bin", content);
        using (var cache = Open())
        {
            var source = Source(cache);
            source.Remember(entry, source.BeforeRead(entry)!, PartsOnly(content));
        }
        using (var db = new SqliteConnection($"Data Source={Path.Combine(StateDir, HashCache.FileName)};Pooling=False"))
        {
            db.Open();
            using var update = db.CreateCommand();
            update.CommandText = "UPDATE digests SET part_md5s = zeroblob(32)";
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        using var reopened = Open();
        var digest = await Source(reopened).GetAsync(entry, [], default);

        Assert.Equal(1, _inner.Reads);
        Assert.Equal(Md5(content), digest.Md5Hex);
        Assert.Contains("damaged row", Assert.Single(_warnings));
    }

    [Fact]
    public async Task Row_of_a_small_file_without_its_md5_is_refused()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        using (var cache = Open())
        {
            var source = Source(cache);
            source.Remember(entry, source.BeforeRead(entry)!, new FileDigest(5, null, 0, [], new Dictionary<long, string>()));
        }

        using var reopened = Open();
        var digest = await Source(reopened).GetAsync(entry, [], default);

        Assert.Equal(1, _inner.Reads);
        Assert.Equal(Md5("hello"u8.ToArray()), digest.Md5Hex);
        Assert.Empty(_warnings); // not damaged (its checksum holds): refused by the rule
    }

    [Fact]
    public async Task Scan_in_key_order_and_lookups_out_of_order_give_the_same_answers()
    {
        var keys = new[] { "a-b", "a/x", "a0", "b", "\u00e9", "\ud83d\ude00" }.Select(k => System.Text.RegularExpressions.Regex.Unescape(k)).ToArray();
        var entries = keys.Select((k, i) => Write($"f{i}", [(byte)i])).Select((e, i) => e with { Key = keys[i] }).ToList();
        using (var cache = Open()) foreach (var e in entries.Where(e => e.Key != "b")) await Source(cache).GetAsync(e, [], default);
        var readsBefore = _inner.Reads;

        using var reopened = Open();
        using var source = Source(reopened);
        foreach (var e in entries) await source.GetAsync(e, [], default);         // in order: one scan
        await source.GetAsync(entries[0], [], default);                           // behind the cursor: a point query
        await source.GetAsync(entries[3], [], default);                           // "b" was never cached, now it is

        Assert.Equal(keys.Length - 1 + 1 + 1, source.Hits);
        Assert.Equal(readsBefore + 1, _inner.Reads);
    }

    [Fact]
    public void Fingerprint_reads_inode_size_and_nanosecond_times()
    {
        var entry = Write("a.txt", "hello"u8.ToArray());
        var when = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567);
        File.SetLastWriteTimeUtc(entry.FullPath, when);

        var fp = FileFingerprint.TryRead(entry.FullPath)!.Value;

        Assert.Equal(5, fp.Size);
        Assert.NotEqual(0UL, fp.Inode);
        Assert.Equal((when - DateTime.UnixEpoch).Ticks * 100, fp.MtimeNs);
        Assert.True(fp.CtimeNs > fp.MtimeNs);
        Assert.Null(FileFingerprint.TryRead(Path.Combine(_root, "missing")));
    }
}
