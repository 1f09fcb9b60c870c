using System.Security.Cryptography;
using Amazon.S3.Model;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>
/// A server-side copy (a move by content, issue #26) of an object over CopyObject's 5 GiB limit goes in parts
/// (UploadPartCopy). The limit and the part size are lowered on the store so that 12 MiB take that path against the real
/// server: the copy holds the source's bytes, in three parts, with the headers and storage class asked for.
/// </summary>
[Collection("s3")]
public sealed class CopyInPartsTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task A_copy_over_the_single_copy_limit_goes_in_parts_with_its_bytes_headers_and_class()
    {
        var bucket = await server.NewBucketAsync();
        var body = TestData.Bytes(12 * MiB + 5, 26);
        var md5 = Convert.ToHexStringLower(MD5.HashData(body));
        var store = new S3ObjectStore(server.Client, new StoreLocation(bucket, "")) { SingleCopyLimit = 5 * MiB, CopyPartSize = 5 * MiB }; // the fixture's client: not disposed
        await store.PutAsync("from/source.bin", body, MD5.HashData(body), new UploadHeaders("STANDARD", "application/octet-stream", md5), default);
        var source = (await store.HeadAsync("from/source.bin", default))!;

        await store.CopyAsync(store.Location, "from/source.bin", "to/copy.bin", new UploadHeaders("STANDARD_IA", "text/plain", md5), "STANDARD_IA", source.ETag, body.Length, default);

        using var get = await server.Client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "to/copy.bin" });
        using var copied = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copied);
        Assert.Equal(md5, Convert.ToHexStringLower(MD5.HashData(copied.ToArray())));
        Assert.Equal("text/plain", get.Headers.ContentType);
        var head = (await store.HeadAsync("to/copy.bin", default))!;
        // 5 + 5 + 2 MiB: three UploadPartCopy parts, not one CopyObject (Ceph's CompleteMultipartUpload answers no ETag: the HEAD says it)
        Assert.EndsWith("-3", head.ETag);
        Assert.Equal("STANDARD_IA", head.StorageClass);
        Assert.Equal(md5, head.FingerprintMd5); // the whole MD5 rides along: the next run sees the copy unchanged
        Assert.Equal(body.Length, head.Size);
    }
}
