using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using S3Sync.Cli;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>
/// The progress line on a real pseudo-terminal (<c>script -qc</c>): log lines are written above it, never on the same
/// line. The uploads are held at a proxy until the line has been seen, so the line and the log lines surely meet.
/// </summary>
[Collection("s3")]
public sealed partial class ProgressTerminalTests(S3ServerFixture server)
{
    [Fact(Timeout = 120_000)]
    public async Task Log_lines_never_share_a_line_with_the_progress_line()
    {
        using var s = await Scenario.CreateAsync(server);
        for (var i = 0; i < 6; i++) s.Write($"f{i}.txt", new string('x', 100 + i));
        using var proxy = new FaultProxy(server.Endpoint);
        using var release = new ManualResetEventSlim();
        proxy.Seen += r => { if (r.Method == "PUT") release.Wait(TimeSpan.FromSeconds(60)); };
        var command = string.Join(' ', new[] { CliProcess.Binary, "sync", s.Local, $"s3://{s.Bucket}/p", "--endpoint", proxy.Endpoint, "--workers", "2" }.Select(Quote));
        var psi = new ProcessStartInfo("script", ["-qefc", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.Environment["TERM"] = "xterm";
        psi.Environment["AWS_ACCESS_KEY_ID"] = server.AccessKey;
        psi.Environment["AWS_SECRET_ACCESS_KEY"] = server.SecretKey;
        psi.Environment["AWS_EC2_METADATA_DISABLED"] = "true";

        using var p = Process.Start(psi)!;
        var seen = new StringBuilder();
        var buffer = new char[4096];
        // Read until the progress line is on the terminal (uploads are held), then let them go and read to the end.
        while (!seen.ToString().Contains(" files", StringComparison.Ordinal))
        {
            var n = await p.StandardOutput.ReadAsync(buffer);
            if (n == 0) break;
            seen.Append(buffer, 0, n);
        }
        release.Set();
        seen.Append(await p.StandardOutput.ReadToEndAsync());
        await p.WaitForExitAsync();
        var screen = seen.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.True(p.ExitCode == 0, screen);
        Assert.Contains("\r\u001b[K", screen); // the line was drawn
        var logLines = screen.Split('\n').Where(l => l.Contains(" s3sync[0] ", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, logLines.Count(l => l.Contains("upload: f", StringComparison.Ordinal)));
        foreach (var line in logLines)
        {
            // What stays visible of a physical line is what follows its last erase: it must be the log line alone.
            var visible = line[(line.LastIndexOf("\r\u001b[K", StringComparison.Ordinal) is var i and >= 0 ? i + 4 : 0)..];
            Assert.Matches(LogLine(), visible);
        }
    }

    [Theory]
    [InlineData(3, 1400, 0, 4096, 2.0, "www: 3/1400 files found so far, 0 B/4.0 KiB, 0 B/s")]
    [InlineData(3, 1400, 2048, 4096, 2.0, "www: 3/1400 files found so far, 2.0 KiB/4.0 KiB, 1.0 KiB/s")]
    public void While_the_walk_runs_the_line_says_found_so_far_and_shows_no_eta(long doneFiles, long plannedFiles, long doneBytes, long plannedBytes, double seconds, string expected) =>
        Assert.Equal(expected, ProgressLine.Format("www", doneFiles, plannedFiles, doneBytes, plannedBytes, TimeSpan.FromSeconds(seconds), walking: true));

    [Fact]
    public void A_log_line_erases_the_status_and_draws_it_again_below()
    {
        var writer = new StringWriter();
        var terminal = new StatusTerminal(writer);

        terminal.SetStatus("www: 1/2 files");
        terminal.WriteLine("12:00:00 warn: s3sync[0] x");
        terminal.ClearStatus();
        terminal.WriteLine("after");

        Assert.Equal("\r\u001b[Kwww: 1/2 files\r\u001b[K12:00:00 warn: s3sync[0] x\nwww: 1/2 files\r\u001b[Kafter\n", writer.ToString());
    }

    private static string Quote(string arg) => "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^\d\d:\d\d:\d\d (trce|dbug|info|warn|fail|crit): s3sync\[0\] [^\r\u001b]*$")]
    private static partial Regex LogLine();
}
