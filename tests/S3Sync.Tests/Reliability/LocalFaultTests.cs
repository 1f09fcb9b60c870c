using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Reliability;

/// <summary>Faults on the local side: unreadable, vanishing and changing files, against the real server.</summary>
[Collection("s3")]
public sealed class LocalFaultTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Unreadable_file_fails_alone_exits_3_and_its_key_is_kept()
    {
        using var s = await Scenario.CreateAsync(server);
        var secret = s.Write("secret.txt", "old secret");
        s.Write("plain.txt", "plain");
        s.SiteConfig("retire_deleted: true\nmax_delete: unlimited");
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.WriteAllText(secret, "new secret, now unreadable");
        File.SetUnixFileMode(secret, UnixFileMode.None);
        s.Write("added.txt", "added");
        File.Delete(Path.Combine(s.Local, "plain.txt"));
        try
        {
            var run = await s.SyncProcessAsync(unprivileged: true);

            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Contains("secret.txt: cannot read: permission denied", run.Output);
            Assert.Contains("uploaded 1 files", run.Output);
            Assert.Contains("failed 1", run.Output);
            // The rest went on, deletes included; the unreadable file's key is not deleted.
            Assert.Equal(["added.txt", "secret.txt"], await s.KeysAsync());
            Assert.Equal("old secret"u8.ToArray(), await server.GetAsync(s.Bucket, "secret.txt"));
        }
        finally
        {
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static Site SiteFor(Scenario s, S3ServerFixture server) => new()
    {
        Name = "local-faults",
        LocalPath = s.Local,
        Bucket = s.Bucket,
        Endpoint = server.Endpoint,
        ForcePathStyle = true,
        Credentials = new StaticCredentials(server.AccessKey, server.SecretKey),
    };

    [Fact]
    public async Task File_deleted_between_walk_and_upload_is_skipped_quietly()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("stays.txt", "stays");
        var vanishing = s.Write("vanishes.txt", "here at walk time");
        var site = SiteFor(s, server);
        using var store = S3ObjectStore.ForSite(site, 4, 2);
        var sync = new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { Workers = 2 }, NullLogger.Instance);
        sync.Planned += entry => { if (entry.Key == "vanishes.txt") File.Delete(vanishing); };

        var result = await sync.RunAsync(CancellationToken.None);

        Assert.Equal(SiteStatus.Done, result.Status);
        Assert.Empty(result.Problems);
        Assert.Equal(1, result.Stats.Uploaded);
        Assert.Equal(1, result.Stats.Skipped);
        Assert.Equal(["stays.txt"], await s.KeysAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task File_rewritten_during_its_multipart_upload_is_stored_whole_never_mixed()
    {
        // Given a 3-part file, and a proxy that rewrites it when part 2 goes up
        var before = Bytes(20 * MiB, 1);
        var after = Bytes(20 * MiB, 2);
        using var proxy = new FaultProxy(server.Endpoint);
        using var s = await Scenario.CreateAsync(server);
        var path = s.Write("big.bin", before);
        var rewrites = 0;
        proxy.Seen += r =>
        {
            if (r.Target.Contains("partNumber=2", StringComparison.Ordinal) && Interlocked.Increment(ref rewrites) == 1)
            {
                using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                f.Write(after); // in place, same size: only the content tells
            }
        };
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig();

        // When it syncs
        var run = await s.SyncAsync("--workers", "1");

        // Then the object is exactly the old or exactly the new content
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(rewrites >= 2, $"part 2 went up {rewrites} times: the upload should have started again after the change");
        var stored = await server.GetAsync(s.Bucket, "big.bin");
        Assert.True(stored.SequenceEqual(after) || stored.SequenceEqual(before), "the stored object mixes old and new content");
        Assert.True(stored.SequenceEqual(after), "the change was detected, so the retry must have sent the new content");
        Assert.Empty(await server.OpenUploadsAsync(s.Bucket));
    }

    /// <summary>A clock <paramref name="ahead"/> of the real one: the server's times look that old.</summary>
    private sealed class ShiftedClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

    [Fact]
    public async Task Abandoned_multipart_uploads_under_the_prefix_are_aborted_and_others_kept()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("file.txt", "x");
        async Task<string> Open(string key) =>
            (await server.Client.InitiateMultipartUploadAsync(new Amazon.S3.Model.InitiateMultipartUploadRequest { BucketName = s.Bucket, Key = key })).UploadId;
        await Open("p/crashed.bin");
        await Open("p/deeper/crashed2.bin");
        await Open("p-other/not-mine.bin");
        await Open("root.bin");
        await Open("p/excluded.tmp");
        var site = SiteFor(s, server) with { Prefix = "p", Filter = new PathFilter([], [PathFilter.Compile("\\.tmp$")]) };
        using var store = S3ObjectStore.ForSite(site, 4, 2);

        // Uploads started after the cutoff are someone's uploads in flight: kept.
        var early = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { AbortUploadsStartedBefore = DateTime.UtcNow.AddHours(-1) }, NullLogger.Instance).RunAsync(CancellationToken.None);
        Assert.Equal(SiteStatus.Done, early.Status);
        Assert.Equal(5, (await server.OpenUploadsAsync(s.Bucket)).Count);

        // Started before the cutoff but not idle for AbandonedAfter: maybe another live run's (issue #23, item 7): kept.
        var recent = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { AbortUploadsStartedBefore = DateTime.UtcNow.AddMinutes(1) }, NullLogger.Instance).RunAsync(CancellationToken.None);
        Assert.Equal(SiteStatus.Done, recent.Status);
        Assert.Equal(5, (await server.OpenUploadsAsync(s.Bucket)).Count);

        // A day later (by this run's clock), nothing happened to them: abandoned, aborted.
        var clock = new ShiftedClock(SiteSync.AbandonedAfter + TimeSpan.FromMinutes(5));
        var late = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { AbortUploadsStartedBefore = clock.GetUtcNow().UtcDateTime, Time = clock }, NullLogger.Instance).RunAsync(CancellationToken.None);

        Assert.Equal(SiteStatus.Done, late.Status);
        Assert.Equal(["p-other/not-mine.bin", "p/excluded.tmp", "root.bin"], (await server.OpenUploadsAsync(s.Bucket)).Select(u => u.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>Lists open uploads as initiated <paramref name="earlier"/> than the server says: an old upload.</summary>
    private sealed class BackdatedUploads(IObjectStore inner, TimeSpan earlier) : DelegatingObjectStore(inner)
    {
        public override async IAsyncEnumerable<OpenUpload> ListOpenUploadsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var u in base.ListOpenUploadsAsync(cancellationToken)) yield return u with { InitiatedUtc = u.InitiatedUtc - earlier };
        }
    }

    [Fact]
    public async Task An_old_multipart_upload_that_received_a_part_recently_is_kept()
    {
        // Given an upload created long ago (as listed) whose last part was stored just now
        using var s = await Scenario.CreateAsync(server);
        s.Write("file.txt", "x");
        var id = (await server.Client.InitiateMultipartUploadAsync(new Amazon.S3.Model.InitiateMultipartUploadRequest { BucketName = s.Bucket, Key = "slow.bin" })).UploadId;
        await server.Client.UploadPartAsync(new Amazon.S3.Model.UploadPartRequest { BucketName = s.Bucket, Key = "slow.bin", UploadId = id, PartNumber = 1, InputStream = new MemoryStream(new byte[5 * MiB]), UseChunkEncoding = false });
        var site = SiteFor(s, server);
        using var store = new BackdatedUploads(S3ObjectStore.ForSite(site, 4, 2), TimeSpan.FromDays(3));

        // When a run cleans up
        var run = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { AbortUploadsStartedBefore = DateTime.UtcNow.AddMinutes(1) }, NullLogger.Instance).RunAsync(CancellationToken.None);

        // Then the upload is kept: a part stored recently says a run may still be writing it
        Assert.Equal(SiteStatus.Done, run.Status);
        Assert.Equal(["slow.bin"], (await server.OpenUploadsAsync(s.Bucket)).Select(u => u.Key));
    }

    /// <summary>
    /// Issue #23, item 7: <c>sync A</c> uploading a large file; <c>sync B</c> on the same prefix started while A's upload
    /// is open aborted it ("aborted 1 stale multipart uploads left by an earlier run") and A failed with NoSuchUpload.
    /// B runs to its end exactly while A's upload is open (A's AfterPartRead seam, after its second part was read),
    /// as a separate process would: its cutoff is its own start, after A's upload was created.
    /// </summary>
    [Fact(Timeout = 180_000)]
    public async Task Two_syncs_to_one_prefix_both_succeed_when_the_second_runs_while_the_first_uploads_in_parts()
    {
        // Given a large file (several parts) and a small one
        using var s = await Scenario.CreateAsync(server);
        var content = Bytes(40 * MiB, 7);
        s.Write("big.bin", content);
        s.Write("small.txt", "s");
        var site = SiteFor(s, server);
        using var storeA = S3ObjectStore.ForSite(site, 4, 2);
        using var storeB = S3ObjectStore.ForSite(site, 4, 2);
        SiteResult? second = null;
        var started = 0;
        await using var poolA = new Uploader(2, 4, NullLogger.Instance) { };
        poolA.AfterPartRead = (_, index) =>
        {
            if (index != 1 || Interlocked.Exchange(ref started, 1) != 0) return;
            // B: a run that started now, with A's multipart upload open.
            var b = new SiteSync(site, storeB, DirectDigestSource.Instance, new SyncSettings { Workers = 2, AbortUploadsStartedBefore = DateTime.UtcNow }, NullLogger.Instance);
            second = Task.Run(() => b.RunAsync(CancellationToken.None)).GetAwaiter().GetResult();
        };
        var a = new SiteSync(site, storeA, DirectDigestSource.Instance, new SyncSettings { Workers = 2, AbortUploadsStartedBefore = DateTime.UtcNow }, NullLogger.Instance, pool: poolA);

        // When A runs (and B runs inside it)
        var first = await a.RunAsync(CancellationToken.None);
        await poolA.CompleteAsync();

        // Then both succeed, and the object is the whole file
        Assert.Equal(1, started);
        Assert.True(second is { Status: SiteStatus.Done }, $"B: {second?.Status} {string.Join("; ", second?.Problems ?? [])}");
        Assert.True(first.Status == SiteStatus.Done, $"A: {first.Status} {string.Join("; ", first.Problems)}");
        Assert.Equal(content, await server.GetAsync(s.Bucket, "big.bin"));
        Assert.Empty(await server.OpenUploadsAsync(s.Bucket));
    }

    /// <summary>A clock whose timers run <paramref name="factor"/> times faster than the real ones (re-arming too).</summary>
    private sealed class FastTimers(double factor) : TimeProvider
    {
        private TimeSpan Scale(TimeSpan t) => t == Timeout.InfiniteTimeSpan ? t : t / factor;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new Scaled(System.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

        private sealed class Scaled(ITimer inner, FastTimers clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Scale(dueTime), clock.Scale(period));
            public void Dispose() => inner.Dispose();
            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }

    /// <summary>A store on which the second part of every upload never ends (until cancelled).</summary>
    private sealed class SecondPartHangs(IObjectStore inner) : DelegatingObjectStore(inner)
    {
        public override async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
        {
            if (partNumber == 2) await Task.Delay(Timeout.Infinite, cancellationToken);
            return await base.UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken);
        }
    }

    /// <summary>The other half of item 7's proof: a run never keeps an upload idle for <see cref="Uploader.IdleLimit"/>
    /// (12 h, here on timers 21,600 times faster: 2 s), so an upload idle for twice that is nobody's in flight.</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_multipart_upload_in_which_nothing_is_stored_for_the_idle_limit_is_given_up_and_aborted()
    {
        // Given a large file, and a store on which the second part never ends
        using var s = await Scenario.CreateAsync(server);
        s.Write("big.bin", Bytes(20 * MiB, 9));
        var site = SiteFor(s, server);
        using var store = new SecondPartHangs(S3ObjectStore.ForSite(site, 4, 2));
        await using var pool = new Uploader(1, 4, NullLogger.Instance) { Time = new FastTimers(Uploader.IdleLimit / TimeSpan.FromSeconds(2)) };

        // When it syncs
        var result = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { Workers = 1 }, NullLogger.Instance, pool: pool).RunAsync(CancellationToken.None);

        // Then the upload is given up with one line saying why, and aborted: nothing is left open or stored
        Assert.Equal(SiteStatus.Failed, result.Status);
        Assert.Contains(result.Problems, p => p.Contains("big.bin", StringComparison.Ordinal) && p.Contains("nothing of its multipart upload was stored for 12 h: given up and aborted", StringComparison.Ordinal));
        Assert.Empty(await server.OpenUploadsAsync(s.Bucket));
        Assert.Empty(await s.KeysAsync());
    }
}
