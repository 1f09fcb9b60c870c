using System.Security.Cryptography;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using S3Sync.Watching;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>Moves by content: a renamed file or folder is copied server-side, not uploaded again (issue #26).</summary>
[Collection("s3")]
public sealed class MoveScenarioTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Renamed_folder_of_200_MB_is_moved_server_side_sending_under_1_MB()
    {
        // Given 90 files (200 MB) in project/data, synced
        using var s = await Scenario.CreateAsync(server);
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 90; i++) files[$"f{i:D2}.bin"] = Bytes(200 * MiB / 90 + i, 100 + i);
        foreach (var (name, content) in files) s.Write("project/data/" + name, content);
        s.SiteConfig("bucket_path: site\nretire_deleted: true");
        var first = await s.SyncAsync();
        Assert.True(first.ExitCode == 0, first.ToString());

        // When the folder is renamed and the next sync goes through a byte-counting proxy
        Directory.Move(Path.Combine(s.Local, "project/data"), Path.Combine(s.Local, "project/data-renamed"));
        File.SetUnixFileMode(Path.Combine(s.Local, "project/data-renamed/f07.bin"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig("bucket_path: site\nretire_deleted: true");
        var run = await s.SyncAsync("--json");

        // Then: exit 0, nothing held, under 1 MB on the wire, one move line per file and no upload or deletion line
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(proxy.BytesSent < MiB, $"{proxy.BytesSent} bytes sent\n{run}");
        Assert.DoesNotContain("\"status\":\"held\"", run.Output);
        Assert.Contains("\"key\":\"project/data-renamed/f00.bin\",\"action\":\"move\",\"from\":\"project/data/f00.bin\",\"status\":\"done\"", run.Output);
        Assert.Equal(90, run.Output.Split('\n').Count(l => l.Contains("\"action\":\"move\"", StringComparison.Ordinal)));
        Assert.DoesNotContain("\"action\":\"upload\"", run.Output);
        Assert.DoesNotContain("\"action\":\"delete\"", run.Output);
        // The bucket holds the new keys alone, each with its bytes' MD5 as ETag and the new file's metadata.
        var listed = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key);
        Assert.Equal(files.Keys.Select(k => "site/project/data-renamed/" + k).Order(StringComparer.Ordinal), listed.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, content) in files)
            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), ETag.Normalize(listed["site/project/data-renamed/" + name].ETag));
        var head = await server.Client.GetObjectMetadataAsync(s.Bucket, "site/project/data-renamed/f07.bin");
        Assert.Equal("100600", head.Metadata["mode"]);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(files["f07.bin"])), head.Metadata[S3ObjectStore.FingerprintKey]);
        var stat = S3Sync.Local.FileMetadata.TryRead(Path.Combine(s.Local, "project/data-renamed/f07.bin"), followLinks: true)!;
        Assert.Equal(ObjectMetadata.FormatMtime(stat.MtimeNs), head.Metadata["mtime"]);
        Assert.Equal(files["f42.bin"], await server.GetAsync(s.Bucket, "site/project/data-renamed/f42.bin"));

        // And the next run sees every key unchanged.
        var again = await s.SyncAsync();
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("uploaded 0 files", again.Output);
    }

    [Fact]
    public async Task Watch_moves_a_renamed_folder_of_200_MB_server_side_sending_under_1_MB_and_holds_nothing()
    {
        // Given a watch on 90 files (200 MB) in data/, through a byte-counting proxy, after its initial sync
        using var s = await Scenario.CreateAsync(server);
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 90; i++) files[$"f{i:D2}.bin"] = Bytes(200 * MiB / 90 + i, 300 + i);
        foreach (var (name, content) in files) s.Write("data/" + name, content);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig("retire_deleted: true");
        await using var w = new WatchHarness(s);
        await w.StartAsync();
        var sentBefore = proxy.BytesSent;

        // When the folder is renamed
        Directory.Move(Path.Combine(s.Local, "data"), Path.Combine(s.Local, "data-renamed"));
        foreach (var name in files.Keys) await w.WaitForAsync(WatchActivityKind.Moved, "data-renamed/" + name);
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);

        // Then under 1 MB went out, nothing was uploaded or held, the site is healthy and the bucket holds the new keys
        Assert.True(proxy.BytesSent - sentBefore < MiB, $"{proxy.BytesSent - sentBefore} bytes sent");
        Assert.Equal(0, w.Count(WatchActivityKind.Uploaded));
        Assert.Equal(0, w.Count(WatchActivityKind.DeletesHeld));
        Assert.True(w.Service.Healthy);
        Assert.Equal(files.Keys.Select(k => "data-renamed/" + k).Order(StringComparer.Ordinal), await s.KeysAsync());
        var listed = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key);
        foreach (var (name, content) in files)
            Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), ETag.Normalize(listed["data-renamed/" + name].ETag));
    }

    [Fact]
    public async Task Dry_run_of_a_rename_says_move_and_changes_nothing()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("old/a.txt", "alpha content");
        s.Write("old/b.txt", "beta content");
        s.SiteConfig("retire_deleted: true");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Directory.Move(Path.Combine(s.Local, "old"), Path.Combine(s.Local, "new"));

        var dry = await s.SyncAsync("--dry-run");
        var json = await s.SyncAsync("--dry-run", "--json");

        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains("(dryrun) move: old/a.txt -> new/a.txt", dry.Output);
        Assert.Contains("(dryrun) move: old/b.txt -> new/b.txt", dry.Output);
        Assert.DoesNotContain("delete:", dry.Output);
        Assert.DoesNotContain("upload:", dry.Output);
        Assert.Contains("\"key\":\"new/a.txt\",\"action\":\"move\",\"from\":\"old/a.txt\",\"status\":\"planned\"", json.Output);
        Assert.Equal(["old/a.txt", "old/b.txt"], await s.KeysAsync());
    }

    [Fact]
    public async Task Copy_of_a_large_unchanged_file_is_copied_server_side_and_the_source_stays()
    {
        using var s = await Scenario.CreateAsync(server);
        var content = Bytes(3 * MiB, 7);
        s.Write("a/big.bin", content);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Copy(Path.Combine(s.Local, "a/big.bin"), Path.Combine(s.Local, "b-copy.bin"));
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig();

        var run = await s.SyncAsync("--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(proxy.BytesSent < 100_000, $"{proxy.BytesSent} bytes sent");
        Assert.Contains("\"key\":\"b-copy.bin\",\"action\":\"copy\",\"from\":\"a/big.bin\",\"status\":\"done\"", run.Output);
        Assert.Equal(["a/big.bin", "b-copy.bin"], await s.KeysAsync());
        Assert.Equal(content, await server.GetAsync(s.Bucket, "b-copy.bin"));
    }

    [Fact]
    public async Task Deletions_of_moved_objects_do_not_count_against_max_delete()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 30; i++) s.Write($"old/{i}.txt", $"content of file {i}");
        s.SiteConfig("retire_deleted: true\nmax_delete: 1");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        Directory.Move(Path.Combine(s.Local, "old"), Path.Combine(s.Local, "new"));

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([.. Enumerable.Range(0, 30).Select(i => $"new/{i}.txt").Order(StringComparer.Ordinal)], await s.KeysAsync());
    }

    /// <summary>The source object is replaced after the plan listed it and before the copy: the copy carries
    /// x-amz-copy-source-if-match with the listed ETag (AWS answers 412), and where the server ignores it (this Ceph
    /// copies anyway) the HEAD of the copy shows other content: either way the file is uploaded instead, and the new key
    /// holds the file's bytes.</summary>
    [Fact]
    public async Task Source_replaced_between_plan_and_copy_falls_back_to_an_upload()
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint);
        s.Endpoint = proxy.Endpoint;
        s.Write("old.txt", "the original content");
        var site = s.LoadSite();
        using var inner = S3ObjectStore.ForSite(site, 4, 1);
        Assert.Equal(SiteStatus.Done, (await SyncAsync(site, inner)).Status);
        var listedETag = ETag.Normalize((await server.ListAsync(s.Bucket)).Single().ETag);
        File.Move(Path.Combine(s.Local, "old.txt"), Path.Combine(s.Local, "new.txt"));
        site = site with { RetireDeleted = true };
        var swapped = false;
        using var store = new SwappingStore(inner, async () =>
        {
            swapped = true;
            await server.PutAsync(s.Bucket, "old.txt", "REPLACED by another writer"u8.ToArray());
        });

        var result = await SyncAsync(site, store);

        Assert.True(swapped, "the copy was never tried");
        var copy = proxy.Requests.Single(r => r.Header("x-amz-copy-source") is not null);
        Assert.Equal($"\"{listedETag}\"", copy.Header("x-amz-copy-source-if-match"));
        Assert.Equal(SiteStatus.Done, result.Status);
        Assert.Equal("the original content"u8.ToArray(), await server.GetAsync(s.Bucket, "new.txt"));
        Assert.Equal(1, result.Stats.Uploaded);
        Assert.Equal(["new.txt"], await s.KeysAsync());
    }

    /// <summary>An object under SSE-KMS whose ETag happens to equal the file's MD5 but holds no stored MD5 is no proof
    /// of content (an SSE-KMS ETag is no MD5): no copy is made, the file is uploaded.</summary>
    [Fact]
    public async Task Kms_object_whose_etag_matches_without_a_stored_md5_is_never_a_move_source()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("old.txt", "some content");
        var site = s.LoadSite();
        using var inner = S3ObjectStore.ForSite(site, 4, 1);
        Assert.Equal(SiteStatus.Done, (await SyncAsync(site, inner)).Status);
        File.Move(Path.Combine(s.Local, "old.txt"), Path.Combine(s.Local, "new.txt"));
        using var store = new KmsLookingStore(inner);

        var result = await SyncAsync(site with { RetireDeleted = true }, store);

        Assert.Equal(SiteStatus.Done, result.Status);
        Assert.Equal(0, store.Copies);
        Assert.Equal(1, result.Stats.Uploaded);
        Assert.Equal(["new.txt"], await s.KeysAsync());
    }

    private static async Task<SiteResult> SyncAsync(Site site, IObjectStore store)
    {
        using var digests = new CachedDigestSource(null, site.Name, DirectDigestSource.Instance);
        return await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
    }

    /// <summary>Runs <paramref name="before"/> once, just before the first server-side copy.</summary>
    private sealed class SwappingStore(IObjectStore inner, Func<Task> before) : DelegatingObjectStore(inner)
    {
        private Func<Task>? _before = before;

        public override async Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _before, null) is { } hook) await hook();
            return await base.CopyAsync(source, sourceKey, key, replace, storageClass, ifMatch, size, cancellationToken);
        }
    }

    /// <summary>Says every object is under SSE-KMS and holds no stored MD5; counts copies.</summary>
    private sealed class KmsLookingStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public int Copies;

        public override async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken) =>
            await base.HeadAsync(key, cancellationToken) is { } head ? head with { ServerSideEncryption = "aws:kms", FingerprintMd5 = null } : null;

        public override Task<string> CopyAsync(StoreLocation source, string sourceKey, string key, UploadHeaders? replace, string storageClass, string? ifMatch, long size, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Copies);
            return base.CopyAsync(source, sourceKey, key, replace, storageClass, ifMatch, size, cancellationToken);
        }
    }
}
