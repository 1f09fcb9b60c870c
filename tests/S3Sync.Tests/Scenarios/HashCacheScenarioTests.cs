using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>sync with the hash cache against the real server: what is read, what is uploaded.</summary>
[Collection("s3")]
public sealed class HashCacheScenarioTests(S3ServerFixture server)
{
    [Fact]
    public async Task Resync_of_an_unchanged_tree_reads_no_file_content()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("a.txt", "alpha");
        s.Write("dir/b.txt", "bravo");
        var big = new byte[9 * 1024 * 1024];
        new Random(7).NextBytes(big);
        s.Write("dir/big.bin", big);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 6, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // Given a first sync that uploaded everything (the uploader remembers what it sent)
        var (first, firstReads) = await SyncAsync(site, store, cache);
        Assert.Equal(3, first.Stats.Uploaded);

        // When nothing changed, the second sync reads no file
        var (second, secondReads) = await SyncAsync(site, store, cache);
        Assert.Equal((0, 3L, 0), (second.Stats.Uploaded, second.Stats.Unchanged, secondReads));

        // And a same-size rewrite with its mtime restored is read and uploaded all the same
        var path = Path.Combine(s.Local, "a.txt");
        var mtime = File.GetLastWriteTimeUtc(path);
        File.WriteAllText(path, "ALPHA");
        File.SetLastWriteTimeUtc(path, mtime);
        var (third, thirdReads) = await SyncAsync(site, store, cache);
        Assert.Equal((1L, 1), (third.Stats.Uploaded, thirdReads));
        var listed = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData("ALPHA"u8)), ETag.Normalize(listed["a.txt"].ETag));
        Assert.True(firstReads <= 1, $"the first sync hashed {firstReads} files (only the multipart one needs it)");
    }

    [Fact]
    public async Task Sync_forgets_the_rows_of_files_that_are_gone_once_they_clearly_outnumber_the_files()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 1_010; i++) s.Write($"f/{i:D4}.txt", $"{i}");
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 16, 2);
        var state = Path.Combine(s.Root, "state");
        using var cache = HashCache.Open(state, w => Assert.Fail(w))!;

        // Given a sync that remembered every file it uploaded
        using var firstDigests = new CachedDigestSource(cache, site.Name, DirectDigestSource.Instance);
        var first = await new SiteSync(site, store, firstDigests, new SyncSettings { Workers = 16 }, NullLogger.Instance).RunAsync(default);
        Assert.Equal((SiteStatus.Done, 1_010L, 1_010L), (first.Status, first.Stats.Uploaded, HashCacheFile.Rows(state)));

        // When all but 5 files are deleted locally (retire_deleted off: the objects stay)
        for (var i = 5; i < 1_010; i++) File.Delete(Path.Combine(s.Local, "f", $"{i:D4}.txt"));
        using var secondDigests = new CachedDigestSource(cache, site.Name, DirectDigestSource.Instance);
        var second = await new SiteSync(site, store, secondDigests, new SyncSettings { Workers = 16 }, NullLogger.Instance).RunAsync(default);

        // Then the next complete sync forgets their 1,005 rows and keeps the 5
        Assert.Equal((SiteStatus.Done, 5L), (second.Status, second.Stats.Unchanged));
        Assert.Equal(5, HashCacheFile.Rows(state));
    }

    private static async Task<(SiteResult Result, int Reads)> SyncAsync(Site site, IObjectStore store, HashCache cache)
    {
        var counting = new CountingDigests();
        var digests = new CachedDigestSource(cache, site.Name, counting, time: new LaterClock());
        var result = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
        Assert.Equal(SiteStatus.Done, result.Status);
        return (result, counting.Reads);
    }

}

/// <summary>The signed PUT that replaces the SDK for small files: same object, same headers, on the real server.</summary>
[Collection("s3")]
public sealed class SignedPutScenarioTests(S3ServerFixture server)
{
    [Theory]
    [InlineData("plain.txt", true)]
    [InlineData("dir/日本語 ünïcødé.html", true)]
    [InlineData("signs/a+b%20c%=&?#;,'!*()[]~.css", true)]
    [InlineData("signs/a+b%20c%=&?#;,'!*()[]~.css", false)]
    public async Task Put_stores_the_body_md5_fingerprint_type_and_class_signed_or_by_the_sdk(string key, bool signed)
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite("storage_class: STANDARD_IA");
        using var store = S3ObjectStore.ForSite(site, 4, 1, null, signed);
        var body = "<p>hello</p>"u8.ToArray();
        var md5 = MD5.HashData(body);

