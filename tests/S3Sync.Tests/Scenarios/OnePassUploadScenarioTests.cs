using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// A new large file goes up in one read pass (issue 16): part MD5s computed as the parts are read, no whole-file MD5 in
/// the metadata, s3sync's part size recorded; a file that changes meanwhile is never completed.
/// </summary>
[Collection("s3")]
public sealed class OnePassUploadScenarioTests(S3ServerFixture server)
{
    private const int Part = 8 * 1024 * 1024;

    private static byte[] RandomBody(int size, int seed)
    {
        var body = new byte[size];
        new Random(seed).NextBytes(body);
        return body;
    }

    private static string OwnETag(byte[] body) => ETag.FromParts([.. body.Chunk(Part).Select(MD5.HashData)]);

    /// <summary>A user metadata value of a HEAD, or null (names as the server returns them, prefixed).</summary>
    private async Task<string?> MetaAsync(string bucket, string key, string name)
    {
        var head = await server.Client.GetObjectMetadataAsync(bucket, key);
        return head.Metadata.Keys.FirstOrDefault(k => k.Equals(UploadHeaders.MetaPrefix + name, StringComparison.OrdinalIgnoreCase)) is { } found ? head.Metadata[found] : null;
    }

    private static async Task<(SiteResult Result, int Reads)> SyncAsync(Site site, IObjectStore store, HashCache cache, Uploader? pool = null, SettingsLedger? ledger = null)
    {
        var counting = new CountingDigests();
        using var digests = new CachedDigestSource(cache, site.Name, counting, time: new LaterClock());
        var result = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4, Ledger = ledger }, NullLogger.Instance, pool: pool).RunAsync(default);
        return (result, counting.Reads);
    }

    [Fact]
    public async Task A_new_large_file_goes_up_in_one_read_pass_with_its_part_size_and_no_whole_md5()
    {
        using var s = await Scenario.CreateAsync(server);
        var body = RandomBody(2 * Part + 12345, 1);
        s.Write("big.bin", body);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // When a sync uploads the new file
        var (result, reads) = await SyncAsync(site, store, cache);

        // Then nothing hashed it before the upload (the part workers' reads are the only ones)
        Assert.Equal((SiteStatus.Done, 1L, 0), (result.Status, result.Stats.Uploaded, reads));
        // And the object is the file, by its multipart ETag at s3sync's part size and by its bytes
        var listed = Assert.Single(await server.ListAsync(s.Bucket));
        Assert.Equal(OwnETag(body), ETag.Normalize(listed.ETag));
        Assert.Equal(body, await server.GetAsync(s.Bucket, "big.bin"));
        // With the part size recorded, the file metadata, and no whole-file MD5 (it was never computed)
        Assert.Equal("8388608", await MetaAsync(s.Bucket, "big.bin", UploadHeaders.PartSizeKey));
        Assert.NotNull(await MetaAsync(s.Bucket, "big.bin", ObjectMetadata.MtimeKey));
        Assert.Null(await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.FingerprintKey));
        Assert.Null(await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.RcloneMd5Key));

        // And the part MD5s were remembered: the next sync reads nothing
        var (again, againReads) = await SyncAsync(site, store, cache);
        Assert.Equal((0L, 1L, 0), (again.Stats.Uploaded, again.Stats.Unchanged, againReads));
    }

    [Fact]
    public async Task A_changed_large_file_hashed_to_compare_keeps_its_whole_md5_in_the_metadata()
    {
        using var s = await Scenario.CreateAsync(server);
        var old = RandomBody(2 * Part + 1, 2);
        var body = RandomBody(2 * Part + 1, 3);
        await server.PutAsync(s.Bucket, "big.bin", old); // one PUT: its ETag is the MD5, one read compares
        s.Write("big.bin", body);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // When the file (same size, other content) is compared, then uploaded
        var (result, reads) = await SyncAsync(site, store, cache);

        // Then it was read once to compare, and that digest went up: no second hash
        Assert.Equal((SiteStatus.Done, 1L, 1), (result.Status, result.Stats.Uploaded, reads));
        Assert.Equal(OwnETag(body), ETag.Normalize(Assert.Single(await server.ListAsync(s.Bucket)).ETag));
        Assert.Equal(body, await server.GetAsync(s.Bucket, "big.bin"));
        // And the whole MD5 that was known is in the metadata, s3sync's and rclone's, with the part size
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.FingerprintKey));
        Assert.Equal(Convert.ToBase64String(MD5.HashData(body)), await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.RcloneMd5Key));
        Assert.Equal("8388608", await MetaAsync(s.Bucket, "big.bin", UploadHeaders.PartSizeKey));
    }

    [Fact]
    public async Task On_an_sse_kms_site_a_new_large_file_is_hashed_first_so_that_its_whole_md5_proves_it()
    {
        using var s = await Scenario.CreateAsync(server);
        var body = RandomBody(Part + 5, 6);
        s.Write("big.bin", body);
        var kms = Environment.GetEnvironmentVariable("S3SYNC_TEST_KMS_KEY_ID") is { Length: > 0 } id ? id : "s3sync-test-kms-1";
        var site = s.LoadSite($"sse: aws:kms\nsse_kms_key_id: {kms}");
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        var (result, reads) = await SyncAsync(site, store, cache);

        // The ETag of an SSE-KMS object is no MD5: the whole MD5 went in the metadata, so the file was hashed first
        Assert.Equal((SiteStatus.Done, 1L, 1), (result.Status, result.Stats.Uploaded, reads));
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.FingerprintKey));
        Assert.Equal("8388608", await MetaAsync(s.Bucket, "big.bin", UploadHeaders.PartSizeKey));
        Assert.Equal(body, await server.GetAsync(s.Bucket, "big.bin"));
        var (again, againReads) = await SyncAsync(site, store, cache);
        Assert.Equal((0L, 1L, 0), (again.Stats.Uploaded, again.Stats.Unchanged, againReads));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_file_rewritten_while_its_parts_go_up_is_never_completed(bool mtimePutBack)
    {
        using var s = await Scenario.CreateAsync(server);
        var body = RandomBody(3 * Part + 7, 4);
        var path = s.Write("big.bin", body);
        var mtime = File.GetLastWriteTimeUtc(path);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        var rewrites = 0;
        // After the first part was read (on every attempt), the file is rewritten in place: same size, new content,
        // and (second case) its mtime put back as it was, so that only the ctime tells.
        await using var pool = new Uploader(4, 8, NullLogger.Instance)
        {
            AfterPartRead = (file, index) =>
            {
                if (index != 0) return;
                using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
                    stream.Write(RandomBody(body.Length, 100 + Interlocked.Increment(ref rewrites)));
                if (mtimePutBack) File.SetLastWriteTimeUtc(file, mtime);
            },
        };

        var (result, _) = await SyncAsync(site, store, cache, pool);

        // Then the upload is reported failed as changed while read, and nothing was stored, mixed or not
        Assert.True(rewrites >= 1);
        Assert.Equal((0L, 1L), (result.Stats.Uploaded, result.Stats.Failed));
        Assert.Contains(result.Problems, p => p.Contains("changed while it was uploaded", StringComparison.Ordinal));
        Assert.Empty(await server.ListAsync(s.Bucket));
        Assert.Empty(await server.OpenUploadsAsync(s.Bucket));
    }

    [Fact]
    public async Task A_settings_copy_of_an_object_known_by_its_parts_keeps_the_fingerprint_it_has_and_reads_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        var body = RandomBody(Part + 99, 5);
        var path = s.Write("big.bin", body);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        // Given an object with a fingerprint, and a cache row of the file's part MD5s alone (as a restore leaves it)
        var md5 = Convert.ToHexStringLower(MD5.HashData(body));
        await server.PutMultipartAsync(s.Bucket, "big.bin", body, Part, new Dictionary<string, string> { [S3ObjectStore.FingerprintKey] = md5 });
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        var ledger = new SettingsLedger(Path.Combine(s.Root, "state"));
        using (var source = new CachedDigestSource(cache, site.Name, new CountingDigests(), time: new LaterClock()))
        {
            var entry = new Local.LocalEntry("big.bin", path, body.Length, File.GetLastWriteTimeUtc(path));
            source.Remember(entry, source.BeforeRead(entry)!, new FileDigest(body.Length, null, Part, [.. body.Chunk(Part).Select(MD5.HashData)], new Dictionary<long, string>()));
        }
        var (first, firstReads) = await SyncAsync(site, store, cache, ledger: ledger);
        Assert.Equal((1L, 0), (first.Stats.Unchanged, firstReads));

        // When the site's headers change, so the object is rewritten in place by a copy
        var changed = s.LoadSite("headers:\n- match: '\\.bin$'\n  cache_control: max-age=60");
        var (result, reads) = await SyncAsync(changed, store, cache, ledger: ledger);

        // Then no file was read, the copy has the new header, and the object's fingerprint is kept
        Assert.Equal((1L, 0L, 0), (result.Stats.ChangedInPlace, result.Stats.Uploaded, reads));
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "big.bin");
        Assert.Equal("max-age=60", head.Headers.CacheControl);
        Assert.Equal(md5, await MetaAsync(s.Bucket, "big.bin", S3ObjectStore.FingerprintKey));
        Assert.Equal("8388608", await MetaAsync(s.Bucket, "big.bin", UploadHeaders.PartSizeKey));
        Assert.Equal(body, await server.GetAsync(s.Bucket, "big.bin"));
    }
}
