using System.Diagnostics;
using System.Text.Json;
using S3Sync.Tests.Support;

namespace S3Sync.Tests.Cli;

/// <summary>The log of a run of several sites names the site on every line, text and JSON; under systemd the lines
/// carry journald priorities (issue #27). The binary, as cron and systemd run it.</summary>
[Collection("s3")]
public sealed class SiteLogTests(S3ServerFixture server)
{
    private static void TwoSites(Scenario s)
    {
        s.Write("etc/fstab", "fstab");
        s.Write("log/syslog", "syslog");
        File.CreateSymbolicLink(Path.Combine(s.Local, "etc", "mtab"), "/proc/self/mounts");
        s.Config($"- name: etc\n  local_path: {s.Local}/etc\n  bucket: {s.Bucket}\n  bucket_path: etc\n"
            + $"- name: varlog\n  local_path: {s.Local}/log\n  bucket: {s.Bucket}\n  bucket_path: log\n");
        // It holds keys: readable by its owner only, as installed (else a warning about that comes first)
        File.SetUnixFileMode(s.ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public async Task Text_log_of_two_sites_names_the_site_on_each_action_and_problem_line()
    {
        using var s = await Scenario.CreateAsync(server);
        TwoSites(s);

        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.EndsWith("s3sync[0] site etc: upload: fstab", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("s3sync[0] site varlog: upload: syslog", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains($"warn: s3sync[0] site etc: 1 symbolic links skipped: {s.Local}/etc/mtab", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Contains("] site ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Json_log_of_two_sites_has_a_site_field_on_each_line()
    {
        using var s = await Scenario.CreateAsync(server);
        TwoSites(s);

        var run = await CliProcess.RunAsync(["sync", "-c", s.ConfigPath, "--log-format", "json"]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var upload = Assert.Single(lines, l => l.GetProperty("Message").GetString() == "site etc: upload: fstab");
        Assert.Equal("etc", upload.GetProperty("site").GetString());
        Assert.Equal("fstab", upload.GetProperty("State").GetProperty("Key").GetString());
        Assert.Equal("Information", upload.GetProperty("LogLevel").GetString());
        Assert.Equal("varlog", Assert.Single(lines, l => l.GetProperty("Message").GetString() == "site varlog: upload: syslog").GetProperty("site").GetString());
        Assert.All(lines, l => Assert.True(l.TryGetProperty("site", out _), l.ToString()));
    }

    [Fact]
    public async Task Under_systemd_with_stderr_the_journal_stream_each_line_carries_its_priority()
    {
        using var s = await Scenario.CreateAsync(server);
        TwoSites(s);

        // JOURNAL_STREAM names stderr's own device and inode, as systemd sets it for a unit logging to the journal
        var journal = await ShellAsync($"JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" sync -c \"$1\"", s.ConfigPath);
        // Inherited by a process whose stderr goes elsewhere (a pipe of its own): no prefixes
        var inherited = await ShellAsync($"JOURNAL_STREAM=$(stat -L -c %d:%i /dev/null) exec \"$0\" sync -c \"$1\"", s.ConfigPath);

        Assert.True(journal.ExitCode == 0, journal.ToString());
        var lines = journal.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("<6>", StringComparison.Ordinal) && l.EndsWith("site varlog: upload: syslog", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("<4>", StringComparison.Ordinal) && l.Contains("site etc: 1 symbolic links skipped", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Matches("^<[2-7]>", l));
        Assert.True(inherited.ExitCode == 0, inherited.ToString());
        Assert.DoesNotContain(inherited.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith('<'));
    }

    private static async Task<RunResult> ShellAsync(string script, string config)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", script, CliProcess.Binary, config }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new RunResult(p.ExitCode, await stdout, await stderr);
    }
}
