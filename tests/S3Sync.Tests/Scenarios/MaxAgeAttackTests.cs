using S3Sync.Execution;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>--max-age against a file renamed with its old mtime kept (mv, cp -p, an archive's extract).</summary>
[Collection("s3")]
public sealed class MaxAgeAttackTests(S3ServerFixture server)
{
    /// <summary>The old key's object was uploaded within the window but its file is old: its upload time is no file's
    /// age. (Before: the old key was deleted and the new one, outside the window, not uploaded: the content was gone.)
    /// A file deleted that was modified within the window is still deleted.</summary>
    [Fact]
    public async Task Max_age_never_leaves_a_renamed_old_file_in_the_bucket_nowhere()
    {
        // Given an old file (mtime 2020) backed up a moment ago, among others
        using var s = await Scenario.CreateAsync(server);
        var old = s.Write("old/x.txt", "the only copy of this content");
        File.SetLastWriteTimeUtc(old, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        for (var i = 0; i < 6; i++) s.Write($"other{i}.txt", "other");
        var fresh = s.Write("fresh.txt", "modified a minute ago");
        var site = s.LoadSite("bucket_path: www\nretire_deleted: true");
        using var store = S3ObjectStore.ForSite(site, 4, 1);
        using var digests = new S3Sync.Planning.CachedDigestSource(null, site.Name, S3Sync.Planning.DirectDigestSource.Instance);
        Assert.Equal(SiteStatus.Done, (await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default)).Status);

        // When it is renamed (mv keeps the mtime) and an incremental --max-age 1h run follows
        Directory.CreateDirectory(Path.Combine(s.Local, "new"));
        File.Move(old, Path.Combine(s.Local, "new/x.txt"));
        File.Delete(fresh);
        await new SiteSync(site, store, digests, new SyncSettings { Workers = 4, ModifiedSince = DateTime.UtcNow.AddHours(-1) }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance).RunAsync(default);

        // Then the content is still in the bucket, at its old key or its new one
        var keys = await s.KeysAsync();
        Assert.True(keys.Contains("www/old/x.txt") || keys.Contains("www/new/x.txt"), $"bucket holds: {string.Join(", ", keys)}");
        Assert.Equal("the only copy of this content"u8.ToArray(), await server.GetAsync(s.Bucket, "www/old/x.txt"));
        Assert.DoesNotContain("www/fresh.txt", keys);
    }
}