        await store.PutAsync(key, body, md5, new UploadHeaders("STANDARD_IA", "text/html", Convert.ToHexStringLower(md5)), default);

        Assert.True(store.SignedPutActive == signed, "the signed PUT was refused and the SDK took over");
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, key);
        Assert.Equal(Convert.ToHexStringLower(md5), ETag.Normalize(head.ETag));
        Assert.Equal("text/html", head.Headers.ContentType);
        Assert.Equal(Convert.ToHexStringLower(md5), head.Metadata[S3ObjectStore.FingerprintKey]);
        Assert.Equal("STANDARD_IA", head.StorageClass?.Value);
        Assert.Equal(body, await server.GetAsync(s.Bucket, key));
    }

    [Fact]
    public async Task Signed_put_with_a_wrong_md5_fails_as_bad_digest()
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 1);

        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.PutAsync("k", "abc"u8.ToArray(), MD5.HashData("abd"u8), new UploadHeaders("STANDARD", "text/plain", "00"), default));

        Assert.Equal(StoreErrorKind.BadDigest, e.Kind);
        Assert.Equal("BadDigest", e.Code);
        Assert.True(store.SignedPutActive);
    }
}

/// <summary>The signed part upload (UNSIGNED-PAYLOAD, signed Content-MD5) that replaces the SDK for multipart parts.</summary>
[Collection("s3")]
public sealed class SignedPartScenarioTests(S3ServerFixture server)
{
    [Theory]
    [InlineData("big.bin", true)]
    [InlineData("dir/日本語 a+b%20c=&?#.bin", true)]
    [InlineData("dir/日本語 a+b%20c=&?#.bin", false)]
    public async Task Parts_store_the_bytes_and_the_multipart_etag_signed_or_by_the_sdk(string key, bool signed)
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 1, null, signed);
        var body = new byte[5 * 1024 * 1024 + 1234];
        new Random(3).NextBytes(body);
        var parts = new[] { body.AsMemory(0, 5 * 1024 * 1024), body.AsMemory(5 * 1024 * 1024) };
        var md5s = parts.Select(p => MD5.HashData(p.Span)).ToArray();

        var uploadId = await store.StartMultipartAsync(key, new UploadHeaders("STANDARD", "application/octet-stream", Convert.ToHexStringLower(MD5.HashData(body))), default);
        var etags = new List<(int, string)>();
        for (var i = 0; i < parts.Length; i++)
            etags.Add((i + 1, await store.UploadPartAsync(key, uploadId, i + 1, parts[i], md5s[i], default)));
        await store.CompleteMultipartAsync(key, uploadId, etags, default);

        Assert.True(store.SignedPartsActive == signed, "the signed part upload was refused and the SDK took over");
        Assert.Equal([.. md5s.Select(Convert.ToHexStringLower)], etags.Select(e => ETag.Normalize(e.Item2)).ToArray());
        var listed = Assert.Single(await server.ListAsync(s.Bucket));
        Assert.Equal(ETag.FromParts(md5s), ETag.Normalize(listed.ETag));
        Assert.Equal(body, await server.GetAsync(s.Bucket, key));
        // The whole-file MD5 in the metadata twice: s3sync's, and under rclone's name so that `rclone check` can verify it.
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, key);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), head.Metadata[S3ObjectStore.FingerprintKey]);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(body)), head.Metadata[S3ObjectStore.RcloneMd5Key]);
    }

    [Fact]
    public async Task Signed_part_with_a_wrong_md5_fails_as_bad_digest()
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 1);
        var uploadId = await store.StartMultipartAsync("k", new UploadHeaders("STANDARD", "text/plain", "00"), default);

        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.UploadPartAsync("k", uploadId, 1, "abc"u8.ToArray(), MD5.HashData("abd"u8), default));

        Assert.Equal(StoreErrorKind.BadDigest, e.Kind);
        Assert.Equal("BadDigest", e.Code);
        Assert.True(store.SignedPartsActive);
        await store.AbortMultipartAsync("k", uploadId, default);
    }
}

