using S3Sync.Config;
using S3Sync.Watching;

namespace S3Sync.Tests.Unit;

public sealed class InotifySourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-inotify-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Folders_a_sites_exclusions_leave_out_whole_are_not_watched()
    {
        foreach (var dir in new[] { "keep/sub", "node_modules/pkg/lib", "logs" }) Directory.CreateDirectory(Path.Combine(_root, dir));
        var site = new Site
        {
            Name = "t", LocalPath = _root, Bucket = "b",
            Filter = new PathFilter([], [PathFilter.Compile("^node_modules/"), PathFilter.Compile(@"^logs/.*\.gz$")]),
        };

        using var source = InotifySource.ForSite(site);
        source.Start(_ => { });

        // The root, keep/, keep/sub/ and logs/ (its exclusion ends in an anchor, so logs/ may hold synced files)
        Assert.Equal(4, source.WatchCount);
    }

    private sealed class FrozenClock(long now) : TimeProvider
    {
        public override long GetTimestamp() => now;
    }

    [Fact]
    public async Task Events_carry_timestamps_of_the_clock_the_source_is_given()
    {
        var site = new Site { Name = "t", LocalPath = _root, Bucket = "b", Filter = new PathFilter([], []) };
        using var source = InotifySource.ForSite(site, new FrozenClock(42_000));
        var closed = new TaskCompletionSource<ChangeEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        source.Start(e => { if (e.Kind == ChangeKind.Closed) closed.TrySetResult(e); });

        File.WriteAllText(Path.Combine(_root, "a.txt"), "x");

        Assert.Equal(42_000, (await closed.Task.WaitAsync(TimeSpan.FromSeconds(30))).Timestamp);
    }
}
