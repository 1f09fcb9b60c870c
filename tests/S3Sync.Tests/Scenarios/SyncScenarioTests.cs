using System.Security.Cryptography;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>sync against the real server: what the bucket holds afterwards, key by key.</summary>
[Collection("s3")]
public sealed class SyncScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Cold_sync_uploads_every_file_byte_for_byte_with_the_right_etags()
    {
        using var s = await Scenario.CreateAsync(server);
        var files = new Dictionary<string, byte[]>
        {
            ["top.txt"] = "top"u8.ToArray(),
            ["a/b/c/deep.txt"] = "deep"u8.ToArray(),
            ["unicode/日本語 ünïcødé.txt"] = "unicode"u8.ToArray(),
            ["spaces/with space.txt"] = "space"u8.ToArray(),
            ["signs/a+b%20c%.txt"] = "plus and percent"u8.ToArray(),
            ["empty.bin"] = [],
            ["a-b"] = "dash"u8.ToArray(),
            ["big/at-threshold.bin"] = Bytes(8 * MiB, 1),
            ["big/over-threshold.bin"] = Bytes(8 * MiB + 1, 2),
            ["big/three-parts.bin"] = Bytes(17 * MiB, 3),
        };
        foreach (var (k, v) in files) s.Write(k, v);
        s.SiteConfig("bucket_path: backup");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"uploaded {files.Count} files", run.Output);
        var listed = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key);
        Assert.Equal(files.Keys.Select(k => "backup/" + k).Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, content) in files)
        {
            var o = listed["backup/" + key];
            Assert.Equal(content.Length, o.Size);
            var expected = content.Length > 8 * MiB
                ? ETag.FromParts([.. content.Chunk(8 * MiB).Select(MD5.HashData)])
                : Convert.ToHexStringLower(MD5.HashData(content));
            Assert.Equal(expected, ETag.Normalize(o.ETag));
            Assert.Equal(content, await server.GetAsync(s.Bucket, "backup/" + key));
        }
    }

    [Fact]
    public async Task Second_sync_uploads_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("one.txt", "1");
        s.Write("dir/two.bin", Bytes(9 * MiB, 4));
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        var before = await server.ListAsync(s.Bucket);

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("uploaded 0 files", run.Output);
        Assert.Contains("unchanged 2", run.Output);
        var after = await server.ListAsync(s.Bucket);
        Assert.Equal(before.Select(o => (o.Key, o.ETag, o.LastModified)), after.Select(o => (o.Key, o.ETag, o.LastModified)));
    }

    [Fact]
    public async Task File_rewritten_with_same_size_and_mtime_is_uploaded()
    {
        using var s = await Scenario.CreateAsync(server);
        var path = s.Write("same.txt", "aaaa");
        var mtime = File.GetLastWriteTimeUtc(path);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        File.WriteAllText(path, "bbbb");
        File.SetLastWriteTimeUtc(path, mtime);
        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("uploaded 1 files", run.Output);
        Assert.Equal("bbbb"u8.ToArray(), await server.GetAsync(s.Bucket, "same.txt"));
    }

    [Fact]
    public async Task Retire_deleted_deletes_and_its_absence_keeps()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "k");
        var gone = s.Write("gone.txt", "g");
        s.Write("dir/gone2.txt", "g2");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(gone);
        File.Delete(Path.Combine(s.Local, "dir/gone2.txt"));

        var kept = await s.SyncAsync();
        Assert.True(kept.ExitCode == 0, kept.ToString());
        Assert.Contains("kept 2", kept.Output);
        Assert.Equal(3, (await server.ListAsync(s.Bucket)).Count);

        s.SiteConfig("retire_deleted: true");
        var retired = await s.SyncAsync();
        Assert.True(retired.ExitCode == 0, retired.ToString());
        Assert.Contains("deleted 2", retired.Output);
        Assert.Equal(["keep.txt"], (await server.ListAsync(s.Bucket)).Select(o => o.Key));
    }

    [Fact]
    public async Task Exclusions_and_inclusions_choose_the_files_and_protect_excluded_keys()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("docs/a.txt", "a");
        s.Write("docs/b.md", "b");
        s.Write("docs/.DS_Store", "junk");
        s.Write("logs/app.txt", "log");
        await server.PutAsync(s.Bucket, "logs/old.txt", "old"u8.ToArray()); // excluded: must survive retire_deleted
        s.SiteConfig("retire_deleted: true\ninclusions: ['\\.txt$', '\\.md$']\nexclusions: ['^logs/', '[Dd][Ss]_[Ss]tore']");

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["docs/a.txt", "docs/b.md", "logs/old.txt"], (await server.ListAsync(s.Bucket)).Select(o => o.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Storage_class_is_applied_and_changed_in_place()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("f.txt", "content");
        s.Write("big.bin", Bytes(9 * MiB, 5));
        s.SiteConfig("storage_class: STANDARD_IA");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Assert.All(await server.ListAsync(s.Bucket), o => Assert.Equal("STANDARD_IA", o.StorageClass?.Value));
        var etags = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => o.ETag);

        s.SiteConfig("storage_class: ONEZONE_IA");
        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("uploaded 0 files", run.Output);
        Assert.Contains("changed in place 2", run.Output);
        var after = await server.ListAsync(s.Bucket);
        Assert.All(after, o => Assert.Equal("ONEZONE_IA", o.StorageClass?.Value));
        Assert.Equal("content"u8.ToArray(), await server.GetAsync(s.Bucket, "f.txt"));
        Assert.Equal(Bytes(9 * MiB, 5), await server.GetAsync(s.Bucket, "big.bin"));

        var again = await s.SyncAsync();
        Assert.Contains("changed in place 0", again.Output);
        Assert.Contains("unchanged 2", again.Output);
        _ = etags;
    }

    [Fact]
    public async Task Two_sites_under_prefixes_a_and_a_dash_b_never_touch_each_other()
    {
        using var a = await Scenario.CreateAsync(server);
        using var b = await Scenario.CreateAsync(server);
        a.Write("x.txt", "from a");
        b.Write("y.txt", "from a-b");
        var bucket = a.Bucket;
        a.Config($"""
            - local_path: {a.Local}
              bucket: {bucket}
              bucket_path: a
              retire_deleted: true
            - local_path: {b.Local}
              bucket: {bucket}
              bucket_path: a-b
              retire_deleted: true
            """);

        Assert.Equal(0, (await a.SyncAsync()).ExitCode);
        File.Delete(Path.Combine(a.Local, "x.txt"));
        a.Write("z.txt", "new");
        var run = await a.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["a-b/y.txt", "a/z.txt"], (await server.ListAsync(bucket)).Select(o => o.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(10)] // rclone --s3-chunk-size 10M
    public async Task Object_uploaded_by_another_client_in_parts_is_not_uploaded_again(int partMiB)
    {
        using var s = await Scenario.CreateAsync(server);
        var content = Bytes(40 * MiB + 123, partMiB);
        s.Write("other.bin", content);
        await server.PutMultipartAsync(s.Bucket, "other.bin", content, partMiB * MiB);
        var before = Assert.Single(await server.ListAsync(s.Bucket));
        Assert.EndsWith($"-{(int)Math.Ceiling(content.Length / (double)(partMiB * MiB))}", ETag.Normalize(before.ETag));
        s.SiteConfig();

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("uploaded 0 files", run.Output);
        Assert.Contains("unchanged 1", run.Output);
        Assert.Equal(before.ETag, Assert.Single(await server.ListAsync(s.Bucket)).ETag);
    }

    [Fact]
    public async Task Missing_local_path_fails_and_deletes_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        await server.PutAsync(s.Bucket, "precious.txt", "p"u8.ToArray());
        Directory.Delete(s.Local);
        s.SiteConfig("retire_deleted: true");

        var run = await s.SyncAsync();

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("does not exist", run.Output + run.Error);
        Assert.Single(await server.ListAsync(s.Bucket));
    }
}
