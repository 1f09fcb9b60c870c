using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Reliability;

/// <summary>503 SlowDown and 500 InternalError, injected by <see cref="FaultProxy"/> in front of the real server.</summary>
[Collection("s3")]
public sealed class ThrottlingTests(S3ServerFixture server)
{
    private const int MiB = 1024 * 1024;

    [Fact(Timeout = 120_000)]
    public async Task SlowDown_and_internal_errors_are_retried_and_the_run_succeeds()
    {
        using var proxy = new FaultProxy(server.Endpoint);
        // Every other request among the first 12 fails: 3 times 503 SlowDown, 3 times 500 InternalError.
        proxy.Decide = (n, _, _) => n <= 12 && n % 2 == 1 ? (n % 4 == 1 ? 503 : 500) : null;
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 6;
        for (var i = 0; i < 10; i++) s.Write($"small/{i}.txt", $"small {i}");
        var big = Bytes(9 * MiB, 7);
        s.Write("big.bin", big);
        s.SiteConfig();

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 0, run.ToString() + "\n" + string.Join("\n", proxy.Requests));
        Assert.Equal(6, proxy.Faults);
        Assert.Contains(proxy.Requests, r => r.FaultStatus == 503);
        Assert.Contains(proxy.Requests, r => r.FaultStatus == 500);
        // Each faulted request was sent again.
        var requests = proxy.Requests.ToList();
        foreach (var (fault, i) in requests.Select((r, i) => (r, i)).Where(x => x.r.FaultStatus is not null))
            Assert.Contains(requests.Skip(i + 1), r => r.Method == fault.Method && r.Target == fault.Target);
        Assert.Equal(11, (await s.KeysAsync()).Count);
        Assert.Equal(big, await server.GetAsync(s.Bucket, "big.bin"));

        var verify = await s.RunAsync("verify", "-c", "{config}");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Request_failing_past_s3_ops_retries_fails_its_file_only_and_exits_3()
    {
        using var proxy = new FaultProxy(server.Endpoint);
        proxy.Decide = (_, method, target) => method == "PUT" && target.Contains("/throttled.txt", StringComparison.Ordinal) ? 503 : null;
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 2;
        s.Write("fine.txt", "fine");
        s.Write("throttled.txt", "never gets through");
        s.SiteConfig();

        var run = await s.SyncAsync();

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("uploaded 1 files", run.Output);
        Assert.Contains("failed 1", run.Output);
        Assert.Contains("throttled.txt", run.Output);
        Assert.Equal(3, proxy.Requests.Count(r => r.Method == "PUT" && r.Target.Contains("/throttled.txt", StringComparison.Ordinal))); // 1 + s3_ops_retries
        Assert.Equal(["fine.txt"], await s.KeysAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task Each_retry_is_a_warning_line_naming_the_request_and_the_attempt()
    {
        // Given a proxy that answers the first PUT of each file with 503 SlowDown and the second with 500
        using var proxy = new FaultProxy(server.Endpoint);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        proxy.Decide = (_, method, target) => method != "PUT" ? null : seen.AddOrUpdate(target, 1, (_, n) => n + 1) switch { 1 => 503, 2 => 500, _ => null };
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 5;
        s.Write("f.txt", "retried twice");
        s.SiteConfig();

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then it succeeds, and each retry was a warning: what, which attempt of how many, and why
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("retrying PUT f.txt (attempt 2/6): SlowDown", run.Error);
        Assert.Contains("retrying PUT f.txt (attempt 3/6): InternalError", run.Error);
        Assert.Equal(["f.txt"], await s.KeysAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task A_429_Too_Many_Requests_on_the_signed_PUT_is_retried_like_SlowDown_and_the_run_succeeds()
    {
        // Given a proxy that answers the first PUT of each file with 429 TooManyRequests (a rate-limiting gateway's
        // answer; the SDK's own path retried it, the signed PUT failed the file at once)
        using var proxy = new FaultProxy(server.Endpoint);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        proxy.Decide = (_, method, target) => method == "PUT" && seen.AddOrUpdate(target, 1, (_, n) => n + 1) == 1 ? 429 : null;
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 3;
        for (var i = 0; i < 4; i++) s.Write($"f{i}.txt", $"file {i}");
        s.SiteConfig();

        // When the binary syncs
        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        // Then each file was sent again after its 429, and every one is in the bucket
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("retrying PUT f0.txt (attempt 2/4): TooManyRequests", run.Error);
        Assert.Equal(4, proxy.Requests.Count(r => r.FaultStatus == 429));
        Assert.Equal(["f0.txt", "f1.txt", "f2.txt", "f3.txt"], await s.KeysAsync());
        for (var i = 0; i < 4; i++) Assert.Equal(System.Text.Encoding.UTF8.GetBytes($"file {i}"), await server.GetAsync(s.Bucket, $"f{i}.txt"));
    }

    [Fact(Timeout = 300_000)]
    public async Task A_server_that_throttles_above_16_requests_at_once_gets_no_failures_and_the_run_converges_near_16()
    {
        // Given a server that answers 503 SlowDown while 16 requests are in flight, each taking 200 ms (long next to the
        // client's own work per request, so the client's CPU is not what limits the concurrency)
        using var proxy = new FaultProxy(server.Endpoint) { SlowDownAbove = 16, ServeDelay = TimeSpan.FromMilliseconds(200) };
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.UploadWorkers = null;
        for (var i = 0; i < 600; i++) s.Write($"d{i / 100:00}/f{i:0000}.bin", Bytes(4096, i));
        s.SiteConfig();

        // When 600 small files are synced with the default (adaptive) concurrency, which starts at 32
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var run = await s.SyncAsync();
        var wall = clock.Elapsed;

        // Then no file fails, every object is there, and the requests in flight came down to what the server takes:
        // few SlowDowns (32 fixed workers get one for every other request and fail files), and the server kept busy
        // (the limit did not collapse to its floor)
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(600, (await s.KeysAsync()).Count);
        var requests = proxy.Requests.Count;
        Assert.True(proxy.Faults < requests / 20, $"{proxy.Faults} SlowDown answers of {requests} requests");
        var meanInFlight = proxy.Served / wall;
        var stats = $"{proxy.Faults} SlowDown of {requests} requests, peak {proxy.PeakInFlight}, mean {meanInFlight:0.0}, {wall.TotalSeconds:0.0} s";
        Assert.True(proxy.PeakInFlight == 16, stats);
        Assert.True(meanInFlight >= 6, stats);
    }
}
