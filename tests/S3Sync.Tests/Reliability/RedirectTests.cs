using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Config;
using S3Sync.Execution;
using S3Sync.Hashing;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// Issue #23, item 3: a redirect to another host is never followed, on any path (the signed PUT, the SDK's PUT,
/// parts, DeleteObjects, listing, GET). A 307 is that request's failure, with one line naming the status and the
/// Location's host; nothing (no body, no <c>x-amz-meta-*</c>) reaches the other host; the bucket is unchanged.
/// </summary>
[Collection("s3")]
public sealed class RedirectTests(S3ServerFixture server)
{
    /// <summary>The other host: accepts every PUT (a 200 with the body's MD5 as ETag), every DeleteObjects, every GET,
    /// as a server that lies would. Anything it records reached it.</summary>
    private static MisbehavingServer Elsewhere() => new((method, target) => method switch
    {
        "PUT" => new Misbehaviour.AcceptPut(),
        "POST" when target.Contains("?delete", StringComparison.Ordinal) => new Misbehaviour.Answer(200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"></DeleteResult>"),
        "POST" => new Misbehaviour.Answer(200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>elsewhere</UploadId></InitiateMultipartUploadResult>"),
        "GET" when target.Contains("list-type", StringComparison.Ordinal) => MisbehavingServer.EmptyListing("b"),
        _ => new Misbehaviour.Object("hijacked"u8.ToArray(), new Dictionary<string, string> { ["ETag"] = "\"0d2e4b4ef3ba0ee4c9d0d7b1f2b8b4c5\"" }),
    });

    private static string Location(MisbehavingServer elsewhere, string target) => elsewhere.Endpoint + target;

    [Theory(Timeout = 120_000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sync_whose_PUTs_are_redirected_to_another_host_fails_and_sends_nothing_there(bool sdkPath)
    {
        // Given a small and a multipart file, and an endpoint that answers every PUT and POST with a 307 elsewhere
        using var s = await Scenario.CreateAsync(server);
        s.Write("small.txt", "secret content");
        s.Write("big.bin", TestData.Bytes(9 * 1024 * 1024, 23));
        using var elsewhere = Elsewhere();
        using var proxy = new FaultProxy(server.Endpoint) { RedirectTo = (method, target) => method is "PUT" or "POST" ? Location(elsewhere, target) : null };
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig("headers:\n  - match: '.*'\n    metadata: {owner: alice}");
        if (sdkPath) Environment.SetEnvironmentVariable("S3SYNC_SDK_PUT", "1");

        // When it syncs
        RunResult run;
        try { run = await s.SyncAsync(); }
        finally { Environment.SetEnvironmentVariable("S3SYNC_SDK_PUT", null); }

        // Then the run fails, says which status and which host, nothing reached the other host, the bucket is empty
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.True((run.Output + run.Error).Contains("HTTP 307 redirect to 127.0.0.1:" + new Uri(elsewhere.Endpoint).Port + " refused", StringComparison.Ordinal), run.ToString());
        Assert.Empty(elsewhere.Requests);
        Assert.Empty(await s.KeysAsync());
        Assert.DoesNotContain("uploaded 2", run.Error + run.Output);
        Assert.True(proxy.Requests.Any(r => r.FaultStatus == 307), "no request was redirected: the test proves nothing");
        // A redirect is not retried: each request was refused once
        Assert.All(proxy.Requests.Where(r => r.FaultStatus == 307).GroupBy(r => (r.Method, r.Target)), g => Assert.Single(g));
    }

    [Fact(Timeout = 120_000)]
    public async Task Sync_whose_DeleteObjects_is_redirected_to_another_host_fails_and_deletes_nothing()
    {
        // Given two objects whose files are gone, and an endpoint that answers POST ?delete with a 307 elsewhere
        using var s = await Scenario.CreateAsync(server);
        s.Write("keep.txt", "k");
        var a = s.Write("a.txt", "a");
        var b = s.Write("b.txt", "b");
        s.SiteConfig();
        Assert.Equal(0, (await s.SyncAsync()).ExitCode);
        File.Delete(a);
        File.Delete(b);
        using var elsewhere = Elsewhere();
        using var proxy = new FaultProxy(server.Endpoint) { RedirectTo = (method, target) => method == "POST" ? Location(elsewhere, target) : null };
        s.Endpoint = proxy.Endpoint;
        s.SiteConfig();

        // When it syncs with --delete
        var run = await s.SyncAsync("--delete", "--max-delete", "100%");

        // Then nothing is deleted, nothing reached the other host, and the run says why
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.True((run.Output + run.Error).Contains("HTTP 307 redirect to 127.0.0.1:" + new Uri(elsewhere.Endpoint).Port + " refused", StringComparison.Ordinal), run.ToString());
        Assert.Empty(elsewhere.Requests);
        Assert.Equal(["a.txt", "b.txt", "keep.txt"], await s.KeysAsync());
        Assert.True(proxy.Requests.Any(r => r.FaultStatus == 307), "no request was redirected: the test proves nothing");
        // A redirect is not retried: each request was refused once
        Assert.All(proxy.Requests.Where(r => r.FaultStatus == 307).GroupBy(r => (r.Method, r.Target)), g => Assert.Single(g));
    }

    [Fact(Timeout = 120_000)]
    public async Task Listing_HEAD_and_GET_redirected_to_another_host_fail_with_one_line()
    {
        // Given an object, and an endpoint that redirects every GET and HEAD elsewhere
        using var s = await Scenario.CreateAsync(server);
        await server.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = s.Bucket, Key = "o.txt", ContentBody = "real" });
        using var elsewhere = Elsewhere();
        using var proxy = new FaultProxy(server.Endpoint) { RedirectTo = (method, target) => method is "GET" or "HEAD" ? Location(elsewhere, target) : null };
        var site = new Site
        {
            Name = "redirect", LocalPath = s.Local, Bucket = s.Bucket, Endpoint = proxy.Endpoint, ForcePathStyle = true,
            Credentials = new StaticCredentials(server.AccessKey, server.SecretKey),
        };
        using var store = S3ObjectStore.ForSite(site, 2, 0);

        // When each is asked, then each fails naming the status and the host, and nothing reached the other host
        var host = "127.0.0.1:" + new Uri(elsewhere.Endpoint).Port;
        var list = await Assert.ThrowsAnyAsync<Exception>(async () => { await foreach (var _ in store.ListAsync("", null, CancellationToken.None)) { } });
        Assert.Contains($"HTTP 307 redirect to {host}", StoreErrors.Describe(list));
        var get = await Assert.ThrowsAnyAsync<Exception>(() => store.GetAsync("o.txt", 0, null, null, CancellationToken.None));
        Assert.Contains($"HTTP 307 redirect to {host}", StoreErrors.Describe(get));
        var head = await Assert.ThrowsAnyAsync<Exception>(() => store.HeadAsync("o.txt", CancellationToken.None));
        Assert.Contains($"HTTP 307 redirect to {host}", StoreErrors.Describe(head));
        Assert.Empty(elsewhere.Requests);
    }
}
