using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// SIGINT and SIGTERM end a one-shot command in bounded time with exit 130, whatever it is waiting for: here a
/// server that accepts the connection and never answers (the request timeout is far longer than the test).
/// </summary>
public sealed class InterruptTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("INT", 1)]
    [InlineData("TERM", 1)]
    [InlineData("INT", 2)]
    public async Task Signal_during_a_request_that_never_ends_exits_130_in_bounded_time(string signal, int times)
    {
        var dir = Directory.CreateTempSubdirectory("s3sync-interrupt-").FullName;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "a");
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            // Given sync waiting on a server that took the connection and says nothing
            var env = new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = "AKIAIOSFODNN7EXAMPLE",
                ["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                ["AWS_ENDPOINT_URL"] = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}",
            };
            using var p = CliProcess.Start(["sync", dir, "s3://bucket/p"], env: env);
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            using var connection = await silent.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(30));

            // When it gets the signal (once, or twice in a row)
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < times; i++)
            {
                using var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString(CultureInfo.InvariantCulture)])!;
                await kill.WaitForExitAsync();
            }

            // Then it ends with 130 and says so, within the grace period (at once on the second signal)
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await p.WaitForExitAsync(bound.Token); }
            catch (OperationCanceledException) { p.Kill(entireProcessTree: true); Assert.Fail($"no exit 20 s after SIG{signal}: {await stderr}"); }
            Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {await stdout} {await stderr}");
            Assert.Contains("s3sync: interrupted", await stderr);
            Assert.DoesNotContain("   at ", await stderr);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        }
        finally
        {
            silent.Stop();
            Directory.Delete(dir, recursive: true);
        }
    }
}
