using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>SigV4's canonical URI encoding, which the signed PUT and part upload sign and send.</summary>
public sealed class SignedPutEncodingTests
{
    [Theory]
    [InlineData("plain-key_1.txt~", "plain-key_1.txt~")]
    [InlineData("dir/a b+c", "dir/a%20b%2Bc")]
    [InlineData("ü", "%C3%BC")]
    public void Path_keeps_slashes_and_encodes_every_other_reserved_byte(string key, string expected) =>
        Assert.Equal(expected, SignedPut.Encode(key));

    [Theory]
    [InlineData("2~abc.DEF-_", "2~abc.DEF-_")]
    [InlineData("a/b+c=d", "a%2Fb%2Bc%3Dd")]
    public void Query_value_encodes_slashes_too(string value, string expected) =>
        Assert.Equal(expected, SignedPut.EncodeQueryValue(value));

    [Theory]
    [InlineData("my-bucket-1", true)]
    [InlineData("abc", true)]
    [InlineData("ab", false)]
    [InlineData("my.bucket", false)]
    [InlineData("Legacy_Bucket", false)]
    [InlineData("-leading", false)]
    [InlineData("trailing-", false)]
    public void Only_a_bucket_that_is_a_host_label_goes_in_the_host_name(string bucket, bool expected) =>
        Assert.Equal(expected, SignedPut.IsHostLabel(bucket));
}
