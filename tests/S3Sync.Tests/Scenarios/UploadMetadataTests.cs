using System.Diagnostics;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Local;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.State;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Scenarios;

/// <summary>What every upload stores besides the bytes (mtime, mode, owner), read back with a plain HEAD and by rclone.</summary>
[Collection("s3")]
public sealed class UploadMetadataTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;
    private static readonly DateTime Old = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Single_and_multipart_uploads_store_mtime_in_rclone_form_mode_and_owner(bool signed)
    {
        using var s = await Scenario.CreateAsync(server);
        var small = s.Write("small.txt", "small");
        var big = s.Write("dir/big.bin", Bytes(9 * MiB, 5));
        File.SetUnixFileMode(small, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(big, (UnixFileMode)0x1ED); // 755
        File.SetLastWriteTimeUtc(small, Old);
        File.SetLastWriteTimeUtc(big, Old.AddYears(3));
        var site = s.LoadSite();
        using var store = S3ObjectStore.ForSite(site, 4, 1, null, signed);

        var result = await SyncAsync(site, store);

        Assert.Equal(2, result.Stats.Uploaded);
        var meta = await MetaAsync(s.Bucket, "small.txt");
        Assert.Equal("981173106.123456700", meta["mtime"]);
        Assert.Equal("100600", meta["mode"]);
        Assert.Equal(Stat("%u", small), meta["uid"]);
        Assert.Equal(Stat("%g", small), meta["gid"]);
        Assert.Equal(Stat("%U", small), meta["uname"]);
        var bigMeta = await MetaAsync(s.Bucket, "dir/big.bin");
        Assert.Equal(ObjectMetadata.FormatMtime((Old.AddYears(3) - DateTime.UnixEpoch).Ticks * 100), bigMeta["mtime"]);
        Assert.Equal("100755", bigMeta["mode"]);
        Assert.Contains("-", (await server.ListAsync(s.Bucket)).Single(o => o.Key == "dir/big.bin").ETag); // really multipart
    }

    [Fact]
    public async Task Rclone_reads_the_stored_mtime_as_the_objects_modification_time()
    {
        if (!File.Exists("/usr/bin/rclone")) return; // apt-get install rclone; checked in CI by the presence of the package
        using var s = await Scenario.CreateAsync(server);
        var path = s.Write("a.txt", "alpha");
        File.SetLastWriteTimeUtc(path, Old);
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);

        var psi = new ProcessStartInfo("/usr/bin/rclone", ["lsl", "t:" + s.Bucket]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in new[] { ("TYPE", "s3"), ("PROVIDER", "Ceph"), ("ACCESS_KEY_ID", server.AccessKey), ("SECRET_ACCESS_KEY", server.SecretKey), ("ENDPOINT", server.Endpoint) })
            psi.Environment["RCLONE_CONFIG_T_" + name] = value;
        psi.Environment["RCLONE_CONFIG"] = "/dev/null";
        psi.Environment.Remove("AWS_CA_BUNDLE");
        using var rclone = Process.Start(psi)!;
        var output = await rclone.StandardOutput.ReadToEndAsync();
        var errors = await rclone.StandardError.ReadToEndAsync();
        await rclone.WaitForExitAsync();
        Assert.True(output.Contains(" a.txt", StringComparison.Ordinal), output + errors);

        // rclone prints the modification time with nanoseconds, in local time: compare in UTC by parsing.
        var line = output.Split('\n').Single(l => l.EndsWith(" a.txt", StringComparison.Ordinal)).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var shown = DateTime.Parse(line[1] + " " + line[2][..16], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeLocal).ToUniversalTime();
        Assert.Equal(Old, shown);
    }

    [Fact]
    public async Task A_chmod_alone_is_pushed_by_a_server_side_copy_and_the_no_op_run_makes_no_request_beyond_the_listing()
    {
        using var s = await Scenario.CreateAsync(server);
        var small = s.Write("small.txt", "small");
        var big = s.Write("big.bin", Bytes(9 * MiB, 6));
        var site = s.LoadSite();
        using var cache = HashCache.Open(Path.Combine(s.Root, "state"), w => Assert.Fail(w))!;
        using var store = new CountingStore(S3ObjectStore.ForSite(site, 4, 1));
        await SyncAsync(site, store, cache);
        var before = (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => o.ETag);

        // When nothing changed, no HEAD, no PUT, no copy
        store.Reset();
        var idle = await SyncAsync(site, store, cache);
        Assert.Equal((2L, 0, 0, 0), (idle.Stats.Unchanged, store.Heads, store.Writes, store.Copies));

        // When only the modes change (and one mtime), the metadata is rewritten in place: no bytes sent
        File.SetUnixFileMode(small, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetUnixFileMode(big, (UnixFileMode)0x1C0); // 700
        File.SetLastWriteTimeUtc(big, Old);
        store.Reset();
        var chmod = await SyncAsync(site, store, cache);
        Assert.Equal((0, 2L, 0, 2), (chmod.Stats.Uploaded, chmod.Stats.ChangedInPlace, store.Writes, store.Copies));
        Assert.Equal("100600", (await MetaAsync(s.Bucket, "small.txt"))["mode"]);
        var bigMeta = await MetaAsync(s.Bucket, "big.bin");
        Assert.Equal("100700", bigMeta["mode"]);
        Assert.Equal(ObjectMetadata.FormatMtime((Old - DateTime.UnixEpoch).Ticks * 100), bigMeta["mtime"]);
        // The copy kept what the upload stored: content type, the fingerprint, rclone's MD5 of the multipart object
        Assert.Equal(before, (await server.ListAsync(s.Bucket)).ToDictionary(o => o.Key, o => o.ETag));
        Assert.False(string.IsNullOrEmpty(bigMeta["s3sync-md5"]));
        Assert.False(string.IsNullOrEmpty(bigMeta["md5chksum"]));
        Assert.Equal("text/plain", (await server.Client.GetObjectMetadataAsync(s.Bucket, "small.txt")).Headers.ContentType.Split(';')[0]);

        // And the run after is a no-op again
        store.Reset();
        var after = await SyncAsync(site, store, cache);
        Assert.Equal((2L, 0, 0), (after.Stats.Unchanged, store.Writes, store.Copies));
    }

    [Fact]
    public async Task Verify_deep_reports_a_mode_change_and_sync_still_pushes_it()
    {
        using var s = await Scenario.CreateAsync(server);
        var path = s.Write("a.txt", "alpha");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var verify = await s.RunAsync("verify", "-c", s.ConfigPath, "--deep");
        Assert.True(verify.ExitCode == 1, verify.ToString());
        Assert.Contains("* a.txt", verify.Output);
        Assert.Contains("mode 600, S3 644", verify.Output);

        var sync = await s.SyncAsync();
        Assert.Contains("changed in place 1", sync.Output);
        Assert.Equal("100600", (await MetaAsync(s.Bucket, "a.txt"))["mode"]);
        Assert.Equal(0, (await s.RunAsync("verify", "-c", s.ConfigPath, "--deep")).ExitCode);
    }

    private async Task<Dictionary<string, string>> MetaAsync(string bucket, string key)
    {
        var head = await server.Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key });
        return head.Metadata.Keys.ToDictionary(k => k.Replace("x-amz-meta-", "", StringComparison.Ordinal), k => head.Metadata[k]);
    }

    private static string Stat(string format, string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", format, path]) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }

    private static async Task<SiteResult> SyncAsync(Site site, IObjectStore store, HashCache? cache = null)
    {
        // The clock runs an hour ahead so that rows of files written just now count (the cache's racy margin).
        using var digests = new CachedDigestSource(cache, site.Name, DirectDigestSource.Instance, time: new LaterClock());
        var result = await new SiteSync(site, store, digests, new SyncSettings { Workers = 4 }, NullLogger.Instance).RunAsync(default);
        Assert.True(result.Status == SiteStatus.Done, string.Join("\n", result.Problems));
        return result;
    }

    /// <summary>Counts the requests that are not the listing.</summary>
    private sealed class CountingStore(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public int Heads, Writes, Copies;

        public void Reset() => Heads = Writes = Copies = 0;

        public override Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Heads);
            return base.HeadAsync(key, cancellationToken);
        }

        public override Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            return base.PutAsync(key, body, md5, headers, cancellationToken);
        }

        public override Task<string> StartMultipartAsync(string key, UploadHeaders headers, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Writes);
            return base.StartMultipartAsync(key, headers, cancellationToken);
        }

        public override Task ReplaceMetadataAsync(string key, UploadHeaders headers, bool multipart, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Copies);
            return base.ReplaceMetadataAsync(key, headers, multipart, cancellationToken);
        }

        public override Task ChangeStorageClassAsync(string key, string storageClass, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Copies);
            return base.ChangeStorageClassAsync(key, storageClass, cancellationToken);
        }
    }
}
