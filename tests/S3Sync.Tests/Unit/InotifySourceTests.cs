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
}
