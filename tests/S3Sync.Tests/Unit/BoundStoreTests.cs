using System.Security.Cryptography;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Unit;

/// <summary>
/// A store bound to a prefix never names a key outside it: a relative key is joined to the prefix as it is, never
/// resolved as a path ("..", "." and a leading "/" are names to S3), and what it lists, heads, gets or deletes is only
/// under its prefix. A sibling (<see cref="IObjectStore.At"/>) is bound to its own prefix of the same bucket.
/// </summary>
public sealed class BoundStoreTests
{
    public static TheoryData<string> Hostile => ["../x", "../../etc/passwd", "/x", "//x", "./x", "a/../../b", "a/./b", "..", ".", "%2e%2e/x", "\\..\\x"];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_key_is_joined_to_the_prefix_never_resolved(string key)
    {
        var at = new StoreLocation("b", "site/");

        Assert.Equal("site/" + key, at.Join(key));
        Assert.Equal("s3://b/site/" + key, at.UrlOf(key));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Every_call_of_a_bound_store_stays_under_its_prefix(string key)
    {
        using var store = new MemoryStore("b", prefix: "site/");
        store.Seed("other/x", "outside"u8.ToArray());
        store.Seed("x", "root"u8.ToArray());
        var body = "in"u8.ToArray();
        var headers = new UploadHeaders("STANDARD", "text/plain", null);

        await store.PutAsync(key, body, MD5.HashData(body), headers, default);
        var id = await store.Multipart!.StartMultipartAsync(key + ".mp", headers, default);
        var etag = await store.Multipart.UploadPartAsync(key + ".mp", id, 1, body, MD5.HashData(body), default);
        await store.Multipart.CompleteMultipartAsync(key + ".mp", id, [(1, etag)], default);
        await store.Copy!.CopyAsync(store.Location, key, key + ".copy", null, "STANDARD", null, body.Length, default);
        Assert.NotNull(await store.HeadAsync(key, default));
        using (var get = await store.GetAsync(key, 0, null, null, default)) Assert.Equal(body.Length, get.ContentLength);
        var listed = new List<string>();
        await foreach (var o in store.ListAsync("", null, default)) listed.Add(o.Key);
        Assert.Empty(await store.DeleteAsync([key + ".copy"], default));

        // Every request named a key under the prefix, the outside objects are untouched, and the listing gave the
        // keys back as they were given
        Assert.All(store.Calls, c => Assert.StartsWith("site/", c[(c.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal));
        Assert.Equal(["other/x", "site/" + key, "site/" + key + ".mp", "x"], store.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("outside"u8.ToArray(), store["other/x"]!.Body);
        Assert.Equal("root"u8.ToArray(), store["x"]!.Body);
        Assert.Equal(new[] { key, key + ".copy", key + ".mp" }.Order(S3Sync.Local.KeyOrder.Instance), listed);
    }

    [Fact]
    public async Task A_sibling_is_bound_to_its_own_prefix_of_the_same_bucket_and_copies_from_the_other()
    {
        using var site = new MemoryStore("b", prefix: "site/");
        site.Seed("site/a.txt", "A"u8.ToArray());
        site.Seed("sitex/b.txt", "B"u8.ToArray());
        using var backup = site.At("bk/");

        await backup.Copy!.CopyAsync(site.Location, "a.txt", "run/a.txt", null, "STANDARD", null, 1, default);
        var siteKeys = new List<string>();
        await foreach (var o in site.ListAsync("", null, default)) siteKeys.Add(o.Key);
        var backupKeys = new List<string>();
        await foreach (var o in backup.ListAsync("", null, default)) backupKeys.Add(o.Key);

        Assert.Equal(new StoreLocation("b", "bk/"), backup.Location);
        Assert.Equal(["a.txt"], siteKeys); // not sitex/: the prefix ends with '/'
        Assert.Equal(["run/a.txt"], backupKeys);
        Assert.Equal("A"u8.ToArray(), site["bk/run/a.txt"]!.Body);
        await Assert.ThrowsAsync<ArgumentException>(() => backup.Copy.CopyAsync(new StoreLocation("other", "site/"), "a.txt", "x", null, "STANDARD", null, 1, default));
    }

    [Theory]
    [InlineData("bk")]
    [InlineData("site/sub")]
    [InlineData("/")]
    public void A_sibling_prefix_that_does_not_end_with_a_slash_is_refused(string prefix)
    {
        using var client = new Amazon.S3.AmazonS3Client(new Amazon.Runtime.AnonymousAWSCredentials(), new Amazon.S3.AmazonS3Config { ServiceURL = "http://127.0.0.1:9", ForcePathStyle = true });
        using var s3 = new S3ObjectStore(client, new StoreLocation("b", "site/"));
        using var memory = new MemoryStore("b", prefix: "site/");

        if (prefix == "/")
        {
            Assert.Equal("/", s3.At(prefix).Location.Prefix); // ends with '/': a name like any other
            return;
        }
        Assert.Throws<ArgumentException>(() => s3.At(prefix));
        Assert.Throws<ArgumentException>(() => memory.At(prefix));
        Assert.Equal(new StoreLocation("b", prefix + "/"), s3.At(prefix + "/").Location);
    }
}
