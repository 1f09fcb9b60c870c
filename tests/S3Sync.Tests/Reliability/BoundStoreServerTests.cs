using System.Security.Cryptography;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Against the real server, through the SDK and the signed path: a key with "..", "." or a leading "/" given to a store
/// bound to a prefix lands under that prefix by that exact name. Neither the SDK nor the HTTP stack may resolve it as a
/// path (a URI that collapsed "site/../x" to "x" would write outside the site's prefix).
/// </summary>
[Collection("s3")]
public sealed class BoundStoreServerTests(S3ServerFixture server)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_dot_segment_key_lands_under_the_prefix_by_its_exact_name(bool signed)
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite("bucket_path: site");
        using var store = S3ObjectStore.ForSite(site, 2, 0, null, signed);
        string[] keys = ["../x", "./y", "a/../../z", "/lead", "..", "."];
        var body = "in"u8.ToArray();

        foreach (var key in keys)
            await store.PutAsync(key, body, MD5.HashData(body), new UploadHeaders("STANDARD", "text/plain", null), default);
        foreach (var key in keys) Assert.NotNull(await store.HeadAsync(key, default));
        var listed = new List<string>();
        await foreach (var o in store.ListAsync("", null, default)) listed.Add(o.Key);

        Assert.Equal(keys.Select(k => "site/" + k).Order(StringComparer.Ordinal), (await server.ListAsync(s.Bucket)).Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Empty(await store.DeleteAsync(keys, default));
        Assert.Empty(await server.ListAsync(s.Bucket));
    }
}
