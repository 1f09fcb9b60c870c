using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.Runtime;
using S3Sync.Config;
using S3Sync.Remote;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// The signed fast path, now taken with credentials from the SDK's chain (issue 16), obeys the same request policy as
/// the SDK's calls: each attempt's idle deadline, the bounded and logged retries, and the store's unresponsive window.
/// </summary>
public sealed class SignedPathDeadlineTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_stalled_signed_put_with_chain_credentials_times_out_retries_once_logged_then_the_store_fails_fast()
    {
        using var server = new MisbehavingServer((method, _) =>
            method == "PUT" ? new Misbehaviour.StallBody(100) : MisbehavingServer.EmptyListing("hang"));
        var site = new Site { Name = "hang", LocalPath = "/tmp", Bucket = "hang", Endpoint = server.Endpoint, ForcePathStyle = true };
        var retries = new List<string>();
        var credentials = new SessionCredentials();
        using var store = S3ObjectStore.ForSite(site, 2, 5, TimeSpan.FromSeconds(1), signed: true, r => { lock (retries) retries.Add(r); }, credentials);
        var body = "stalled"u8.ToArray();
        var headers = new UploadHeaders("STANDARD", "text/plain", "00");

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TimeoutException>(() => store.PutAsync("a.txt", body, MD5.HashData(body), headers, default));
        var first = clock.Elapsed;

        // Two attempts of 1 s idle each fit the 3 s wait budget; the retry is logged by the signed path itself.
        Assert.Equal(2, server.Count("PUT", "/hang/a.txt"));
        Assert.True(first < TimeSpan.FromSeconds(10), $"took {first.TotalSeconds:F1} s");
        var retry = Assert.Single(retries);
        Assert.StartsWith("retrying PUT a.txt (attempt 2/6): the request timed out", retry);
        // A timeout is not a refusal: the fast path stays on, and the session's credentials were asked per attempt.
        Assert.True(store.SignedPutActive, "a timeout turned the signed path off (the SDK would retry it all again)");
        Assert.True(credentials.Asked >= 2, $"credentials asked {credentials.Asked} times");

        // The server now counts as not answering: the next PUT fails at once, without a request.
        clock.Restart();
        await Assert.ThrowsAsync<TimeoutException>(() => store.PutAsync("b.txt", body, MD5.HashData(body), headers, default));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, server.Count("PUT", "/hang/b.txt"));
    }

    /// <summary>Session credentials (with a token) as a role or IRSA would hand out, counting how often they are asked.</summary>
    private sealed class SessionCredentials : AWSCredentials
    {
        private int _asked;
        public int Asked => Volatile.Read(ref _asked);

        public override ImmutableCredentials GetCredentials()
        {
            Interlocked.Increment(ref _asked);
            return new ImmutableCredentials("ASIAEXAMPLE", "session-secret", "session-token");
        }
    }
}
