using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Scenarios;

/// <summary>watch as a process: signals, the file reload and the HTTP port, end to end (the AOT binary when
/// S3SYNC_BINARY is set, as in ./build.sh test; else the built s3sync.dll).</summary>
[Collection("s3")]
public sealed class WatchProcessTests(S3ServerFixture server)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Watch_process_reloads_on_sighup_refuses_a_bad_file_and_exits_0_on_sigterm()
    {
        using var s = await Scenario.CreateAsync(server);
        var port = FreePort();
        s.SiteConfig("name: www\nbucket_path: one", globals: $"http_port: {port}");
        var lines = new ConcurrentQueue<string>();
        using var process = Start(["watch", "-c", s.ConfigPath], lines);
        try
        {
            await UntilAsync(async () => await HealthAsync(port) == 200, "/healthz 200", lines);
            s.Write("first.txt", "1");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "one/first.txt"), "one/first.txt in the bucket", lines);

            // An invalid file: refused, and the process keeps running and syncing with the old configuration.
            var valid = File.ReadAllText(s.ConfigPath);
            File.WriteAllText(s.ConfigPath, valid.Replace("upload_workers: 4", "upload_workers: lots", StringComparison.Ordinal));
            Signal(process, "HUP");
            // The file watcher sees the write too: the one reload names both reasons, in the order they came.
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("SIGHUP", StringComparison.Ordinal) && l.Contains(") refused", StringComparison.Ordinal))), "the refusal", lines);
            Assert.Contains(lines, l => l.Contains(s.ConfigPath, StringComparison.Ordinal) && l.Contains("upload_workers", StringComparison.Ordinal));
            s.Write("second.txt", "2");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "one/second.txt"), "one/second.txt", lines);

            // A valid one, by SIGHUP: the new prefix is used.
            File.WriteAllText(s.ConfigPath, valid.Replace("bucket_path: one", "bucket_path: two", StringComparison.Ordinal));
            Signal(process, "HUP");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "two/second.txt"), "the full sync into two/", lines);
            // An info line: on stderr within the log's flush interval (100 ms), so awaited like the bucket.
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("configuration reload", StringComparison.Ordinal) && l.Contains("restarting 1 sites", StringComparison.Ordinal))), "the reload's line", lines);

            Signal(process, "TERM");
            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.True(process.ExitCode == 0, string.Join("\n", lines));
            Assert.Contains(lines, l => l.Contains("SIGTERM: stopping", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    /// <summary>Issue #23, item 4: the watched file renamed over by a link to /dev/zero (the process died of an
    /// OutOfMemoryException) or by a FIFO (the reload blocked, and SIGTERM no longer ended the process).</summary>
    [Theory]
    [InlineData("dev-zero")]
    [InlineData("fifo")]
    public async Task Watch_process_keeps_its_configuration_when_the_file_becomes_a_device_or_a_fifo_and_stops_on_sigterm(string kind)
    {
        using var s = await Scenario.CreateAsync(server);
        var port = FreePort();
        s.SiteConfig("name: www\nbucket_path: one", globals: $"http_port: {port}");
        var lines = new ConcurrentQueue<string>();
        using var process = Start(["watch", "-c", s.ConfigPath, "--grace", "5"], lines);
        try
        {
            await UntilAsync(async () => await HealthAsync(port) == 200, "/healthz 200", lines);

            // Swapped by rename, as an editor or a ConfigMap update does.
            var swap = s.ConfigPath + ".new";
            if (kind == "fifo")
            {
                using var mkfifo = Process.Start("mkfifo", [swap]);
                await mkfifo.WaitForExitAsync();
            }
            else
            {
                File.CreateSymbolicLink(swap, "/dev/zero");
            }
            File.Move(swap, s.ConfigPath, overwrite: true);

            var what = kind == "fifo" ? "is a FIFO (named pipe), not a configuration file" : "is a character device, not a configuration file";
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains(") refused", StringComparison.Ordinal) && l.Contains(what, StringComparison.Ordinal))), "the refusal", lines);
            Assert.Contains(lines, l => l.Contains(") refused", StringComparison.Ordinal) && l.Contains(s.ConfigPath, StringComparison.Ordinal) && l.Contains("the running configuration stays", StringComparison.Ordinal));

            // The old configuration keeps running: a new file lands under the old prefix.
            s.Write("after.txt", "after");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "one/after.txt"), "one/after.txt in the bucket", lines);
            Assert.Equal(200, await HealthAsync(port));
            Assert.Single(lines, l => l.Contains(") refused", StringComparison.Ordinal));

            var stopping = Stopwatch.StartNew();
            Signal(process, "TERM");
            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.True(process.ExitCode == 0, string.Join("\n", lines));
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"stopped after {stopping.Elapsed}");
            Assert.DoesNotContain(lines, l => l.Contains("OutOfMemory", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public async Task Watch_process_logs_each_retry_as_a_warning_as_sync_does()
    {
        // Given a proxy that answers the first PUT of each file with 503 SlowDown
        using var proxy = new FaultProxy(server.Endpoint);
        var seen = new ConcurrentDictionary<string, int>();
        proxy.Decide = (_, method, target) => method != "PUT" ? null : seen.AddOrUpdate(target, 1, (_, n) => n + 1) == 1 ? 503 : null;
        using var s = await Scenario.CreateAsync(server);
        s.Endpoint = proxy.Endpoint;
        s.Retries = 3;
        s.SiteConfig();
        var lines = new ConcurrentQueue<string>();
        using var process = Start(["watch", "-c", s.ConfigPath], lines);
        try
        {
            // When a file is written while it watches
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("full sync done", StringComparison.Ordinal))), "the initial sync", lines);
            s.Write("evented.txt", "retried once");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "evented.txt"), "evented.txt in the bucket", lines);

            // Then its retry was a warning line: what, which attempt of how many, and why
            Assert.Contains(lines, l => l.Contains("retrying PUT evented.txt (attempt 2/4): SlowDown", StringComparison.Ordinal));
            Signal(process, "TERM");
            await process.WaitForExitAsync().WaitAsync(Deadline);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public async Task Watch_process_in_the_ad_hoc_form_syncs_changes_and_survives_sighup()
    {
        using var s = await Scenario.CreateAsync(server);
        s.Write("first.txt", "1");
        var lines = new ConcurrentQueue<string>();
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = server.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = server.SecretKey,
            ["AWS_ENDPOINT_URL_S3"] = server.Endpoint,
        };
        using var process = Start(["watch", s.Local, $"s3://{s.Bucket}/www"], lines, env);
        try
        {
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "www/first.txt"), "the initial sync", lines);
            Signal(process, "HUP");
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("configuration reload (SIGHUP)", StringComparison.Ordinal))), "the reload", lines);
            s.Write("second.txt", "2");
            await UntilAsync(async () => (await server.ListAsync(s.Bucket)).Any(o => o.Key == "www/second.txt"), "www/second.txt", lines);

            Signal(process, "TERM");
            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.True(process.ExitCode == 0, string.Join("\n", lines));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Fact]
    public async Task Watch_process_started_under_nohup_still_reloads_on_sighup()
    {
        // Given a watch started by nohup, which starts it with SIGHUP ignored
        using var s = await Scenario.CreateAsync(server);
        s.SiteConfig("name: www");
        var lines = new ConcurrentQueue<string>();
        using var process = Start(["watch", "-c", s.ConfigPath], lines, nohup: true);
        try
        {
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("full sync done", StringComparison.Ordinal))), "the initial sync", lines);

            // When it gets SIGHUP
            Signal(process, "HUP");

            // Then it reloads its configuration, as without nohup
            await UntilAsync(() => Task.FromResult(lines.Any(l => l.Contains("configuration reload (SIGHUP)", StringComparison.Ordinal))), "the reload", lines);
            Signal(process, "TERM");
            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.True(process.ExitCode == 0, string.Join("\n", lines));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    private static Process Start(string[] args, ConcurrentQueue<string> lines, Dictionary<string, string>? env = null, bool nohup = false)
    {
        var binary = Environment.GetEnvironmentVariable("S3SYNC_BINARY");
        var program = string.IsNullOrEmpty(binary) ? "dotnet" : binary;
        var psi = new ProcessStartInfo(nohup ? "nohup" : program) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (nohup) psi.ArgumentList.Add(program);
        if (string.IsNullOrEmpty(binary))
        {
            psi.ArgumentList.Add("exec");
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "s3sync.dll"));
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {process.Id}");
        kill.WaitForExit();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static async Task<int> HealthAsync(int port)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            return (int)(await http.GetAsync($"http://127.0.0.1:{port}/healthz")).StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    /// <summary>Polls a condition (the bucket, an endpoint, the log) until it holds; fails with the log after the deadline.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what, ConcurrentQueue<string> lines)
    {
        var until = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited {Deadline.TotalSeconds} s for {what}; output:\n{string.Join("\n", lines)}");
            await Task.Delay(100);
        }
    }
}
