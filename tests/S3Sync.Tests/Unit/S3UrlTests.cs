using S3Sync.Config;

namespace S3Sync.Tests.Unit;

public class S3UrlTests
{
    [Theory]
    [InlineData("s3://bucket", "bucket", "")]
    [InlineData("s3://bucket/", "bucket", "")]
    [InlineData("s3://bucket/a/b/", "bucket", "a/b/")]
    [InlineData("S3://bucket/ünï cødé", "bucket", "ünï cødé")]
    public void Parses_bucket_and_prefix(string text, string bucket, string prefix)
    {
        Assert.True(S3Url.TryParse(text, out var url, out _));
        Assert.Equal((bucket, prefix), (url.Bucket, url.Prefix));
    }

    [Theory]
    [InlineData("bucket/a", "is not an s3://BUCKET[/PREFIX] URL")]
    [InlineData("https://bucket.s3.amazonaws.com/", "is not an s3://BUCKET[/PREFIX] URL")]
    [InlineData("s3://", "names no bucket")]
    [InlineData("s3:///a", "names no bucket")]
    public void Refuses_what_is_not_an_s3_url(string text, string message)
    {
        Assert.False(S3Url.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }
}
