using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using S3Sync.Execution;
using S3Sync.Planning;
using S3Sync.Remote;
using S3Sync.Tests.Support;
using static S3Sync.Tests.Support.TestData;

namespace S3Sync.Tests.Reliability;

/// <summary>
/// The server dies or freezes under a running sync. A private server instance (<see cref="FaultServerFixture"/>);
/// s3sync runs as a child process, so signals and its process start time are real.
/// </summary>
[Collection("faults")]
public sealed class ServerFaultTests(FaultServerFixture server, Xunit.Abstractions.ITestOutputHelper log)
{
    private const int MiB = 1024 * 1024;

    private static async Task<RunResult> WaitAsync(Process p, TimeSpan timeout)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"s3sync did not exit within {timeout}:\n{await stdout}\n{await stderr}");
        }
        return new RunResult(p.ExitCode, await stdout, await stderr);
    }

    [Fact(Timeout = 180_000)]
    public async Task Server_killed_mid_sync_exits_3_and_the_next_run_converges_with_no_stale_upload()
    {
        // Given a tree of small files and a 5-part file, synced through a proxy that tells when parts go up
        using var proxy = new FaultProxy(server.Endpoint);
        var partsFlowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        proxy.Seen += r => { if (r.Target.Contains("partNumber=2", StringComparison.Ordinal)) partsFlowing.TrySetResult(); };
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 120; i++) files[$"f/{i:D3}.txt"] = Bytes(2000 + i, i);
        files["f/000-big.bin"] = Bytes(40 * MiB, 99);
        foreach (var (k, v) in files) s.Write(k, v);
        s.SiteConfig("retire_deleted: true");

        // When the gateway is killed while parts are going up
        var killed = Stopwatch.StartNew();
        using var run = CliProcess.Start(["sync", "-c", s.ConfigPath, "--workers", "3"]);
        await partsFlowing.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await server.KillGatewayAsync();
        var first = await WaitAsync(run, TimeSpan.FromSeconds(90));
        killed.Stop();

        // Then the run exits 3 with a summary that says it is incomplete
        Assert.True(first.ExitCode == 3, first.ToString());
        Assert.Matches(@"site \S+: uploaded \d+ files .* failed [1-9]\d*; .*\[incomplete: see errors\]", first.Output);

        await server.RestartGatewayAsync();
        // No half-written object is visible: every key holds its file's exact bytes.
        var keys = await s.KeysAsync();
        Assert.True(keys.Count < files.Count, $"the kill came too late: {keys.Count} objects already there");
        foreach (var key in keys)
        {
            var stored = await server.GetAsync(s.Bucket, key);
            Assert.True(files[key].SequenceEqual(stored), $"{key} is not its file's content");
        }
        var leftOpen = await server.OpenUploadsAsync(s.Bucket);
        log.WriteLine($"killed run: {killed.Elapsed.TotalSeconds:F1} s, {keys.Count} of {files.Count} objects stored, {leftOpen.Count} uploads left open\n{first.Output}");

        // And the next run converges and aborts the upload the killed run left open
        s.Endpoint = null;
        s.SiteConfig("retire_deleted: true");
        var second = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], timeout: TimeSpan.FromSeconds(90));

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), await s.KeysAsync());
        Assert.Equal(files["f/000-big.bin"], await server.GetAsync(s.Bucket, "f/000-big.bin"));
        // The upload the killed run left open is kept: younger than SiteSync.AbandonedAfter, it cannot be told from
        // another live run's (issue #23, item 7). A run a day later (its clock moved on) aborts it.
        Assert.Equal(leftOpen.Select(u => u.UploadId).Order(StringComparer.Ordinal), (await server.OpenUploadsAsync(s.Bucket)).Select(u => u.UploadId).Order(StringComparer.Ordinal));
        var site = s.LoadSite("retire_deleted: true");
        using (var store = S3ObjectStore.ForSite(site, 4, 2))
        {
            var later = new LaterClock(SiteSync.AbandonedAfter + TimeSpan.FromMinutes(5));
            var cleanup = await new SiteSync(site, store, DirectDigestSource.Instance, new SyncSettings { AbortUploadsStartedBefore = later.GetUtcNow().UtcDateTime, Time = later }, NullLogger.Instance).RunAsync(CancellationToken.None);
            Assert.Equal(SiteStatus.Done, cleanup.Status);
        }
        Assert.Empty(await server.OpenUploadsAsync(s.Bucket));
        var verify = await CliProcess.RunAsync(["verify", "-c", s.ConfigPath]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact(Timeout = 180_000)]
    public async Task Frozen_server_times_out_retries_up_to_s3_ops_retries_and_sigint_still_exits_promptly()
    {
        using var proxy = new FaultProxy(server.Endpoint);
        TaskCompletionSource? firstRequest = null;
        proxy.Seen += _ => firstRequest?.TrySetResult();
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 1;
        for (var i = 0; i < 3; i++) s.Write($"f{i}.txt", $"file {i}");
        s.SiteConfig();
        var shortTimeout = new Dictionary<string, string> { ["S3SYNC_REQUEST_TIMEOUT"] = "1" };

        server.Signal("STOP");
        try
        {
            // A frozen server: every request times out after 1 s and is sent 1 + s3_ops_retries times; the run ends.
            var frozen = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], env: shortTimeout, timeout: TimeSpan.FromSeconds(60));

            Assert.True(frozen.ExitCode == 3, frozen.ToString());
            Assert.True(frozen.Output.Contains("timed out", StringComparison.Ordinal), frozen.ToString());
            Assert.Contains("[incomplete: see errors]", frozen.Output);
            var listings = proxy.Requests.Count(r => r.Method == "GET" && r.Target.Contains("list-type=2", StringComparison.Ordinal));
            Assert.Equal(2, listings);

            // SIGINT during a request the server will never answer (default 120 s timeout): exits at once.
            proxy.Requests.Clear();
            firstRequest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var run = CliProcess.Start(["sync", "-c", s.ConfigPath]);
            await firstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var clock = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-INT", run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            var interrupted = await WaitAsync(run, TimeSpan.FromSeconds(30));
            log.WriteLine($"frozen run: {frozen.Output}\nSIGINT honoured in {clock.Elapsed.TotalSeconds:F1} s");

            Assert.True(interrupted.ExitCode == 130, interrupted.ToString());
            Assert.Contains("interrupted", interrupted.Error);
        }
        finally
        {
            server.Signal("CONT");
        }

        // Thawed: the next run converges.
        var thawed = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath], timeout: TimeSpan.FromSeconds(60));
        Assert.True(thawed.ExitCode == 0, thawed.ToString());
        Assert.Equal(["f0.txt", "f1.txt", "f2.txt"], await s.KeysAsync());
    }

    /// <summary>A clock <paramref name="ahead"/> of the real one: the server's times look that old.</summary>
    private sealed class LaterClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }
}
