using S3Sync.Config;
using S3Sync.Local;
using S3Sync.Planning;

namespace S3Sync.Tests.Unit;

public sealed class LocalWalkerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s3sync-walk-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Touch(string relative)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, relative);
    }

    [Fact]
    public async Task Walks_files_in_s3_key_order()
    {
        string[] files = ["a-b", "a/b", "a/c/d", "a0", "b", "é/x", "😀", "\uE000", "Z", "a b", "a+b"];
        foreach (var f in files) Touch(f);

        var walked = new List<string>();
        await foreach (var e in new LocalWalker(new Site { Name = "t", LocalPath = _root, Bucket = "b" }).WalkAsync())
            walked.Add(e.Key);

        Assert.Equal(files.Order(KeyOrder.Instance), walked);
    }

    [Fact]
    public async Task Skips_symlinks_and_excluded_files_with_a_report()
    {
        Touch("keep.txt");
        Touch("skip.log");
        File.CreateSymbolicLink(Path.Combine(_root, "link"), "/etc");
        File.CreateSymbolicLink(Path.Combine(_root, "loop"), _root);
        var issues = new List<WalkIssue>();
        var site = new Site { Name = "t", LocalPath = _root, Bucket = "b", Filter = new PathFilter([], [PathFilter.Compile(@"\.log$")]) };

        var walked = new List<string>();
        var walker = new LocalWalker(site, issues.Add);
        await foreach (var e in walker.WalkAsync()) walked.Add(e.Key);

        Assert.Equal(["keep.txt"], walked);
        Assert.Equal(2, issues.Count(i => i.Message.Contains("symbolic link", StringComparison.Ordinal) && !i.IsError));
        Assert.True(walker.Complete);
    }

    [Fact]
    public async Task A_missing_root_is_an_incomplete_walk()
    {
        var issues = new List<WalkIssue>();
        var walker = new LocalWalker(new Site { Name = "t", LocalPath = Path.Combine(_root, "nope"), Bucket = "b" }, issues.Add);
        await foreach (var _ in walker.WalkAsync()) { }
        Assert.False(walker.Complete);
        Assert.Contains(issues, i => i.IsError && i.Message.Contains("does not exist", StringComparison.Ordinal));
    }
}
