using S3Sync.Hashing;
using S3Sync.State;
using S3Sync.Tests.Support;
using S3Sync.Watching;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch's full syncs plan with sync's hash cache; event uploads write it.</summary>
[Collection("s3")]
public sealed class WatchHashCacheTests(S3ServerFixture server)
{
    [Fact]
    public async Task Watch_restart_over_an_in_sync_tree_reads_no_file()
    {
        // Given a tree, on a clock an hour ahead so the files are past the cache's racy window
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 20; i++)
        {
            var path = s.Write($"d{i % 3}/f{i}.txt", $"content {i}");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
        }
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        using var cache = HashCache.Open(state, w => Assert.Fail(w))!;

        // When a first watch uploads it and stops
        var first = new CountingDigests();
        await using (var w = new WatchHarness(s, cache: cache, reader: first, time: new LaterClock()))
        {
            await w.StartAsync();
        }
        Assert.Equal(20, (await s.KeysAsync()).Count);

        // Then a second start's initial sync reads nothing: every file is answered by the cache
        var second = new CountingDigests();
        await using (var w = new WatchHarness(s, cache: cache, reader: second, time: new LaterClock()))
        {
            await w.StartAsync();
            Assert.True(w.Service.Healthy);
        }
        Assert.Equal(0, second.Reads);
    }

    [Fact]
    public async Task Watch_event_uploads_write_the_hash_cache()
    {
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig();
        var state = Path.Combine(s.Root, "state");
        using var cache = HashCache.Open(state, w => Assert.Fail(w))!;
        await using var w = new WatchHarness(s, cache: cache);
        await w.StartAsync();

        s.Write("new.txt", "written while watching");
        await w.WaitForAsync(WatchActivityKind.Uploaded, "new.txt");
        await w.StopAsync();
        cache.Dispose(); // commits what is pending

        Assert.Equal(1, HashCacheFile.Rows(state));
    }
}
