using System.Text;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch runs one upload pool per process: events and full syncs of every site share <c>upload_workers</c>.</summary>
[Collection("s3")]
public sealed class WatchUploadPoolTests(S3ServerFixture server)
{
    [Fact]
    public async Task Full_syncs_and_events_of_every_site_never_have_more_than_upload_workers_uploads_in_flight()
    {
        // Given two sites of 24 files each and upload_workers 4 (the scenario's), behind a store that counts the
        // uploads in flight across both sites and takes a while for each (a slow link).
        using var s = await Scenario.CreateAsync(server);
        var other = Path.Combine(s.Root, "other");
        for (var i = 0; i < 24; i++)
        {
            s.Write($"f{i:00}.txt", $"one {i}");
            Directory.CreateDirectory(other);
            File.WriteAllText(Path.Combine(other, $"g{i:00}.txt"), $"two {i}");
        }
        s.Config($"- name: one\n  local_path: {s.Local}\n  bucket: {s.Bucket}\n  bucket_path: one\n- name: two\n  local_path: {other}\n  bucket: {s.Bucket}\n  bucket_path: two\n");
        var counter = new InFlight();
        await using var w = new WatchHarness(s, store => new CountingStore(store, counter));

        // When events arrive while both initial full syncs are still uploading
        await w.StartAsync(waitForInitialSync: false);
        await counter.FirstArrival.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 8; i++) s.Write($"new/e{i}.txt", $"event {i}");
        await w.WaitForAsync(WatchActivityKind.FullSyncDone, count: 2);
        for (var i = 0; i < 8; i++) await w.WaitForAsync(WatchActivityKind.Uploaded, $"new/e{i}.txt");

        // Then never more than upload_workers uploads were in flight, though there was work for many more
        Assert.Equal(4, w.Service.Config!.UploadWorkers);
        Assert.True(counter.Most <= 4, $"{counter.Most} uploads were in flight at once, upload_workers is 4");
        Assert.Equal(4, counter.Most);
        Assert.Equal(4, w.Service.Uploads!.Workers);
        // And some events were uploaded while a full sync still ran (so the two competed for the one pool)
        var activities = w.Activities;
        var lastSyncDone = activities.Select((a, i) => (a, i)).Last(p => p.a.Kind == WatchActivityKind.FullSyncDone).i;
        Assert.Contains(activities.Take(lastSyncDone), a => a.Kind == WatchActivityKind.Uploaded && a.Key!.StartsWith("new/", StringComparison.Ordinal));
        // And everything arrived whole
        var keys = await s.KeysAsync();
        Assert.Equal(56, keys.Count);
        Assert.Equal("event 7", Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "one/new/e7.txt")));
        Assert.Equal("two 23", Encoding.UTF8.GetString(await server.GetAsync(s.Bucket, "two/g23.txt")));
    }

    private sealed class InFlight
    {
        private int _now, _most;
        public TaskCompletionSource FirstArrival { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Most => Volatile.Read(ref _most);

        public async Task RunAsync(Func<Task> upload)
        {
            var now = Interlocked.Increment(ref _now);
            lock (this) _most = Math.Max(_most, now);
            FirstArrival.TrySetResult();
            try
            {
                await Task.Delay(100); // a slow link: uploads overlap
                await upload();
            }
            finally
            {
                Interlocked.Decrement(ref _now);
            }
        }
    }

    private sealed class CountingStore(IObjectStore inner, InFlight counter) : DelegatingObjectStore(inner)
    {
        public override Task PutAsync(string key, ReadOnlyMemory<byte> body, byte[] md5, UploadHeaders headers, CancellationToken cancellationToken) =>
            counter.RunAsync(() => Inner.PutAsync(key, body, md5, headers, cancellationToken));

        public override async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, ReadOnlyMemory<byte> body, byte[] md5, CancellationToken cancellationToken)
        {
            var etag = "";
            await counter.RunAsync(async () => etag = await base.UploadPartAsync(key, uploadId, partNumber, body, md5, cancellationToken));
            return etag;
        }
    }
}
