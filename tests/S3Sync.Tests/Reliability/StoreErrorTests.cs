using System.Security.Cryptography;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>Errors cross the store seam as one <see cref="StoreException"/> with a kind, never as an SDK type: what the
/// server answered, as the callers decide by it.</summary>
[Collection("s3")]
public sealed class StoreErrorTests(S3ServerFixture server)
{
    [Fact]
    public async Task A_missing_bucket_crosses_as_missing_bucket()
    {
        using var s = await Scenario.CreateAsync(server);
        using var store = S3ObjectStore.ForSite(s.LoadSite() with { Bucket = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] }, 2, 0);

        var e = await Assert.ThrowsAsync<StoreException>(async () => { await foreach (var _ in store.ListAsync("", null, default)) { } });

        Assert.Equal(StoreErrorKind.MissingBucket, e.Kind);
        Assert.Equal("NoSuchBucket", e.Code);
        Assert.Equal(404, e.Status);
        Assert.StartsWith("NoSuchBucket (HTTP 404)", e.Message);
    }

    [Fact]
    public async Task A_missing_key_crosses_as_not_found_and_a_head_of_it_is_null()
    {
        using var s = await Scenario.CreateAsync(server);
        using var store = S3ObjectStore.ForSite(s.LoadSite(), 2, 0);

        var e = await Assert.ThrowsAsync<StoreException>(() => store.GetAsync("missing", 0, null, null, default));

        Assert.Equal(StoreErrorKind.NotFound, e.Kind);
        Assert.Null(await store.HeadAsync("missing", default));
    }

    [Fact]
    public async Task A_changed_object_crosses_as_precondition_failed()
    {
        using var s = await Scenario.CreateAsync(server);
        using var store = S3ObjectStore.ForSite(s.LoadSite(), 2, 0);
        await server.PutAsync(s.Bucket, "k", "now"u8.ToArray());

        var e = await Assert.ThrowsAsync<StoreException>(() => store.GetAsync("k", 0, null, Convert.ToHexStringLower(MD5.HashData("before"u8)), default));

        Assert.Equal(StoreErrorKind.PreconditionFailed, e.Kind);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Refused_credentials_cross_as_credentials_on_both_put_paths(bool signed)
    {
        using var s = await Scenario.CreateAsync(server);
        var site = s.LoadSite() with { Credentials = new StaticCredentials("AKIDNOSUCHKEY", "wrong-secret") };
        using var store = S3ObjectStore.ForSite(site, 2, 0, null, signed);

        var e = await Assert.ThrowsAsync<StoreException>(() =>
            store.PutAsync("k", "x"u8.ToArray(), MD5.HashData("x"u8), new UploadHeaders("STANDARD", "text/plain", "00"), default));

        Assert.Equal(StoreErrorKind.Credentials, e.Kind);
        Assert.Equal(StoreErrorKind.Credentials, StoreFailure.Classify(e));
        Assert.Contains("refused the credentials", StoreFailure.Explain(e, site));
    }

    [Fact]
    public async Task A_redirect_crosses_as_redirected()
    {
        using var s = await Scenario.CreateAsync(server);
        using var proxy = new FaultProxy(server.Endpoint) { RedirectTo = (_, target) => "http://127.0.0.1:9" + target };
        var site = new Site
        {
            Name = "redirect", LocalPath = s.Local, Bucket = s.Bucket, Endpoint = proxy.Endpoint, ForcePathStyle = true,
            Credentials = new StaticCredentials(server.AccessKey, server.SecretKey),
        };
        using var store = S3ObjectStore.ForSite(site, 2, 0);

        var put = await Assert.ThrowsAsync<StoreException>(() =>
            store.PutAsync("k", "x"u8.ToArray(), MD5.HashData("x"u8), new UploadHeaders("STANDARD", "text/plain", "00"), default));
        var head = await Assert.ThrowsAsync<StoreException>(() => store.HeadAsync("k", default));

        Assert.Equal(StoreErrorKind.Redirected, put.Kind);
        Assert.Equal(StoreErrorKind.Redirected, head.Kind);
        Assert.Contains("redirect to 127.0.0.1:9 refused", head.Message);
    }
}
