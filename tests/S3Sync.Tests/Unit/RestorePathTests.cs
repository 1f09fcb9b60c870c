using S3Sync.Local;

namespace S3Sync.Tests.Unit;

/// <summary>Which keys can be a file under a restore's target, one row per case.</summary>
public sealed class RestorePathTests
{
    [Theory]
    [InlineData("a.txt", true)]
    [InlineData("a/b/c.txt", true)]
    [InlineData("日本語/ünïcødé.txt", true)]
    [InlineData("..a/b..", true)]
    [InlineData("line\nbreak", true)]
    [InlineData("../escape", false)]
    [InlineData("a/../../escape", false)]
    [InlineData("..", false)]
    [InlineData("a/./b", false)]
    [InlineData(".", false)]
    [InlineData("/abs", false)]
    [InlineData("a//b", false)]
    [InlineData("dir/", false)]
    [InlineData("nul\0byte", false)]
    [InlineData("", false)]
    [InlineData("lone\uD800surrogate", false)]
    [InlineData("dir/.s3sync-restore-0123456789abcdef0123456789abcdef.part", false)]
    public void Only_keys_that_stay_inside_the_target_are_files(string key, bool ok)
    {
        Assert.Equal(ok, RestorePath.TryParse(key, out var segments, out var why));
        if (ok) Assert.Equal(key.Split('/'), segments);
        else Assert.NotEmpty(why);
    }

    [Fact]
    public void Names_over_255_bytes_and_paths_over_4095_bytes_are_refused()
    {
        Assert.True(RestorePath.TryParse(new string('a', 255), out _, out _));
        Assert.False(RestorePath.TryParse(new string('a', 256), out _, out _));
        Assert.False(RestorePath.TryParse(new string('é', 128), out _, out _)); // 256 bytes of UTF-8
        Assert.False(RestorePath.TryParse(string.Join('/', Enumerable.Repeat(new string('a', 200), 21)), out _, out _));
    }
}
