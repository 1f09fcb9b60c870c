using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>A no-op re-sync reads no file content, whatever the part count of what s3sync uploaded (issue 16).</summary>
[Collection("s3")]
public sealed class NoOpResyncScenarioTests(S3ServerFixture server)
{
    [Fact]
    public async Task Second_and_third_sync_of_files_of_1_3_4_and_12_parts_read_no_content()
    {
        using var s = await Scenario.CreateAsync(server);
        const int part = 8 * 1024 * 1024; // s3sync's part size for files up to 80,000 MiB
        var sizes = new Dictionary<string, int> { ["one.bin"] = part, ["three.bin"] = 2 * part + 1, ["four.bin"] = 4 * part, ["twelve.bin"] = 11 * part + 12345 };
        var random = new Random(16);
        foreach (var (name, size) in sizes)
        {
            var body = new byte[size];
            random.NextBytes(body);
            s.Write($"d/{name}", body);
        }
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 8, 2);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // Given a first sync that uploaded all four (1, 3, 4 and 12 parts), the large ones in one read pass: nothing
        // hashed them first, and the cache keeps their part MD5s alone (no whole-file MD5, none in the metadata)
        var (first, firstReads) = await SyncAsync(site, store, cache);
        Assert.Equal((4L, 0), (first.Stats.Uploaded, firstReads));
        cache.Commit();
        Assert.Equal(0L, HashCacheFile.Md5Lengths(Path.Combine(s.Root, "state"))["d/twelve.bin"]);
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "d/twelve.bin");
        Assert.DoesNotContain(head.Metadata.Keys, k => k.EndsWith(S3ObjectStore.FingerprintKey, StringComparison.OrdinalIgnoreCase));
        var etags = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => ETag.Normalize(o.ETag));
        Assert.Equal(["", "-3", "-4", "-12"], new[] { "d/one.bin", "d/three.bin", "d/four.bin", "d/twelve.bin" }.Select(k => etags[k][32..]).ToArray());

        // When nothing changed, the second and the third sync read no file at all
        var (second, secondReads) = await SyncAsync(site, store, cache);
        var (third, thirdReads) = await SyncAsync(site, store, cache);
        Assert.Equal((0L, 4L, 0), (second.Stats.Uploaded, second.Stats.Unchanged, secondReads));
        Assert.Equal((0L, 4L, 0), (third.Stats.Uploaded, third.Stats.Unchanged, thirdReads));
    }

    [Fact]
    public async Task A_multipart_object_of_another_part_size_is_hashed_once_then_remembered()
    {
        using var s = await Scenario.CreateAsync(server);
        var body = new byte[3 * 5 * 1024 * 1024 + 77]; // 4 parts of 5 MiB (rclone's size), 2 of s3sync's 8 MiB
        new Random(4).NextBytes(body);
        s.Write("other.bin", body);
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        await UploadInPartsAsync(store, "other.bin", body, 5 * 1024 * 1024);
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;

        // The first comparison must read the file (s3sync's own 8 MiB ETag does not match, 5 MiB does)
        var (first, firstReads) = await SyncAsync(site, store, cache);
        Assert.Equal((0L, 1L), (first.Stats.Uploaded, first.Stats.Unchanged));
        Assert.True(firstReads >= 1, "the foreign ETag was matched without reading the file");

        // The cache remembers the 5 MiB answer: the next two read nothing
        var (_, secondReads) = await SyncAsync(site, store, cache);
        var (third, thirdReads) = await SyncAsync(site, store, cache);
        Assert.Equal((1L, 0, 0), (third.Stats.Unchanged, secondReads, thirdReads));
    }

    private static async Task UploadInPartsAsync(S3ObjectStore store, string key, byte[] body, int partSize)
    {
        var id = await store.StartMultipartAsync(key, new UploadHeaders("STANDARD", "application/octet-stream", ""), default);
        var etags = new List<(int, string)>();
        for (int offset = 0, n = 1; offset < body.Length; offset += partSize, n++)
        {
            var part = body.AsMemory(offset, Math.Min(partSize, body.Length - offset));
            etags.Add((n, await store.UploadPartAsync(key, id, n, part, System.Security.Cryptography.MD5.HashData(part.Span), default)));
        }
        await store.CompleteMultipartAsync(key, id, etags, default);
    }

    private static async Task<(SiteResult Result, int Reads)> SyncAsync(Site site, IObjectStore store, HashCache cache)
    {
        var counting = new CountingDigests();
        using var digests = new CachedDigestSource(cache, site.Name, counting, time: new LaterClock());
        var result = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
        Assert.Equal(SiteStatus.Done, result.Status);
        return (result, counting.Reads);
    }
}