/// <summary>Multipart parts carry the MD5 from when the file was hashed; the server refuses bytes that changed since.</summary>
[Collection("s3")]
public sealed class MultipartChangeScenarioTests(S3ServerFixture server)
{
    [Fact]
    public async Task File_changed_after_hashing_is_uploaded_again_with_its_new_content()
    {
        using var s = await Scenario.CreateAsync(server);
        var old = new byte[9 * 1024 * 1024];
        new Random(1).NextBytes(old);
        var path = s.Write("big.bin", old);
        var site = s.LoadSite();
        var stale = await FileHasher.HashAsync(path, null, default);
        var fresh = (byte[])old.Clone();
        fresh[5 * 1024 * 1024] ^= 0xFF; // same size, second part differs
        File.WriteAllBytes(path, fresh);
        using var store = S3ObjectStore.ForSite(site, 6, 1);
        var results = new List<UploadResult>();

        await using (var uploader = new Uploader(site, store, 4, 0, NullLogger.Instance, default))
        {
            uploader.Completed += r => { lock (results) results.Add(r); };
            var info = new FileInfo(path);
            await uploader.EnqueueAsync(new PlanEntry("big.bin", ChangeReason.Missing, PlanAction.Upload, new LocalEntry("big.bin", path, info.Length, info.LastWriteTimeUtc), null) { Digest = stale }, default);
            await uploader.CompleteAsync();
        }

        Assert.Equal(UploadOutcome.Uploaded, Assert.Single(results).Outcome);
        Assert.Equal(fresh, await server.GetAsync(s.Bucket, "big.bin"));
        var listed = Assert.Single(await server.ListAsync(s.Bucket));
        Assert.Equal(ETag.FromParts([.. fresh.Chunk(8 * 1024 * 1024).Select(MD5.HashData)]), ETag.Normalize(listed.ETag));
    }
}

/// <summary>However many workers, the file data held in part buffers stays within the uploader's byte budget.</summary>
[Collection("s3")]
public sealed class UploadBufferBudgetScenarioTests(S3ServerFixture server)
{
    [Fact]
    public async Task Thirty_two_workers_hold_at_most_the_budget_of_parts_and_the_object_is_whole()
    {
        using var s = await Scenario.CreateAsync(server);
        var body = new byte[4 * 8 * 1024 * 1024 + 12345]; // five parts of s3sync's 8 MiB
        new Random(5).NextBytes(body);
        var path = s.Write("big.bin", body);
        var site = s.LoadSite();
        using var store = new GatedParts(S3ObjectStore.ForSite(site, 32, 1));
        var budget = new ByteBudget(2 * 8 * 1024 * 1024);
        var results = new List<UploadResult>();

        await using (var uploader = new Uploader(site, store, 32, 0, NullLogger.Instance, default, buffers: budget))
        {
            uploader.Completed += r => { lock (results) results.Add(r); };
            var info = new FileInfo(path);
            await uploader.EnqueueAsync(new PlanEntry("big.bin", ChangeReason.Missing, PlanAction.Upload, new LocalEntry("big.bin", path, info.Length, info.LastWriteTimeUtc), null), default);
            // Let each part through only once the next one has had its chance to start: with no budget all five
            // would be in flight at once; with room for two, the third waits for the first to end.
            var held = new Queue<TaskCompletionSource>();
            for (var arrived = 0; arrived < 5; arrived++)
            {
                held.Enqueue(await store.Arrivals.ReadAsync());
                if (held.Count == 2) held.Dequeue().SetResult();
            }
            while (held.Count > 0) held.Dequeue().SetResult();
            await uploader.CompleteAsync();
        }

        Assert.Equal(UploadOutcome.Uploaded, Assert.Single(results).Outcome);
        Assert.Equal(2, store.MostInFlight);
        Assert.Equal(budget.Capacity, budget.Available);
        Assert.Equal(body, await server.GetAsync(s.Bucket, "big.bin"));
    }

    /// <summary>Holds every part at the door until the test lets it through, counting how many are inside at once.</summary>
    private sealed class GatedParts(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        private readonly System.Threading.Channels.Channel<TaskCompletionSource> _arrivals = System.Threading.Channels.Channel.CreateUnbounded<TaskCompletionSource>();
        private int _inFlight, _most;

        public System.Threading.Channels.ChannelReader<TaskCompletionSource> Arrivals => _arrivals.Reader;
        public int MostInFlight => Volatile.Read(ref _most);

        public override async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            lock (_arrivals) _most = Math.Max(_most, now);
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _arrivals.Writer.TryWrite(gate);
            await gate.Task;
            try { return await base.UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken); }
            finally { Interlocked.Decrement(ref _inFlight); }
        }
    }
}
