using S3Sync.Remote;

namespace S3Sync.Tests.Unit;

/// <summary>The whole-file MD5 read from an object's metadata: s3sync's, rclone's or s3cmd's.</summary>
public sealed class FingerprintMetadataTests
{
    private const string Md5 = "5d41402abc4b2a76b9719d911017c592"; // md5("hello")
    private const string Md5Base64 = "XUFAKrxLKna5cZ2REBfFkg==";

    private static string? Read(params (string Name, string Value)[] metadata) =>
        S3ObjectStore.FingerprintOf(name => metadata.FirstOrDefault(m => m.Name == name).Value);

    [Fact]
    public void Own_fingerprint_is_read_and_lowercased()
    {
        Assert.Equal(Md5, Read(("s3sync-md5", Md5.ToUpperInvariant())));
    }

    [Fact]
    public void Rclone_md5chksum_is_read_from_base64()
    {
        Assert.Equal(Md5, Read(("md5chksum", Md5Base64)));
    }

    [Fact]
    public void S3cmd_attrs_md5_is_read()
    {
        Assert.Equal(Md5, Read(("s3cmd-attrs", $"atime:1700000000/ctime:1700000000/gid:0/gname:root/md5:{Md5}/mode:33188/mtime:1700000000/uid:0/uname:root")));
    }

    [Fact]
    public void Own_fingerprint_comes_first()
    {
        Assert.Equal(Md5, Read(("md5chksum", "AAAAAAAAAAAAAAAAAAAAAA=="), ("s3sync-md5", Md5)));
    }

    [Theory]
    [InlineData("s3sync-md5", "not-an-md5")]
    [InlineData("s3sync-md5", "5d41402abc4b2a76b9719d911017c59")]
    [InlineData("md5chksum", "not base64!")]
    [InlineData("md5chksum", "aGVsbG8=")] // base64, but 5 bytes
    [InlineData("s3cmd-attrs", "mode:33188/md5:xyz")]
    [InlineData("other", Md5)]
    public void Malformed_or_unknown_metadata_gives_no_fingerprint(string name, string value)
    {
        Assert.Null(Read((name, value)));
    }
}
